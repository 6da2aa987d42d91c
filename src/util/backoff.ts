/**
 * Retry delays, one rule for every reconnect in Lookout (cameras, the MQTT broker): exponential from
 * `initialMs` by `factor` up to `maxMs`, each shortened by a random part of up to `jitter` of itself,
 * so that devices or cameras that lost the same broker or switch at once do not all retry in the same
 * millisecond. Jitter only shortens: the configured maximum really is the longest wait. It never gives
 * up; the caller decides when a source or broker counts as steady again and calls reset().
 */

export interface BackoffOptions {
  /** First delay, ms. */
  initialMs: number;
  /** Longest delay, ms. */
  maxMs: number;
  /** Growth per failed attempt. */
  factor: number;
  /** Fraction of each delay that is random, 0..1: 0.5 → between 50 % and 100 % of the nominal delay. */
  jitter: number;
}

/**
 * A complete set of options from a consumer's defaults and what its user set. Keys given as
 * `undefined` (a config mapper passing unset keys) keep the default. A long initial delay given
 * alone raises the default maximum with it, instead of being refused as larger than the maximum.
 */
export function backoffOptions(defaults: BackoffOptions, given: Partial<BackoffOptions> = {}): BackoffOptions {
  const set = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as Partial<BackoffOptions>;
  const initialMs = set.initialMs ?? defaults.initialMs;
  return { ...defaults, maxMs: Math.max(defaults.maxMs, initialMs), ...set };
}

export class Backoff {
  private failures = 0;

  constructor(
    private readonly o: BackoffOptions,
    private readonly random: () => number = Math.random,
  ) {
    if (!(o.initialMs > 0) || !(o.maxMs >= o.initialMs) || !(o.factor >= 1)) {
      throw new Error(`backoff needs initialMs > 0, maxMs ≥ initialMs, factor ≥ 1 (got ${o.initialMs}, ${o.maxMs}, ${o.factor})`);
    }
    if (!(o.jitter >= 0 && o.jitter <= 1)) throw new Error(`backoff jitter must be 0..1, got ${o.jitter}`);
  }

  /** Delays handed out since the last reset: the failures in a row. */
  get attempts(): number {
    return this.failures;
  }

  /** The delay before the next attempt; each call counts one more failure. */
  next(): number {
    const nominal = Math.min(this.o.maxMs, this.o.initialMs * this.o.factor ** this.failures);
    this.failures++;
    return Math.round(nominal * (1 - this.o.jitter * this.random()));
  }

  /** After a steady run: start from `initialMs` again. */
  reset(): void {
    this.failures = 0;
  }
}
