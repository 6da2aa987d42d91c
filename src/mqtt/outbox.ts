// How messages leave: the delivery promises of docs/mqtt.md across broker outages.
// - Every QoS 1 message goes through one bounded in-memory queue (BoundedQueue), online or not; at
//   most `maxInflight` of them (and never more than the broker's Receive Maximum) are handed to mqtt.js
//   at a time, so mqtt.js's outgoing store holds only in-flight messages (published, no PUBACK yet).
//   After a reconnect mqtt.js re-sends those first (the connection passes its store to reconnect()),
//   then the queue continues in order. An in-flight message that failed because the connection closed
//   goes back to the front of the queue: QoS 1 allows a repeat, not a loss.
// - QoS 0 per-frame messages are never queued: while offline, or while the socket is far behind, they
//   are dropped and counted (stale by the time they could go).
import { EventEmitter } from 'node:events';
import type { IClientPublishOptions } from 'mqtt';
import type { Logger } from '../log';
import { BoundedQueue, type QueuedMessage, type QueuePolicy } from './queue';

/** What the outbox needs of the connection (MqttConnection; a double in unit tests). */
export interface OutboxTransport {
  readonly connected: boolean;
  readonly stopping: boolean;
  readonly protocolVersion: 4 | 5;
  /** QoS 1 messages the broker takes unacknowledged at once. */
  readonly receiveMaximum: number;
  backlogBytes(): number;
  publish(topic: string, payload: Buffer, options: IClientPublishOptions, done: (err?: Error) => void): boolean;
}

export interface OutboxPolicy extends QueuePolicy {
  /** QoS 1 messages handed to mqtt.js at once (awaiting PUBACK). */
  maxInflight: number;
}

export interface OutboxCounters {
  /** Messages the broker took: QoS 0 written, QoS 1 acknowledged. */
  published: number;
  /** QoS 1 messages waiting in the queue. */
  queued: number;
  /** QoS 1 messages sent and not yet acknowledged. */
  inflight: number;
  dropped_offline_qos0: number;
  /** QoS 0 messages dropped because the connection could not keep up. */
  dropped_backpressure_qos0: number;
  dropped_queue_overflow: number;
  dropped_expired: number;
}

/**
 * QoS 0 data the socket has not taken yet, past which per-frame messages are dropped. Far above the
 * socket's high-water mark (16 KiB): one snapshot JPEG or the burst of retained state at connect fills
 * that, and must not cost the frames published right after it.
 */
export const QOS0_BACKLOG_BYTES = 1024 * 1024;

export class Outbox {
  private readonly queue: BoundedQueue;
  private readonly events = new EventEmitter<{ drained: [] }>();
  private inflightCount = 0;
  private pumpScheduled = false;
  private readonly n = { published: 0, dropped_offline_qos0: 0, dropped_backpressure_qos0: 0 };

  constructor(
    private readonly transport: OutboxTransport,
    private readonly policy: OutboxPolicy,
    private readonly log: Logger,
  ) {
    this.queue = new BoundedQueue(policy);
  }

  get queued(): number {
    return this.queue.length;
  }
  get inflight(): number {
    return this.inflightCount;
  }

  /** True while a message for `topic` waits in the queue (it will carry the newest value there). */
  hasQueued(topic: string): boolean {
    return this.queue.hasTopic(topic);
  }

  counters(): OutboxCounters {
    return {
      published: this.n.published,
      queued: this.queue.length,
      inflight: this.inflightCount,
      dropped_offline_qos0: this.n.dropped_offline_qos0,
      dropped_backpressure_qos0: this.n.dropped_backpressure_qos0,
      dropped_queue_overflow: this.queue.drops.overflow,
      dropped_expired: this.queue.drops.expired,
    };
  }

  /** A QoS 1 message: queued, online or not, and sent in order. */
  enqueue(topic: string, payload: Buffer, retain: boolean): void {
    this.queue.push({ topic, payload, retain, enqueuedAt: Date.now() });
    this.pump();
  }

  /** A QoS 0 message: sent now or dropped (and counted); true when handed to mqtt.js. */
  sendQos0(topic: string, payload: Buffer, retain: boolean): boolean {
    if (!this.transport.connected) {
      this.n.dropped_offline_qos0++;
      return false;
    }
    if (this.transport.backlogBytes() > QOS0_BACKLOG_BYTES) {
      this.n.dropped_backpressure_qos0++;
      return false;
    }
    const handed = this.transport.publish(topic, payload, { qos: 0, retain }, (err) => {
      if (err) this.n.dropped_offline_qos0++;
      else this.n.published++;
    });
    if (!handed) this.n.dropped_offline_qos0++;
    return handed;
  }

  /**
   * Straight to mqtt.js, past the queue: the retained state replayed right after a connect, which is
   * the current state whatever was queued before.
   */
  sendDirect(topic: string, payload: Buffer, qos: 0 | 1, retain: boolean): void {
    this.transport.publish(topic, payload, { qos, retain }, (err) => {
      if (err) this.log.debug({ topic, err }, 'MQTT republish not acknowledged');
      else this.n.published++;
    });
  }

  /** Hands queued QoS 1 messages to mqtt.js, in order, at most maxInflight at a time. */
  pump(): void {
    const t = this.transport;
    const maxInflight = Math.min(this.policy.maxInflight, t.receiveMaximum);
    while (t.connected && this.inflightCount < maxInflight) {
      const now = Date.now();
      const message = this.queue.shift(now);
      if (!message) break;
      const opts: IClientPublishOptions = { qos: 1, retain: message.retain };
      if (t.protocolVersion === 5 && !message.retain) {
        // Brokers speaking 5 drop it themselves if it still waits there past its age.
        opts.properties = { messageExpiryInterval: this.queue.remainingSeconds(message, now) };
      }
      this.inflightCount++;
      if (!t.publish(message.topic, message.payload, opts, (err) => this.onAck(message, err))) {
        this.inflightCount--;
        this.queue.unshift(message);
        break;
      }
    }
  }

  /** Resolves once nothing is queued or in flight, or after `timeoutMs`. */
  drained(timeoutMs: number): Promise<void> {
    const empty = (): boolean => this.queue.length === 0 && this.inflightCount === 0;
    if (empty() || timeoutMs <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (empty()) finish();
      };
      const finish = (): void => {
        clearTimeout(timer);
        this.events.off('drained', check);
        resolve();
      };
      const timer = setTimeout(finish, timeoutMs);
      this.events.on('drained', check);
    });
  }

  private onAck(message: QueuedMessage, err: Error | undefined): void {
    this.inflightCount--;
    if (!err) {
      this.n.published++;
    } else if (/clos|disconnect|No connection/i.test(err.message) && !this.transport.stopping) {
      // Never reached the broker's hands for sure: deliver it again after reconnecting (QoS 1 allows a repeat).
      this.queue.unshift(message);
    } else {
      this.log.error({ topic: message.topic, err }, 'MQTT broker refused a QoS 1 message');
    }
    if (this.inflightCount === 0 && this.queue.length === 0) this.events.emit('drained');
    this.schedulePump();
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }
}
