// The MQTT link: the one object the daemon publishes through; its connection is the only place that
// creates the daemon's mqtt.js client. It speaks the contract (docs/mqtt.md): one method per topic
// kind, payloads checked, topics validated, each kind sent with its QoS and retain flag
// (TOPIC_DELIVERY). The work is done by parts with one job each:
// - MqttConnection (connection.ts): the mqtt.js client, reconnects with backoff, takeover, TLS, will;
// - Outbox (outbox.ts): the bounded QoS 1 queue and its in-flight window, QoS 0 drops;
// - RetainedState (retained-state.ts): retained values remembered, replayed on reconnect, cleared;
// - CommandEndpoint (command-endpoint.ts): `set` topics in, answers on `/result` out;
// - DiscoveryPublisher (discovery-publisher.ts): Home Assistant discovery configs.
import type { Logger } from '../log';
import { errorMessage } from '../util/errors';
import { CommandEndpoint, type CommandHandler } from './command-endpoint';
import { MqttConnection, type ConnectFn } from './connection';
import type { DiscoveryCamera } from './discovery';
import { DiscoveryPublisher } from './discovery-publisher';
import type { MqttLinkOptions } from './link-options';
import { Outbox, type OutboxCounters } from './outbox';
import { RetainedLedger } from './retained-ledger';
import { RetainedState } from './retained-state';
import {
  schemaProblems,
  type ConfigStatePayload,
  type DetectionsPayload,
  type EventPayload,
  type SchemaName,
  type StatsPayload,
  type StatusPayload,
  type TimingPayload,
} from './schemas';
import { defaultBaseTopic, publishTopicProblem, Topics, TOPIC_DELIVERY, type TopicKind, type TopicPayloads } from './topics';

export { readPem, redactUrl } from './link-options';
export type { MqttLinkOptions, MqttTlsOptions } from './link-options';
export type { CommandHandler, CommandResult } from './command-endpoint';

/** The outbox's counters (OutboxCounters) and the link's own. */
export interface MqttCounters extends OutboxCounters {
  connected: boolean;
  /** Reconnect attempts after a lost or failed connection. */
  reconnects: number;
  /** Publishes refused because a topic or payload was invalid. */
  refused_invalid: number;
  commands_received: number;
  commands_refused: number;
}

export type EventInput = Omit<EventPayload, 'v' | 'seq' | 'camera' | 'event_id'>;

export class MqttLink {
  readonly topics: Topics;
  readonly clientId: string;
  /** Part of every `event_id`: unique per process start, so ids never repeat across restarts. */
  readonly bootId: string;
  private readonly log: Logger;
  private readonly connection: MqttConnection;
  private readonly outbox: Outbox;
  private readonly retained: RetainedState;
  private readonly commands: CommandEndpoint;
  private readonly ha: DiscoveryPublisher;
  private seq = 0;
  private refusedInvalid = 0;
  private readonly refusedTopics = new Set<string>();

  /** `connectFn`: mqtt.js's `connect` unless a unit test hands in a double of the client. */
  constructor(
    private readonly options: MqttLinkOptions,
    logger: Logger,
    connectFn?: ConnectFn,
  ) {
    this.log = logger;
    this.topics = new Topics(options.baseTopic ?? defaultBaseTopic(options.deviceId));
    this.clientId = options.clientId ?? `lookout-${options.deviceId}`;
    this.bootId = options.bootId ?? Date.now().toString(36);
    this.connection = new MqttConnection(
      {
        ...options,
        clientId: this.clientId,
        willTopic: this.topics.availability(),
        base: this.topics.base,
        subscriptions: (protocolVersion) => ({ ...this.commands.filters(protocolVersion), ...this.ha.filters() }),
        logFields: () => ({ queued: this.outbox.queued, inflight: this.outbox.inflight }),
      },
      logger,
      connectFn,
    );
    this.outbox = new Outbox(
      this.connection,
      { maxMessages: options.queueMaxMessages ?? 1000, maxAgeMs: options.queueMaxAgeMs ?? 600_000, maxInflight: options.maxInflight ?? 20 },
      logger,
    );
    this.retained = new RetainedState(this.outbox, new RetainedLedger(options.ledgerFile ?? null, logger), logger);
    this.commands = new CommandEndpoint(this.topics, (topic, result) => this.publishKind('setResult', () => topic, result), logger, options.cameras);
    this.ha = new DiscoveryPublisher(
      { ...options.discovery, deviceId: options.deviceId, ...(options.version !== undefined ? { version: options.version } : {}) },
      this.topics,
      this.retained,
      logger,
    );
    // Always ours while running, even before the first connect or stats interval.
    this.retained.claim(this.topics.availability());
    this.retained.claim(this.topics.stats());
    this.connection.on('connected', () => {
      this.retained.replay(this.topics.availability());
      this.outbox.pump();
    });
    this.connection.on('message', (topic, payload, retained) => {
      if (!this.ha.receive(topic, payload, retained)) this.commands.receive(topic, payload, retained);
    });
  }

  /**
   * Starts connecting and returns at once: a broker that is down must not stop the daemon. The link
   * keeps retrying with backoff; QoS 1 messages queue meanwhile. `whenConnected()` waits for a
   * connection. Rejects only for configuration errors (unreadable TLS files, bad URL).
   */
  async start(): Promise<void> {
    this.connection.start();
  }

  /** Resolves true once connected, false if `timeoutMs` passes first. */
  whenConnected(timeoutMs: number): Promise<boolean> {
    return this.connection.whenConnected(timeoutMs);
  }

  /** Cameras that accept commands (call again after a config reload). */
  setCameras(cameras: string[]): void {
    this.commands.setCameras(cameras);
  }

  onCommand(handler: CommandHandler): void {
    this.commands.onCommand(handler);
  }

  // --- publishing: the contract's topics -------------------------------------------------------

  publishDetections(camera: string, payload: DetectionsPayload): boolean {
    return this.publishKind('detections', () => this.topics.detections(camera), payload);
  }
  publishTiming(camera: string, payload: TimingPayload): boolean {
    return this.publishKind('timing', () => this.topics.timing(camera), payload);
  }
  /** Publishes a track event (QoS 1, queued while offline); returns its `seq`, or 0 when refused. */
  publishEvent(camera: string, event: EventInput): number {
    const seq = this.seq + 1;
    const payload: EventPayload = { v: 1, seq, event_id: `${this.options.deviceId}:${this.bootId}:${camera}:${event.track_id}`, camera, ...event };
    if (!this.publishKind('events', () => this.topics.events(camera), payload)) return 0;
    this.seq = seq;
    return seq;
  }
  /** Retained count of `label` on the camera (or inside `zone`); published only when it changes. */
  setCount(camera: string, label: string, count: number, zone?: string): boolean {
    if (!Number.isInteger(count) || count < 0) {
      return this.refuse(`count:${camera}:${label}`, `count of '${label}' on camera '${camera}' must be a non-negative integer, got ${count}`);
    }
    return this.publishKind('count', () => this.topics.count(camera, label, zone), count);
  }
  /**
   * A configured count whose value this process has not published yet goes out as 0: a retained
   * count left by an unclean exit must not stand. One already published keeps its value.
   */
  initCount(camera: string, label: string, zone?: string): boolean {
    let topic: string;
    try {
      topic = this.topics.count(camera, label, zone);
    } catch (e) {
      return this.refuse(`count:${camera}:${label}:${zone ?? ''}`, `refusing to publish count: ${errorMessage(e)}`);
    }
    if (this.retained.has(topic)) return true;
    return this.setCount(camera, label, 0, zone);
  }
  /** Retained controls of a camera as Home Assistant's switch and number read them back. */
  setControls(camera: string, controls: { detect: boolean; minScore: number }): void {
    this.publishKind('detect', () => this.topics.detect(camera), controls.detect ? 'ON' : 'OFF');
    this.publishKind('minScore', () => this.topics.minScore(camera), Math.round(controls.minScore * 1000) / 1000);
  }
  /** Retained motion state of a camera with motion gating on (Home Assistant's motion sensor). */
  setMotion(camera: string, moving: boolean): boolean {
    return this.publishKind('motion', () => this.topics.motion(camera), moving ? 'ON' : 'OFF');
  }
  /** Clears a camera's motion state (its motion gating was switched off): an empty retained message. */
  forgetMotion(camera: string): boolean {
    return this.clearHeld(() => this.topics.motion(camera));
  }
  setStatus(camera: string, status: Omit<StatusPayload, 'v'>): boolean {
    return this.publishKind('status', () => this.topics.status(camera), { v: 1, ...status });
  }
  /** Retained stats; the link adds its own counters as `mqtt` unless given. */
  publishStats(stats: StatsPayload): boolean {
    const payload: StatsPayload = { ...stats };
    if (payload.mqtt === undefined) payload.mqtt = { ...this.counters() };
    return this.publishKind('stats', () => this.topics.stats(), payload);
  }
  /** Retained state of the applied configuration (hash, last reload's problems). */
  setConfigState(state: Omit<ConfigStatePayload, 'v'>): boolean {
    return this.publishKind('config', () => this.topics.config(), { v: 1, ...state });
  }
  publishSnapshot(camera: string, jpeg: Buffer): boolean {
    return this.publishKind('snapshot', () => this.topics.snapshot(camera), jpeg);
  }

  /**
   * Clears the retained state of a camera that was removed from the config (status, counts, snapshot):
   * an empty retained message on each of its topics, so consumers do not see a ghost camera.
   */
  forgetCamera(camera: string): number {
    return this.retained.clearUnder(`${this.topics.base}/${camera}/`);
  }

  /** Clears one retained count (a label or zone that left the config): an empty retained message. */
  forgetCount(camera: string, label: string, zone?: string): boolean {
    return this.clearHeld(() => this.topics.count(camera, label, zone));
  }

  /**
   * Clears what the previous run left retained and this run does not publish (a camera, label, zone or
   * entity that left the config while Lookout was stopped; all discovery when it was switched off).
   * Call once, after the start has published its retained state. `keep`: topics that are still
   * this device's though not published yet (a camera's snapshot waits for its next event).
   */
  sweepStale(keep: (topic: string) => boolean): string[] {
    return this.retained.sweepStale(keep);
  }

  /**
   * The Home Assistant entities to announce. Publishes new or changed configs (retained) and clears
   * entities that are gone with an empty retained message. Call again whenever cameras or tracked
   * labels change.
   */
  setDiscovery(cameras: DiscoveryCamera[]): void {
    this.ha.set(cameras);
  }

  /** The entities last given to setDiscovery. */
  get discovery(): readonly DiscoveryCamera[] {
    return this.ha.cameras;
  }

  counters(): MqttCounters {
    return {
      connected: this.connection.connected,
      ...this.outbox.counters(),
      reconnects: this.connection.reconnects,
      refused_invalid: this.refusedInvalid,
      ...this.commands.counts,
    };
  }

  /**
   * Delivers what is queued (within stopTimeoutMs), publishes `offline` (retained), disconnects
   * cleanly (so the broker drops the will) and awaits the client's end.
   */
  async stop(): Promise<void> {
    if (!this.connection.beginStop()) return;
    const deadline = Date.now() + (this.options.stopTimeoutMs ?? 3000);
    if (this.connection.connected) {
      await this.outbox.drained(deadline - Date.now());
      const offline = Buffer.from('offline');
      this.retained.remember(this.topics.availability(), offline, 1);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        this.connection.publish(this.topics.availability(), offline, { qos: 1, retain: true }, () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const left = this.outbox.queued + this.outbox.inflight;
    if (left > 0) this.log.warn({ undelivered: left }, 'MQTT link stopped with QoS 1 messages not delivered');
    await this.connection.end(deadline);
    this.log.info(this.counters(), 'MQTT link stopped');
  }

  // --- plumbing -------------------------------------------------------------------------------------

  private encode<K extends TopicKind>(kind: K, payload: TopicPayloads[K]): Buffer {
    if (Buffer.isBuffer(payload)) return payload;
    if (typeof payload === 'string') return Buffer.from(payload);
    if (typeof payload === 'number') return Buffer.from(String(payload));
    const schema = SCHEMA_OF[kind];
    if (this.options.validateOutgoing && schema) {
      const problems = schemaProblems(schema, payload);
      if (problems) throw new Error(`${kind} payload does not match its schema: ${problems}`);
    }
    return Buffer.from(JSON.stringify(payload));
  }

  private publishKind<K extends TopicKind>(kind: K, topicOf: () => string, payload: TopicPayloads[K]): boolean {
    let topic: string;
    let data: Buffer;
    try {
      topic = topicOf();
      const problem = publishTopicProblem(topic);
      if (problem) throw new Error(problem);
      data = this.encode(kind, payload);
    } catch (e) {
      return this.refuse(`${kind}:${errorMessage(e)}`, `refusing to publish ${kind}: ${errorMessage(e)}`);
    }
    const { qos, retain } = TOPIC_DELIVERY[kind];
    if (qos === 0) {
      if (retain) this.retained.remember(topic, data, 0);
      return this.outbox.sendQos0(topic, data, retain);
    }
    if (retain) return this.retained.publish(topic, data);
    this.outbox.enqueue(topic, data, false);
    return true;
  }

  /** Clears one retained topic of ours; false when it cannot be named or holds nothing of ours. */
  private clearHeld(topicOf: () => string): boolean {
    let topic: string;
    try {
      topic = topicOf();
    } catch {
      return false;
    }
    return this.retained.clearIfHeld(topic);
  }

  private refuse(key: string, message: string): false {
    this.refusedInvalid++;
    if (!this.refusedTopics.has(key) && this.refusedTopics.size < 1000) {
      this.refusedTopics.add(key);
      this.log.error(message);
    }
    return false;
  }
}

const SCHEMA_OF: Partial<Record<TopicKind, SchemaName>> = {
  detections: 'detections',
  timing: 'timing',
  events: 'event',
  status: 'status',
  stats: 'stats',
  config: 'config',
  setResult: 'command-result',
};
