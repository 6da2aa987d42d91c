/**
 * The lean hand-over (issue 17) with a real capture process and real OpenCV: frames arrive as the
 * model's input, made in the capture process, and the full frame is fetched from its ring as a JPEG
 * when a snapshot needs it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { CameraCapture, type Frame } from '../../../src/capture';
import { Camera } from '../../../src/daemon/camera';
import { FramePublisher } from '../../../src/daemon/frame-publisher';
import type { ManifestInput } from '../../../src/detect/manifest';
import type { CameraRuntime } from '../../../src/pipeline/camera-runtime';
import { cvTool, cvToolWithSources, fetchJpeg, frameWithin, repoRoot, testdata, waitForState } from './helpers';

const VTEST = testdata('vtest.avi');
const MODEL_INPUT = (JSON.parse(fs.readFileSync(path.join(repoRoot, 'models', 'ssdlite_mobilenet_v2_coco.json'), 'utf8')) as { input: ManifestInput }).input;
/** The colour of frame i (from 0) of a clip written by `cv-tool.js colours` (BGR). */
const colourOf = (i: number): number[] => [(i * 53) % 256, (255 - i * 29) & 255, 128];

let tmp: string;
let colours: string;
const running: CameraCapture[] = [];

function capture(source: string, extra: Partial<ConstructorParameters<typeof CameraCapture>[0]> = {}): CameraCapture {
  const c = new CameraCapture({
    camera: 'lean',
    source: { kind: 'file', path: source, pacing: 'fast', loop: true },
    delivery: 'lossless',
    modelInput: MODEL_INPUT,
    ...extra,
  });
  running.push(c);
  return c;
}

/** Mean [B, G, R] of a JPEG, decoded by OpenCV outside jest. */
function meanColour(jpeg: Buffer): number[] {
  const file = path.join(tmp, `fetched-${Date.now()}-${Math.random()}.jpg`);
  fs.writeFileSync(file, jpeg);
  return JSON.parse(cvTool('mean', file)) as number[];
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-lean-'));
  colours = path.join(tmp, 'colours.avi');
  cvTool('colours', colours, '40');
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test("the capture process hands over the model's input, equal to the main thread's own preprocessing of the same frame", async () => {
  const cap = capture(VTEST);
  cap.start();
  const first = await frameWithin(cap, 30000);
  // The daemon gets 270 KB for the model, not the 1.3 MB frame.
  expect(first.data).toBeUndefined();
  expect(first).toMatchObject({ seq: 1, width: 768, height: 576 });
  expect(first.input?.dims).toEqual([1, 300, 300, 3]);
  expect(first.input?.dtype).toBe('uint8');
  expect(first.input?.geometry).toEqual({ offsetX: 0, offsetY: 0, extentX: 1, extentY: 1 });
  const ours = new Uint8Array(first.input?.data ?? new ArrayBuffer(0));
  // What Detector.detect() made on the main thread from the whole frame (src/detect/preprocess.ts).
  const raw = path.join(tmp, 'main-thread.raw');
  cvToolWithSources('preprocess', VTEST, raw, JSON.stringify(MODEL_INPUT));
  const theirs = fs.readFileSync(raw);
  expect(ours.length).toBe(theirs.length);
  let maxDiff = 0;
  for (let i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i] - theirs[i]));
  // Same decoder, same OpenCV calls: equal up to rounding, so detections are unchanged.
  expect(maxDiff).toBeLessThanOrEqual(1);
  // And the process carries no heap it does not use: V8's young generation and glibc's arenas are bounded.
  const pid = cap.capturePid as number;
  expect(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toContain('--max-semi-space-size=1');
  expect(fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')).toContain('MALLOC_ARENA_MAX=1');
}, 60000);

test("a track's best frame is fetched from the ring long after the hand-over moved on, and it is that frame", async () => {
  const cap = capture(colours);
  cap.start();
  const frames: Frame[] = [];
  for (let i = 0; i < 4; i++) frames.push(await frameWithin(cap, 30000));
  const best = frames[2];
  // As the daemon does with a track's best frame: say it is still wanted with the next requests.
  cap.keepFrames([best.seq]);
  for (let i = 0; i < 16; i++) frames.push(await frameWithin(cap, 30000));
  const fetched = await fetchJpeg(best, { quality: 95 });
  expect({ width: fetched.width, height: fetched.height }).toEqual({ width: 320, height: 240 });
  const mean = meanColour(fetched.jpeg);
  const want = colourOf(best.seq - 1);
  mean.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThanOrEqual(6));
  // A frame nobody kept has left the ring: the fetch says so instead of sending another frame.
  await expect(fetchJpeg(frames[4], { quality: 95 })).rejects.toThrow(/frame 5 is no longer held by the capture process/);
  // The newest frames are fetchable without being kept, annotated when asked.
  const newest = frames[frames.length - 1];
  const drawn = await fetchJpeg(newest, { quality: 95, annotate: [{ label: 'person', class_id: 1, score: 0.9, box: [0.1, 0.1, 0.9, 0.9] }] });
  const plain = await fetchJpeg(newest, { quality: 95 });
  expect(drawn.jpeg.equals(plain.jpeg)).toBe(false);
}, 60000);

test('a capture process that dies while a snapshot is being fetched: the snapshot is skipped with the reason logged, nothing hangs, the camera reconnects', async () => {
  const cap = capture(colours, { backoff: { initialMs: 100, maxMs: 200 } });
  cap.start();
  const frame = await frameWithin(cap, 30000);
  await waitForState(cap, 'streaming', 10000);
  const pid = cap.capturePid as number;
  // Frozen, it cannot answer: the fetch is surely in flight when it dies.
  process.kill(pid, 'SIGSTOP');
  const lines: string[] = [];
  const logger = pino(
    { level: 'warn' },
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    }),
  );
  const cam = new Camera('lean');
  cam.runtime = { current: { snapshots: true } } as unknown as CameraRuntime;
  const published: Buffer[] = [];
  const publisher = new FramePublisher({
    link: {
      publishDetections: () => true,
      publishTiming: () => true,
      publishEvent: () => 0,
      setCount: () => true,
      publishSnapshot: (_camera: string, jpeg: Buffer) => published.push(jpeg) > 0,
    },
    metrics: { frame: () => undefined, detected: () => undefined, event: () => undefined },
    logger,
    camera: (name) => (name === 'lean' ? cam : undefined),
    snapshotConfig: () => ({ annotate: true, quality: 80, publish: true }),
    store: () => ({ save: () => Promise.resolve(undefined) }),
    onFirstFrame: () => undefined,
    onPublished: () => undefined,
  });
  const sent = publisher.snapshotNow('lean', frame, []);
  process.kill(pid, 'SIGKILL');
  await expect(sent).resolves.toBe(false);
  expect(published).toEqual([]);
  const skipped = lines.map((l) => JSON.parse(l) as { msg: string; err?: { message: string }; frame?: number }).find((l) => l.msg === 'snapshot skipped');
  expect(skipped?.frame).toBe(frame.seq);
  expect(skipped?.err?.message).toMatch(/capture process holding the frame ended/);
  // The camera comes back by itself, and frames flow again.
  await waitForState(cap, 'reconnecting', 20000);
  await waitForState(cap, 'streaming', 20000);
  const after = await frameWithin(cap, 30000);
  expect(after.seq).toBeGreaterThan(frame.seq);
  expect(cap.capturePid).not.toBe(pid);
  // The frame of the dead process stays gone; a new frame is fetchable.
  await expect(fetchJpeg(frame, { quality: 80 })).rejects.toThrow(/gone with the capture process/);
  await expect(fetchJpeg(after, { quality: 80 })).resolves.toMatchObject({ width: 320, height: 240 });
}, 90000);
