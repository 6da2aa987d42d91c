// The mqtt.js client and its lifecycle: the only place that calls mqtt's `connect`. It builds the
// client options (last will, session, TLS), schedules every reconnect itself with backoff and jitter
// (mqtt.js reconnectPeriod 0), backs off harder when another client takes our client id, falls back to
// MQTT 3.1.1 for brokers that refuse 5, subscribes again on every connect (a broker restarted without
// persistence forgot the subscriptions), and says each kind of problem once. What to publish, and
// when, is the outbox's and the link's business: this part reports `connected`, `closed` and
// `message`, and publishes what it is handed.
import { EventEmitter } from 'node:events';
import { connect, type IClientOptions, type IClientPublishOptions, type MqttClient } from 'mqtt';
import type { Logger } from '../log';
import type { Backoff, BackoffOptions } from '../util/backoff';
import { FlapDetector, linkBackoff, MQTT_BACKOFF } from './backoff';
import { readPem, redactUrl, type MqttLinkOptions } from './link-options';

/** mqtt.js's `connect`; unit tests hand in a double of the client. */
export type ConnectFn = (url: string, options: IClientOptions) => MqttClient;

export type SubscriptionFilters = Record<string, { qos: 1; rap?: boolean }>;

export type ConnectionSettings = Pick<
  MqttLinkOptions,
  'url' | 'protocolVersion' | 'username' | 'password' | 'tls' | 'keepaliveS' | 'sessionExpiryS' | 'connectTimeoutMs' | 'backoff' | 'takeoverBackoff'
> & {
  clientId: string;
  /** Where the last will says `offline` (retained, QoS 1). */
  willTopic: string;
  /** What to subscribe to after each connect, for the protocol version in use (rap needs MQTT 5). */
  subscriptions: (protocolVersion: 4 | 5) => SubscriptionFilters;
  /** The base topic, for the log. */
  base: string;
  /** Extra fields of the connected and lost log lines: the outbox's figures. */
  logFields: () => Record<string, unknown>;
};

export interface ConnectionEvents {
  /** Subscriptions are requested; the listener publishes what a fresh connection needs. */
  connected: [sessionPresent: boolean];
  closed: [];
  message: [topic: string, payload: Buffer, retained: boolean];
}

const TAKEOVER_BACKOFF: BackoffOptions = { initialMs: 30_000, maxMs: 600_000, factor: 2, jitter: 0.5 };
const SESSION_TAKEN_OVER = 0x8e;
const AUTH_CODES = new Set([4, 5, 134, 135]);
const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL|HOSTNAME|EPROTO/;
const SECURE_URL = /^(mqtts|wss):/i;

export class MqttConnection extends EventEmitter<ConnectionEvents> {
  private readonly backoff: Backoff;
  private readonly takeoverBackoff: Backoff;
  private readonly flaps = new FlapDetector();
  private client: MqttClient | null = null;
  private isConnected = false;
  private isStopping = false;
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
  private reconnectAttempts = 0;

  constructor(
    private readonly s: ConnectionSettings,
    private readonly log: Logger,
    private readonly connectFn: ConnectFn = connect,
  ) {
    super();
    this.backoff = linkBackoff(MQTT_BACKOFF, s.backoff);
    this.takeoverBackoff = linkBackoff(TAKEOVER_BACKOFF, s.takeoverBackoff);
  }

  get connected(): boolean {
    return this.isConnected;
  }
  /** True from stop() on: nothing reconnects, failed publishes are not retried. */
  get stopping(): boolean {
    return this.isStopping;
  }
  get protocolVersion(): 4 | 5 {
    return this.fallbackTo311 ? 4 : (this.s.protocolVersion ?? 5);
  }
  get receiveMaximum(): number {
    return this.brokerReceiveMax;
  }
  /** Reconnect attempts after a lost or failed connection. */
  get reconnects(): number {
    return this.reconnectAttempts;
  }
  /** Bytes written to the socket and not yet taken by the kernel. */
  backlogBytes(): number {
    return (this.client?.stream as { writableLength?: number } | undefined)?.writableLength ?? 0;
  }

  /**
   * Creates the client and starts connecting. Throws only for configuration errors (unreadable TLS
   * files, bad URL); a broker that is down is retried with backoff.
   */
  start(): void {
    if (this.client) return;
    const clientOptions = this.clientOptions();
    this.log.info(
      { url: redactUrl(this.s.url), clientId: this.s.clientId, protocolVersion: this.protocolVersion, base: this.s.base },
      'connecting to MQTT broker',
    );
    const client = this.connectFn(this.s.url, clientOptions);
    this.client = client;
    client.on('connect', (connack) => {
      this.brokerReceiveMax = connack.properties?.receiveMaximum ?? Infinity;
      this.onConnect(connack.sessionPresent === true);
    });
    client.on('close', () => this.onClose());
    client.on('error', (err) => this.onError(err));
    client.on('disconnect', (packet) => this.onServerDisconnect(packet.reasonCode ?? 0, packet.properties?.reasonString));
    client.on('message', (topic, payload, packet) => this.emit('message', topic, payload, packet.retain === true));
  }

  /** Resolves true once connected, false if `timeoutMs` passes first. */
  whenConnected(timeoutMs: number): Promise<boolean> {
    if (this.isConnected) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        this.off('connected', onConnected);
        resolve(ok);
      };
      const onConnected = (): void => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.on('connected', onConnected);
    });
  }

  /** Hands a message to mqtt.js; false (and `done` never called) when there is no client. */
  publish(topic: string, payload: Buffer | string, options: IClientPublishOptions, done: (err?: Error) => void): boolean {
    const client = this.client;
    if (!client) return false;
    client.publish(topic, payload, options, (err) => done(err));
    return true;
  }

  /** From now on nothing reconnects. False when there is nothing to stop (never started, or stopping). */
  beginStop(): boolean {
    if (this.isStopping || !this.client) return false;
    this.isStopping = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    return true;
  }

  /**
   * Disconnects (cleanly while connected and before `deadline`, so the broker drops the will) and
   * awaits the client's end: mqtt.js can otherwise drop the last messages.
   */
  async end(deadline: number): Promise<void> {
    const client = this.client;
    if (!client) return;
    await new Promise<void>((resolve) => {
      const force = !this.isConnected || Date.now() >= deadline;
      const timer = setTimeout(() => client.end(true, {}, () => resolve()), Math.max(100, deadline - Date.now()));
      client.end(force, {}, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.isConnected = false;
  }

  private clientOptions(): IClientOptions {
    const o = this.s;
    const will = { topic: o.willTopic, payload: Buffer.from('offline'), qos: 1 as const, retain: true };
    const opts: IClientOptions = {
      protocolVersion: this.protocolVersion,
      clientId: o.clientId,
      clean: false,
      keepalive: o.keepaliveS ?? 30,
      connectTimeout: o.connectTimeoutMs ?? 10_000,
      reconnectPeriod: 0,
      queueQoSZero: false,
      resubscribe: false,
      // mqtt-packet otherwise builds, on the first packet written, a Buffer for every number up to
      // 65 535 (packet ids, lengths) to save a 2-byte allocation per number: 66 000 objects, 6 MB
      // of the daemon's 25 MB heap (a heap snapshot of `lookout run`). The switch is process-wide.
      writeCache: false,
      will,
    };
    if (this.protocolVersion === 5) opts.properties = { sessionExpiryInterval: o.sessionExpiryS ?? 3600 };
    if (o.username !== undefined) opts.username = o.username;
    if (o.password !== undefined) opts.password = o.password;
    const secure = SECURE_URL.test(o.url);
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
    if (!client || this.isStopping) return;
    this.isConnected = true;
    this.connectedAt = Date.now();
    this.kickedByTakeover = false;
    this.lastProblem = null;
    if (!this.takeover) this.backoff.reset();
    if (SECURE_URL.test(this.s.url) && this.s.tls?.rejectUnauthorized === false) {
      this.log.warn({ url: redactUrl(this.s.url) }, 'MQTT TLS certificate verification is OFF (tls.rejectUnauthorized false): the broker is not authenticated');
    }
    const outage = this.everConnected ? Date.now() - this.disconnectedAt : undefined;
    this.log.info(
      { url: redactUrl(this.s.url), sessionPresent, outageMs: outage, ...this.s.logFields() },
      this.everConnected ? 'reconnected to MQTT broker' : 'connected to MQTT broker',
    );
    this.everConnected = true;
    // Subscriptions are made on every connect: a broker restarted without persistence forgot them.
    const filters = this.s.subscriptions(this.protocolVersion);
    client.subscribe(filters, (err) => {
      if (err && !this.isStopping && this.isConnected) {
        this.log.error({ err, filters: Object.keys(filters) }, 'MQTT subscribe failed: commands will not arrive');
      }
    });
    this.emit('connected', sessionPresent);
  }

  private onClose(): void {
    const wasConnected = this.isConnected;
    this.isConnected = false;
    if (wasConnected) {
      const lived = Date.now() - this.connectedAt;
      this.disconnectedAt = Date.now();
      const flapping = this.flaps.closed(lived);
      const wasTakeover = this.takeover;
      this.takeover = this.kickedByTakeover || flapping || (this.takeover && lived < 60_000);
      if (flapping && !this.kickedByTakeover && !wasTakeover) {
        this.log.error(
          { clientId: this.s.clientId, livedMs: lived },
          `MQTT broker keeps closing the connection right after accepting it: another client probably uses the client id '${this.s.clientId}' (two Lookouts with the same device id or client id?); backing off harder`,
        );
      }
      if (!this.takeover && wasTakeover) this.takeoverBackoff.reset();
      if (!this.isStopping) {
        this.log.warn({ livedMs: lived, ...this.s.logFields() }, 'MQTT connection lost; reconnecting with backoff');
      }
      this.emit('closed');
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.isStopping || this.reconnectTimer || !this.client) return;
    const delay = this.takeover ? this.takeoverBackoff.next() : this.backoff.next();
    this.log.debug({ delayMs: delay, takeover: this.takeover }, 'MQTT reconnect scheduled');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      const client = this.client;
      if (this.isStopping || !client || client.connected) return;
      this.reconnectAttempts++;
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
        { clientId: this.s.clientId },
        `MQTT session taken over: another client connected with the client id '${this.s.clientId}' (two Lookouts with the same device id or client id?); backing off harder`,
      );
    } else {
      this.log.warn({ reasonCode, reason }, 'MQTT broker sent DISCONNECT');
    }
  }

  private onError(err: Error & { code?: string | number }): void {
    if (this.isStopping) return;
    let message: string;
    let level: 'error' | 'warn' = 'error';
    if ((err.code === 1 || err.code === 132) && this.protocolVersion === 5 && this.client) {
      // e.g. aedes: speaks 3.1.1 only. Same session semantics there (clean=false), no message expiry.
      this.fallbackTo311 = true;
      this.client.options.protocolVersion = 4;
      delete this.client.options.properties;
      this.backoff.reset();
      this.log.warn({ url: redactUrl(this.s.url) }, 'MQTT broker does not speak MQTT 5: using MQTT 3.1.1 (set protocolVersion 4 to skip this)');
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
      this.log[level]({ url: redactUrl(this.s.url), code: err.code, attempts: this.backoff.attempts }, message);
      this.lastProblem = message;
      this.lastProblemLoggedAt = now;
    } else {
      this.log.debug({ code: err.code, attempts: this.backoff.attempts }, message);
    }
  }
}
