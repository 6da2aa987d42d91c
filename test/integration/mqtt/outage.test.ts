// The broker dies (SIGKILL) mid-run and comes back empty (no persistence): every QoS 1 event published
// before, in flight, and during the outage arrives afterwards, in order; per-frame QoS 0 messages are
// only counted; availability and retained state come back; the last will says offline when the
// process running the link dies.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { MqttLink, type EventInput } from '../../../src/mqtt';
import { Mosquitto } from '../../support/mosquitto';
import { captureLogger, Subscriber, TcpProxy, waitUntil } from './helpers';

const event = (n: number): EventInput => ({
  type: n === 1 ? 'start' : 'update',
  track_id: 1,
  label: 'person',
  score: 0.9,
  box: [0.1, 0.1, 0.5, 0.9],
  zones: [],
  started_at: 1764180000000,
  updated_at: 1764180000000 + n,
  frames: n,
});
const detections = (frame: number) => ({
  v: 1 as const,
  camera: 'front',
  frame,
  ts: Date.now(),
  width: 640,
  height: 480,
  model: 'm',
  detections: [],
});

describe('MQTT link across a broker SIGKILL and restart', () => {
  let broker: Mosquitto;
  let proxy: TcpProxy;
  let sub: Subscriber | undefined;
  let link: MqttLink | undefined;
  const links: MqttLink[] = [];

  beforeAll(async () => {
    broker = await Mosquitto.start();
    proxy = new TcpProxy(broker.port);
    await proxy.up();
  });
  afterAll(async () => {
    for (const l of links) await l.stop();
    await sub?.close();
    await proxy.down();
    await broker.stop();
  });

  it('delivers every QoS 1 event (before, in flight, during the outage) in order; counts dropped QoS 0', async () => {
    const log = captureLogger();
    link = new MqttLink(
      {
        url: `mqtt://127.0.0.1:${proxy.port}`,
        deviceId: 'outage',
        cameras: ['front'],
        backoff: { initialMs: 100, maxMs: 400, jitter: 0.5 },
        discovery: { enabled: false },
      },
      log.logger,
    );
    links.push(link);
    const base = link.topics.base;
    sub = await Subscriber.connect(broker.url, ['lookout/#']);
    await link.start();
    expect(await link.whenConnected(10_000)).toBe(true);
    link.setStatus('front', { state: 'streaming', reason: null, since: 1 });
    link.setCount('front', 'person', 1);

    const seqs = (): number[] => sub!.json<{ seq: number }>(`${base}/front/events`).map((e) => e.seq);
    for (let n = 1; n <= 5; n++) link.publishEvent('front', event(n));
    await waitUntil('events 1..5', () => seqs().length >= 5);

    // In flight: written to the socket, never acknowledged.
    proxy.blackhole();
    for (let n = 6; n <= 10; n++) link.publishEvent('front', event(n));
    await waitUntil('events 6..10 in flight', () => link!.counters().inflight === 5);

    await broker.kill('SIGKILL');
    await proxy.down();
    await waitUntil('link notices the outage', () => !link!.counters().connected);

    // During the outage: events queue, per-frame messages are only counted.
    for (let n = 11; n <= 40; n++) link.publishEvent('front', event(n));
    for (let f = 0; f < 25; f++) expect(link.publishDetections('front', detections(f))).toBe(false);
    link.setStatus('front', { state: 'reconnecting', reason: 'test outage', since: 2 });
    expect(link.counters()).toMatchObject({ queued: 31, inflight: 5, dropped_offline_qos0: 25 });

    // The broker comes back without any state; our subscriber first, then the link may reconnect.
    await broker.restart();
    await sub.reconnect(['lookout/#']);
    await proxy.up();

    await waitUntil('all 40 events after the outage', () => new Set(seqs()).size >= 40, 30_000);
    const firsts: number[] = [];
    for (const s of seqs()) if (!firsts.includes(s)) firsts.push(s);
    expect(firsts).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));

    // Retained state is back on the empty broker: availability, the newest status, the count.
    await waitUntil('retained state replayed', () => sub!.on(`${base}/availability`).length > 0 && sub!.on(`${base}/front/person`).length > 0);
    expect(sub.on(`${base}/availability`).at(-1)!.payload.toString()).toBe('online');
    await waitUntil('status', () => sub!.json(`${base}/front/status`).length > 0);
    expect(sub.json(`${base}/front/status`).at(-1)).toMatchObject({ state: 'reconnecting', reason: 'test outage' });
    expect(sub.on(`${base}/front/person`).at(-1)!.payload.toString()).toBe('1');

    // And it keeps publishing per-frame data.
    expect(link.publishDetections('front', detections(100))).toBe(true);
    await waitUntil('detections after the outage', () => sub!.on(`${base}/front/detections`).length > 0);
    const c = link.counters();
    expect(c.reconnects).toBeGreaterThanOrEqual(1);
    expect(c.dropped_queue_overflow + c.dropped_expired).toBe(0);
    expect(log.lines.some((l) => l.level === 40 && /connection lost/.test(l.msg))).toBe(true);
    expect(log.lines.some((l) => /reconnected to MQTT broker/.test(l.msg))).toBe(true);

    await link.stop();
    await waitUntil('offline on clean stop', () => sub!.on(`${base}/availability`).at(-1)?.payload.toString() === 'offline');
  });

  it('drops the oldest queued events past the bound and says how many', async () => {
    await proxy.down();
    const bounded = new MqttLink(
      {
        url: `mqtt://127.0.0.1:${proxy.port}`,
        deviceId: 'bounded',
        queueMaxMessages: 10,
        backoff: { initialMs: 100, maxMs: 200 },
        discovery: { enabled: false },
      },
      captureLogger().logger,
    );
    links.push(bounded);
    const base = bounded.topics.base;
    await bounded.start();
    for (let n = 1; n <= 25; n++) bounded.publishEvent('front', event(n));
    expect(bounded.counters()).toMatchObject({ queued: 10, dropped_queue_overflow: 15 });
    await proxy.up();
    await waitUntil('the 10 newest events', () => sub!.json(`${base}/front/events`).length >= 10);
    expect(sub!.json<{ seq: number }>(`${base}/front/events`).map((e) => e.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 16));
  });

  it('drops queued events older than the max age instead of delivering them late', async () => {
    await proxy.down();
    const aging = new MqttLink(
      { url: `mqtt://127.0.0.1:${proxy.port}`, deviceId: 'aging', queueMaxAgeMs: 2000, backoff: { initialMs: 100, maxMs: 200 }, discovery: { enabled: false } },
      captureLogger().logger,
    );
    links.push(aging);
    const base = aging.topics.base;
    await aging.start();
    for (let n = 1; n <= 3; n++) aging.publishEvent('front', event(n));
    await new Promise((r) => setTimeout(r, 2500)); // let the first three grow older than the max age
    for (let n = 4; n <= 5; n++) aging.publishEvent('front', event(n));
    await proxy.up();
    await waitUntil('the fresh events', () => sub!.json(`${base}/front/events`).length >= 2);
    expect(sub!.json<{ seq: number }>(`${base}/front/events`).map((e) => e.seq)).toEqual([4, 5]);
    expect(aging.counters().dropped_expired).toBe(3);
  });

  it('the last will publishes offline when the process running the link dies', async () => {
    const child = spawn(process.execPath, [path.join(__dirname, 'fixtures', 'link-child.js'), broker.url, 'willtest'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const topic = 'lookout/willtest/availability';
      await sub!.client.subscribeAsync(topic, { qos: 1 });
      await waitUntil(`child link online (${out})`, () => sub!.on(topic).at(-1)?.payload.toString() === 'online', 30_000);
      child.kill('SIGKILL');
      await waitUntil('will: offline', () => sub!.on(topic).at(-1)?.payload.toString() === 'offline');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
