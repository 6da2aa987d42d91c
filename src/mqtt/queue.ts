// The one bounded queue for QoS 1 messages. Every QoS 1 publish goes through it (online too), so the
// bound is real: mqtt.js's own outgoing store only ever holds the few messages in flight.

export interface QueuedMessage {
  topic: string;
  payload: Buffer;
  retain: boolean;
  /** Date.now() when the caller published it. */
  enqueuedAt: number;
}

export interface QueuePolicy {
  /** Messages kept at most; past it the oldest go. */
  maxMessages: number;
  /**
   * A non-retained message older than this is dropped instead of being delivered late as news.
   * Retained state (status, counts) is still delivered unless a newer value for the same topic is
   * queued behind it: late state is still the current state.
   */
  maxAgeMs: number;
}

export interface QueueDrops {
  overflow: number;
  expired: number;
}

export class BoundedQueue {
  private items: QueuedMessage[] = [];
  private head = 0;
  readonly drops: QueueDrops = { overflow: 0, expired: 0 };

  constructor(private readonly policy: QueuePolicy) {
    if (!(policy.maxMessages >= 1)) throw new Error(`queue maxMessages must be >= 1, got ${policy.maxMessages}`);
    if (!(policy.maxAgeMs > 0)) throw new Error(`queue maxAgeMs must be > 0, got ${policy.maxAgeMs}`);
  }

  get length(): number {
    return this.items.length - this.head;
  }

  push(message: QueuedMessage): void {
    this.items.push(message);
    while (this.length > this.policy.maxMessages) {
      this.head++;
      this.drops.overflow++;
    }
    this.compact();
  }

  /** The next message still worth delivering at `now`, dropping expired ones on the way. */
  shift(now: number): QueuedMessage | undefined {
    while (this.length > 0) {
      const m = this.items[this.head++];
      this.compact();
      if (now - m.enqueuedAt <= this.policy.maxAgeMs) return m;
      if (m.retain && !this.hasTopic(m.topic)) return m;
      this.drops.expired++;
    }
    return undefined;
  }

  /** Puts a message back at the front (a publish that could not start). */
  unshift(message: QueuedMessage): void {
    if (this.head > 0) this.items[--this.head] = message;
    else this.items.unshift(message);
  }

  hasTopic(topic: string): boolean {
    for (let i = this.head; i < this.items.length; i++) if (this.items[i].topic === topic) return true;
    return false;
  }

  /** Remaining lifetime in whole seconds for MQTT 5 message expiry (at least 1). */
  remainingSeconds(message: QueuedMessage, now: number): number {
    return Math.max(1, Math.ceil((this.policy.maxAgeMs - (now - message.enqueuedAt)) / 1000));
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
