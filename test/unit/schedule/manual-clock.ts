import type { ScheduleClock } from '../../../src/schedule';

/** A clock that only moves when the test says so; timers fire in due order as time advances. */
export class ManualClock implements ScheduleClock {
  private timers = new Map<number, { due: number; fn: () => void }>();
  private nextHandle = 1;
  /** Largest delay ever requested, to check the 2^31-1 ms setTimeout limit is respected. */
  maxDelay = 0;

  constructor(private t: number) {}

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    this.maxDelay = Math.max(this.maxDelay, ms);
    const h = this.nextHandle++;
    this.timers.set(h, { due: this.t + ms, fn });
    return h;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  get pending(): number {
    return this.timers.size;
  }

  /** Moves time to `target`, firing each due timer at its own due time. */
  advanceTo(target: number): void {
    for (;;) {
      let next: [number, { due: number; fn: () => void }] | undefined;
      for (const entry of this.timers) if (!next || entry[1].due < next[1].due) next = entry;
      if (!next || next[1].due > target) break;
      this.timers.delete(next[0]);
      this.t = Math.max(this.t, next[1].due);
      next[1].fn();
    }
    this.t = Math.max(this.t, target);
  }

  advance(ms: number): void {
    this.advanceTo(this.t + ms);
  }

  /** A wall-clock jump (NTP step): time changes, timers keep their due times. */
  jumpTo(t: number): void {
    this.t = t;
  }
}
