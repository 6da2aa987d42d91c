// A double of mqtt.js's client for in-process tests of the MQTT link: records what is published and
// subscribed, and lets a test play the broker (accept a connection, acknowledge, drop the connection,
// deliver a message). Only the members the link's connection uses are implemented.
import { EventEmitter } from 'node:events';
import type { IClientOptions, IClientPublishOptions, MqttClient } from 'mqtt';
import type { ConnectFn } from '../../../src/mqtt/connection';

export interface Sent {
  topic: string;
  text: string;
  qos: 0 | 1 | 2;
  retain: boolean;
  options: IClientPublishOptions;
  /** Index of the connection it was published on (0 = before the first connect). */
  connection: number;
}

type Callback = (err?: Error) => void;

export class FakeMqttClient extends EventEmitter {
  connected = false;
  readonly sent: Sent[] = [];
  readonly subscribed: Array<Record<string, unknown>> = [];
  /** Stores passed to each reconnect() call. */
  readonly reconnectStores: Array<{ incomingStore?: unknown; outgoingStore?: unknown }> = [];
  readonly incomingStore = { name: 'incoming' };
  readonly outgoingStore = { name: 'outgoing' };
  readonly stream = { writableLength: 0 };
  /** Acknowledge QoS 1 publishes at once (the broker took them); false: they wait for ack(). */
  autoAck = true;
  ended: { force: boolean } | null = null;
  private connections = 0;
  private readonly unacked: Array<{ sent: Sent; cb: Callback }> = [];

  constructor(
    readonly url: string,
    readonly options: IClientOptions,
  ) {
    super();
  }

  /** The broker accepts the connection (CONNACK). */
  accept(connack: { sessionPresent?: boolean; receiveMaximum?: number } = {}): void {
    this.connected = true;
    this.connections++;
    const properties = connack.receiveMaximum === undefined ? undefined : { receiveMaximum: connack.receiveMaximum };
    this.emit('connect', { cmd: 'connack', sessionPresent: connack.sessionPresent ?? false, ...(properties ? { properties } : {}) });
  }

  /** The connection is lost; publishes awaiting PUBACK fail with mqtt.js's "closed" error when `failUnacked`. */
  drop(failUnacked = false): void {
    this.connected = false;
    if (failUnacked) for (const { cb } of this.unacked.splice(0)) cb(new Error('Connection closed'));
    this.emit('close');
  }

  /** PUBACK for the oldest `n` unacknowledged QoS 1 publishes. */
  ack(n = Infinity): void {
    for (const { cb } of this.unacked.splice(0, n)) cb();
  }

  get unackedCount(): number {
    return this.unacked.length;
  }

  /** A message from the broker on a subscribed topic. */
  deliver(topic: string, payload: string, retain = false): void {
    this.emit('message', topic, Buffer.from(payload), { cmd: 'publish', topic, payload, retain, qos: 1, dup: false });
  }

  /** What was published on `topic` (all connections, in order). */
  publishedOn(topic: string): Sent[] {
    return this.sent.filter((s) => s.topic === topic);
  }
  /** What was published since connection `n` was accepted. */
  sentOnConnection(n: number): Sent[] {
    return this.sent.filter((s) => s.connection === n);
  }

  publish(topic: string, payload: Buffer | string, options: IClientPublishOptions, cb: Callback): this {
    const sent: Sent = { topic, text: payload.toString(), qos: options.qos ?? 0, retain: options.retain === true, options, connection: this.connections };
    this.sent.push(sent);
    if (sent.qos === 0 || this.autoAck) queueMicrotask(() => cb());
    else this.unacked.push({ sent, cb });
    return this;
  }

  subscribe(filters: Record<string, unknown>, cb: (err: Error | null) => void): this {
    this.subscribed.push(filters);
    queueMicrotask(() => cb(null));
    return this;
  }

  reconnect(opts: { incomingStore?: unknown; outgoingStore?: unknown }): this {
    this.reconnectStores.push(opts);
    return this;
  }

  end(force: boolean, _opts: object, cb: () => void): this {
    this.ended = { force };
    this.connected = false;
    this.emit('close');
    queueMicrotask(cb);
    return this;
  }
}

/** A ConnectFn handing out FakeMqttClients; `clients` holds them in creation order. */
export function fakeConnect(): { connect: ConnectFn; clients: FakeMqttClient[] } {
  const clients: FakeMqttClient[] = [];
  const connect: ConnectFn = (url, options) => {
    const client = new FakeMqttClient(url, options);
    clients.push(client);
    return client as unknown as MqttClient;
  };
  return { connect, clients };
}
