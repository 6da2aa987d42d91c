import pino from 'pino';
import type { Frame } from '../../../src/capture';
import { Camera } from '../../../src/daemon/camera';
import { FramePublisher, type ProcessedFrame } from '../../../src/daemon/frame-publisher';
import type { EventInput } from '../../../src/mqtt';
import type { CameraRuntime, FrameOutcome } from '../../../src/pipeline/camera-runtime';
import { BestFrames } from '../../../src/snapshots/best-frames';
import type { TrackEvent, TrackFrameResult } from '../../../src/track';

/** What went out, in order, as one line each. */
function recordingLink() {
  const sent: string[] = [];
  const link = {
    publishDetections: (camera: string) => (sent.push(`detections ${camera}`), true),
    publishTiming: (camera: string) => (sent.push(`timing ${camera}`), true),
    publishEvent: (camera: string, e: EventInput) => (sent.push(`event ${camera} ${e.type} ${e.track_id} snapshot=${e.snapshot === true}`), 1),
    setCount: (camera: string, label: string, n: number, zone?: string) => (sent.push(`count ${camera} ${zone ? `${zone}/` : ''}${label}=${n}`), true),
    publishSnapshot: (camera: string, jpeg: Buffer) => (sent.push(`snapshot ${camera} ${jpeg.toString()}`), true),
  };
  return { sent, link };
}

/** An encoder whose JPEGs arrive when the test says so. */
function heldEncoder() {
  const waiting: { frameSeq: number; resolve: (b: Buffer) => void; reject: (e: Error) => void }[] = [];
  const encode = (frame: Frame) => new Promise<Buffer>((resolve, reject) => waiting.push({ frameSeq: frame.seq, resolve, reject }));
  return { waiting, encode };
}

const ev = (type: TrackEvent['type'], trackId: number, at: number): TrackEvent => ({
  type,
  track_id: trackId,
  label: 'person',
  class_id: 1,
  score: 0.9,
  box: [0.1, 0.1, 0.5, 0.9],
  zones: [],
  started_at: 1000,
  updated_at: at,
  last_seen_at: at,
  frames: 3,
  best: { score: 0.9, ts: at, box: [0.1, 0.1, 0.5, 0.9] },
  ...(type === 'end' ? { ended_at: at } : {}),
});

function outcome(seq: number, tracked: Partial<TrackFrameResult>, bestImproved = false): FrameOutcome {
  return {
    camera: 'front',
    frame: { camera: 'front', seq, ts: 1000 + seq, captureMs: 1, width: 2, height: 1, data: Buffer.from([seq, 0, 0, 0, 0, 0]) },
    model: 'ssdlite_mobilenet_v2_coco',
    result: { detections: [], preprocess_ms: 1, inference_ms: 10, roundtrip_ms: 11, postprocess_ms: 1 },
    tracked: {
      detections: [
        {
          label: 'person',
          class_id: 1,
          score: 0.5 + seq / 100,
          box: [0.1, 0.1, 0.5, 0.9],
          zones: [],
          track_id: 1,
          confirmed: true,
          best_improved: bestImproved,
        },
      ],
      events: [],
      counts: { byLabel: { person: 1 }, byZone: {} },
      countsChanged: false,
      ...tracked,
    },
    waitMs: 0,
    startedAt: performance.now(),
    dropped: 0,
  };
}

/** Lets queued promise callbacks run (the encoder is called from the camera's queue). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

function setup(o: { publish?: boolean } = {}) {
  const { sent, link } = recordingLink();
  const enc = heldEncoder();
  const saved: string[] = [];
  const cam = new Camera('front');
  cam.bestFrames = new BestFrames();
  cam.runtime = { current: { snapshots: true, trackedLabels: ['person', 'car'], zones: [{ name: 'drive' }] }, captureStats: null } as unknown as CameraRuntime;
  const frames: ProcessedFrame[] = [];
  const firsts: string[] = [];
  const publisher = new FramePublisher({
    link,
    metrics: { frame: () => undefined, detected: () => undefined, event: () => undefined },
    logger: pino({ level: 'silent' }),
    camera: (name) => (name === 'front' ? cam : undefined),
    snapshotConfig: () => ({ annotate: false, quality: 80, publish: o.publish ?? true }),
    store: () => ({ save: async (camera: string, trackId: number) => (saved.push(`${camera}-${trackId}`), `${camera}-${trackId}.jpg`) }),
    encode: enc.encode,
    onFirstFrame: (camera) => firsts.push(camera),
    onPublished: (f) => frames.push(f),
  });
  return { sent, enc, saved, cam, publisher, frames, firsts };
}

describe('FramePublisher', () => {
  it('publishes only the counts the config promises now: one a reload removed stays cleared', () => {
    const t = setup();
    const counts = {
      byLabel: { person: 1, dog: 1 },
      byZone: { drive: { person: 1 }, everywhere: { person: 1 } },
    };
    t.publisher.frame(outcome(1, { counts, countsChanged: true }));
    expect(t.sent.filter((m) => m.startsWith('count'))).toEqual(['count front person=1', 'count front drive/person=1']);
  });

  it('a start event waits for its JPEG, which goes out first; the frame itself does not wait', async () => {
    const t = setup();
    t.publisher.frame(outcome(1, {}, true));
    t.publisher.frame(outcome(2, { events: [ev('start', 1, 1002)], countsChanged: true }));
    // The best frame (seq 1) is being encoded: detections and timing of both frames are out already.
    expect(t.sent).toEqual(['detections front', 'timing front', 'detections front', 'timing front']);
    await settle();
    expect(t.enc.waiting.map((w) => w.frameSeq)).toEqual([1]);
    expect(t.frames).toHaveLength(2);
    expect(t.firsts).toEqual(['front']);
    t.enc.waiting[0].resolve(Buffer.from('jpeg1'));
    await t.publisher.idle();
    expect(t.sent.slice(4)).toEqual(['snapshot front jpeg1', 'event front start 1 snapshot=true', 'count front person=1']);
    expect(t.saved).toEqual(['front-1']);
  });

  it('later events of the camera queue behind a snapshot in progress, so the order holds', async () => {
    const t = setup();
    t.publisher.frame(outcome(1, {}, true));
    t.publisher.frame(outcome(2, { events: [ev('start', 1, 1002)] }));
    t.publisher.frame(outcome(3, { events: [ev('update', 1, 1003)] }));
    await settle();
    expect(t.sent.filter((l) => l.startsWith('event'))).toEqual([]);
    t.enc.waiting[0].resolve(Buffer.from('j'));
    await t.publisher.idle();
    expect(t.sent.filter((l) => l.startsWith('event'))).toEqual(['event front start 1 snapshot=true', 'event front update 1 snapshot=false']);
    // Nothing waits any more: the next event goes out with its frame.
    t.publisher.frame(outcome(4, { events: [ev('update', 1, 1004)] }));
    expect(t.sent.at(-2)).toBe('event front update 1 snapshot=false');
  });

  it('an encoder failure costs the snapshot, never the event', async () => {
    const t = setup();
    t.publisher.frame(outcome(1, { events: [ev('start', 1, 1001)] }, true));
    await settle();
    t.enc.waiting[0].reject(new Error('bad frame'));
    await t.publisher.idle();
    expect(t.sent).toContain('event front start 1 snapshot=false');
    expect(t.sent.some((l) => l.startsWith('snapshot'))).toBe(false);
    expect(t.saved).toEqual([]);
  });

  it('with publish off the JPEG is only saved, and the event says no snapshot went out', async () => {
    const t = setup({ publish: false });
    t.publisher.frame(outcome(1, { events: [ev('start', 1, 1001)] }, true));
    await settle();
    t.enc.waiting[0].resolve(Buffer.from('j'));
    await t.publisher.idle();
    expect(t.sent).toContain('event front start 1 snapshot=false');
    expect(t.saved).toEqual(['front-1']);
  });

  it('an end after a better frame shows that frame; tracks ended without a frame clear the best frames', async () => {
    const t = setup();
    t.publisher.frame(outcome(1, { events: [ev('start', 1, 1001)] }, true));
    await settle();
    t.enc.waiting[0].resolve(Buffer.from('first'));
    await t.publisher.idle();
    t.publisher.frame(outcome(5, {}, true));
    const out = t.publisher.tracksEnded({
      camera: 'front',
      tracked: { detections: [], events: [ev('end', 1, 1006)], counts: { byLabel: { person: 0 }, byZone: {} }, countsChanged: true },
    });
    await settle();
    expect(t.enc.waiting.map((w) => w.frameSeq)).toEqual([1, 5]);
    t.enc.waiting[1].resolve(Buffer.from('better'));
    // What tracksEnded returned settles once the snapshot is out: the camera's capture may close then.
    await out;
    expect(t.sent.slice(-3)).toEqual(['snapshot front better', 'event front end 1 snapshot=true', 'count front person=0']);
    expect(t.cam.bestFrames?.size).toBe(0);
  });
});
