// The one module that owns the mqtt.js client (nothing else imports 'mqtt'). It keeps the contract's
// delivery promises across broker outages:
// - every QoS 1 message goes through one bounded in-memory queue (BoundedQueue), online or not; at most
//   `maxInflight` of them are handed to mqtt.js at a time, so mqtt.js's outgoing store holds only
//   in-flight messages (published, no PUBACK yet). After a reconnect mqtt.js re-sends those first
//   (its store is passed to reconnect() so they survive), then the queue continues in order;
// - QoS 0 per-frame messages are never queued (queueQoSZero false): while offline they are counted;
// - reconnects are scheduled here with exponential backoff and jitter (mqtt.js reconnectPeriod 0);
// - retained state (availability, status, counts, discovery, stats, snapshot) is remembered per topic
//   and republished on every (re)connect, so a broker that restarted without persistence is whole again.
import fs from 'node:fs';
import { EventEmitter } from 'node:events';
import { connect, type IClientOptions, type IClientPublishOptions, type MqttClient } from 'mqtt';
import type { Logger } from '../log';
import type { Backoff, BackoffOptions } from '../util/backoff';
import { FlapDetector, linkBackoff, MQTT_BACKOFF, type LinkBackoffOptions } from './backoff';
import { parseCommand, type CommandRequest } from './commands';
import { buildDiscovery, type DiscoveryCamera } from './discovery';
import { BoundedQueue, type QueuedMessage } from './queue';
import { RetainedLedger } from './retained-ledger';
import {
  schemaProblems,
  type CommandResultPayload,
  type ConfigStatePayload,
  type DetectionsPayload,
  type EventPayload,
  type SchemaName,
  type StatsPayload,
  type StatusPayload,
  type TimingPayload,
} from './schemas';
import { defaultBaseTopic, publishTopicProblem, Topics, TOPIC_DELIVERY, type TopicKind, type TopicPayloads } from './topics';

export interface MqttTlsOptions {
  /** CA certificate file (PEM) to verify the broker with, instead of the system CAs. */
  ca?: string;
  /** Client certificate file (PEM) for brokers that require one. */
  cert?: string;
  /** Client private key file (PEM). */
  key?: string;
  /** Passphrase of the client key (already resolved from its file or the environment). */
  passphrase?: string;
  /**
   * Verify the broker's certificate. Default true. false is logged as a WARN line at every connect:
   * verification is never switched off silently.
   */
  rejectUnauthorized?: boolean;
}

export interface MqttLinkOptions {
  /** Broker URL: mqtt://, mqtts://, ws:// or wss:// (e.g. mqtt://127.0.0.1:1883). */
  url: string;
  /**
   * 5 (default) or 4 (MQTT 3.1.1, e.g. for the embedded aedes broker). With 5, a broker that refuses
   * version 5 is retried with 3.1.1 (logged as WARN).
   */
  protocolVersion?: 4 | 5;
  username?: string;
  /** The password itself (the config layer resolves files and environment variables). */
  password?: string;
  tls?: MqttTlsOptions;
  /** Device id (hostname by default, chosen by the daemon): base topic, client id, HA device. */
  deviceId: string;
  /** Default `lookout-<device_id>`. Two processes with one client id throw each other off the broker. */
  clientId?: string;
  /** Default `lookout/<device_id>`. */
  baseTopic?: string;
  /** Keepalive in seconds. Default 30. */
  keepaliveS?: number;
  /**
   * MQTT 5 session expiry in seconds: the broker keeps the session (subscriptions, QoS 1 in flight)
   * this long after a disconnect. Default 3600. (3.1.1: clean=false keeps it without expiry.)
   */
  sessionExpiryS?: number;
  /** How long to wait for CONNACK, ms. Default 10000. */
  connectTimeoutMs?: number;
  /** Reconnect backoff. Default 1 s doubling to 60 s, 50% jitter. */
  backoff?: LinkBackoffOptions;
  /** Backoff while another client seems to use our client id. Default 30 s doubling to 10 min. */
  takeoverBackoff?: LinkBackoffOptions;
  /** QoS 1 queue bound in messages. Default 1000. */
  queueMaxMessages?: number;
  /** A queued non-retained message older than this is dropped, not delivered late. Default 10 min. */
  queueMaxAgeMs?: number;
  /** QoS 1 messages handed to mqtt.js at once (awaiting PUBACK). Default 20. */
  maxInflight?: number;
  /** Cameras that accept commands on base/<camera>/set. */
  cameras?: string[];
  /**
   * Home Assistant discovery. Default enabled with prefix `homeassistant`; `statusTopic` (default
   * `<prefix>/status`) is where Home Assistant says `online` when it starts.
   */
  discovery?: { enabled?: boolean; prefix?: string; deviceName?: string; model?: string; statusTopic?: string; configurationUrl?: string };
  /**
   * File (in state_dir) listing the retained topics this device has published, so that the next start
   * clears those no longer published (see RetainedLedger). Default: none kept.
   */
  ledgerFile?: string;
  /** Distinguishes this process's events from those of earlier runs in `event_id`. Default: the start time. */
  bootId?: string;
  /** Lookout version for HA device/origin info. */
  version?: string;
  /** At stop, how long to try to deliver queued messages and `offline`, ms. Default 3000. */
  stopTimeoutMs?: number;
  /** Validate every outgoing JSON payload against its schema and refuse invalid ones. Default false. */
  validateOutgoing?: boolean;
}

export type CommandResult = { ok: true; details?: Record<string, unknown> } | { ok: false; error: string; details?: Record<string, unknown> };
export type CommandHandler = (request: CommandRequest) => Promise<CommandResult> | CommandResult;

export interface MqttCounters {
  connected: boolean;
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
  /** Reconnect attempts after a lost or failed connection. */
  reconnects: number;
  /** Publishes refused because a topic or payload was invalid. */
  refused_invalid: number;
  commands_received: number;
  commands_refused: number;
}

export type EventInput = Omit<EventPayload, 'v' | 'seq' | 'camera' | 'event_id'>;

const TAKEOVER_BACKOFF: BackoffOptions = { initialMs: 30_000, maxMs: 600_000, factor: 2, jitter: 0.5 };
const SESSION_TAKEN_OVER = 0x8e;
const AUTH_CODES = new Set([4, 5, 134, 135]);
const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL|HOSTNAME|EPROTO/;

/** The URL without credentials, for logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

/** A PEM file named in the TLS options, with an error that names which one could not be read. */
export function readPem(path: string, what: string): Buffer {
  try {
    return fs.readFileSync(path);
  } catch (e) {
    throw new Error(`mqtt TLS ${what} file '${path}' cannot be read: ${(e as Error).message}`);
  }
}

export class MqttLink {
  readonly topics: Topics;
  readonly clientId: string;
  private readonly log: Logger;
  private readonly queue: BoundedQueue;
  private readonly backoff: Backoff;
  private readonly takeoverBackoff: Backoff;
  private readonly flaps = new FlapDetector();
  private readonly retained = new Map<string, { payload: Buffer; qos: 0 | 1 }>();
  private readonly events = new EventEmitter();
  private readonly discoveryTopics = new Set<string>();
  private readonly ledger: RetainedLedger;
  /** Part of every `event_id`: unique per process start, so ids never repeat across restarts. */
  readonly bootId: string;
  private discoveryCameras: DiscoveryCamera[] = [];
  private cameras: Set<string>;
  private client: MqttClient | null = null;
  private connected = false;
  private connectedAt = 0;
  private everConnected = false;
  private disconnectedAt = 0;
  private takeover = false;
  private kickedByTakeover = false;
  private lastProblem: string | null = null;
  private lastProblemLoggedAt = 0;
  private fallbackTo311 = false;
  /** The broker's Receive Maximum (MQTT 5 CONNACK): QoS 1 messages it takes unacknowledged at once. */
  private brokerReceiveMax = Infinity;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private inflight = 0;
  private pumpScheduled = false;
  private seq = 0;
  private stopping = false;
  private commandHandler: CommandHandler | null = null;
  private readonly refusedTopics = new Set<string>();
  private readonly n = {
    published: 0,
    dropped_offline_qos0: 0,
    dropped_backpressure_qos0: 0,
    reconnects: 0,
    refused_invalid: 0,
    commands_received: 0,
    commands_refused: 0,
  };

  constructor(
    private readonly options: MqttLinkOptions,
    logger: Logger,
  ) {
    this.log = logger;
    this.topics = new Topics(options.baseTopic ?? defaultBaseTopic(options.deviceId));
    this.clientId = options.clientId ?? `lookout-${options.deviceId}`;
    this.queue = new BoundedQueue({
      maxMessages: options.queueMaxMessages ?? 1000,
      maxAgeMs: options.queueMaxAgeMs ?? 600_000,
    });
    this.backoff = linkBackoff(MQTT_BACKOFF, options.backoff);
    this.takeoverBackoff = linkBackoff(TAKEOVER_BACKOFF, options.takeoverBackoff);
    this.cameras = new Set(options.cameras ?? []);
    this.bootId = options.bootId ?? Date.now().toString(36);
    this.ledger = new RetainedLedger(options.ledgerFile ?? null, logger);
    // Always ours while running, even before the first connect or stats interval.
    this.ledger.add(this.topics.availability());
    this.ledger.add(this.topics.stats());
  }

  private get protocolVersion(): 4 | 5 {
    return this.fallbackTo311 ? 4 : (this.options.protocolVersion ?? 5);
  }
  private get discoveryPrefix(): string {
    return this.options.discovery?.prefix ?? 'homeassistant';
  }
  private get discoveryEnabled(): boolean {
    return this.options.discovery?.enabled ?? true;
  }
  private get haStatusTopic(): string {
    return this.options.discovery?.statusTopic || `${this.discoveryPrefix}/status`;
  }

  /**
   * Starts connecting and returns at once: a broker that is down must not stop the daemon. The link
   * keeps retrying with backoff; QoS 1 messages queue meanwhile. `whenConnected()` waits for a
   * connection. Rejects only for configuration errors (unreadable TLS files, bad URL).
   */
  async start(): Promise<void> {
    if (this.client) return;
    const clientOptions = this.clientOptions();
    this.log.info(
      { url: redactUrl(this.options.url), clientId: this.clientId, protocolVersion: this.protocolVersion, base: this.topics.base },
      'connecting to MQTT broker',
    );
    const client = connect(this.options.url, clientOptions);
    this.client = client;
    client.on('connect', (connack) => {
      this.brokerReceiveMax = connack.properties?.receiveMaximum ?? Infinity;
      this.onConnect(connack.sessionPresent === true);
    });
    client.on('close', () => this.onClose());
    client.on('error', (err) => this.onError(err));
    client.on('disconnect', (packet) => this.onServerDisconnect(packet.reasonCode ?? 0, packet.properties?.reasonString));
    client.on('message', (topic, payload, packet) => this.onMessage(topic, payload, packet.retain === true));
  }

  /** Resolves true once connected, false if `timeoutMs` passes first. */
  whenConnected(timeoutMs: number): Promise<boolean> {
    if (this.connected) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        this.events.off('connected', onConnected);
        resolve(ok);
      };
      const onConnected = (): void => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.events.on('connected', onConnected);
    });
  }

  /** Cameras that accept commands (call again after a config reload). */
  setCameras(cameras: string[]): void {
    this.cameras = new Set(cameras);
  }

  onCommand(handler: CommandHandler): void {
    this.commandHandler = handler;
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
      return this.refuse(`count:${camera}:${label}:${zone ?? ''}`, `refusing to publish count: ${(e as Error).message}`);
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
    let topic: string;
    try {
      topic = this.topics.motion(camera);
    } catch {
      return false;
    }
    if (!this.retained.has(topic)) return false;
    this.clearRetained(topic);
    return true;
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
    const prefix = `${this.topics.base}/${camera}/`;
    let cleared = 0;
    for (const topic of [...this.retained.keys()]) {
      if (!topic.startsWith(prefix)) continue;
      this.clearRetained(topic);
      cleared++;
    }
    return cleared;
  }

  /** Clears one retained count (a label or zone that left the config): an empty retained message. */
  forgetCount(camera: string, label: string, zone?: string): boolean {
    let topic: string;
    try {
      topic = this.topics.count(camera, label, zone);
    } catch {
      return false;
    }
    if (!this.retained.has(topic)) return false;
    this.clearRetained(topic);
    return true;
  }

  /**
   * Clears what the previous run left retained and this run does not publish (a camera, label, zone or
   * entity that left the config while Lookout was stopped; all discovery when it was switched off).
   * Call once, after the start has published its retained state. `keep`: topics that are still
   * this device's though not published yet (a camera's snapshot waits for its next event).
   */
  sweepStale(keep: (topic: string) => boolean): string[] {
    const stale = this.ledger.takeStale((t) => this.retained.has(t) || keep(t));
    for (const topic of stale) this.clearRetained(topic);
    if (stale.length > 0) this.log.info({ topics: stale }, 'cleared retained topics of things no longer configured');
    return stale;
  }

  /** An empty retained message: consumers forget the topic (docs/mqtt.md). */
  private clearRetained(topic: string): void {
    this.retained.delete(topic);
    this.ledger.delete(topic);
    this.enqueue(topic, Buffer.alloc(0), true);
  }

  /**
   * The Home Assistant entities to announce. Publishes new or changed configs (retained) and clears
   * entities that are gone with an empty retained message. Call again whenever cameras or tracked
   * labels change.
   */
  setDiscovery(cameras: DiscoveryCamera[]): void {
    if (!this.discoveryEnabled) return;
    this.discoveryCameras = cameras;
    const next = buildDiscovery(
      this.topics,
      {
        prefix: this.discoveryPrefix,
        deviceId: this.options.deviceId,
        version: this.options.version ?? '0.0.0',
        ...(this.options.discovery?.deviceName !== undefined ? { deviceName: this.options.discovery.deviceName } : {}),
        ...(this.options.discovery?.model !== undefined ? { model: this.options.discovery.model } : {}),
        ...(this.options.discovery?.configurationUrl ? { configurationUrl: this.options.discovery.configurationUrl } : {}),
      },
      cameras,
    );
    for (const topic of [...this.discoveryTopics]) {
      if (!next.has(topic)) {
        this.discoveryTopics.delete(topic);
        this.clearRetained(topic);
      }
    }
    for (const [topic, config] of next) {
      this.discoveryTopics.add(topic);
      this.publishRetainedQos1(topic, Buffer.from(JSON.stringify(config)));
    }
  }

  /** The entities last given to setDiscovery. */
  get discovery(): readonly DiscoveryCamera[] {
    return this.discoveryCameras;
  }

  counters(): MqttCounters {
    return {
      connected: this.connected,
      published: this.n.published,
      queued: this.queue.length,
      inflight: this.inflight,
      dropped_offline_qos0: this.n.dropped_offline_qos0,
      dropped_backpressure_qos0: this.n.dropped_backpressure_qos0,
      dropped_queue_overflow: this.queue.drops.overflow,
      dropped_expired: this.queue.drops.expired,
      reconnects: this.n.reconnects,
      refused_invalid: this.n.refused_invalid,
      commands_received: this.n.commands_received,
      commands_refused: this.n.commands_refused,
    };
  }

  /**
   * Delivers what is queued (within stopTimeoutMs), publishes `offline` (retained), disconnects
   * cleanly (so the broker drops the will) and awaits the client's end.
   */
  async stop(): Promise<void> {
    if (this.stopping || !this.client) return;
    this.stopping = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const client = this.client;
    const deadline = Date.now() + (this.options.stopTimeoutMs ?? 3000);
    if (this.connected) {
      await this.waitFor(() => this.queue.length === 0 && this.inflight === 0, deadline - Date.now());
      this.retained.set(this.topics.availability(), { payload: Buffer.from('offline'), qos: 1 });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        client.publish(this.topics.availability(), 'offline', { qos: 1, retain: true }, () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const left = this.queue.length + this.inflight;
    if (left > 0) this.log.warn({ undelivered: left }, 'MQTT link stopped with QoS 1 messages not delivered');
    await new Promise<void>((resolve) => {
      const force = !this.connected || Date.now() >= deadline;
      const timer = setTimeout(() => client.end(true, {}, () => resolve()), Math.max(100, deadline - Date.now()));
      client.end(force, {}, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.connected = false;
    this.log.info(this.counters(), 'MQTT link stopped');
  }

  // --- connection lifecycle ---------------------------------------------------------------------

  private clientOptions(): IClientOptions {
    const o = this.options;
    const will = { topic: this.topics.availability(), payload: Buffer.from('offline'), qos: 1 as const, retain: true };
    const opts: IClientOptions = {
      protocolVersion: this.protocolVersion,
      clientId: this.clientId,
      clean: false,
      keepalive: o.keepaliveS ?? 30,
      connectTimeout: o.connectTimeoutMs ?? 10_000,
      reconnectPeriod: 0,
      queueQoSZero: false,
      resubscribe: false,
      will,
    };
    if (this.protocolVersion === 5) opts.properties = { sessionExpiryInterval: o.sessionExpiryS ?? 3600 };
    if (o.username !== undefined) opts.username = o.username;
    if (o.password !== undefined) opts.password = o.password;
    const secure = /^(mqtts|wss):/i.test(o.url);
    if (o.tls && !secure && (o.tls.ca || o.tls.cert || o.tls.key)) {
      this.log.warn({ url: redactUrl(o.url) }, 'MQTT TLS files are configured but the URL is not mqtts:// or wss://: TLS is not used');
    }
    if (secure) {
      const tls = o.tls ?? {};
      if (tls.ca) opts.ca = readPem(tls.ca, 'ca');
      if (tls.cert) opts.cert = readPem(tls.cert, 'cert');
      if (tls.key) opts.key = readPem(tls.key, 'key');
      if (tls.passphrase !== undefined) (opts as IClientOptions & { passphrase?: string }).passphrase = tls.passphrase;
      opts.rejectUnauthorized = tls.rejectUnauthorized ?? true;
    }
    return opts;
  }

  private onConnect(sessionPresent: boolean): void {
    const client = this.client;
    if (!client || this.stopping) return;
    this.connected = true;
    this.connectedAt = Date.now();
    this.kickedByTakeover = false;
    this.lastProblem = null;
    if (!this.takeover) this.backoff.reset();
    const secure = /^(mqtts|wss):/i.test(this.options.url);
    if (secure && this.options.tls?.rejectUnauthorized === false) {
      this.log.warn(
        { url: redactUrl(this.options.url) },
        'MQTT TLS certificate verification is OFF (tls.rejectUnauthorized false): the broker is not authenticated',
      );
    }
    const outage = this.everConnected ? Date.now() - this.disconnectedAt : undefined;
    this.log.info(
      { url: redactUrl(this.options.url), sessionPresent, outageMs: outage, queued: this.queue.length, inflight: this.inflight },
      this.everConnected ? 'reconnected to MQTT broker' : 'connected to MQTT broker',
    );
    this.everConnected = true;
    // Subscriptions are made on every connect: a broker restarted without persistence forgot them.
    // rap (MQTT 5 "retain as published"): a command published with the retain flag shows it even when
    // it arrives live, so it is refused then too, not only when the broker replays it at subscribe.
    const rap = this.protocolVersion === 5;
    const filters: Record<string, { qos: 1; rap?: boolean }> = {
      [this.topics.set()]: { qos: 1, rap },
      [this.topics.cameraSetFilter()]: { qos: 1, rap },
    };
    if (this.discoveryEnabled) filters[this.haStatusTopic] = { qos: 1 };
    client.subscribe(filters, (err) => {
      if (err && !this.stopping && this.connected) {
        this.log.error({ err: err.message, filters: Object.keys(filters) }, 'MQTT subscribe failed: commands will not arrive');
      }
    });
    this.sendDirect(this.topics.availability(), Buffer.from('online'), 1, true);
    this.retained.set(this.topics.availability(), { payload: Buffer.from('online'), qos: 1 });
    for (const [topic, { payload, qos }] of this.retained) {
      // A topic with a newer value still queued gets it from the queue, in order.
      if (topic === this.topics.availability() || this.queue.hasTopic(topic)) continue;
      this.sendDirect(topic, payload, qos, true);
    }
    this.events.emit('connected');
    this.pump();
  }

  private onClose(): void {
    const wasConnected = this.connected;
    this.connected = false;
    if (wasConnected) {
      const lived = Date.now() - this.connectedAt;
      this.disconnectedAt = Date.now();
      const flapping = this.flaps.closed(lived);
      const wasTakeover = this.takeover;
      this.takeover = this.kickedByTakeover || flapping || (this.takeover && lived < 60_000);
      if (flapping && !this.kickedByTakeover && !wasTakeover) {
        this.log.error(
          { clientId: this.clientId, livedMs: lived },
          `MQTT broker keeps closing the connection right after accepting it: another client probably uses the client id '${this.clientId}' (two Lookouts with the same device id or client id?); backing off harder`,
        );
      }
      if (!this.takeover && wasTakeover) this.takeoverBackoff.reset();
      if (!this.stopping) {
        this.log.warn({ livedMs: lived, queued: this.queue.length, inflight: this.inflight }, 'MQTT connection lost; reconnecting with backoff');
      }
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopping || this.reconnectTimer || !this.client) return;
    const delay = this.takeover ? this.takeoverBackoff.next() : this.backoff.next();
    this.log.debug({ delayMs: delay, takeover: this.takeover }, 'MQTT reconnect scheduled');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      const client = this.client;
      if (this.stopping || !client || client.connected) return;
      this.n.reconnects++;
      // Pass the stores: a plain reconnect() replaces them with empty ones and loses in-flight QoS 1.
      client.reconnect({ incomingStore: client.incomingStore, outgoingStore: client.outgoingStore });
    }, delay);
    this.reconnectTimer.unref();
  }

  private onServerDisconnect(reasonCode: number, reason?: string): void {
    if (reasonCode === SESSION_TAKEN_OVER) {
      this.kickedByTakeover = true;
      this.takeover = true;
      this.log.error(
        { clientId: this.clientId },
        `MQTT session taken over: another client connected with the client id '${this.clientId}' (two Lookouts with the same device id or client id?); backing off harder`,
      );
    } else {
      this.log.warn({ reasonCode, reason }, 'MQTT broker sent DISCONNECT');
    }
  }

  private onError(err: Error & { code?: string | number }): void {
    if (this.stopping) return;
    let message: string;
    let level: 'error' | 'warn' = 'error';
    if ((err.code === 1 || err.code === 132) && this.protocolVersion === 5 && this.client) {
      // e.g. aedes: speaks 3.1.1 only. Same session semantics there (clean=false), no message expiry.
      this.fallbackTo311 = true;
      this.client.options.protocolVersion = 4;
      delete this.client.options.properties;
      this.backoff.reset();
      this.log.warn({ url: redactUrl(this.options.url) }, 'MQTT broker does not speak MQTT 5: using MQTT 3.1.1 (set protocolVersion 4 to skip this)');
      return;
    }
    if (typeof err.code === 'number' && AUTH_CODES.has(err.code)) {
      const reason = err.message.replace(/^Connection refused: /, '');
      message = `MQTT broker refused the connection: ${reason} (reason code ${err.code}; check mqtt username and password)`;
    } else if (typeof err.code === 'string' && TLS_CODES.test(err.code)) {
      message = `MQTT TLS handshake failed: ${err.message} [${err.code}] (check tls.ca and the broker certificate; verification stays on)`;
    } else if (err.code === 'ECONNREFUSED' || err.code === 'EHOSTUNREACH' || err.code === 'ENOTFOUND' || err.code === 'ETIMEDOUT') {
      message = `MQTT broker unreachable: ${err.message}`;
      level = 'warn';
    } else {
      message = `MQTT client error: ${err.message}`;
    }
    // Said once per kind of problem (and again every 10 minutes while it lasts); repeats go to debug.
    const now = Date.now();
    if (message !== this.lastProblem || now - this.lastProblemLoggedAt > 600_000) {
      this.log[level]({ url: redactUrl(this.options.url), code: err.code, attempts: this.backoff.attempts }, message);
      this.lastProblem = message;
      this.lastProblemLoggedAt = now;
    } else {
      this.log.debug({ code: err.code, attempts: this.backoff.attempts }, message);
    }
  }

  // --- commands and Home Assistant ------------------------------------------------------------------

  private onMessage(topic: string, payload: Buffer, retained: boolean): void {
    if (this.discoveryEnabled && topic === this.haStatusTopic) {
      // HA announces its start non-retained; a retained copy arrives at every subscribe and is no news.
      if (!retained && payload.toString() === 'online') {
        this.log.info('Home Assistant came online: republishing discovery');
        for (const t of this.discoveryTopics) {
          const v = this.retained.get(t);
          if (v) this.publishRetainedQos1(t, v.payload, true);
        }
      }
      return;
    }
    const camera = this.topics.parseSetTopic(topic);
    if (camera === null) return;
    void this.handleCommand(topic, camera, payload, retained);
  }

  private async handleCommand(setTopic: string, camera: string | undefined, payload: Buffer, retained: boolean): Promise<void> {
    this.n.commands_received++;
    const parsed = parseCommand({ camera, payload, retained }, this.cameras);
    let result: CommandResultPayload;
    if (!parsed.ok) {
      this.n.commands_refused++;
      this.log.warn({ topic: setTopic, error: parsed.error }, 'MQTT command refused');
      result = { v: 1, ok: false, error: parsed.error };
      if (parsed.id !== undefined) result.id = parsed.id;
    } else {
      const { request } = parsed;
      let answer: CommandResult;
      if (!this.commandHandler) {
        answer = { ok: false, error: 'commands are not handled by this process' };
      } else {
        try {
          answer = await this.commandHandler(request);
        } catch (e) {
          answer = { ok: false, error: `command failed: ${e instanceof Error ? e.message : String(e)}` };
        }
      }
      if (!answer.ok) this.n.commands_refused++;
      this.log.info({ camera, command: request.command, ok: answer.ok, error: answer.ok ? undefined : answer.error }, 'MQTT command');
      result = { v: 1, ok: answer.ok };
      if (!answer.ok) result.error = answer.error;
      if (answer.details) result.details = answer.details;
      if (request.id !== undefined) result.id = request.id;
    }
    if (camera !== undefined && this.cameras.has(camera)) result.camera = camera;
    // Answered next to where it was asked (the set topic came from the broker, so it is a valid name).
    this.publishKind('setResult', () => `${setTopic}/result`, result);
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
      return this.refuse(`${kind}:${(e as Error).message}`, `refusing to publish ${kind}: ${(e as Error).message}`);
    }
    const { qos, retain } = TOPIC_DELIVERY[kind];
    if (retain) this.ledger.add(topic);
    if (qos === 0) {
      if (retain) this.retained.set(topic, { payload: data, qos: 0 });
      return this.sendQos0(topic, data, retain);
    }
    if (retain) return this.publishRetainedQos1(topic, data);
    this.enqueue(topic, data, false);
    return true;
  }

  private refuse(key: string, message: string): false {
    this.n.refused_invalid++;
    if (!this.refusedTopics.has(key) && this.refusedTopics.size < 1000) {
      this.refusedTopics.add(key);
      this.log.error(message);
    }
    return false;
  }

  /** Retained QoS 1 state: remembered for replay, queued only when it changed (or when forced). */
  private publishRetainedQos1(topic: string, payload: Buffer, force = false): boolean {
    const previous = this.retained.get(topic);
    if (!force && previous && previous.payload.equals(payload)) return true;
    this.ledger.add(topic);
    this.retained.set(topic, { payload, qos: 1 });
    this.enqueue(topic, payload, true);
    return true;
  }

  private sendQos0(topic: string, payload: Buffer, retain: boolean): boolean {
    const client = this.client;
    if (!client || !this.connected) {
      this.n.dropped_offline_qos0++;
      return false;
    }
    // Per-frame data that the socket cannot take now is stale by the time it could. The bound is far
    // above the socket's high-water mark (16 KiB): one snapshot JPEG or the burst of retained state at
    // connect fills that, and must not cost the frames published right after it.
    if (((client.stream as { writableLength?: number } | undefined)?.writableLength ?? 0) > QOS0_BACKLOG_BYTES) {
      this.n.dropped_backpressure_qos0++;
      return false;
    }
    client.publish(topic, payload, { qos: 0, retain }, (err) => {
      if (err) this.n.dropped_offline_qos0++;
      else this.n.published++;
    });
    return true;
  }

  private sendDirect(topic: string, payload: Buffer, qos: 0 | 1, retain: boolean): void {
    const client = this.client;
    if (!client) return;
    client.publish(topic, payload, { qos, retain }, (err) => {
      if (err) this.log.debug({ topic, err: err.message }, 'MQTT republish not acknowledged');
      else this.n.published++;
    });
  }

  private enqueue(topic: string, payload: Buffer, retain: boolean): void {
    this.queue.push({ topic, payload, retain, enqueuedAt: Date.now() });
    this.pump();
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Hands queued QoS 1 messages to mqtt.js, in order, at most maxInflight at a time. */
  private pump(): void {
    const client = this.client;
    const maxInflight = Math.min(this.options.maxInflight ?? 20, this.brokerReceiveMax);
    while (client && this.connected && this.inflight < maxInflight) {
      const now = Date.now();
      const message = this.queue.shift(now);
      if (!message) break;
      this.inflight++;
      const opts: IClientPublishOptions = { qos: 1, retain: message.retain };
      if (this.protocolVersion === 5 && !message.retain) {
        // Brokers speaking 5 drop it themselves if it still waits there past its age.
        opts.properties = { messageExpiryInterval: this.queue.remainingSeconds(message, now) };
      }
      client.publish(message.topic, message.payload, opts, (err) => this.onAck(message, err));
    }
  }

  private onAck(message: QueuedMessage, err: Error | undefined): void {
    this.inflight--;
    if (!err) {
      this.n.published++;
    } else if (/clos|disconnect|No connection/i.test(err.message) && !this.stopping) {
      // Never reached the broker's hands for sure: deliver it again after reconnecting (QoS 1 allows a repeat).
      this.queue.unshift(message);
    } else {
      this.log.error({ topic: message.topic, err: err.message }, 'MQTT broker refused a QoS 1 message');
    }
    if (this.inflight === 0 && this.queue.length === 0) this.events.emit('drained');
    this.schedulePump();
  }

  private waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
    if (condition() || timeoutMs <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (!condition()) return;
        finish();
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
}

const QOS0_BACKLOG_BYTES = 1024 * 1024;

const SCHEMA_OF: Partial<Record<TopicKind, SchemaName>> = {
  detections: 'detections',
  timing: 'timing',
  events: 'event',
  status: 'status',
  stats: 'stats',
  config: 'config',
  setResult: 'command-result',
};
