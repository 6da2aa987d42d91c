// Issue 8, "Done when" 2, from the outside: the config file is edited and SIGHUP sent — a raised
// threshold visibly changes what is published, without a restart, and the applied config (its hash) is
// published retained on base/config; a broken file is refused with the key named in the log and on
// MQTT, and the old behaviour stays. The MQTT command {"reload": true} does the same and answers on
// base/set/result; malformed commands are answered ok:false and change nothing. Tracked labels and
// zones apply live too, and the counts of those that went away are cleared. Signals sent repeatedly
// and in odd order still end in one clean exit. One daemon runs all of it (each start is a model load).
import { Mosquitto } from '../../support/mosquitto';
import { Daemon, daemonTest, fileCamera, retainedSnapshot, sleep, waitFor, type Msg } from '../../support/daemon-harness';
import { loadConfig } from '../../../src/config';
import { schemaProblems } from '../../../src/mqtt';

interface ConfigState {
  ok: boolean;
  hash: string;
  problems: string[];
  file: string | null;
}
interface Result {
  ok: boolean;
  id?: string;
  error?: string;
  details?: { reload?: { hash?: string; changed?: boolean } };
}
interface Detections {
  frame: number;
  detections: { label: string; score: number; zones?: string[] }[];
}

const LOW = 0.3;
const HIGH = 0.8;

describe('lookout run: live reload and commands', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await Mosquitto.start();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  daemonTest('SIGHUP and {"reload": true} apply threshold, labels and zones live; a broken file is refused and the old config stays', async () => {
    const d = await Daemon.start({
      mqttUrl: broker.url,
      // vtest.avi's own pace (10 fps): the steps below wait for counts of frames.
      cameras: [fileCamera('front', { realtime: true, loop: true, max_fps: 10 })],
      config: { objects: { min_score: LOW } },
    });
    const rec = d.rec;
    const initial = d.config;
    const t = { config: d.topic('config'), detections: d.topic('front/detections'), set: d.topic('set'), result: d.topic('set/result') };
    /** The hash the daemon should publish for the file as it is now (same loader, no environment). */
    const expectedHash = (): string => loadConfig({ file: d.configPath, env: {} }).hash;
    const configStates = (): ConfigState[] => rec.json<ConfigState>(t.config);
    const after = (m: Msg | undefined): Detections[] =>
      m
        ? rec
            .on(t.detections)
            .filter((x) => x.index > m.index)
            .map((x) => JSON.parse(x.text) as Detections)
        : [];
    const scores = (list: Detections[]): number[] => list.flatMap((p) => p.detections.map((x) => x.score));
    /** Detections that arrived after `m`, skipping `skip` frames that may have been in flight. */
    const detectionsAfter = async (m: Msg, n: number, skip = 2): Promise<Detections[]> => {
      await d.waitFor(`${n + skip} detections messages after message #${m.index}`, () => after(m).length >= n + skip, 30_000);
      return after(m).slice(skip);
    };
    const command = async (payload: string): Promise<Result> => (await d.command<Result>('set', payload)).r;

    // Start: the applied config is published retained, and low scores get through.
    const hash0 = expectedHash();
    await d.waitFor('base/config with the initial hash', () => configStates().some((c) => c.ok && c.hash === hash0), 60_000);
    expect(
      configStates()
        .map((c) => schemaProblems('config', c))
        .filter(Boolean),
    ).toEqual([]);
    expect(rec.last(t.config)!.retain).toBe(true);
    await d.waitFor(
      '30 detections messages with some scores below 0.8',
      () => rec.count(t.detections) >= 30 && scores(rec.json<Detections>(t.detections)).some((s) => s < HIGH),
      60_000,
    );
    expect(Math.min(...scores(rec.json<Detections>(t.detections)))).toBeGreaterThanOrEqual(LOW);
    const framesBefore = rec.json<Detections>(t.detections).pop()!.frame;

    // 1. Raise the threshold in the file, SIGHUP: applied live.
    d.editConfig({ objects: { min_score: HIGH } });
    const hashHigh = expectedHash();
    expect(hashHigh).not.toBe(hash0);
    d.signal('SIGHUP');
    await d.waitFor('base/config with the new hash', () => configStates().some((c) => c.ok && c.hash === hashHigh), 20_000);
    const applied1 = rec.on(t.config).find((m) => (JSON.parse(m.text) as ConfigState).hash === hashHigh)!;
    const high = await detectionsAfter(applied1, 25);
    expect(scores(high).filter((s) => s < HIGH)).toEqual([]);
    expect(d.logsMatching(/config reloaded/).length).toBeGreaterThan(0);
    // No restart: the same process, frame numbers go on, availability never went offline.
    expect(d.running).toBe(true);
    expect(high[0].frame).toBeGreaterThan(framesBefore);
    expect(rec.texts(d.topic('availability'))).not.toContain('offline');

    const hash1 = hashHigh;

    // 2. A broken file: refused, the key is named (log and base/config), the running config stays.
    d.editConfig({ objects: { min_score: 7 } });
    d.signal('SIGHUP');
    await d.waitFor('base/config ok:false', () => configStates().some((c) => !c.ok), 20_000);
    const refusedMsg = rec.on(t.config).find((m) => !(JSON.parse(m.text) as ConfigState).ok)!;
    const refused = JSON.parse(refusedMsg.text) as ConfigState;
    expect(schemaProblems('config', refused)).toBeNull();
    expect(refused.hash).toBe(hash1); // what runs is still the last good config
    expect(refused.problems.join('\n')).toMatch(/objects\.min_score/);
    await d.waitFor(
      'an ERROR log line naming objects.min_score',
      () => d.logs.some((l) => (l.level ?? 0) >= 50 && JSON.stringify(l).includes('objects.min_score')),
      10_000,
    );
    const stillHigh = await detectionsAfter(refusedMsg, 15);
    expect(scores(stillHigh).filter((s) => s < HIGH)).toEqual([]);
    expect(d.running).toBe(true);
    // A consumer connecting now sees the refusal too (retained).
    const retained = await retainedSnapshot(broker.url, [t.config]);
    expect(JSON.parse(retained.get(t.config)?.text ?? '{}')).toMatchObject({ ok: false, hash: hash1 });

    // 3. The first file again, reload by MQTT command: answered ok with its hash, low scores come back.
    d.writeConfig(initial);
    expect(expectedHash()).toBe(hash0);
    const ok = await command(JSON.stringify({ reload: true, id: 'r1' }));
    expect(ok).toMatchObject({ ok: true, id: 'r1' });
    expect(ok.details?.reload?.hash).toBe(hash0);
    await d.waitFor(
      'base/config back to the first hash',
      () =>
        rec.last(t.config) !== undefined &&
        (JSON.parse(rec.last(t.config)!.text) as ConfigState).hash === hash0 &&
        (JSON.parse(rec.last(t.config)!.text) as ConfigState).ok,
      10_000,
    );
    const lastResult = rec.last(t.result)!;
    await d.waitFor('a score below 0.8 again', () => scores(after(lastResult)).some((s) => s < HIGH), 40_000);

    // 4. Reload by command with a broken file: ok:false naming the key.
    d.editConfig({ objects: { min_score: 7 } });
    const bad = await command(JSON.stringify({ reload: true, id: 'r2' }));
    expect(bad).toMatchObject({ ok: false, id: 'r2' });
    expect(bad.error).toMatch(/objects\.min_score/);

    // 5. Malformed commands: answered ok:false with a reason, nothing changes, the daemon goes on.
    for (const payload of ['this is not json', '[1,2,3]', JSON.stringify({ reload: 'yes', id: 'r3' }), JSON.stringify({ bogus: 1, id: 'r4' })]) {
      const answer = await command(payload);
      expect({ payload, ok: answer.ok }).toEqual({ payload, ok: false });
      expect(typeof answer.error).toBe('string');
      expect(answer.error!.length).toBeGreaterThan(0);
    }
    const lastAnswer = rec.last(t.result)!;
    await detectionsAfter(lastAnswer, 5);
    expect(d.running).toBe(true);
    expect(rec.texts(d.topic('availability'))).not.toContain('offline');

    // 6. Labels and zones apply live on SIGHUP; counts of labels and zones that went away are cleared.
    // (Same daemon: each start is a model load, and nothing above is left pending.)
    const countTopics = async (): Promise<string[]> => {
      const retained = await retainedSnapshot(broker.url, [d.topic('front/+'), d.topic('front/+/+')]);
      return [...retained.keys()].filter((k) => !/\/(status|snapshot|detections|timing|events|detect|min_score|motion)$/.test(k)).sort();
    };
    const appliedAfter = async (hash: string, since: Msg | undefined): Promise<Msg> => {
      const find = () =>
        rec
          .on(t.config)
          .find((m) => m.index > (since?.index ?? -1) && (JSON.parse(m.text) as ConfigState).ok && (JSON.parse(m.text) as ConfigState).hash === hash);
      await d.waitFor(`base/config with hash ${hash.slice(0, 8)}`, find, 30_000);
      return find()!;
    };
    await d.waitFor('a person count', () => rec.count(d.topic('front/person')) > 0, 30_000);
    expect(await countTopics()).toEqual(['bicycle', 'bird', 'bus', 'car', 'cat', 'dog', 'motorcycle', 'person', 'truck'].map((l) => d.topic(`front/${l}`)));
    // Track only people, in a zone over the whole frame.
    d.writeConfig(initial);
    const camera = (initial.cameras as Record<string, unknown>[])[0];
    d.editConfig({
      objects: { track: ['person'] },
      cameras: [
        {
          ...camera,
          zones: [
            {
              name: 'everywhere',
              polygon: [
                [0, 0],
                [1, 0],
                [1, 1],
                [0, 1],
              ],
            },
          ],
        },
      ],
    });
    const zoned = expectedHash();
    d.signal('SIGHUP');
    const appliedZoned = await appliedAfter(zoned, rec.last(t.config));
    const zonedDets = (await detectionsAfter(appliedZoned, 10)).flatMap((p) => p.detections);
    expect(zonedDets.length).toBeGreaterThan(0);
    expect(zonedDets.filter((x) => x.label !== 'person' || !x.zones?.includes('everywhere'))).toEqual([]);
    await d.waitFor('a count inside the zone', () => rec.count(d.topic('front/everywhere/person')) > 0, 20_000);
    const untracked = ['bicycle', 'bird', 'bus', 'car', 'cat', 'dog', 'motorcycle', 'truck'].map((l) => d.topic(`front/${l}`));
    await d.waitFor('the counts of labels no longer tracked cleared', () => untracked.every((u) => rec.on(u).some((m) => m.payload.length === 0)), 10_000);
    // docs/mqtt.md: an empty retained message on a count topic means the label was removed from the config.
    expect(await countTopics()).toEqual([d.topic('front/everywhere/person'), d.topic('front/person')]);
    // Back to the first file: the zone's count goes away.
    d.writeConfig(initial);
    d.signal('SIGHUP');
    await appliedAfter(hash0, appliedZoned);
    await d.waitFor(
      'the zone count cleared (an empty retained message)',
      () => rec.on(d.topic('front/everywhere/person')).some((m) => m.payload.length === 0),
      10_000,
    );
    expect(await countTopics()).not.toContain(d.topic('front/everywhere/person'));

    // 7. Odd signal order: SIGHUP twice (a good, changed file) then SIGTERM at once: one clean exit.
    d.editConfig({ objects: { min_score: 0.6 } });
    d.signal('SIGHUP');
    d.signal('SIGHUP');
    await sleep(50);
    d.signal('SIGTERM');
    const exit = await d.waitExit(15_000);
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.ms).toBeLessThan(5000);
    await waitFor('availability offline', () => rec.last(d.topic('availability'))?.text === 'offline', 5000);
  });

  daemonTest('signals at startup: SIGHUP then SIGTERM while still starting ends in exit 0 within 5 s', async () => {
    const d = await Daemon.start({
      mqttUrl: broker.url,
      cameras: [fileCamera('front', { realtime: true, loop: true, max_fps: 5 })],
    });
    // As soon as the daemon is handling signals (it has logged that it loaded its config and picked
    // the broker), before its model is warm and before the camera streams.
    await d.waitFor('the first log lines', () => d.logsMatching(/MQTT broker/).length > 0, 30_000);
    await sleep(200);
    d.signal('SIGHUP');
    d.signal('SIGTERM');
    const exit = await d.waitExit(15_000);
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.ms).toBeLessThan(5000);
  });
});
