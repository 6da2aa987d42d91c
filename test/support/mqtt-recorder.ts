// The one MQTT recorder of the tests: a plain mqtt.js v5 client (not the daemon's link) that records
// every message on its subscriptions with topic, payload, retain flag, QoS, properties and arrival
// time, and waits for messages by topic pattern (`next`, `first`) with the one `waitFor`.
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { topicMatches } from '../../src/mqtt/probe';
import { sleep, waitFor } from './wait-for';

/** MQTT filter matching (`+` one level, `#` the rest): the daemon's own, from `lookout doctor`'s probe. */
export { topicMatches };

type Plain = Record<string, unknown>;

export interface Msg {
  topic: string;
  payload: Buffer;
  text: string;
  retain: boolean;
  qos: number;
  /** Date.now() when it arrived. */
  at: number;
  /** Arrival order across all topics of this recorder. */
  index: number;
  /** MQTT 5 properties as received, e.g. messageExpiryInterval. */
  properties?: { messageExpiryInterval?: number };
}

/**
 * An mqtt.js v5 client that records every message on its subscriptions (retain-as-published, so the
 * retain flag of live messages is the daemon's). Reconnects by itself (after a broker restart) and
 * subscribes again unless the broker kept the session.
 */
export class Recorder {
  readonly messages: Msg[] = [];
  private closed = false;
  private constructor(
    readonly client: MqttClient,
    private readonly filters: string[],
  ) {
    client.on('message', (topic, payload, packet) => {
      this.messages.push({
        topic,
        payload,
        text: payload.toString(),
        retain: packet.retain === true,
        qos: packet.qos,
        at: Date.now(),
        index: this.messages.length,
        ...(packet.properties ? { properties: packet.properties } : {}),
      });
    });
    client.on('connect', (connack) => {
      if (!connack.sessionPresent && this.filters.length && !this.closed) {
        client.subscribe(this.filters, { qos: 1, rap: true }, () => undefined);
      }
    });
    client.on('error', () => undefined);
  }

  static async connect(url: string, filters: string[], options: IClientOptions = {}): Promise<Recorder> {
    const client = connect(url, {
      protocolVersion: 5,
      reconnectPeriod: 200,
      connectTimeout: 5000,
      clientId: `lookout-test-${process.pid}-${Math.random().toString(36).slice(2, 10)}`,
      ...options,
    });
    const rec = new Recorder(client, filters);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`test subscriber could not connect to ${url} within 10 s`)), 10_000);
      client.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    if (filters.length) await client.subscribeAsync(filters, { qos: 1, rap: true });
    return rec;
  }

  /** Resolves once connected (again) and subscribed (again): after a broker restart. */
  async resubscribed(timeoutMs = 15_000): Promise<void> {
    await waitFor('test subscriber to reconnect', () => this.client.connected, timeoutMs);
    if (this.filters.length) await this.client.subscribeAsync(this.filters, { qos: 1, rap: true });
  }

  /** Every recorded message on topics matching `pattern` (MQTT wildcards) that `where` accepts. */
  all(pattern: string, where: (m: Msg) => boolean = () => true): Msg[] {
    return this.messages.filter((m) => topicMatches(pattern, m.topic) && where(m));
  }

  /**
   * The first message on `pattern` that `where` accepts and that arrives after this call (already
   * recorded ones do not count; see `first`). Rejects after `timeoutMs` naming the pattern and the
   * last message seen on it.
   */
  async next(pattern: string, where: (m: Msg) => boolean = () => true, timeoutMs = 30_000): Promise<Msg> {
    const from = this.messages.length;
    return this.waitMessage(`the next message on ${pattern}`, pattern, where, from, timeoutMs);
  }

  /** The first message on `pattern` that `where` accepts, already recorded or still to come. */
  async first(pattern: string, where: (m: Msg) => boolean = () => true, timeoutMs = 30_000): Promise<Msg> {
    return this.waitMessage(`a message on ${pattern}`, pattern, where, 0, timeoutMs);
  }

  private async waitMessage(what: string, pattern: string, where: (m: Msg) => boolean, from: number, timeoutMs: number): Promise<Msg> {
    const found = await waitFor(what, () => this.messages.slice(from).find((m) => topicMatches(pattern, m.topic) && where(m)), {
      timeoutMs,
      context: () => {
        const seen = this.all(pattern);
        const last = seen[seen.length - 1];
        return `last message on ${pattern}: ${last ? `${last.topic} ${last.text.slice(0, 300)}` : '(none)'}`;
      },
    });
    return found as Msg;
  }

  on(topic: string): Msg[] {
    return this.messages.filter((m) => m.topic === topic);
  }
  texts(topic: string): string[] {
    return this.on(topic).map((m) => m.text);
  }
  json<T = Plain>(topic: string): T[] {
    return this.on(topic).map((m) => JSON.parse(m.text) as T);
  }
  last(topic: string): Msg | undefined {
    const all = this.on(topic);
    return all[all.length - 1];
  }
  count(topic: string): number {
    let n = 0;
    for (const m of this.messages) if (m.topic === topic) n++;
    return n;
  }

  async publish(topic: string, payload: string | Buffer, options: { qos?: 0 | 1; retain?: boolean } = {}): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos: options.qos ?? 1, retain: options.retain ?? false });
  }

  /** Topic → number of messages and the last payload (shortened): for failure messages. */
  summary(maxTopics = 40): string {
    const byTopic = new Map<string, { n: number; last: Msg }>();
    for (const m of this.messages) {
      const e = byTopic.get(m.topic);
      if (e) {
        e.n++;
        e.last = m;
      } else byTopic.set(m.topic, { n: 1, last: m });
    }
    const lines = [...byTopic.entries()].slice(0, maxTopics).map(([t, { n, last }]) => {
      const text = last.payload.length > 0 && last.payload[0] === 0xff ? `<${last.payload.length} bytes binary>` : last.text;
      return `  ${t} ×${n}${last.retain ? ' (retained)' : ''}: ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`;
    });
    return lines.length ? lines.join('\n') : '  (nothing received)';
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client.endAsync(true).catch(() => undefined);
  }
}

/** Connects, takes what the broker holds as retained under `filters`, and disconnects. */
export async function retainedSnapshot(url: string, filters: string[], settleMs = 500): Promise<Map<string, Msg>> {
  const rec = await Recorder.connect(url, filters, { reconnectPeriod: 0 });
  await sleep(settleMs);
  await rec.close();
  const out = new Map<string, Msg>();
  for (const m of rec.messages) if (m.retain) out.set(m.topic, m);
  return out;
}
