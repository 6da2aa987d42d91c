// A camera's loop (CameraRuntime) with the lean hand-over (issue 17), with doubles for the capture
// process and the model: frames carry the model's input, never pixels; two frames are with the model
// at once and their results are published in frame order; the next frame is asked for while those are
// with the model; the frames a snapshot may still need are named to the capture with every request.
import { EventEmitter } from 'node:events';
import type { CaptureOptions, Frame } from '../../../src/capture';
import type { FetchedJpeg, JpegOptions } from '../../../src/capture/handover';
import { loadConfig } from '../../../src/config';
import type { DetectResult } from '../../../src/detect';
import type { Preprocessed } from '../../../src/detect/preprocess';
import { silentLogger } from '../../../src/log';
import { CameraRuntime, FRAMES_IN_FLIGHT, type CaptureSource, type FrameDetector } from '../../../src/pipeline/camera-runtime';
import { cameraSettings } from '../../../src/pipeline/camera-settings';
import { FairGate } from '../../../src/pipeline/fair-gate';

const INPUT = { name: 'image', width: 2, height: 2, layout: 'NHWC', dtype: 'uint8', channel_order: 'RGB', normalization: null, resize: 'stretch' } as const;

/** Answers each request with a frame holding a model input; records what it was asked. */
class LeanCapture extends EventEmitter implements CaptureSource {
  requests = 0;
  keeps: number[][] = [];
  options: CaptureOptions | undefined;
  gone = new Set<number>();
  private seq = 0;
  start(): void {}
  async stop(): Promise<void> {}
  stats() {
    return { state: 'streaming' as const, captured: this.seq, delivered: this.seq, dropped: 0, reconnects: 0 };
  }
  keepFrames(seqs: Iterable<number>): void {
    this.keeps.push([...seqs]);
  }
  fetchJpeg(seq: number): Promise<FetchedJpeg> {
    return this.gone.has(seq)
      ? Promise.reject(new Error(`frame ${seq} is no longer held`))
      : Promise.resolve({ jpeg: Buffer.from([seq]), width: 4, height: 4 });
  }
  async nextFrame(): Promise<Frame> {
    this.requests++;
    await new Promise((resolve) => setImmediate(resolve));
    const seq = ++this.seq;
    return {
      camera: 'porch',
      seq,
      ts: Date.now(),
      captureMs: 1,
      width: 4,
      height: 4,
      input: {
        data: new Uint8Array(12).fill(seq).buffer,
        dims: [1, 2, 2, 3],
        dtype: 'uint8',
        geometry: { offsetX: 0, offsetY: 0, extentX: 1, extentY: 1 },
        preprocessMs: 0.5,
      },
      jpeg: (o: JpegOptions) => this.fetchJpeg(seq).then((f) => ({ ...f, jpeg: Buffer.from([seq, o.quality]) })),
    };
  }
}

/** A model whose runs finish only when the test says so. */
class HeldDetector implements FrameDetector {
  readonly info = { model: 'fake', input: INPUT } as unknown as FrameDetector['info'];
  readonly runs: Array<{ input: Preprocessed; done: () => void }> = [];
  wholeFrames = 0;
  detect(): Promise<DetectResult> {
    this.wholeFrames++;
    return Promise.resolve(result());
  }
  detectPrepared(input: Preprocessed): Promise<DetectResult> {
    return new Promise((resolve) => this.runs.push({ input, done: () => resolve(result()) }));
  }
}

const result = (): DetectResult => ({ detections: [], preprocess_ms: 0.5, inference_ms: 5, roundtrip_ms: 6, postprocess_ms: 1 });
/** Waits for `what`, in short sleeps (the loop spaces detections out by max_fps with a timer). */
async function until(what: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !what(); i++) await new Promise((resolve) => setTimeout(resolve, 2));
  if (!what()) throw new Error('condition not reached');
}

function setup(best: number[] = []) {
  const config = loadConfig({ env: {} }).config;
  const settings = cameraSettings({ name: 'porch', source: { type: 'v4l2', device: 0 }, max_fps: 1000 }, config);
  const capture = new LeanCapture();
  const detector = new HeldDetector();
  const frames: number[] = [];
  const runtime = new CameraRuntime(
    settings,
    detector,
    new FairGate(FRAMES_IN_FLIGHT), // as the daemon's model pool makes it
    {
      onFrame: (o) => frames.push(o.frame.seq),
      onTracksEnded: () => undefined,
      onStatus: () => undefined,
      onEnded: () => undefined,
      framesToKeep: () => best,
    },
    silentLogger,
    1,
    (options) => {
      capture.options = options;
      return capture;
    },
  );
  return { runtime, capture, detector, frames };
}

test("the capture is opened with the model's input, and the model gets that input: the daemon never handles a whole frame", async () => {
  const { runtime, capture, detector } = setup();
  runtime.start();
  await until(() => detector.runs.length === 1);
  expect(capture.options?.modelInput).toEqual(INPUT);
  expect(new Uint8Array(detector.runs[0].input.data)).toEqual(new Uint8Array(12).fill(1));
  expect(detector.runs[0].input.dims).toEqual([1, 2, 2, 3]);
  expect(detector.wholeFrames).toBe(0);
  detector.runs[0].done();
  await runtime.stop();
});

/** A few turns of the event loop, for the loop to go as far as it would. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

test('two frames are with the model at once and the next is asked for meanwhile; results come out in frame order', async () => {
  const { runtime, capture, detector, frames } = setup();
  runtime.start();
  // Frame 1 computing, frame 2 queued behind it, frame 3 on its way from the capture process.
  await until(() => detector.runs.length === 2 && capture.requests === 3);
  await settle();
  expect(detector.runs).toHaveLength(2);
  expect(frames).toEqual([]);
  expect(new Uint8Array(detector.runs[1].input.data)[0]).toBe(2);
  // Frame 2's result first: it waits for frame 1's, so the tracker sees the frames in order.
  detector.runs[1].done();
  await settle();
  expect(frames).toEqual([]);
  detector.runs[0].done();
  await until(() => frames.length === 2);
  expect(frames).toEqual([1, 2]);
  await until(() => detector.runs.length === 4);
  expect(new Uint8Array(detector.runs[2].input.data)[0]).toBe(3);
  // stop() lets the frames in flight finish and publishes them.
  const stopped = runtime.stop();
  detector.runs[2].done();
  detector.runs[3].done();
  await stopped;
  expect(frames).toEqual([1, 2, 3, 4]);
});

test('a frame still with the model when detection is switched off is not published: its tracks would outlive the pause', async () => {
  const { runtime, detector, frames } = setup();
  runtime.start();
  await until(() => detector.runs.length === 2);
  detector.runs[0].done();
  await until(() => frames.length === 1);
  runtime.setActive(false, 'command');
  for (const run of detector.runs.slice(1)) run.done();
  await settle();
  expect(frames).toEqual([1]);
  await runtime.stop();
});

test('every request names the best frames and the newest processed frame, so the capture process keeps them to fetch', async () => {
  const best = [7];
  const { runtime, capture, detector } = setup(best);
  runtime.start();
  await until(() => detector.runs.length === 2);
  detector.runs[0].done();
  await until(() => detector.runs.length === 3);
  detector.runs[1].done();
  await until(() => detector.runs.length === 4);
  // The first requests came before any frame was processed; the one made with frame 4 after frame 2 was.
  expect(capture.keeps[0]).toEqual([7]);
  expect(capture.keeps.at(-1)).toEqual([7, 2]);
  // The newest processed frame is fetched through its own frame; a frame no longer held is undefined.
  await expect(runtime.fetchFrame(2, { quality: 70 })).resolves.toEqual({ jpeg: Buffer.from([2, 70]), width: 4, height: 4 });
  capture.gone.add(1);
  await expect(runtime.fetchFrame(1, { quality: 70 })).resolves.toBeUndefined();
  const stopped = runtime.stop();
  detector.runs[2].done();
  detector.runs[3].done();
  await stopped;
});
