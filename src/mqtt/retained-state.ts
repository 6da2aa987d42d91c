// Retained state is the truth (docs/mqtt.md): availability, status, counts, controls, discovery, stats
// and snapshots are remembered per topic as last published, republished on every (re)connect so a
// broker that restarted without persistence is whole again, and cleared with an empty retained
// message when their subject leaves the config. Every retained topic is also written to the ledger
// (RetainedLedger), so the next start clears what this run left and that one no longer publishes.
import type { Logger } from '../log';
import type { Outbox } from './outbox';
import type { RetainedLedger } from './retained-ledger';

interface Remembered {
  payload: Buffer;
  qos: 0 | 1;
}

export class RetainedState {
  private readonly values = new Map<string, Remembered>();

  constructor(
    private readonly outbox: Outbox,
    private readonly ledger: RetainedLedger,
    private readonly log: Logger,
  ) {}

  has(topic: string): boolean {
    return this.values.has(topic);
  }
  payloadOf(topic: string): Buffer | undefined {
    return this.values.get(topic)?.payload;
  }
  /** The topics remembered now, in the order they were first published. */
  topics(): string[] {
    return [...this.values.keys()];
  }

  /** A topic of ours, for the ledger, though not published yet (availability, stats). */
  claim(topic: string): void {
    this.ledger.add(topic);
  }

  /** Remembers a value sent by other means (QoS 0 state, availability) for the next replay. */
  remember(topic: string, payload: Buffer, qos: 0 | 1): void {
    this.ledger.add(topic);
    this.values.set(topic, { payload, qos });
  }

  /** Retained QoS 1 state: remembered for replay, queued only when it changed (or when forced). */
  publish(topic: string, payload: Buffer, force = false): boolean {
    const previous = this.values.get(topic);
    if (!force && previous && previous.payload.equals(payload)) return true;
    this.remember(topic, payload, 1);
    this.outbox.enqueue(topic, payload, true);
    return true;
  }

  /** An empty retained message: consumers forget the topic (docs/mqtt.md). */
  clear(topic: string): void {
    this.values.delete(topic);
    this.ledger.delete(topic);
    this.outbox.enqueue(topic, Buffer.alloc(0), true);
  }

  /** Clears a remembered topic; false when it holds nothing of ours. */
  clearIfHeld(topic: string): boolean {
    if (!this.values.has(topic)) return false;
    this.clear(topic);
    return true;
  }

  /** Clears every remembered topic under `prefix` (a camera that left the config); how many. */
  clearUnder(prefix: string): number {
    let cleared = 0;
    for (const topic of [...this.values.keys()]) {
      if (!topic.startsWith(prefix)) continue;
      this.clear(topic);
      cleared++;
    }
    return cleared;
  }

  /**
   * After a (re)connect: `availability` goes out first, then every remembered value, straight to the
   * client. A topic with a newer value still queued gets it from the queue, in order, not twice.
   */
  replay(availability: string): void {
    const online = Buffer.from('online');
    this.outbox.sendDirect(availability, online, 1, true);
    this.remember(availability, online, 1);
    for (const [topic, { payload, qos }] of this.values) {
      if (topic === availability || this.outbox.hasQueued(topic)) continue;
      this.outbox.sendDirect(topic, payload, qos, true);
    }
  }

  /**
   * Clears what the previous run left retained and this run does not publish. `keep`: topics that are
   * still ours though not published yet (a camera's snapshot waits for its next event).
   */
  sweepStale(keep: (topic: string) => boolean): string[] {
    const stale = this.ledger.takeStale((t) => this.values.has(t) || keep(t));
    for (const topic of stale) this.clear(topic);
    if (stale.length > 0) this.log.info({ topics: stale }, 'cleared retained topics of things no longer configured');
    return stale;
  }
}
