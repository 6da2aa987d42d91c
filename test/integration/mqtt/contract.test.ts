// The contract: everything the link publishes, read back by a plain subscriber from a real Mosquitto
// and checked against the schemas in the repo; commands, good and bad; Home Assistant discovery.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from '@jest/globals'; // its asymmetric matchers are typed (the global's are `any`)
import { MqttLink, availabilityProblem, countProblem, schemaProblems, type CommandRequest, type SchemaName } from '../../../src/mqtt';
import { Mosquitto } from '../../support/mosquitto';
import { captureLogger, Subscriber, waitUntil, type Received } from './helpers';

const repoRoot = path.join(__dirname, '../../..');
const base = 'lookout/contract';

/** Which check applies to a message on `topic`; null: valid. */
function problemOf(m: Received): string | null {
  const rest = m.topic.startsWith(`${base}/`) ? m.topic.slice(base.length + 1) : null;
  if (m.topic.startsWith('homeassistant/')) {
    if (m.topic === 'homeassistant/status') return null;
    if (m.payload.length === 0) return null; // a cleared entity
    const config = JSON.parse(m.payload.toString()) as Record<string, unknown>;
    return config.unique_id && config.availability && config.device && config.origin ? null : `incomplete discovery config ${m.topic}`;
  }
  if (rest === null) return `unexpected topic ${m.topic}`;
  const json = (name: SchemaName): string | null => {
    try {
      return schemaProblems(name, JSON.parse(m.payload.toString()));
    } catch (e) {
      return `${m.topic}: not JSON: ${(e as Error).message}`;
    }
  };
  const levels = rest.split('/');
  if (rest === 'availability') return availabilityProblem(m.payload.toString());
  if (rest === 'stats') return json('stats');
  if (rest === 'set' || levels.at(-1) === 'set') return null; // commands in (sent by this test)
  if (levels.at(-1) === 'result' && levels.at(-2) === 'set') return json('command-result');
  switch (levels[levels.length - 1]) {
    case 'detections':
      return json('detections');
    case 'timing':
      return json('timing');
    case 'events':
      return json('event');
    case 'status':
      return json('status');
    case 'snapshot':
      return m.payload[0] === 0xff && m.payload[1] === 0xd8 ? null : 'snapshot is not a JPEG';
    case 'detect':
      return /^(ON|OFF)?$/.test(m.payload.toString()) ? null : `detect must be ON or OFF, got '${m.payload.toString()}'`;
    case 'min_score':
      return /^(0(\.\d+)?|1)?$/.test(m.payload.toString()) ? null : `min_score must be a number in [0, 1], got '${m.payload.toString()}'`;
    default:
      return countProblem(m.payload.toString());
  }
}

describe('MQTT contract against a real Mosquitto', () => {
  let broker: Mosquitto;
  let link: MqttLink;
  let sub: Subscriber;
  const log = captureLogger();
  const received: CommandRequest[] = [];

  beforeAll(async () => {
    broker = await Mosquitto.start();
    sub = await Subscriber.connect(broker.url, [`${base}/#`, 'homeassistant/#']);
    link = new MqttLink(
      { url: broker.url, deviceId: 'contract', cameras: ['front', 'back'], version: '0.1.0', backoff: { initialMs: 100, maxMs: 500 } },
      log.logger,
    );
    link.onCommand((request) => {
      received.push(request);
      if (request.command.min_score === 0.99) return { ok: false, error: 'threshold refused by the daemon' };
      return { ok: true, details: { applied: Object.keys(request.command) } };
    });
    await link.start();
    expect(await link.whenConnected(10_000)).toBe(true);
  });
  afterAll(async () => {
    await link.stop();
    await sub.close();
    await broker.stop();
  });

  it('every message on every topic matches its schema', async () => {
    const now = Date.now();
    link.setDiscovery([{ name: 'front', labels: ['person', 'car'] }]);
    link.setStatus('front', { state: 'streaming', reason: null, since: now });
    link.setStatus('back', { state: 'error', reason: 'cannot open /dev/video2: No such file', since: now });
    link.publishDetections('front', {
      v: 1,
      camera: 'front',
      frame: 1042,
      ts: now,
      width: 1280,
      height: 720,
      model: 'ssdlite_mobilenet_v2_coco',
      detections: [{ label: 'person', class_id: 1, score: 0.91, box: [0.12, 0.3, 0.48, 0.95], track_id: 7, zones: ['driveway'] }],
    });
    link.publishTiming('front', {
      v: 1,
      camera: 'front',
      frame: 1042,
      ts: now,
      capture_ms: 1.2,
      wait_ms: 0.4,
      preprocess_ms: 0.9,
      inference_ms: 18.7,
      postprocess_ms: 0.6,
      publish_ms: 0.2,
      total_ms: 22.0,
      age_ms: 35.1,
      fps: 9.9,
      dropped: 0,
    });
    const track = { track_id: 7, label: 'person', score: 0.91, box: [0.12, 0.3, 0.48, 0.95], zones: ['driveway'], started_at: now, frames: 1 };
    link.publishEvent('front', { ...track, type: 'start', updated_at: now, entered_zones: ['driveway'], snapshot: true });
    link.publishEvent('front', { ...track, type: 'update', updated_at: now + 100, frames: 2 });
    link.publishEvent('front', { ...track, type: 'end', updated_at: now + 200, ended_at: now + 200, frames: 3 });
    link.setCount('front', 'person', 1);
    link.setCount('front', 'person', 1, 'driveway');
    link.setCount('front', 'traffic light', 0);
    link.publishStats({
      v: 1,
      ts: now,
      uptime_s: 12.5,
      ep: 'cpu',
      cpu_temp_c: null,
      load: [0.4, 0.3, 0.2],
      rss_mb: 180,
      cameras: { front: { fps: 10, detect_fps: 9.8, inference_p50_ms: 18.7, inference_p95_ms: 25, dropped: 2, status: 'streaming' } },
    });
    link.publishSnapshot('front', fs.readFileSync(path.join(repoRoot, '.cache/testdata/messi5.jpg')));
    await sub.publish(`${base}/front/set`, '{"detect":false,"id":"c1"}');

    const kinds = ['availability', 'detections', 'timing', 'events', 'status', 'stats', 'snapshot', 'person', 'driveway/person', 'set/result'];
    await waitUntil(
      'every kind of message',
      () => kinds.every((k) => sub.messages.some((m) => m.topic.endsWith(`/${k}`))) && sub.json(`${base}/front/events`).length === 3,
    );
    await waitUntil('discovery', () => sub.messages.filter((m) => m.topic.startsWith('homeassistant/')).length >= 7);

    const problems = sub.messages.map((m) => [m.topic, problemOf(m)]).filter(([, p]) => p !== null);
    expect(problems).toEqual([]);
    expect(sub.messages.length).toBeGreaterThan(20);
    // Delivery flags of the contract.
    const one = (t: string): Received => sub.on(t)[0];
    expect(one(`${base}/front/events`).qos).toBe(1);
    // Events carry their remaining age as MQTT 5 message expiry (default max age 10 min); state does not.
    expect(one(`${base}/front/events`).properties?.messageExpiryInterval).toBeGreaterThan(500);
    expect(one(`${base}/front/events`).properties?.messageExpiryInterval).toBeLessThanOrEqual(600);
    expect(one(`${base}/front/status`).properties?.messageExpiryInterval).toBeUndefined();
    expect(one(`${base}/front/detections`).qos).toBe(0);
    expect(one(`${base}/front/status`).qos).toBe(1);
    expect(sub.json<{ seq: number }>(`${base}/front/events`).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(sub.on(`${base}/front/traffic_light`)[0].payload.toString()).toBe('0');
    expect(sub.json(`${base}/stats`)[0]).toHaveProperty('mqtt.published');
  });

  it('retained topics are retained, events and per-frame topics are not', async () => {
    const late = await Subscriber.connect(broker.url, [`${base}/#`]);
    try {
      await waitUntil('retained copies', () => late.on(`${base}/front/status`).length > 0 && late.on(`${base}/front/snapshot`).length > 0);
      const topics = new Set(late.messages.filter((m) => m.retain).map((m) => m.topic.slice(base.length + 1)));
      for (const t of ['availability', 'front/status', 'back/status', 'front/person', 'front/driveway/person', 'stats', 'front/snapshot']) {
        expect(topics).toContain(t);
      }
      for (const t of ['front/events', 'front/detections', 'front/timing', 'front/set/result']) expect(topics).not.toContain(t);
    } finally {
      await late.close();
    }
    // A camera removed from the config leaves no retained ghost behind.
    link.setCount('back', 'cat', 2);
    await waitUntil('back count', () => sub.on(`${base}/back/cat`).length > 0);
    expect(link.forgetCamera('back')).toBe(2);
    await waitUntil(
      'cleared',
      () => sub.on(`${base}/back/status`).some((m) => m.payload.length === 0) && sub.on(`${base}/back/cat`).some((m) => m.payload.length === 0),
    );
    const after = await Subscriber.connect(broker.url, [`${base}/back/#`, `${base}/front/status`]);
    try {
      await waitUntil('front status still retained', () => after.on(`${base}/front/status`).length > 0);
      expect(after.messages.filter((m) => m.topic.startsWith(`${base}/back/`))).toEqual([]);
    } finally {
      await after.close();
    }
  });

  it('refuses to publish to topics that would break the tree', () => {
    const before = link.counters().refused_invalid;
    expect(link.publishDetections('fr+nt', { v: 1, camera: 'x', frame: 0, ts: 0, width: 1, height: 1, model: 'm', detections: [] })).toBe(false);
    expect(link.setCount('front', 'status', 1)).toBe(false);
    expect(link.setCount('front', 'a/b', 1)).toBe(false);
    expect(link.counters().refused_invalid).toBe(before + 3);
    expect(log.lines.some((l) => l.level === 50 && /camera name 'fr\+nt'.*wildcard/.test(l.msg))).toBe(true);
  });

  it('answers bad commands with the reason and keeps publishing detections', async () => {
    let frame = 0;
    const ticker = setInterval(() => {
      link.publishDetections('front', { v: 1, camera: 'front', frame: frame++, ts: Date.now(), width: 640, height: 480, model: 'm', detections: [] });
    }, 20);
    try {
      const bad: [string, string | Buffer, { retain?: boolean }, RegExp][] = [
        [`${base}/set`, 'not json at all', {}, /not JSON/],
        [`${base}/set`, Buffer.alloc(17 * 1024, 0x20), {}, /too large/],
        [`${base}/front/set`, '{"detect":"yes","id":"t1"}', {}, /\/detect must be boolean/],
        [`${base}/front/set`, '{"min_score":7}', {}, /min_score/],
        [`${base}/front/set`, '[]', {}, /JSON object/],
        [`${base}/garage/set`, '{"detect":true,"id":"g"}', {}, /unknown camera 'garage'/],
        [`${base}/back/set`, '{"detect":false,"id":"stale"}', { retain: true }, /retained command not obeyed/],
        [`${base}/front/set`, '{"min_score":0.99}', {}, /threshold refused by the daemon/],
      ];
      const resultsBefore = (t: string): number => sub.on(`${t}/result`).length;
      for (const [topic, payload, opts, reason] of bad) {
        const n = resultsBefore(topic);
        await sub.publish(topic, payload, opts);
        await waitUntil(`answer on ${topic}/result`, () => resultsBefore(topic) > n);
        const answer = JSON.parse(sub.on(`${topic}/result`).at(-1)!.payload.toString()) as { ok: boolean; error: string };
        expect({ topic, answer }).toMatchObject({ topic, answer: { ok: false } });
        expect(answer.error).toMatch(reason);
        expect(schemaProblems('command-result', answer)).toBeNull();
      }
      expect(sub.json(`${base}/front/set/result`).some((r) => r.id === 't1')).toBe(true);
      expect(sub.json(`${base}/garage/set/result`).at(-1)).toMatchObject({ id: 'g' });
      // Refused commands never reached the daemon's handler; the retained one was not obeyed.
      expect(received.map((r) => r.command)).toEqual([{ detect: false }, { min_score: 0.99 }]);

      await sub.publish(`${base}/set`, '{"min_scores":{"person":0.7},"id":"ok1"}');
      await waitUntil('ok answer', () => sub.json(`${base}/set/result`).some((r) => r.id === 'ok1'));
      expect(sub.json(`${base}/set/result`).find((r) => r.id === 'ok1')).toEqual({ v: 1, ok: true, id: 'ok1', details: { applied: ['min_scores'] } });
      expect(received.at(-1)).toEqual({ command: { min_scores: { person: 0.7 } }, id: 'ok1' });

      // The stale retained command is replayed to every new subscriber, e.g. Lookout restarting: not obeyed.
      const restarted = new MqttLink(
        { url: broker.url, deviceId: 'contract', clientId: 'contract-restarted', cameras: ['front', 'back'], discovery: { enabled: false } },
        captureLogger().logger,
      );
      const obeyed: CommandRequest[] = [];
      restarted.onCommand((r) => (obeyed.push(r), { ok: true }));
      const answers = sub.on(`${base}/back/set/result`).length;
      await restarted.start();
      try {
        await waitUntil('answer to the replayed retained command', () => sub.on(`${base}/back/set/result`).length > answers);
        expect(sub.json(`${base}/back/set/result`).at(-1)).toMatchObject({ ok: false, id: 'stale', error: expect.stringMatching(/retained/) });
        expect(obeyed).toEqual([]);
      } finally {
        await restarted.stop();
      }

      const seen = sub.on(`${base}/front/detections`).length;
      await waitUntil('detections still flowing', () => sub.on(`${base}/front/detections`).length > seen + 5);
    } finally {
      clearInterval(ticker);
      await sub.publish(`${base}/back/set`, '', { retain: true });
    }
  });

  it('Home Assistant discovery: retained, republished when HA comes online, removed entities cleared', async () => {
    const ha = await Subscriber.connect(broker.url, ['homeassistant/+/+/+/config']);
    try {
      const configTopics = (): string[] => [...new Set(ha.messages.filter((m) => m.payload.length > 0).map((m) => m.topic))];
      // Per camera: occupancy + count per label, status, detect switch, min_score number, fps, inference time, image, snapshot button, motion.
      await waitUntil('retained discovery', () => configTopics().length === 12);
      expect(configTopics()).toContain('homeassistant/binary_sensor/contract/front_motion/config');
      expect(ha.messages.every((m) => m.retain)).toBe(true);
      const occupancy = 'homeassistant/binary_sensor/contract/front_car_occupancy/config';
      expect(JSON.parse(ha.on(occupancy)[0].payload.toString())).toMatchObject({
        state_topic: `${base}/front/car`,
        device_class: 'occupancy',
        availability: [{ topic: `${base}/availability` }, { topic: `${base}/front/status` }],
      });

      const before = ha.messages.length;
      await ha.publish('homeassistant/status', 'online');
      await waitUntil('republished discovery', () => ha.messages.length >= before + 12);

      link.setDiscovery([{ name: 'front', labels: ['person'] }]);
      await waitUntil(
        'cleared car entities',
        () =>
          ha.on(occupancy).some((m) => m.payload.length === 0) &&
          ha.on('homeassistant/sensor/contract/front_car_count/config').some((m) => m.payload.length === 0),
      );
      const fresh = await Subscriber.connect(broker.url, ['homeassistant/+/+/+/config']);
      try {
        await waitUntil('retained after removal', () => fresh.messages.length >= 10);
        await new Promise((r) => setTimeout(r, 300)); // let any stray retained copies arrive
        expect(fresh.messages.map((m) => m.topic).sort()).not.toContain(occupancy);
        expect(fresh.messages.length).toBe(10);
      } finally {
        await fresh.close();
      }
    } finally {
      await ha.close();
    }
  });
});
