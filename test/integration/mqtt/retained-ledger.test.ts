// Retained state across restarts of the link (issue 12): what one run left retained and the next run
// does not publish is cleared at its start (a camera removed while Lookout was stopped; discovery
// switched off); configured counts start at 0 over a stale retained value; Home Assistant's `online`
// on a configured status topic (homeassistant.status_topic, parsed and never used before) republishes
// discovery; events carry an event_id that differs between runs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MqttLink, type MqttLinkOptions } from '../../../src/mqtt';
import { Mosquitto } from '../../support/mosquitto';
import { captureLogger, Subscriber, waitUntil } from './helpers';

const base = 'lookout/ledger';

describe('retained state across link restarts', () => {
  let broker: Mosquitto;
  let dir: string;
  beforeAll(async () => {
    broker = await Mosquitto.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-ledger-'));
  });
  afterAll(async () => {
    await broker?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const newLink = (over: Partial<MqttLinkOptions> = {}) =>
    new MqttLink(
      {
        url: broker.url,
        deviceId: 'ledger',
        version: '0.1.0',
        ledgerFile: path.join(dir, 'mqtt-retained.json'),
        backoff: { initialMs: 100, maxMs: 500 },
        discovery: { statusTopic: 'ha-custom/status' },
        ...over,
      },
      captureLogger().logger,
    );
  const retainedNow = async (): Promise<Map<string, string>> => {
    const s = await Subscriber.connect(broker.url, [`${base}/#`, 'homeassistant/#']);
    await new Promise((r) => setTimeout(r, 400));
    await s.close();
    return new Map(s.messages.filter((m) => m.retain).map((m) => [m.topic, m.payload.toString()]));
  };

  it('clears what the last run left and this one does not publish; counts start at 0; HA online on the configured topic', async () => {
    const first = newLink({ cameras: ['front', 'back'] });
    first.setDiscovery([
      { name: 'front', labels: ['person'] },
      { name: 'back', labels: ['person'] },
    ]);
    await first.start();
    expect(await first.whenConnected(10_000)).toBe(true);
    first.setCount('front', 'person', 1);
    first.setCount('back', 'person', 2);
    first.setStatus('back', { state: 'streaming', reason: null, since: 1 });
    const id1 = first.bootId;
    await new Promise((r) => setTimeout(r, 300));
    await first.stop();
    const left = await retainedNow();
    expect(left.get(`${base}/front/person`)).toBe('1');
    expect(left.get('homeassistant/binary_sensor/ledger/back_person_occupancy/config')).toBeDefined();

    // The next run has only `front`, and says nothing about `back`.
    await new Promise((r) => setTimeout(r, 5)); // a new boot id
    const second = newLink({ cameras: ['front'] });
    second.setDiscovery([{ name: 'front', labels: ['person'] }]);
    second.initCount('front', 'person');
    const stale = second.sweepStale(() => false);
    expect(stale).toEqual(
      expect.arrayContaining([`${base}/back/person`, `${base}/back/status`, 'homeassistant/binary_sensor/ledger/back_person_occupancy/config']),
    );
    expect(stale.filter((t) => t.includes('front'))).toEqual([]);
    const ha = await Subscriber.connect(broker.url, ['homeassistant/#']);
    try {
      await second.start();
      expect(await second.whenConnected(10_000)).toBe(true);
      await new Promise((r) => setTimeout(r, 500));
      const now = await retainedNow();
      expect(now.get(`${base}/front/person`)).toBe('0');
      expect([...now.keys()].filter((t) => t.includes('back'))).toEqual([]);
      // HA says online on the configured status topic: discovery goes out again.
      const before = ha.messages.length;
      await ha.publish('ha-custom/status', 'online');
      await waitUntil('discovery republished', () =>
        ha.messages.slice(before).some((m) => m.topic.endsWith('front_person_occupancy/config') && m.payload.length > 0),
      );
      expect(second.bootId).not.toBe(id1);
    } finally {
      await ha.close();
      await second.stop();
    }

    // Discovery switched off: the next run clears every entity announced before.
    const third = newLink({ cameras: ['front'], discovery: { enabled: false } });
    third.setDiscovery([{ name: 'front', labels: ['person'] }]);
    third.initCount('front', 'person');
    third.sweepStale(() => false);
    await third.start();
    expect(await third.whenConnected(10_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    await third.stop();
    expect([...(await retainedNow()).keys()].filter((t) => t.startsWith('homeassistant/'))).toEqual([]);
  });
});
