// Motion gating through a camera's loop (CameraRuntime) with a capture double that answers as the
// capture process does: a frame in which nothing moves comes header-only (`skipped`) when the loop
// asked with gating on. What a user notices: on a still scene the model runs once and then only every
// max_idle_s, while a track is alive it runs on every frame, and the motion state goes ON and OFF.
import { EventEmitter } from 'node:events';
import type { Frame } from '../../../src/capture';
import { loadConfig } from '../../../src/config';
import type { Detection, DetectResult } from '../../../src/detect';
import { silentLogger } from '../../../src/log';
import { CameraRuntime, type CaptureSource, type FrameDetector, type SkippedFrame } from '../../../src/pipeline/camera-runtime';
import { cameraSettings } from '../../../src/pipeline/camera-settings';
import { FairGate } from '../../../src/pipeline/fair-gate';

/** Hands over one frame per request; `moving` says whether anything moves in the next ones. */
class GatedCapture extends EventEmitter implements CaptureSource {
  moving = false;
  gated: boolean[] = [];
  private seq = 0;
  private gateOn = false;
  start(): void {}
  async stop(): Promise<void> {}
  stats() {
    return { state: 'streaming' as const, captured: this.seq, delivered: this.seq, dropped: 0, reconnects: 0 };
  }
  gateOnMotion(on: boolean): void {
    this.gateOn = on;
  }
  async nextFrame(): Promise<Frame> {
    await new Promise((resolve) => setImmediate(resolve));
    this.seq++;
    this.gated.push(this.gateOn);
    const motion = {
      moving: this.moving,
      area: this.moving ? 0.02 : 0,
      regions: this.moving ? [[0.1, 0.1, 0.3, 0.5] as [number, number, number, number]] : [],
    };
    const base = { camera: 'porch', seq: this.seq, ts: now, captureMs: 1, width: 4, height: 4, motion };
    // A skipped frame carries no pixels (the capture process sent only its header).
    return !this.moving && this.gateOn ? { ...base, skipped: 'no-motion', data: Buffer.alloc(0) } : { ...base, data: Buffer.alloc(48) };
  }
}

let now = 1_000_000;
const person: Detection = { label: 'person', class_id: 1, score: 0.9, box: [0.1, 0.1, 0.5, 0.9], zones: [] };

function setup(found: () => Detection[]) {
  const config = loadConfig({ env: {} }).config;
  config.tracker.min_hits = 1;
  config.tracker.max_missed = 2;
  const settings = cameraSettings({ name: 'porch', source: { type: 'v4l2', device: 0 }, max_fps: 1000, motion: { max_idle_s: 30, off_delay_s: 5 } }, config);
  const capture = new GatedCapture();
  const detected: number[] = [];
  const skipped: SkippedFrame[] = [];
  const motion: boolean[] = [];
  const events: string[] = [];
  const detector: FrameDetector = {
    info: { model: 'fake' } as FrameDetector['info'],
    detect: async (): Promise<DetectResult> => ({
      detections: found().map((d) => ({ ...d })),
      preprocess_ms: 1,
      inference_ms: 5,
      roundtrip_ms: 6,
      postprocess_ms: 1,
    }),
  };
  const runtime = new CameraRuntime(
    settings,
    detector,
    new FairGate(),
    {
      onFrame: (o) => {
        detected.push(o.frame.seq);
        events.push(...o.tracked.events.filter((e) => e.type !== 'update').map((e) => e.type));
      },
      onTracksEnded: () => undefined,
      onStatus: () => undefined,
      onEnded: () => undefined,
      onSkipped: (s) => skipped.push(s),
      onMotion: (_camera, moving) => motion.push(moving),
    },
    silentLogger,
    1,
    () => capture,
  );
  return { runtime, capture, detected, skipped, motion, events };
}

async function frames(handled: () => number, n: number): Promise<void> {
  const target = handled() + n;
  for (let i = 0; i < 10_000 && handled() < target; i++) await new Promise((resolve) => setImmediate(resolve));
  if (handled() < target) throw new Error(`only ${handled()} of ${target} frames handled`);
}

beforeEach(() => {
  now = 1_000_000;
  jest.spyOn(Date, 'now').mockImplementation(() => now);
});
afterEach(() => jest.restoreAllMocks());

test('a still scene: the first frame is detected, then frames are skipped with the reason until max_idle_s passes', async () => {
  const t = setup(() => []);
  t.runtime.start();
  const handled = () => t.detected.length + t.skipped.length;
  await frames(handled, 20);
  expect(t.detected).toEqual([1]);
  expect(t.skipped.length).toBeGreaterThanOrEqual(19);
  expect(t.skipped.every((s) => s.reason === 'no-motion' && ((s.frame as { data?: Buffer }).data?.length ?? 0) === 0)).toBe(true);
  expect(t.motion).toEqual([]); // never moved: the state stays OFF
  now += 30_000; // max_idle_s later: the keep-alive detection
  await frames(handled, 5);
  expect(t.detected).toHaveLength(2);
  now += 29_000;
  await frames(handled, 5);
  expect(t.detected).toHaveLength(2);
  await t.runtime.stop();
});

test('motion runs the model and turns the state ON; a track keeps it running after motion stops; OFF after off_delay', async () => {
  let inView = false;
  const t = setup(() => (inView ? [person] : []));
  t.runtime.start();
  const handled = () => t.detected.length + t.skipped.length;
  await frames(handled, 3); // first frame detected, then skipped
  const before = t.detected.length;
  t.capture.moving = true;
  inView = true;
  await frames(handled, 5);
  expect(t.detected.length).toBeGreaterThanOrEqual(before + 5);
  expect(t.motion).toEqual([true]);
  expect(t.events).toEqual(['start']);
  // The person stands still: nothing moves, but the track is alive, so every frame is still detected.
  t.capture.moving = false;
  await frames(handled, 2); // the request made while the last moving frame was detected may still be gated
  const detectedStill = t.detected.length;
  await frames(handled, 10);
  expect(t.detected.length).toBe(detectedStill + 10);
  // They leave: the track ends by detections that no longer find it, then frames are skipped again.
  inView = false;
  await frames(handled, 6);
  expect(t.events).toEqual(['start', 'end']);
  const skippedBefore = t.skipped.length;
  await frames(handled, 5);
  expect(t.skipped.length).toBeGreaterThan(skippedBefore);
  now += 5_000; // off_delay_s without motion
  await frames(handled, 1);
  expect(t.motion).toEqual([true, false]);
  await t.runtime.stop();
});

test('gating is asked for only when detection is not due', async () => {
  const t = setup(() => []);
  t.runtime.start();
  await frames(() => t.detected.length + t.skipped.length, 4);
  await t.runtime.stop();
  expect(t.capture.gated.slice(0, 1)).toEqual([false]); // the first frame is always detected
  expect(t.capture.gated.slice(2, 4)).toEqual([true, true]);
});
