/**
 * Reconnect delays: exponential from `initialMs` by `factor` up to `maxMs`, each spread by ±jitter so
 * that cameras behind one switch that went down together do not all retry in the same millisecond.
 * It never gives up: a camera may come back hours later.
 */

export interface BackoffOptions {
  /** First delay in ms (default 1000). */
  initialMs?: number;
  /** Longest delay in ms (default 30000, or initialMs if that is longer). */
  maxMs?: number;
  /** Growth per failed attempt (default 2). */
  factor?: number;
  /** Relative spread of each delay, 0..1 (default 0.2: ±20 %). */
  jitter?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { initialMs: 1000, maxMs: 30000, factor: 2, jitter: 0.2 };

export class Backoff {
  private readonly o: Required<BackoffOptions>;
  private failures = 0;

  constructor(
    options: BackoffOptions = {},
    private readonly random: () => number = Math.random,
  ) {
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as BackoffOptions;
    const initialMs = given.initialMs ?? DEFAULT_BACKOFF.initialMs;
    // A long initial delay alone raises the default maximum with it.
    this.o = { ...DEFAULT_BACKOFF, maxMs: Math.max(DEFAULT_BACKOFF.maxMs, initialMs), ...given };
    if (!(this.o.initialMs > 0) || !(this.o.maxMs >= this.o.initialMs) || !(this.o.factor >= 1)) {
      throw new Error(
        `backoff needs initialMs > 0, maxMs ≥ initialMs, factor ≥ 1 (got ${this.o.initialMs}, ${this.o.maxMs}, ${this.o.factor})`,
      );
    }
    if (!(this.o.jitter >= 0 && this.o.jitter <= 1)) throw new Error(`backoff jitter must be 0..1, got ${this.o.jitter}`);
  }

  /** How many delays were handed out since the last reset. */
  get attempts(): number {
    return this.failures;
  }

  /** The delay before the next attempt; each call counts one more failure. */
  next(): number {
    const base = Math.min(this.o.maxMs, this.o.initialMs * Math.pow(this.o.factor, this.failures));
    this.failures++;
    const spread = 1 + this.o.jitter * (2 * this.random() - 1);
    return Math.max(0, Math.round(Math.min(this.o.maxMs, base * spread)));
  }

  /** After the source has streamed steadily: start from `initialMs` again. */
  reset(): void {
    this.failures = 0;
  }
}
