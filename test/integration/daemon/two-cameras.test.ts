// Issue 7, "Done when" 2: two cameras are both served (a video file and a GStreamer videotestsrc
// pipeline, the code path of CSI cameras), and a camera that never opens leaves the other publishing
// while its own status says why, and the daemon stays up. Also issue 7's "Bad input": a snapshot folder
// that cannot be written costs the snapshots only. One daemon shows all of it (each start is a model
// load).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from '@jest/globals'; // its asymmetric matchers are typed (the global's are `any`)
import { Mosquitto, freePort } from '../../support/mosquitto';
import { Daemon, daemonTest, fileCamera, gstCamera, sleep, videotestsrcPipeline } from '../../support/daemon-harness';
import { schemaProblems } from '../../../src/mqtt';

interface Status {
  state: string;
  reason: string | null;
  since: number;
}

describe('lookout run with two cameras', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await Mosquitto.start();
  });
  const afterThis: (() => void)[] = [];
  afterEach(() => {
    for (const f of afterThis.splice(0)) f();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  daemonTest('a file and a videotestsrc are served (MQTT, /metrics, /healthz); a missing camera and unwritable snapshots cost only themselves', async () => {
    const httpPort = await freePort();
    // state_dir below a regular file: no snapshot can ever be written there (not even by root).
    const blocker = path.join(os.tmpdir(), `lookout-not-a-dir-${process.pid}-${Date.now()}`);
    fs.writeFileSync(blocker, 'a file, not a folder\n');
    afterThis.push(() => fs.rmSync(blocker, { force: true }));
    const missing = '/nonexistent/lookout-test/no-such-video.avi';
    const d = await Daemon.start({
      mqttUrl: broker.url,
      cameras: [
        fileCamera('front', { realtime: true, loop: true, max_fps: 5 }),
        gstCamera('pattern', videotestsrcPipeline(320, 240, 10), { max_fps: 5 }),
        fileCamera('broken', { path: missing, realtime: true, loop: true, max_fps: 5 }),
      ],
      config: {
        state_dir: path.join(blocker, 'state'),
        http: { enabled: true, host: '127.0.0.1', port: httpPort },
        capture: { reconnect_initial_ms: 500, reconnect_max_ms: 2000 },
      },
    });
    const rec = d.rec;
    const cams = ['front', 'pattern'] as const;
    await d.waitFor(
      'detections from both cameras (5 each) and stats listing both',
      () =>
        cams.every((c) => rec.count(d.topic(`${c}/detections`)) >= 5 && rec.count(d.topic(`${c}/timing`)) >= 5) &&
        rec.json<{ cameras: Record<string, unknown> }>(d.topic('stats')).some((s) => 'front' in s.cameras && 'pattern' in s.cameras),
      60_000,
    );

    for (const c of cams) {
      const dets = rec.json<{ camera: string; width: number; height: number }>(d.topic(`${c}/detections`));
      expect(dets.map((p) => schemaProblems('detections', p)).filter(Boolean)).toEqual([]);
      expect(dets.every((p) => p.camera === c)).toBe(true);
      expect(
        rec
          .json(d.topic(`${c}/timing`))
          .map((p) => schemaProblems('timing', p))
          .filter(Boolean),
      ).toEqual([]);
      const states = rec.json<Status>(d.topic(`${c}/status`)).map((s) => s.state);
      expect({ camera: c, states }).toEqual({ camera: c, states: expect.arrayContaining(['streaming']) });
    }
    // Frame sizes are each camera's own.
    expect(rec.json<{ width: number; height: number }>(d.topic('front/detections'))[0]).toMatchObject({ width: 768, height: 576 });
    expect(rec.json<{ width: number; height: number }>(d.topic('pattern/detections'))[0]).toMatchObject({ width: 320, height: 240 });
    // The localhost HTTP endpoints: healthy, and frames counted per camera.
    const health = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
    expect(health.status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    for (const c of cams) expect(metrics).toMatch(new RegExp(`lookout_frames_processed_total\\{[^}]*camera="${c}"[^}]*\\} [1-9]`));
    // vtest.avi has people.
    expect(rec.json<{ detections: { label: string }[] }>(d.topic('front/detections')).some((p) => p.detections.some((x) => x.label === 'person'))).toBe(true);
    // Prometheus conventions: detections counted per label, Node's standard metrics unprefixed.
    expect(metrics).toMatch(/^lookout_detections_total\{camera="front",label="person"\} [1-9]/m);
    expect(metrics).toMatch(/^process_cpu_seconds_total /m);
    expect(metrics).toMatch(/^lookout_build_info\{version="[^"]+"/m);

    // The camera that never opens: its status says why, retained; the others go on; the daemon stays up.
    const brokenStatus = d.topic('broken/status');
    const failing = (): Status | undefined => rec.json<Status>(brokenStatus).find((s) => s.state === 'error' || s.state === 'reconnecting');
    await d.waitFor('status error/reconnecting of the broken camera', () => failing() !== undefined, 60_000);
    const status = failing()!;
    expect(
      rec
        .json(brokenStatus)
        .map((s) => schemaProblems('status', s))
        .filter(Boolean),
    ).toEqual([]);
    expect(typeof status.reason).toBe('string');
    // The reason tells a user what is wrong: the file is missing (by its path or in words).
    expect(status.reason).toMatch(/no-such-video\.avi|not found|no such file|does not exist|cannot open/i);
    expect(rec.last(brokenStatus)?.retain).toBe(true);

    // The unwritable snapshot folder: people are tracked, the log says why no snapshot file is written.
    await d.waitFor(
      'two person tracks started',
      () => rec.json<{ type: string; label: string }>(d.topic('front/events')).filter((e) => e.type === 'start' && e.label === 'person').length >= 2,
      30_000,
    );
    await d.waitFor('a warning about the snapshot folder', () => d.problems().some((l) => /snapshot/i.test(JSON.stringify(l))), 20_000);

    // The good camera keeps publishing after the broken one has failed (and retried) for a while and
    // the first snapshot writes failed.
    const before = rec.count(d.topic('front/detections'));
    await d.waitFor('15 more detections from the good camera', () => rec.count(d.topic('front/detections')) >= before + 15, 30_000);
    const events = rec.json<{ snapshot?: boolean }>(d.topic('front/events'));
    expect(events.map((e) => schemaProblems('event', e)).filter(Boolean)).toEqual([]);
    // The disk is one place for snapshots; the MQTT topic is another, and it still gets them. An event
    // says snapshot: true only when a JPEG went out on base/<camera>/snapshot.
    const jpegs = rec.on(d.topic('front/snapshot'));
    expect(jpegs.length).toBeGreaterThan(0);
    expect(events.some((e) => e.snapshot === true)).toBe(true);
    for (const m of jpegs) expect(m.payload.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    // A missing camera and unwritable snapshots are warnings, never errors.
    expect(d.logs.filter((l) => (l.level ?? 0) >= 50).map((l) => l.msg)).toEqual([]);
    expect(rec.count(d.topic('broken/detections'))).toBe(0);
    const last = rec.json<Status>(brokenStatus).pop()!;
    expect(['error', 'reconnecting']).toContain(last.state);
    expect(rec.json<Status>(d.topic('front/status')).pop()?.state).toBe('streaming');
    // Stats know about both, with the broken one not streaming.
    await d.waitFor(
      'stats with both cameras',
      () => rec.json<{ cameras: Record<string, { status: string }> }>(d.topic('stats')).some((s) => s.cameras.broken && s.cameras.front),
      10_000,
    );
    const stats = rec
      .json<{ cameras: Record<string, { status: string }> }>(d.topic('stats'))
      .filter((s) => s.cameras.broken)
      .pop()!;
    expect(schemaProblems('stats', stats)).toBeNull();
    expect(stats.cameras.broken.status).not.toBe('streaming');
    expect(d.running).toBe(true);
    expect(rec.last(d.topic('availability'))?.text).toBe('online');

    // Twice SIGTERM (an impatient operator): still one clean exit.
    d.signal('SIGTERM');
    await sleep(100);
    if (d.running) d.signal('SIGTERM');
    const exit = await d.waitExit(15_000);
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.at - d.signalsSent[0].at).toBeLessThan(5000);
    expect(rec.last(d.topic('availability'))?.text).toBe('offline');
  });
});
