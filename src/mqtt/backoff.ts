// Reconnect timing of the MQTT link. mqtt.js retries at a fixed period; the link sets reconnectPeriod
// 0 and schedules each reconnect itself with the one backoff rule of Lookout (src/util/backoff.ts):
// exponential, jitter only shortening a delay, so a fleet does not reconnect in lockstep after a
// broker restart.
import { Backoff, type BackoffOptions, backoffOptions } from '../util/backoff';

export type { BackoffOptions } from '../util/backoff';

/** 1 s doubling to 60 s, up to half of each delay random (docs/mqtt.md). */
export const MQTT_BACKOFF: BackoffOptions = { initialMs: 1000, maxMs: 60_000, factor: 2, jitter: 0.5 };

/** Delays as the link takes them: any subset of the options. */
export type LinkBackoffOptions = Partial<BackoffOptions>;

export function linkBackoff(defaults: BackoffOptions, given: LinkBackoffOptions = {}): Backoff {
  return new Backoff(backoffOptions(defaults, given));
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
