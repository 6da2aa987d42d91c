// Issue 12 from the outside: retained state stays true through an unclean exit, a restart with a
// smaller config and discovery switched off; the reload paths that wedged or crashed (a reload that
// failed part-way, SIGHUP while the daemon is still starting, a reload + command on a camera the reload
// removes, a snapshot command with snapshots off, READY=1 sent by a reload before any camera streamed).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Mosquitto } from '../../support/mosquitto';
import { bindNotifySocket } from '../../support/notify-socket';
import { Daemon, daemonTest, fileCamera, gstCamera, retainedSnapshot, type Msg } from '../../support/daemon-harness';
import { loadConfig } from '../../../src/config';
import { renderHa } from '../../support/ha-templates';

interface ConfigState {
  ok: boolean;
  hash: string;
  problems: string[];
}
interface Result {
  ok: boolean;
  error?: string;
}

const MISSING = '/nonexistent/lookout-test/none.avi';

describe('lookout run: retained state stays true', () => {
  let broker: Mosquitto;
  let shared: string;
  beforeAll(async () => {
    broker = await Mosquitto.start();
    shared = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-state-'));
  });
  afterAll(async () => {
    await broker?.stop();
    fs.rmSync(shared, { recursive: true, force: true });
  });

  daemonTest('SIGKILL while a count is 1: the next start publishes 0; what left the config (camera, discovery) is cleared', async () => {
    const deviceId = `st${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    const base = `lookout/${deviceId}`;
    const prefix = `ha${deviceId}`;
    const filters = [`${base}/#`, `${prefix}/#`];
    const config = { state_dir: path.join(shared, 'state'), homeassistant: { discovery: true, prefix }, tracker: { min_hits: 2 } };
    const retained = () => retainedSnapshot(broker.url, filters);

    // 1. People walk through vtest.avi; a second camera that cannot open (cheap) is configured too.
    const d1 = await Daemon.start({
      mqttUrl: broker.url,
      deviceId,
      filters,
      cameras: [fileCamera('front', { realtime: true, loop: true, max_fps: 5 }), fileCamera('side', { path: MISSING })],
      config,
    });
    const person = d1.topic('front/person');
    await d1.waitFor('a retained person count of 1 or more', () => d1.rec.on(person).some((m) => m.retain && Number(m.text) >= 1), 60_000);
    d1.signal('SIGKILL');
    await d1.waitExit(10_000);
    const left = await retained();
    expect(Number(left.get(person)?.text)).toBeGreaterThanOrEqual(1); // the stale value a crash leaves
    expect([...left.keys()].filter((t) => t.startsWith(`${prefix}/`) && t.includes('side')).length).toBeGreaterThan(0);
    expect(left.get(`${base}/side/status`)).toBeDefined();

    // 2. Restart on a scene without people, without the camera `side`: person = 0 right after online.
    const d2 = await Daemon.start({ mqttUrl: broker.url, deviceId, filters, cameras: [gstCamera('front')], config });
    // The broker holds `offline` (the will fired at the kill): the first `online` is the new process's.
    const onlineAt = (): Msg | undefined => d2.rec.on(d2.topic('availability')).find((m) => m.text === 'online');
    await d2.waitFor('online', () => onlineAt() !== undefined, 60_000);
    expect(Number(d2.rec.on(person)[0]?.text)).toBeGreaterThanOrEqual(1); // the broker still held the stale count
    await d2.waitFor('person count 0 after online', () => d2.rec.on(person).some((m) => m.text === '0' && m.index > onlineAt()!.index), 10_000);
    await d2.waitFor('side status cleared', () => d2.rec.on(`${base}/side/status`).some((m) => m.payload.length === 0), 10_000);
    const after2 = await retained();
    expect(after2.get(person)?.text).toBe('0');
    expect([...after2.keys()].filter((t) => t.includes('/side'))).toEqual([]);
    const discovery2 = [...after2.keys()].filter((t) => t.startsWith(`${prefix}/`));
    expect(discovery2.length).toBeGreaterThan(0);
    // Every template Home Assistant was given renders on every message its topic carried in this run.
    await d2.waitFor('stats with the camera', () => d2.rec.on(d2.topic('stats')).some((m) => m.text.includes('"front"')), 20_000);
    const failures: string[] = [];
    for (const t of discovery2) {
      const c = JSON.parse(after2.get(t)!.text) as Record<string, unknown>;
      const templates: [string, string][] = [
        ...(c.availability as { topic: string; value_template?: string }[])
          .filter((a) => a.value_template)
          .map((a): [string, string] => [a.topic, a.value_template!]),
        ...(typeof c.value_template === 'string' ? [[c.state_topic as string, c.value_template] as [string, string]] : []),
      ];
      for (const [topic, template] of templates) {
        for (const m of d2.rec.on(topic)) {
          try {
            renderHa(template, m.text);
          } catch (e) {
            failures.push(`${t}: ${template} on ${m.text.slice(0, 80)}: ${(e as Error).message}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
    d2.signal('SIGTERM');
    expect(await d2.waitExit(15_000)).toMatchObject({ code: 0, signal: null });

    // 3. Discovery switched off: what was announced is removed. (This run also checks READY=1: its
    // camera never streams, and a reload must not say READY=1 before one does.)
    const sock = await bindNotifySocket();
    try {
      const d3 = await Daemon.start({
        mqttUrl: broker.url,
        deviceId,
        filters,
        cameras: [fileCamera('front', { path: MISSING })],
        config: { ...config, homeassistant: { discovery: false, prefix } },
        env: { NOTIFY_SOCKET: sock.path },
      });
      await d3.waitFor('lookout running', () => d3.logsMatching(/lookout running/).length > 0, 60_000);
      await d3.waitFor('discovery cleared', () => discovery2.every((t) => d3.rec.on(t).some((m) => m.payload.length === 0)), 10_000);
      expect([...(await retained()).keys()].filter((t) => t.startsWith(`${prefix}/`))).toEqual([]);
      d3.signal('SIGHUP');
      await d3.waitFor('the reload', () => d3.logsMatching(/config unchanged/).length > 0, 20_000);
      await new Promise((r) => setTimeout(r, 300));
      expect(sock.assignments().filter((a) => a === 'READY=1' || a === 'RELOADING=1')).toEqual([]);
      d3.signal('SIGTERM');
      expect(await d3.waitExit(15_000)).toMatchObject({ code: 0, signal: null });
    } finally {
      await sock.close();
    }
  });

  daemonTest('reloads: a failed one does not wedge the next; reload + command on a removed camera; snapshot with snapshots off', async () => {
    const d = await Daemon.start({
      mqttUrl: broker.url,
      cameras: [fileCamera('front', { realtime: true, loop: true, max_fps: 5 }), fileCamera('back', { path: MISSING })],
      config: { snapshots: { enabled: false } },
    });
    const rec = d.rec;
    const states = () => rec.json<ConfigState>(d.topic('config'));
    const hash = () => loadConfig({ file: d.configPath, env: {} }).hash;
    await d.waitFor('10 detections', () => rec.count(d.topic('front/detections')) >= 10, 60_000);

    // With snapshots off, a snapshot command is refused and writes nothing.
    const snap = await d.command<Result>('front/set', { snapshot: true });
    expect(snap.r.ok).toBe(false);
    expect(snap.r.error).toMatch(/snapshots are off/);
    expect(fs.existsSync(path.join(d.dir, 'state', 'snapshots'))).toBe(false);

    // A reload that fails (tracker.min_hits 0 made the tracker throw mid-reload) ...
    d.editConfig({ tracker: { min_hits: 0 } });
    d.signal('SIGHUP');
    await d.waitFor('base/config ok:false', () => states().some((c) => !c.ok), 20_000);
    expect(
      states()
        .find((c) => !c.ok)!
        .problems.join('\n'),
    ).toMatch(/tracker\.min_hits/);
    // ... and then a good one: it runs and applies.
    d.editConfig({ tracker: { min_hits: 3 }, objects: { min_score: 0.6 } });
    const good = hash();
    d.signal('SIGHUP');
    await d.waitFor('base/config ok with the new hash', () => states().some((c) => c.ok && c.hash === good), 20_000);

    // A camera restarted by a reload (its max_fps changed) goes on with new track ids, never reused ones.
    const events = () => rec.json<{ type: string; track_id: number; event_id: string }>(d.topic('front/events'));
    await d.waitFor('a track start', () => events().some((e) => e.type === 'start'), 60_000);
    const beforeRestart = hash();
    d.editConfig({ cameras: [{ ...(d.config.cameras as Record<string, unknown>[])[0], max_fps: 4 }, (d.config.cameras as unknown[])[1]] });
    const expectRestart = loadConfig({ file: d.configPath, env: {} }).hash;
    expect(expectRestart).not.toBe(beforeRestart);
    const seenBefore = events().length;
    const highest = Math.max(...events().map((e) => e.track_id));
    d.signal('SIGHUP');
    await d.waitFor('the restart applied', () => states().some((c) => c.ok && c.hash === expectRestart), 20_000);
    await d.waitFor(
      'a track start after the restart',
      () =>
        events()
          .slice(seenBefore)
          .some((e) => e.type === 'start'),
      60_000,
    );
    const fresh = events()
      .slice(seenBefore)
      .filter((e) => e.type === 'start');
    expect(fresh.filter((e) => e.track_id <= highest)).toEqual([]);
    expect(
      new Set(
        events()
          .filter((e) => e.type === 'start')
          .map((e) => e.event_id),
      ).size,
    ).toBe(events().filter((e) => e.type === 'start').length);

    // A reload that removes `back`, sent with a score for `back`: refused as such, not a crash.
    d.editConfig({ cameras: [(d.config.cameras as unknown[])[0]] });
    const removed = await d.command<Result>('back/set', { reload: true, min_score: 0.7 });
    expect(removed.r.ok).toBe(false);
    expect(removed.r.error).toMatch(/camera back is not running after the reload/);
    await d.waitFor('back status cleared', () => rec.on(d.topic('back/status')).some((m) => m.payload.length === 0), 10_000);
    const last = rec.last(d.topic('front/detections'))!;
    await d.waitFor('front goes on', () => rec.on(d.topic('front/detections')).some((m) => m.index > last.index), 20_000);
    expect(d.logsMatching(/unhandled promise rejection/)).toEqual([]);
    d.signal('SIGTERM');
    expect(await d.waitExit(15_000)).toMatchObject({ code: 0, signal: null });
  });
});
