// The MQTT link's delivery promises (docs/mqtt.md, "Delivery") tested in-process: the link's parts
// (connection, outbox, retained state, command endpoint, discovery) wired as the daemon uses them,
// against a double of mqtt.js's client that plays the broker. The real broker tests
// (test/integration/mqtt) prove the same against Mosquitto; these pin the rules one by one.
import { silentLogger } from '../../../src/log';
import { MqttLink, type EventInput, type MqttLinkOptions } from '../../../src/mqtt/link';
import { fakeConnect, type FakeMqttClient } from './fake-mqtt-client';

const BASE = 'lookout/pi4';
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

async function waitUntil(what: string, condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) await new Promise((r) => setTimeout(r, 1));
  if (!condition()) throw new Error(`never happened: ${what}`);
}

const links: MqttLink[] = [];
afterEach(async () => {
  await Promise.all(links.splice(0).map((l) => l.stop()));
});

async function started(options: Partial<MqttLinkOptions> = {}): Promise<{ link: MqttLink; client: FakeMqttClient }> {
  const fake = fakeConnect();
  const link = new MqttLink(
    {
      url: 'mqtt://broker.test:1883',
      deviceId: 'pi4',
      cameras: ['front'],
      discovery: { enabled: false },
      // Reconnects at once: the tests play the broker, they do not wait for backoff.
      backoff: { initialMs: 1, maxMs: 1, jitter: 0 },
      stopTimeoutMs: 200,
      ...options,
    },
    silentLogger,
    fake.connect,
  );
  links.push(link);
  await link.start();
  const client = fake.clients[0];
  if (!client) throw new Error('the link did not create a client');
  return { link, client };
}

const event = (trackId: number): EventInput => ({
  type: 'start',
  track_id: trackId,
  label: 'person',
  score: 0.9,
  box: [0.1, 0.1, 0.2, 0.2],
  zones: [],
  started_at: 1,
  updated_at: 1,
  frames: 1,
});

async function reconnect(client: FakeMqttClient, failUnacked = false): Promise<void> {
  const before = client.reconnectStores.length;
  client.drop(failUnacked);
  await waitUntil('the link asks mqtt.js to reconnect', () => client.reconnectStores.length > before);
  client.accept({ sessionPresent: true });
  await tick();
}

describe('MqttLink with a double of the mqtt.js client', () => {
  test('the client gets the last will, a persistent session and no queueing of QoS 0 by mqtt.js', async () => {
    const { client } = await started();
    expect(client.options).toMatchObject({
      clientId: 'lookout-pi4',
      clean: false,
      reconnectPeriod: 0,
      queueQoSZero: false,
      will: { topic: `${BASE}/availability`, qos: 1, retain: true },
      properties: { sessionExpiryInterval: 3600 },
    });
    expect(String(client.options.will?.payload)).toBe('offline');
  });

  test('QoS 1 events published while the broker is away are kept and delivered in order once it accepts', async () => {
    const { link, client } = await started();
    const seqs = [1, 2, 3].map((id) => link.publishEvent('front', event(id)));
    expect(seqs).toEqual([1, 2, 3]);
    expect(client.sent).toEqual([]);
    expect(link.counters()).toMatchObject({ connected: false, queued: 3 });

    client.accept();
    await tick();
    const events = client.publishedOn(`${BASE}/front/events`);
    expect(events.map((m) => (JSON.parse(m.text) as { seq: number }).seq)).toEqual([1, 2, 3]);
    expect(events.every((m) => m.qos === 1 && !m.retain)).toBe(true);
    // Their remaining age travels as MQTT 5 message expiry, so a broker does not deliver them stale.
    expect(events[0]?.options.properties?.messageExpiryInterval).toBeGreaterThan(0);
    expect(link.counters()).toMatchObject({ connected: true, queued: 0, inflight: 0 });
  });

  test('an event in flight when the connection drops is delivered again after the reconnect, before newer ones', async () => {
    const { link, client } = await started();
    client.autoAck = false;
    client.accept();
    client.ack(); // the availability sent at connect
    link.publishEvent('front', event(1));
    expect(client.unackedCount).toBe(1);

    await reconnect(client, true);
    link.publishEvent('front', event(2));
    await tick();
    const after = client.sentOnConnection(2).filter((m) => m.topic === `${BASE}/front/events`);
    expect(after.map((m) => (JSON.parse(m.text) as { seq: number }).seq)).toEqual([1, 2]);
    client.ack();
    await tick();
    expect(link.counters()).toMatchObject({ queued: 0, inflight: 0, dropped_queue_overflow: 0, dropped_expired: 0 });
    // mqtt.js's stores are handed to reconnect(): a fresh store would lose what it holds in flight.
    expect(client.reconnectStores[0]).toEqual({ incomingStore: client.incomingStore, outgoingStore: client.outgoingStore });
  });

  test('at most maxInflight QoS 1 messages are handed to the client at once; the rest follow as PUBACKs arrive', async () => {
    const { link, client } = await started({ maxInflight: 2 });
    client.autoAck = false;
    client.accept();
    client.ack(); // the availability sent at connect
    for (let id = 1; id <= 5; id++) link.publishEvent('front', event(id));
    const events = (): number => client.publishedOn(`${BASE}/front/events`).length;
    expect(events()).toBe(2);
    expect(link.counters()).toMatchObject({ inflight: 2, queued: 3 });
    client.ack(1);
    await tick();
    expect(events()).toBe(3);
    client.ack();
    await tick();
    client.ack();
    await tick();
    expect(events()).toBe(5);
  });

  test("the broker's Receive Maximum lowers the in-flight window", async () => {
    const { link, client } = await started({ maxInflight: 20 });
    client.autoAck = false;
    client.accept({ receiveMaximum: 1 });
    for (let id = 1; id <= 3; id++) link.publishEvent('front', event(id));
    expect(client.publishedOn(`${BASE}/front/events`).length).toBe(1);
  });

  test('retained state is republished on every reconnect, availability first, each topic once with its newest value', async () => {
    const { link, client } = await started();
    client.accept();
    link.setStatus('front', { state: 'streaming', reason: null, since: 1 });
    link.setCount('front', 'person', 2);
    await tick();

    client.drop();
    // Changed while the broker is away: the queue holds the newer value.
    link.setStatus('front', { state: 'reconnecting', reason: 'RTSP stream closed', since: 2 });
    await reconnect(client);

    const replay = client.sentOnConnection(2);
    expect(replay[0]).toMatchObject({ topic: `${BASE}/availability`, text: 'online', retain: true });
    expect(replay.filter((m) => m.topic === `${BASE}/front/person`)).toMatchObject([{ text: '2', retain: true }]);
    const statuses = replay.filter((m) => m.topic === `${BASE}/front/status`);
    expect(statuses.map((m) => (JSON.parse(m.text) as { state: string }).state)).toEqual(['reconnecting']);
    expect(statuses[0]?.retain).toBe(true);
  });

  test('unchanged retained state is not published again; a removed camera has its retained topics cleared', async () => {
    const { link, client } = await started();
    client.accept();
    link.setCount('front', 'person', 1);
    link.setCount('front', 'person', 1);
    link.setStatus('front', { state: 'streaming', reason: null, since: 1 });
    await tick();
    expect(client.publishedOn(`${BASE}/front/person`)).toHaveLength(1);

    expect(link.forgetCamera('front')).toBe(2);
    await tick();
    expect(client.publishedOn(`${BASE}/front/person`).at(-1)).toMatchObject({ text: '', retain: true });
    expect(client.publishedOn(`${BASE}/front/status`).at(-1)).toMatchObject({ text: '', retain: true });
    // Forgotten: not replayed after the next reconnect.
    await reconnect(client);
    expect(client.sentOnConnection(2).map((m) => m.topic)).toEqual([`${BASE}/availability`]);
  });

  test('QoS 0 detections while offline are dropped and counted, never queued', async () => {
    const { link, client } = await started();
    const detections = { v: 1 as const, camera: 'front', frame: 1, ts: 1, width: 640, height: 480, model: 'm', detections: [] };
    expect(link.publishDetections('front', detections)).toBe(false);
    client.accept();
    await tick();
    expect(client.publishedOn(`${BASE}/front/detections`)).toEqual([]);
    expect(link.counters()).toMatchObject({ dropped_offline_qos0: 1, queued: 0 });
    expect(link.publishDetections('front', detections)).toBe(true);
    expect(client.publishedOn(`${BASE}/front/detections`)).toMatchObject([{ qos: 0, retain: false }]);
  });

  test('stop delivers what is queued, then says offline (retained), then ends the client cleanly', async () => {
    const { link, client } = await started();
    client.accept();
    link.publishEvent('front', event(7));
    await link.stop();
    const topics = client.sentOnConnection(1).map((m) => m.topic);
    expect(topics.indexOf(`${BASE}/front/events`)).toBeLessThan(topics.lastIndexOf(`${BASE}/availability`));
    expect(client.sent.at(-1)).toMatchObject({ topic: `${BASE}/availability`, text: 'offline', retain: true, qos: 1 });
    expect(client.ended).toEqual({ force: false });
  });

  test('subscribes to the command topics on every connect, with retain-as-published over MQTT 5', async () => {
    const { client } = await started();
    client.accept();
    await reconnect(client);
    expect(client.subscribed).toEqual([
      { [`${BASE}/set`]: { qos: 1, rap: true }, [`${BASE}/+/set`]: { qos: 1, rap: true } },
      { [`${BASE}/set`]: { qos: 1, rap: true }, [`${BASE}/+/set`]: { qos: 1, rap: true } },
    ]);
  });
});

describe('the command endpoint', () => {
  test("a camera's command reaches the handler and is answered on its result topic, not retained", async () => {
    const { link, client } = await started();
    const seen: unknown[] = [];
    link.onCommand((request) => {
      seen.push(request.command);
      return { ok: true, details: { detect: false } };
    });
    client.accept();
    client.deliver(`${BASE}/front/set`, JSON.stringify({ id: 'a1', detect: false }));
    await waitUntil('an answer', () => client.publishedOn(`${BASE}/front/set/result`).length > 0);
    expect(seen).toEqual([{ detect: false }]);
    const answer = client.publishedOn(`${BASE}/front/set/result`)[0];
    expect(answer).toMatchObject({ qos: 1, retain: false });
    expect(JSON.parse(answer?.text ?? '')).toEqual({ v: 1, ok: true, id: 'a1', camera: 'front', details: { detect: false } });
    expect(link.counters()).toMatchObject({ commands_received: 1, commands_refused: 0 });
  });

  test('a retained command is refused without reaching the handler; a handler that throws is answered with its error', async () => {
    const { link, client } = await started();
    let calls = 0;
    link.onCommand(() => {
      calls++;
      throw new Error('camera is reloading');
    });
    client.accept();
    client.deliver(`${BASE}/front/set`, JSON.stringify({ detect: true }), true);
    client.deliver(`${BASE}/set`, JSON.stringify({ id: 'b2', detect: true }));
    await waitUntil('two answers', () => client.sent.filter((m) => m.topic.endsWith('/set/result')).length === 2);
    expect(calls).toBe(1);
    const refusal = JSON.parse(client.publishedOn(`${BASE}/front/set/result`)[0]?.text ?? '') as { ok: boolean; error: string };
    expect(refusal.ok).toBe(false);
    expect(refusal.error).toMatch(/^retained command not obeyed/);
    expect(JSON.parse(client.publishedOn(`${BASE}/set/result`)[0]?.text ?? '')).toEqual({
      v: 1,
      ok: false,
      id: 'b2',
      error: 'command failed: camera is reloading',
    });
    expect(link.counters()).toMatchObject({ commands_received: 2, commands_refused: 2 });
  });
});

describe('Home Assistant discovery through the link', () => {
  test("discovery configs are retained, sent again when Home Assistant announces it started, and a removed camera's are cleared", async () => {
    const { link, client } = await started({ discovery: { enabled: true } });
    client.accept();
    expect(client.subscribed[0]).toHaveProperty(['homeassistant/status']);
    link.setDiscovery([{ name: 'front', labels: ['person'], snapshot: false }]);
    await tick();
    const configs = (): string[] => client.sent.filter((m) => m.topic.startsWith('homeassistant/') && m.text !== '').map((m) => m.topic);
    const first = configs();
    expect(first.length).toBeGreaterThan(0);
    expect(client.sent.filter((m) => m.topic.startsWith('homeassistant/')).every((m) => m.retain && m.qos === 1)).toBe(true);

    // A retained `online` arrives at every subscribe and is no news; a live one means HA restarted.
    client.deliver('homeassistant/status', 'online', true);
    await tick();
    expect(configs()).toEqual(first);
    client.deliver('homeassistant/status', 'online');
    await tick();
    expect(configs()).toEqual([...first, ...first]);

    link.setDiscovery([]);
    await tick();
    const cleared = client.sent.filter((m) => m.topic.startsWith('homeassistant/') && m.text === '').map((m) => m.topic);
    expect(cleared.sort()).toEqual([...first].sort());
  });
});
