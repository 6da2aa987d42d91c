// Shared pieces of the MQTT integration tests: a log capture, a plain mqtt.js subscriber that records
// what it receives, and a TCP proxy that can swallow traffic or go away (to hold messages in flight).
import net from 'node:net';
import pino from 'pino';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from '../../../src/log';
import { waitFor } from '../../support/wait-for';

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export function captureLogger(): { logger: Logger; lines: LogLine[]; text: () => string } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => lines.push(JSON.parse(s) as LogLine) });
  return { logger, lines, text: () => lines.map((l) => `${l.level} ${l.msg}`).join('\n') };
}

/** The shared `waitFor` of test/support, for a boolean condition. */
export async function waitUntil(what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  await waitFor(what, condition, timeoutMs);
}

export interface Received {
  topic: string;
  payload: Buffer;
  retain: boolean;
  qos: number;
  /** MQTT 5 properties, e.g. messageExpiryInterval. */
  properties?: { messageExpiryInterval?: number };
}

/** A plain mqtt.js client (not the link) that records every message on its subscriptions. */
export class Subscriber {
  readonly messages: Received[] = [];
  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      this.messages.push({ topic, payload, retain: packet.retain, qos: packet.qos, properties: packet.properties });
    });
    client.on('error', () => undefined);
  }

  static async connect(url: string, filters: string[], options: IClientOptions = {}): Promise<Subscriber> {
    const client = connect(url, { reconnectPeriod: 0, protocolVersion: 5, connectTimeout: 5000, ...options });
    const sub = new Subscriber(client);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    if (filters.length) await client.subscribeAsync(filters, { qos: 1 });
    return sub;
  }

  /** Connects again (after a broker restart) and subscribes again, keeping what it received. */
  async reconnect(filters: string[]): Promise<void> {
    const client = this.client;
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
      client.reconnect();
    });
    if (filters.length) await client.subscribeAsync(filters, { qos: 1 });
  }

  on(topic: string): Received[] {
    return this.messages.filter((m) => m.topic === topic);
  }

  json<T = Record<string, unknown>>(topic: string): T[] {
    return this.on(topic).map((m) => JSON.parse(m.payload.toString()) as T);
  }

  async publish(topic: string, payload: string | Buffer, options: { retain?: boolean; qos?: 0 | 1 } = {}): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos: options.qos ?? 1, retain: options.retain ?? false });
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

/**
 * Forwards TCP from a local port to a target. `blackhole()` swallows what clients send (so their
 * QoS 1 messages stay unacknowledged, in flight); `down()` closes everything and stops listening
 * (connection refused, like a dead broker); `up()` listens again on the same port.
 */
export class TcpProxy {
  private server: net.Server | null = null;
  private readonly pairs = new Set<[net.Socket, net.Socket]>();
  private swallow = false;
  port = 0;

  constructor(private readonly targetPort: number) {}

  async up(port = this.port): Promise<void> {
    this.swallow = false;
    const server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, '127.0.0.1');
      const pair: [net.Socket, net.Socket] = [client, upstream];
      this.pairs.add(pair);
      const closeBoth = (): void => {
        client.destroy();
        upstream.destroy();
        this.pairs.delete(pair);
      };
      client.on('data', (d) => {
        if (!this.swallow) upstream.write(d);
      });
      upstream.on('data', (d) => client.write(d));
      client.on('close', closeBoth);
      upstream.on('close', closeBoth);
      client.on('error', closeBoth);
      upstream.on('error', closeBoth);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
  }

  blackhole(): void {
    this.swallow = true;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    this.pairs.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
