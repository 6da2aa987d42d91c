// The connection part of the MQTT link on its own, with a double of the mqtt.js client and jest's
// fake timers: which backoff a reconnect waits for, and the fallback to MQTT 3.1.1.
import { silentLogger } from '../../../src/log';
import { MqttConnection, type ConnectionSettings } from '../../../src/mqtt/connection';
import { fakeConnect, type FakeMqttClient } from './fake-mqtt-client';

function connection(overrides: Partial<ConnectionSettings> = {}): { conn: MqttConnection; client: FakeMqttClient } {
  const fake = fakeConnect();
  const conn = new MqttConnection(
    {
      url: 'mqtt://broker.test:1883',
      clientId: 'lookout-pi4',
      willTopic: 'lookout/pi4/availability',
      base: 'lookout/pi4',
      subscriptions: (v) => ({ 'lookout/pi4/set': { qos: 1, rap: v === 5 } }),
      logFields: () => ({}),
      backoff: { initialMs: 1000, maxMs: 1000, jitter: 0 },
      takeoverBackoff: { initialMs: 60_000, maxMs: 60_000, jitter: 0 },
      ...overrides,
    },
    silentLogger,
    fake.connect,
  );
  conn.start();
  const client = fake.clients[0];
  if (!client) throw new Error('no client created');
  return { conn, client };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

test('a lost connection is retried after the normal backoff, with the stores mqtt.js holds in-flight messages in', () => {
  const { conn, client } = connection();
  client.accept();
  expect(conn.connected).toBe(true);
  client.drop();
  expect(conn.connected).toBe(false);
  jest.advanceTimersByTime(999);
  expect(client.reconnectStores).toHaveLength(0);
  jest.advanceTimersByTime(1);
  expect(client.reconnectStores).toEqual([{ incomingStore: client.incomingStore, outgoingStore: client.outgoingStore }]);
  expect(conn.reconnects).toBe(1);
});

test('a session taken over by another client with our id (DISCONNECT 0x8E) waits for the takeover backoff', () => {
  const { conn, client } = connection();
  client.accept();
  client.emit('disconnect', { cmd: 'disconnect', reasonCode: 0x8e });
  client.drop();
  jest.advanceTimersByTime(59_999);
  expect(client.reconnectStores).toHaveLength(0);
  jest.advanceTimersByTime(1);
  expect(client.reconnectStores).toHaveLength(1);
  expect(conn.reconnects).toBe(1);
});

test('a broker that refuses MQTT 5 is spoken to in 3.1.1: no v5 properties, commands subscribed without retain-as-published', () => {
  const { conn, client } = connection();
  expect(client.options.protocolVersion).toBe(5);
  client.emit('error', Object.assign(new Error('Connection refused: Unacceptable protocol version'), { code: 1 }));
  expect(conn.protocolVersion).toBe(4);
  expect(client.options.protocolVersion).toBe(4);
  expect(client.options.properties).toBeUndefined();
  client.accept();
  expect(client.subscribed).toEqual([{ 'lookout/pi4/set': { qos: 1, rap: false } }]);
});

test('nothing reconnects once stopping', () => {
  const { conn, client } = connection();
  client.accept();
  expect(conn.beginStop()).toBe(true);
  expect(conn.beginStop()).toBe(false);
  client.drop();
  jest.advanceTimersByTime(120_000);
  expect(client.reconnectStores).toHaveLength(0);
});
