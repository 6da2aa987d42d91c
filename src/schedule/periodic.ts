/**
 * Periodic work — stats, adaptive-load ticks, snapshot retention sweeps — runs here, as node-schedule
 * jobs: the scheduler the product's design names, which also runs the schedule edges
 * (controller.ts). node-schedule reads `Date` and sets timers, so jest's fake timers drive it.
 *
 * Each run is a one-off job for the next instant, armed again when it fires, not a RecurrenceRule: a
 * rule of seconds [0, 7, …, 56] gives a 4 s gap at each minute for a 7 s interval and cannot say 90 s
 * at all. The instants keep to the grid start + k × interval, like setInterval; a run that fires late
 * past the next instant (a stalled event loop, a wall clock stepped forward by NTP) is not made up
 * for in a burst: the grid moves to one interval from the late run. A clock stepped back delays the
 * next run by the step (node-schedule waits for the date), as it delays the schedule edges.
 *
 * Not here: the timers that tell whether a process is alive — the capture watchdog and the capture
 * child's alive pings, the systemd watchdog, the live feed's status pushes, bench samplers. They
 * measure elapsed time on this process, must beat through a wall-clock step and die with their
 * process, so they stay on setInterval.
 *
 * @example
 * const job = every(30_000, () => publishStats(), { name: 'stats', log, runNow: true });
 * job.reschedule(60_000); // config reload: next run one new interval from now
 * job.cancel();
 */
import { type Job, scheduleJob } from 'node-schedule';
import type { Logger } from '../log';

export interface PeriodicOptions {
  /** What the job does, for the log ("stats", "snapshot retention"). */
  name: string;
  log: Logger;
  /** Run once at once (in the caller's turn), then every interval; default: first run one interval from now. */
  runNow?: boolean;
}

export interface Periodic {
  /** The next run one `intervalMs` from now, then every `intervalMs`. */
  reschedule(intervalMs: number): void;
  /** No run after this; one in progress finishes. */
  cancel(): void;
}

/** A Date holds no later instant than this many milliseconds after 1970. */
const MAX_INTERVAL_MS = 8.64e15;

/**
 * Runs `run` every `intervalMs` as node-schedule jobs until cancelled. A run still in progress (its
 * promise unsettled) when the next is due makes that one skip, logged: two sweeps or two host reads
 * at once would only compete. A run that throws or rejects is logged with `{ err }` and the next one
 * runs on time.
 */
export function every(intervalMs: number, run: () => unknown, options: PeriodicOptions): Periodic {
  const { name, log } = options;
  let interval = checked(intervalMs, name);
  let job: Job | null = null;
  let cancelled = false;
  let inFlight = false;
  let next = 0;

  const arm = (at: number): void => {
    job?.cancel();
    next = at;
    // node-schedule refuses a date in the past; `at` is ahead of now, unless the clock just moved.
    job = scheduleJob(new Date(Math.max(at, Date.now() + 1)), fire);
    while (!job) job = scheduleJob(new Date(Date.now() + 1), fire);
  };

  function fire(): void {
    job = null;
    if (cancelled) return;
    const now = Date.now();
    arm(next + interval > now ? next + interval : now + interval);
    invoke();
  }

  function invoke(): void {
    if (inFlight) {
      log.warn({ job: name, interval_ms: interval }, `${name}: the previous run is still going; this one is skipped`);
      return;
    }
    let result: unknown;
    try {
      result = run();
    } catch (err) {
      log.error({ err, job: name }, `${name} failed; it runs again at its next interval`);
      return;
    }
    // A thenable, not `instanceof Promise`: a promise from another realm (Node's own, jest's) is one too.
    if (!isThenable(result)) return;
    inFlight = true;
    result.then(
      () => (inFlight = false),
      (err: unknown) => {
        inFlight = false;
        log.error({ err, job: name }, `${name} failed; it runs again at its next interval`);
      },
    );
  }

  arm(Date.now() + interval);
  if (options.runNow) invoke();

  return {
    reschedule(intervalMs: number): void {
      interval = checked(intervalMs, name);
      if (!cancelled) arm(Date.now() + interval);
    },
    cancel(): void {
      cancelled = true;
      job?.cancel();
      job = null;
    },
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

function checked(intervalMs: number, name: string): number {
  if (!Number.isFinite(intervalMs) || intervalMs <= 0 || intervalMs > MAX_INTERVAL_MS) {
    throw new RangeError(`${name}: interval must be a positive number of milliseconds, got ${intervalMs}`);
  }
  return intervalMs;
}
