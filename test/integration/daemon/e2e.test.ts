// Issue 7, "Done when" 1: `lookout run` as a child process on vtest.avi (pedestrians) against a real
// Mosquitto. Every processed frame gives a detections and a timing message (same frame numbers, both
// valid per schema); person tracks have stable ids and a sane lifecycle (start, updates, one end; every
// id ended by shutdown); per-label counts are retained; SIGTERM gives availability offline and exit 0
// within 5 s.
//
// The file is read with realtime: false, which capture delivers losslessly (every frame, as fast as
// decode and inference allow), so "every processed frame" means frame numbers without gaps. The
// daemon is stopped after a few hundred frames, while people are in view, so shutdown has live
// tracks to end.
import { Mosquitto } from '../../support/mosquitto';
import { Daemon, daemonTest, fileCamera, retainedSnapshot, trackLifecycleProblems, uniqueEvents, waitFor, type EventMsg } from '../../support/daemon-harness';
import { availabilityProblem, countProblem, schemaProblems } from '../../../src/mqtt';

interface Detection {
  label: string;
  class_id: number;
  score: number;
  box: number[];
  track_id?: number;
}
interface Detections {
  camera: string;
  frame: number;
  ts: number;
  width: number;
  height: number;
  model: string;
  detections: Detection[];
}
interface Timing {
  camera: string;
  frame: number;
}

const FRAMES_BEFORE_STOP = 200;

describe('lookout run end to end (vtest.avi, one camera)', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await Mosquitto.start();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  daemonTest('detections + timing per frame, person tracks, retained counts and status, stats, clean SIGTERM', async () => {
    const d = await Daemon.start({
      mqttUrl: broker.url,
      cameras: [fileCamera('front', { realtime: false, loop: false, max_fps: 120 })],
      // update events at most every 0.5 s, so tracks that last a few seconds get some.
      config: { tracker: { update_interval_s: 0.5 } },
    });
    const rec = d.rec;
    const t = {
      availability: d.topic('availability'),
      detections: d.topic('front/detections'),
      timing: d.topic('front/timing'),
      events: d.topic('front/events'),
      person: d.topic('front/person'),
      status: d.topic('front/status'),
      stats: d.topic('stats'),
    };

    await d.waitFor('availability online', () => rec.last(t.availability)?.text === 'online', 60_000);
    await d.waitFor(
      `${FRAMES_BEFORE_STOP} detections messages, a person track started and updated, and a stats message`,
      () =>
        rec.count(t.detections) >= FRAMES_BEFORE_STOP &&
        uniqueEvents(rec, t.events).some((e) => e.type === 'update' && e.label === 'person') &&
        rec.count(t.stats) >= 1,
      60_000,
    );

    // What a consumer connecting now gets from the broker: retained state.
    const retained = await retainedSnapshot(broker.url, [t.availability, t.person, t.status, t.stats]);
    expect(retained.get(t.availability)?.text).toBe('online');
    const count = retained.get(t.person);
    expect(count).toBeDefined();
    expect(countProblem(count!.text)).toBeNull();
    // The retained value is the latest one the daemon published (counts are sent only on change).
    const liveCounts = rec.on(t.person);
    expect(liveCounts.length).toBeGreaterThan(0);
    expect(liveCounts.every((m) => m.retain && m.qos === 1 && countProblem(m.text) === null)).toBe(true);
    const status = JSON.parse(retained.get(t.status)?.text ?? 'null') as { state: string } | null;
    expect(schemaProblems('status', status)).toBeNull();
    expect(status!.state).toBe('streaming');
    expect(schemaProblems('stats', JSON.parse(retained.get(t.stats)?.text ?? 'null'))).toBeNull();

    // Shutdown.
    expect(d.running).toBe(true);
    d.signal('SIGTERM');
    const exit = await d.waitExit(15_000);
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.ms).toBeLessThan(5000);
    // The last QoS 1 messages in flight to the recorder.
    await waitFor('availability offline', () => rec.last(t.availability)?.text === 'offline', 5000);

    // Availability: online while running, offline at the end, also retained.
    const avail = rec.texts(t.availability);
    expect(avail.map(availabilityProblem).filter(Boolean)).toEqual([]);
    expect(avail).toContain('online');
    expect(avail[avail.length - 1]).toBe('offline');
    const after = await retainedSnapshot(broker.url, [t.availability]);
    expect(after.get(t.availability)?.text).toBe('offline');

    // Detections and timing: valid, one of each per processed frame, no gaps (lossless file).
    const detMsgs = rec.on(t.detections);
    const timMsgs = rec.on(t.timing);
    expect(detMsgs.every((m) => !m.retain && m.qos === 0)).toBe(true);
    const dets = detMsgs.map((m) => JSON.parse(m.text) as Detections);
    const tims = timMsgs.map((m) => JSON.parse(m.text) as Timing);
    const detProblems = dets.map((p) => schemaProblems('detections', p)).filter(Boolean);
    const timProblems = tims.map((p) => schemaProblems('timing', p)).filter(Boolean);
    expect(detProblems.slice(0, 5)).toEqual([]);
    expect(timProblems.slice(0, 5)).toEqual([]);
    const detFrames = dets.map((p) => p.frame);
    const timFrames = tims.map((p) => p.frame);
    expect(detFrames.length).toBeGreaterThanOrEqual(FRAMES_BEFORE_STOP);
    const timSet = new Set(timFrames);
    const detSet = new Set(detFrames);
    const mismatch = {
      detectionsWithoutTiming: detFrames.filter((f) => !timSet.has(f)),
      timingWithoutDetections: timFrames.filter((f) => !detSet.has(f)),
    };
    if (mismatch.detectionsWithoutTiming.length || mismatch.timingWithoutDetections.length) {
      // The link's counters say whether it dropped per-frame messages (dropped_backpressure_qos0).
      const counters = rec.json<{ mqtt?: Record<string, unknown> }>(t.stats).pop()?.mqtt;
      throw new Error(`detections and timing differ in frame numbers: ${JSON.stringify(mismatch)}; link counters ${JSON.stringify(counters)}`);
    }
    expect(timFrames).toEqual(detFrames);
    for (let i = 1; i < detFrames.length; i++) {
      if (detFrames[i] !== detFrames[i - 1] + 1) {
        throw new Error(`detections frame numbers have a gap or go back: ... ${detFrames.slice(Math.max(0, i - 3), i + 3).join(', ')} ...`);
      }
    }
    expect(dets.every((p) => p.camera === 'front' && p.width === 768 && p.height === 576 && p.model === 'ssdlite_mobilenet_v2_coco')).toBe(true);
    expect(tims.every((p) => p.camera === 'front')).toBe(true);
    const timingByFrame = new Map(tims.map((p) => [p.frame, p]));
    expect(dets.every((p) => (timingByFrame.get(p.frame) as { ts?: number } | undefined)?.ts === p.ts)).toBe(true);
    const people = dets.flatMap((p) => p.detections).filter((x) => x.label === 'person');
    expect(people.length).toBeGreaterThan(FRAMES_BEFORE_STOP / 2);
    // Only tracked labels are published (default objects.track), each at least min_score 0.5.
    const tracked = new Set(['person', 'bicycle', 'car', 'motorcycle', 'bus', 'truck', 'cat', 'dog', 'bird']);
    const stray = dets.flatMap((p) => p.detections).filter((x) => !tracked.has(x.label) || x.score < 0.5);
    expect(stray.slice(0, 3)).toEqual([]);
    for (const p of dets) {
      const ids = p.detections.map((x) => x.track_id).filter((id) => id !== undefined);
      expect(new Set(ids).size).toBe(ids.length); // one box per track in a frame
    }

    // Events: valid, QoS 1, nothing lost (seq 1..n), lifecycle per track, every id ended at shutdown.
    const rawEvents = rec.on(t.events);
    expect(rawEvents.every((m) => m.qos === 1 && !m.retain)).toBe(true);
    expect(
      rawEvents
        .map((m) => schemaProblems('event', JSON.parse(m.text)))
        .filter(Boolean)
        .slice(0, 5),
    ).toEqual([]);
    const events = uniqueEvents(rec, t.events);
    const seqs = events.map((e) => e.seq).sort((a, b) => a - b);
    expect(seqs[0]).toBe(1);
    expect(seqs[seqs.length - 1]).toBe(seqs.length);
    expect(trackLifecycleProblems(events, true)).toEqual([]);
    const starts = events.filter((e) => e.type === 'start');
    expect(starts.some((e) => e.label === 'person')).toBe(true);
    expect(events.filter((e) => e.type === 'end').length).toBe(starts.length);
    expect(events.every((e) => e.camera === 'front')).toBe(true);

    // Stable ids: one label, one started_at, growing frame counts per track; ids are the ones that
    // detections carry, under the same label.
    const byTrack = new Map<number, EventMsg[]>();
    for (const e of [...events].sort((a, b) => a.seq - b.seq)) byTrack.set(e.track_id, [...(byTrack.get(e.track_id) ?? []), e]);
    const detLabelsById = new Map<number, Set<string>>();
    for (const x of dets.flatMap((p) => p.detections)) {
      if (x.track_id === undefined) continue;
      detLabelsById.set(x.track_id, (detLabelsById.get(x.track_id) ?? new Set()).add(x.label));
    }
    for (const [id, list] of byTrack) {
      expect({ id, labels: [...new Set(list.map((e) => e.label))] }).toEqual({ id, labels: [list[0].label] });
      expect({ id, started_at: [...new Set(list.map((e) => e.started_at))] }).toEqual({ id, started_at: [list[0].started_at] });
      const frames = list.map((e) => e.frames);
      expect({ id, frames }).toEqual({ id, frames: [...frames].sort((a, b) => a - b) });
      expect({ id, detLabels: [...(detLabelsById.get(id) ?? [])] }).toEqual({ id, detLabels: [list[0].label] });
      const end = list[list.length - 1];
      expect(typeof end.ended_at).toBe('number');
    }
    // A track seen in many frames keeps its id: some person id is carried by 10+ detections messages.
    const framesPerId = new Map<number, number>();
    for (const p of dets) for (const x of p.detections) if (x.track_id !== undefined) framesPerId.set(x.track_id, (framesPerId.get(x.track_id) ?? 0) + 1);
    expect(Math.max(0, ...framesPerId.values())).toBeGreaterThanOrEqual(10);

    // Status: valid; streaming was published retained with QoS 1.
    const statuses = rec.on(t.status);
    expect(statuses.every((m) => m.retain && m.qos === 1)).toBe(true);
    expect(statuses.map((m) => schemaProblems('status', JSON.parse(m.text))).filter(Boolean)).toEqual([]);
    expect(statuses.map((m) => (JSON.parse(m.text) as { state: string }).state)).toContain('streaming');

    // Stats: valid, retained, about this camera.
    const stats = rec.on(t.stats);
    expect(stats.every((m) => m.retain)).toBe(true);
    for (const m of stats) {
      const s = JSON.parse(m.text) as { cameras: Record<string, unknown> };
      expect(schemaProblems('stats', s)).toBeNull();
      expect(Object.keys(s.cameras)).toEqual(['front']);
    }

    // A clean run logs no errors.
    expect(d.logs.filter((l) => (l.level ?? 0) >= 50).map((l) => l.msg)).toEqual([]);
  });
});
