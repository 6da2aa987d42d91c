/**
 * One short look at a broker, for `lookout doctor`: can we connect and authenticate, and what is
 * retained or announced on a few topics (Home Assistant's status topic, the discovery prefix). It uses
 * its own client id, so it never throws the running daemon off the broker, and it publishes nothing.
 */
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { readPem, redactUrl, type MqttTlsOptions } from './link';
import { errorMessage } from '../util/errors';

export interface BrokerProbeOptions {
  url: string;
  protocolVersion?: 4 | 5;
  username?: string;
  password?: string;
  tls?: MqttTlsOptions;
  /** Topics (filters allowed) to subscribe to once connected; what arrives is reported per filter. */
  watch?: string[];
  /** How long to listen on `watch` after the subscription is granted. */
  listenMs?: number;
  connectTimeoutMs?: number;
}

export interface BrokerProbeResult {
  connected: boolean;
  /** Why the connection failed, in words a user can act on. */
  error?: string;
  /** True when the broker refused the credentials (CONNACK not authorized / bad user or password). */
  authRefused?: boolean;
  /** Per watched filter: the topics and payloads seen (payloads cut to 200 characters). */
  seen: Record<string, { topic: string; payload: string; retained: boolean }[]>;
}

// CONNACK codes that mean "who you are" was refused: 3.1.1's 4 and 5, MQTT 5's 134 and 135.
const AUTH_CODES = new Set([4, 5, 134, 135]);

function clientOptions(o: BrokerProbeOptions): IClientOptions {
  const options: IClientOptions = {
    protocolVersion: o.protocolVersion ?? 5,
    clientId: `lookout-doctor-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: o.connectTimeoutMs ?? 5000,
    ...(o.username ? { username: o.username } : {}),
    ...(o.password ? { password: o.password } : {}),
  };
  if (o.tls) {
    if (o.tls.ca) options.ca = readPem(o.tls.ca, 'ca');
    if (o.tls.cert) options.cert = readPem(o.tls.cert, 'cert');
    if (o.tls.key) options.key = readPem(o.tls.key, 'key');
    if (o.tls.passphrase) (options as IClientOptions & { passphrase?: string }).passphrase = o.tls.passphrase;
    if (o.tls.rejectUnauthorized !== undefined) options.rejectUnauthorized = o.tls.rejectUnauthorized;
  }
  return options;
}

function connectOnce(url: string, options: IClientOptions, timeoutMs: number): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = connect(url, options);
    const timer = setTimeout(() => {
      client.end(true);
      reject(Object.assign(new Error(`no answer from ${redactUrl(url)} within ${timeoutMs} ms`), {}));
    }, timeoutMs);
    client.once('connect', () => {
      clearTimeout(timer);
      resolve(client);
    });
    client.once('error', (err: Error & { code?: number | string }) => {
      clearTimeout(timer);
      client.end(true);
      reject(err);
    });
    client.once('close', () => {
      clearTimeout(timer);
      reject(new Error(`${redactUrl(url)} closed the connection before accepting it`));
    });
  });
}

/** Connects, listens on `watch` for `listenMs`, disconnects. Never rejects. */
export async function probeBroker(o: BrokerProbeOptions): Promise<BrokerProbeResult> {
  const seen: BrokerProbeResult['seen'] = {};
  let options: IClientOptions;
  try {
    options = clientOptions(o);
  } catch (e) {
    return { connected: false, error: errorMessage(e), seen };
  }
  let client: MqttClient;
  try {
    client = await connectOnce(o.url, options, (o.connectTimeoutMs ?? 5000) + 1000);
  } catch (e) {
    const err = e as Error & { code?: number | string };
    if (typeof err.code === 'number' && AUTH_CODES.has(err.code)) {
      return { connected: false, authRefused: true, error: `${redactUrl(o.url)} refused the credentials (${errorMessage(e)})`, seen };
    }
    const code = typeof err.code === 'string' ? ` (${err.code})` : '';
    return { connected: false, error: `cannot connect to ${redactUrl(o.url)}: ${errorMessage(e)}${code}`, seen };
  }
  try {
    const watch = o.watch ?? [];
    for (const filter of watch) seen[filter] = [];
    if (watch.length > 0) {
      client.on('message', (topic, payload, packet) => {
        for (const filter of watch) {
          if (topicMatches(filter, topic)) seen[filter].push({ topic, payload: payload.toString('utf8').slice(0, 200), retained: packet.retain });
        }
      });
      await client.subscribeAsync(
        watch.map((topic) => ({ topic, qos: 0 as const })).reduce<Record<string, { qos: 0 }>>((acc, s) => ({ ...acc, [s.topic]: { qos: s.qos } }), {}),
      );
      await new Promise((resolve) => setTimeout(resolve, o.listenMs ?? 1500));
    }
    return { connected: true, seen };
  } catch (e) {
    return { connected: true, error: `subscribing on ${redactUrl(o.url)} failed: ${errorMessage(e)}`, seen };
  } finally {
    await client.endAsync(true).catch(() => undefined);
  }
}

/** MQTT topic filter matching (`+` one level, `#` the rest). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
