/**
 * When to open a lost or failed source again: after the backoff delay, or at once when the file or
 * device node it needs (re)appears — a replugged camera, a restored file — instead of waiting out a
 * delay that may have grown to half a minute. One pending attempt at a time.
 */
import { promises as fsp } from 'node:fs';
import type { Backoff } from '../util/backoff';

/** A path whose appearance means "try again now"; `missingNow`: it is gone at the time of failing. */
export interface PresenceWatch {
  path: string;
  missingNow: boolean;
}

export type ReopenTrigger = { by: 'delay' } | { by: 'reappeared'; path: string };

async function defaultExists(p: string): Promise<boolean> {
  return fsp.stat(p).then(
    () => true,
    () => false,
  );
}

export class ReopenSchedule {
  private timer: NodeJS.Timeout | undefined;
  private poll: NodeJS.Timeout | undefined;

  constructor(
    private readonly backoff: Backoff,
    private readonly presencePollMs: number,
    private readonly reopen: (trigger: ReopenTrigger) => void,
    private readonly exists: (p: string) => Promise<boolean> = defaultExists,
  ) {}

  /** Failed or lost attempts since the source last streamed steadily. */
  get failures(): number {
    return this.backoff.attempts;
  }

  /**
   * Schedules the next attempt (replacing any pending one) and returns its delay. A watched path
   * that is present all along triggers nothing: the backoff decides. One that is missing, or goes
   * missing, and then appears triggers the attempt at once.
   */
  schedule(watch?: PresenceWatch): number {
    this.cancel();
    const delay = this.backoff.next();
    this.timer = setTimeout(() => this.fire({ by: 'delay' }), delay);
    if (watch) this.watch(watch);
    return delay;
  }

  /** The source streamed steadily: the next failure starts from the initial delay again. */
  steady(): void {
    this.backoff.reset();
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.poll) clearInterval(this.poll);
    this.timer = undefined;
    this.poll = undefined;
  }

  private fire(trigger: ReopenTrigger): void {
    this.cancel();
    this.reopen(trigger);
  }

  private watch(w: PresenceWatch): void {
    let checking = false;
    let seenMissing = w.missingNow;
    const poll = setInterval(() => {
      if (checking) return;
      checking = true;
      this.exists(w.path)
        .then((present) => {
          if (!present) seenMissing = true;
          else if (seenMissing && this.poll === poll) this.fire({ by: 'reappeared', path: w.path });
        })
        .catch(() => undefined)
        .finally(() => {
          checking = false;
        });
    }, this.presencePollMs);
    this.poll = poll;
  }
}
