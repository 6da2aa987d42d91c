// Reconnect timing. mqtt.js retries at a fixed period; the link sets reconnectPeriod 0 and schedules
// each reconnect itself with these delays (exponential, with jitter so a fleet does not reconnect in
// lockstep after a broker restart).

export interface BackoffOptions {
  /** First delay after a lost connection, ms. */
  minMs: number;
  /** Delay never exceeds this, ms. */
  maxMs: number;
  /** Growth per failed attempt. */
  factor: number;
  /** Fraction of each delay that is random: 0.5 → between 50% and 100% of the nominal delay. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { minMs: 1000, maxMs: 60_000, factor: 2, jitter: 0.5 };

export class Backoff {
  private attempt = 0;
  constructor(
    private readonly options: BackoffOptions = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {
    if (!(options.minMs > 0 && options.maxMs >= options.minMs && options.factor >= 1)) {
      throw new Error(`invalid backoff ${JSON.stringify(options)}: need 0 < minMs <= maxMs and factor >= 1`);
    }
  }
  /** Delay before the next attempt; each call counts one more failure. */
  next(): number {
    const nominal = Math.min(this.options.maxMs, this.options.minMs * this.options.factor ** this.attempt);
    this.attempt++;
    const jitter = Math.min(1, Math.max(0, this.options.jitter));
    return Math.round(nominal * (1 - jitter * this.random()));
  }
  reset(): void {
    this.attempt = 0;
  }
  get attempts(): number {
    return this.attempt;
  }
}

/**
 * Recognises a second client with the same client id on MQTT 3.1.1, where the broker just closes the
 * older connection: connections that the broker closes shortly after accepting them, several times in
 * a row. (MQTT 5 says it outright: DISCONNECT reason 0x8E.)
 */
export class FlapDetector {
  private shortLived = 0;
  constructor(
    /** A connection that lasted less than this counts as short-lived, ms. */
    private readonly shortMs = 5000,
    /** This many short-lived connections in a row mean flapping. */
    private readonly threshold = 3,
  ) {}
  /** Records a connection that ended after `livedMs`; true when the pattern now says "flapping". */
  closed(livedMs: number): boolean {
    this.shortLived = livedMs < this.shortMs ? this.shortLived + 1 : 0;
    return this.shortLived >= this.threshold;
  }
  reset(): void {
    this.shortLived = 0;
  }
}
