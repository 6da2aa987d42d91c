import { type Box, type TrackerInput, type TrackEvent, type TrackerOptions, Tracker } from '../../../src/track';

const FRAME_MS = 100;

function det(box: Box, label = 'person', score = 0.8, zones: string[] = []): TrackerInput {
  return { label, class_id: label === 'person' ? 1 : 3, score, box, zones };
}

/** A 0.1×0.2 box whose left edge is at x. */
function boxAt(x: number, y = 0.4, w = 0.1, h = 0.2): Box {
  return [x, y, x + w, y + h];
}

/** Runs frames through a tracker; returns per-frame results and all events. */
function run(tracker: Tracker, frames: TrackerInput[][], t0 = 1_000_000) {
  const results = frames.map((f, i) => tracker.update(t0 + i * FRAME_MS, f));
  return { results, events: results.flatMap((r) => r.events) };
}

function types(events: TrackEvent[]): string[] {
  return events.map((e) => `${e.type}:${e.track_id}`);
}

describe('Tracker ids', () => {
  test('an object moving across frames keeps its id', () => {
    const tracker = new Tracker();
    const frames = Array.from({ length: 30 }, (_, i) => [det(boxAt(0.05 + i * 0.02))]);
    const { results } = run(tracker, frames);
    const ids = new Set(results.map((r) => r.detections[0].track_id));
    expect(ids.size).toBe(1);
    expect(results[29].detections[0].confirmed).toBe(true);
  });

  test('two crossing objects keep their ids', () => {
    const tracker = new Tracker();
    // A moves right, B moves left at the same height; they overlap fully mid-way.
    const frames = Array.from({ length: 41 }, (_, i) => [det(boxAt(0.1 + i * 0.02)), det(boxAt(0.9 - i * 0.02))]);
    const { results } = run(tracker, frames);
    const idA = results[0].detections[0].track_id;
    const idB = results[0].detections[1].track_id;
    expect(idA).not.toBe(idB);
    // Frame 20 is the exact overlap (ambiguous by geometry); before and after, identities hold.
    for (const [i, r] of results.entries()) {
      if (i === 20) continue;
      expect([i, r.detections[0].track_id]).toEqual([i, idA]);
      expect([i, r.detections[1].track_id]).toEqual([i, idB]);
    }
  });

  test('matching is per label unless matchAcrossLabels', () => {
    const frames = [[det(boxAt(0.3), 'person')], [det(boxAt(0.3), 'dog')]];
    const strict = run(new Tracker(), frames).results;
    expect(strict[1].detections[0].track_id).not.toBe(strict[0].detections[0].track_id);
    const loose = run(new Tracker({ matchAcrossLabels: true }), frames).results;
    expect(loose[1].detections[0].track_id).toBe(loose[0].detections[0].track_id);
  });

  test('ids are never reused, also after endAll', () => {
    const tracker = new Tracker({ minHits: 1, maxMissed: 1, tentativeMaxMissed: 1 });
    const seen: number[] = [];
    for (let round = 0; round < 5; round++) {
      const r = tracker.update(1000 + round * 2 * FRAME_MS, [det(boxAt(0.2)), det(boxAt(0.6))]);
      seen.push(...r.detections.map((d) => d.track_id as number));
      tracker.endAll(1000 + (round * 2 + 1) * FRAME_MS);
    }
    expect(new Set(seen).size).toBe(seen.length);
  });

  test('a tracker that replaces another (camera restart) continues its ids', () => {
    const before = new Tracker({ minHits: 1 });
    const first = before.update(1000, [det(boxAt(0.2)), det(boxAt(0.6))]).detections.map((d) => d.track_id as number);
    const after = new Tracker({ minHits: 1 }, before.nextTrackId);
    const next = after.update(2000, [det(boxAt(0.2))]).detections.map((d) => d.track_id as number);
    expect(Math.min(...next)).toBeGreaterThan(Math.max(...first));
  });

  test('labels outside the tracked set pass through without an id', () => {
    const tracker = new Tracker({ labels: ['person'] });
    const r = tracker.update(1000, [det(boxAt(0.1), 'person'), det(boxAt(0.5), 'car')]);
    expect(r.detections[0].track_id).toBeDefined();
    expect(r.detections[1].track_id).toBeUndefined();
    expect(r.detections[1]).toMatchObject({ label: 'car', box: boxAt(0.5) });
  });

  test('same input gives the same output (deterministic)', () => {
    const frames = Array.from({ length: 20 }, (_, i) => [det(boxAt(0.1 + i * 0.01)), det(boxAt(0.12 + i * 0.01)), det(boxAt(0.6), 'car')]);
    const a = run(new Tracker({ minHits: 2 }), frames);
    const b = run(new Tracker({ minHits: 2 }), frames);
    expect(b.results).toEqual(a.results);
  });
});

describe('Tracker events', () => {
  test('start only after minHits frames; tentative tracks are not counted', () => {
    const tracker = new Tracker({ minHits: 3 });
    const { results } = run(tracker, [[det(boxAt(0.2))], [det(boxAt(0.21))], [det(boxAt(0.22))]]);
    expect(results[0].events).toEqual([]);
    expect(results[1].events).toEqual([]);
    expect(results[1].counts.byLabel.person ?? 0).toBe(0);
    expect(results[1].detections[0].confirmed).toBe(false);
    expect(results[2].events.map((e) => e.type)).toEqual(['start']);
    expect(results[2].events[0]).toMatchObject({ frames: 3, started_at: 1_000_000, updated_at: 1_000_200 });
    expect(results[2].counts.byLabel.person).toBe(1);
    expect(results[2].detections[0].confirmed).toBe(true);
  });

  test('a one-frame flicker never produces events or counts', () => {
    const tracker = new Tracker();
    const frames: TrackerInput[][] = [[det(boxAt(0.5), 'dog')], ...Array.from({ length: 15 }, () => [])];
    const { results, events } = run(tracker, frames);
    expect(events).toEqual([]);
    expect(results.every((r) => !r.countsChanged)).toBe(true);
    expect(tracker.size).toBe(0);
    expect(tracker.endAll(5_000_000).events).toEqual([]);
  });

  test('end after maxMissed consecutive missed frames', () => {
    const tracker = new Tracker({ minHits: 2, maxMissed: 4 });
    const seen = [[det(boxAt(0.3))], [det(boxAt(0.3))], [det(boxAt(0.3))]];
    const frames: TrackerInput[][] = [...seen, [], [], [det(boxAt(0.3))], [], [], [], [], []];
    const { results, events } = run(tracker, frames);
    // The sighting at frame 5 resets the miss count: the end comes 4 misses after it, at frame 9.
    expect(types(events)).toEqual(['start:1', 'end:1']);
    expect(results.findIndex((r) => r.events.some((e) => e.type === 'end'))).toBe(9);
    const end = events[1];
    expect(end).toMatchObject({ ended_at: 1_000_900, last_seen_at: 1_000_500, frames: 4 });
    expect(results[9].counts.byLabel.person).toBe(0);
    expect(results[9].countsChanged).toBe(true);
  });

  test('maxMissedMs ends a track on a slow frame rate before maxMissed frames', () => {
    const tracker = new Tracker({ minHits: 1, maxMissed: 100, maxMissedMs: 2000 });
    tracker.update(0, [det(boxAt(0.3))]);
    expect(tracker.update(1500, []).events).toEqual([]);
    expect(tracker.update(2500, []).events.map((e) => e.type)).toEqual(['end']);
  });

  test('endAll ends each started track exactly once and drops tentative ones', () => {
    const tracker = new Tracker({ minHits: 2 });
    run(tracker, [
      [det(boxAt(0.1)), det(boxAt(0.5)), det(boxAt(0.1, 0.0), 'car')],
      [det(boxAt(0.1)), det(boxAt(0.5)), det(boxAt(0.8), 'car')],
    ]);
    const r = tracker.endAll(2_000_000);
    expect(r.events.map((e) => [e.type, e.label, e.ended_at])).toEqual([
      ['end', 'person', 2_000_000],
      ['end', 'person', 2_000_000],
    ]);
    expect(new Set(r.events.map((e) => e.track_id)).size).toBe(2);
    expect(r.counts.byLabel).toEqual({ person: 0 });
    expect(r.countsChanged).toBe(true);
    expect(tracker.endAll(2_000_100).events).toEqual([]);
    expect(tracker.endAll(2_000_200).countsChanged).toBe(false);
  });

  test('update is throttled to the interval while nothing else changes', () => {
    const tracker = new Tracker({ minHits: 1, updateIntervalMs: 1000 });
    const frames = Array.from({ length: 36 }, () => [det(boxAt(0.3))]); // 3.5 s at 10 fps
    const { results, events } = run(tracker, frames);
    expect(events.map((e) => e.type)).toEqual(['start', 'update', 'update', 'update']);
    const updateFrames = results.flatMap((r, i) => (r.events.some((e) => e.type === 'update') ? [i] : []));
    expect(updateFrames).toEqual([10, 20, 30]);
  });

  test('a zone change gives an immediate update with entered and left zones', () => {
    const tracker = new Tracker({ minHits: 1, updateIntervalMs: 60_000 });
    const { results } = run(tracker, [
      [det(boxAt(0.3), 'person', 0.8, ['yard'])],
      [det(boxAt(0.31), 'person', 0.8, ['yard'])],
      [det(boxAt(0.32), 'person', 0.8, ['yard', 'driveway'])],
      [det(boxAt(0.33), 'person', 0.8, ['driveway'])],
      [det(boxAt(0.34), 'person', 0.8, ['driveway'])],
    ]);
    expect(results[1].events).toEqual([]);
    expect(results[2].events).toHaveLength(1);
    expect(results[2].events[0]).toMatchObject({
      type: 'update',
      zones: ['yard', 'driveway'],
      entered_zones: ['driveway'],
      left_zones: [],
    });
    expect(results[3].events[0]).toMatchObject({ type: 'update', entered_zones: [], left_zones: ['yard'] });
    expect(results[4].events).toEqual([]);
  });

  test('event stream invariants: start, then updates, then one end per id', () => {
    const tracker = new Tracker({ minHits: 2, maxMissed: 3, updateIntervalMs: 200 });
    const frames = Array.from({ length: 40 }, (_, i) => (i % 13 < 9 ? [det(boxAt(0.1 + (i % 13) * 0.02))] : []));
    const { events } = run(tracker, frames);
    events.push(...tracker.endAll(9_999_999).events);
    assertLifecycle(events);
    expect(events.filter((e) => e.type === 'start').length).toBeGreaterThanOrEqual(3);
  });
});

describe('Tracker counts', () => {
  test('per label and per zone, with countsChanged only on change', () => {
    const tracker = new Tracker({ minHits: 1, maxMissed: 1 });
    const r1 = tracker.update(0, [
      det(boxAt(0.1), 'person', 0.8, ['yard']),
      det(boxAt(0.4), 'person', 0.8, ['yard', 'door']),
      det(boxAt(0.7), 'car', 0.8, ['driveway']),
    ]);
    expect(r1.counts).toEqual({
      byLabel: { car: 1, person: 2 },
      byZone: { door: { person: 1 }, driveway: { car: 1 }, yard: { person: 2 } },
    });
    expect(r1.countsChanged).toBe(true);
    const r2 = tracker.update(100, [
      det(boxAt(0.1), 'person', 0.8, ['yard']),
      det(boxAt(0.4), 'person', 0.8, ['yard', 'door']),
      det(boxAt(0.7), 'car', 0.8, ['driveway']),
    ]);
    expect(r2.countsChanged).toBe(false);
    const r3 = tracker.update(200, [det(boxAt(0.1), 'person', 0.8, ['yard']), det(boxAt(0.7), 'car', 0.8, [])]);
    // The second person is missed (still alive, maxMissed 1 ends it now); the car left its zone.
    expect(r3.counts).toEqual({
      byLabel: { car: 1, person: 1 },
      byZone: { door: { person: 0 }, driveway: { car: 0 }, yard: { person: 1 } },
    });
    expect(r3.countsChanged).toBe(true);
    expect(tracker.counts()).toEqual(r3.counts);
  });

  test('configured labels are counted with 0 from the start', () => {
    const tracker = new Tracker({ labels: ['person', 'car'] });
    expect(tracker.counts()).toEqual({ byLabel: { car: 0, person: 0 }, byZone: {} });
    expect(tracker.update(0, []).countsChanged).toBe(false);
  });
});

describe('Tracker best frame', () => {
  test('best_improved marks each new best and events carry the best sighting', () => {
    const tracker = new Tracker({ minHits: 2, updateIntervalMs: 0 });
    const scores = [0.5, 0.7, 0.6, 0.9, 0.9, 0.4];
    const { results } = run(
      tracker,
      scores.map((s, i) => [det(boxAt(0.2 + i * 0.01), 'person', s)]),
    );
    expect(results.map((r) => r.detections[0].best_improved)).toEqual([true, true, false, true, false, false]);
    const last = results[5].events[0];
    expect(last.type).toBe('update');
    expect(last.score).toBe(0.9);
    expect(last.best).toEqual({ score: 0.9, ts: 1_000_300, box: boxAt(0.23) });
    expect(last.box).toEqual(boxAt(0.25));
  });
});

describe('Tracker motion prediction', () => {
  // A walker at 0.04/frame (box 0.1 wide) is occluded for 3 frames: it reappears 0.16 further on,
  // where its last box no longer overlaps enough. The constant-velocity prediction follows it.
  const frames: TrackerInput[][] = [];
  for (let i = 0; i < 14; i++) frames.push(i >= 6 && i < 9 ? [] : [det(boxAt(0.1 + i * 0.04))]);

  test('with prediction an occluded walker keeps its id', () => {
    const { results, events } = run(new Tracker(), frames);
    const ids = new Set(results.flatMap((r) => r.detections.map((d) => d.track_id)));
    expect(ids.size).toBe(1);
    expect(types(events)).toEqual(['start:1']);
  });

  test('a parked car detected again 30 s later keeps its id, whatever jitter its last two boxes had', () => {
    // Motion gating (issue 17): frames 200 ms apart while something moves, then one detection per
    // max_idle_s. A 0.001 jitter over 200 ms extrapolated over 30 s would move a 0.05-wide box 0.15 away.
    const car: Box = [0.946, 0.083, 1.0, 0.167];
    const jittered: Box = [0.947, 0.082, 1.0, 0.167];
    const tracker = new Tracker();
    const t0 = 1_000_000;
    for (let i = 0; i < 5; i++) tracker.update(t0 + i * 200, [det(car, 'car')]);
    const id = tracker.update(t0 + 1000, [det(jittered, 'car')]).detections[0].track_id;
    const later = tracker.update(t0 + 31_000, [det(car, 'car')]);
    expect(later.detections[0].track_id).toBe(id);
    expect(later.events.filter((e) => e.type !== 'update')).toEqual([]);
  });

  test('without prediction the same walker is split in two tracks', () => {
    const { results } = run(new Tracker({ predictMotion: false }), frames);
    const ids = new Set(results.flatMap((r) => r.detections.map((d) => d.track_id)));
    expect(ids.size).toBe(2);
  });
});

describe('Tracker options', () => {
  test.each<[TrackerOptions, RegExp]>([
    [{ iouThreshold: 0 }, /iouThreshold 0/],
    [{ minHits: 0 }, /minHits 0/],
    [{ maxMissed: 1.5 }, /maxMissed 1.5/],
    [{ velocitySmoothing: 2 }, /velocitySmoothing 2/],
  ])('rejects %j', (opts, message) => {
    expect(() => new Tracker(opts)).toThrow(message);
  });

  test('reconfigure keeps live tracks and ids', () => {
    const tracker = new Tracker({ minHits: 1 });
    const id = tracker.update(0, [det(boxAt(0.2))]).detections[0].track_id;
    tracker.reconfigure({ minHits: 1, iouThreshold: 0.5 });
    const r = tracker.update(100, [det(boxAt(0.2))]);
    expect(r.detections[0].track_id).toBe(id);
    expect(r.events).toEqual([]);
    expect(() => tracker.reconfigure({ iouThreshold: 2 })).toThrow(/iouThreshold/);
    expect(tracker.options.iouThreshold).toBe(0.5);
  });

  test('a label or zone taken out by reconfigure leaves the counts, even while a track of it lives', () => {
    const tracker = new Tracker({ minHits: 1, labels: ['person', 'car'], zones: ['drive', 'lawn'] });
    const r1 = tracker.update(0, [det(boxAt(0.2), 'person', 0.8, ['drive']), det(boxAt(0.6), 'car', 0.8, ['drive', 'lawn'])]);
    expect(r1.counts).toEqual({ byLabel: { car: 1, person: 1 }, byZone: { drive: { car: 1, person: 1 }, lawn: { car: 1 } } });
    tracker.reconfigure({ minHits: 1, labels: ['person'], zones: ['drive'] });
    const r2 = tracker.update(100, [det(boxAt(0.2), 'person', 0.8, ['drive']), det(boxAt(0.6), 'car', 0.8, ['drive', 'lawn'])]);
    expect(r2.counts).toEqual({ byLabel: { person: 1 }, byZone: { drive: { person: 1 } } });
    expect(r2.countsChanged).toBe(true);
  });

  test('zones not listed are not counted', () => {
    const tracker = new Tracker({ minHits: 1, zones: ['drive'] });
    const r = tracker.update(0, [det(boxAt(0.2), 'person', 0.8, ['drive', 'street'])]);
    expect(r.counts.byZone).toEqual({ drive: { person: 1 } });
  });
});

/** Seeded PRNG (mulberry32) so the "realistic" sequence is the same on every run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function assertLifecycle(events: TrackEvent[]): void {
  const state = new Map<number, 'started' | 'ended'>();
  for (const e of events) {
    const s = state.get(e.track_id);
    if (e.type === 'start') {
      expect([e.track_id, s]).toEqual([e.track_id, undefined]);
      state.set(e.track_id, 'started');
    } else {
      expect([e.track_id, e.type, s]).toEqual([e.track_id, e.type, 'started']);
      if (e.type === 'end') state.set(e.track_id, 'ended');
    }
  }
  expect([...state.values()].every((s) => s === 'ended')).toBe(true);
}

describe('Tracker on a realistic sequence', () => {
  test('three walking pedestrians with jitter, misses and false positives', () => {
    const rand = mulberry32(20261126);
    const gauss = () => (rand() + rand() + rand() - 1.5) * 0.6; // ~N(0, 0.3²)
    const walkers = [
      { x: 0.05, y: 0.3, vx: 0.006, vy: 0.001, w: 0.08, h: 0.25 },
      { x: 0.85, y: 0.5, vx: -0.007, vy: -0.001, w: 0.09, h: 0.28 },
      { x: 0.4, y: 0.05, vx: 0.0, vy: 0.005, w: 0.07, h: 0.22 },
    ];
    const tracker = new Tracker();
    const events: TrackEvent[] = [];
    const idsPerWalker: Array<Array<number | undefined>> = walkers.map(() => []);
    const FRAMES = 120;
    for (let f = 0; f < FRAMES; f++) {
      const frame: TrackerInput[] = [];
      const owner: number[] = [];
      walkers.forEach((p, k) => {
        const x = p.x + p.vx * f;
        const y = p.y + p.vy * f;
        if (rand() < 0.12) return; // missed by the detector
        const j = 0.006;
        const box: Box = [x + gauss() * j, y + gauss() * j, x + p.w + gauss() * j, y + p.h + gauss() * j];
        frame.push(det(box, 'person', 0.55 + rand() * 0.4));
        owner.push(k);
      });
      if (rand() < 0.05) {
        const x = rand() * 0.9;
        frame.push(det([x, 0.8, x + 0.05, 0.95], 'person', 0.5)); // one-frame false positive
        owner.push(-1);
      }
      const r = tracker.update(f * FRAME_MS, frame);
      events.push(...r.events);
      r.detections.forEach((d, i) => {
        if (owner[i] >= 0) idsPerWalker[owner[i]].push(d.track_id);
      });
      const confirmedNow = r.detections.filter((d) => d.confirmed).length;
      expect(r.counts.byLabel.person ?? 0).toBeGreaterThanOrEqual(confirmedNow);
    }
    events.push(...tracker.endAll(FRAMES * FRAME_MS).events);

    assertLifecycle(events);
    const started = new Set(events.filter((e) => e.type === 'start').map((e) => e.track_id));
    expect(started.size).toBeGreaterThanOrEqual(3);
    expect(started.size).toBeLessThanOrEqual(4);
    for (const ids of idsPerWalker) {
      // The walker's most common id should cover the vast majority of its sightings.
      const tally = new Map<number | undefined, number>();
      for (const id of ids) tally.set(id, (tally.get(id) ?? 0) + 1);
      const top = Math.max(...tally.values());
      expect(top / ids.length).toBeGreaterThan(0.9);
    }
  });
});
