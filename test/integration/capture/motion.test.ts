// Motion in the real capture process (OpenCV decoding, the real child), as motion gating uses it:
// on vtest.avi, where people walk, frames move and come whole; on a video of a still frame made here,
// nothing moves and a gated request is answered header-only with the reason; a mask over the whole
// picture means no motion at all. The videos made here are MJPG, which the capture process reads
// compressed and decodes only as far as motion needs (compressed-frame.ts).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CameraCapture, CaptureClosedError, type Frame, type MotionSpec } from '../../../src/capture';
import type { ManifestInput } from '../../../src/detect/manifest';
import { capturingLogger } from '../detect/log-capture';
import { fetchJpeg, frameWithin, repoRoot, testdata } from './helpers';

const VTEST = testdata('vtest.avi');
const SPEC: MotionSpec = { threshold: 25, minArea: 0.001, masks: [] };
let tmp: string;
let still: string;
let walkingMjpg: string;
const running: CameraCapture[] = [];

/** Bytes a frame carries: its pixels, or the model input made from it (a capture opened with one). */
const bytesOf = (f: Frame): number => ((f as { data?: Buffer }).data?.length ?? 0) + ((f as { input?: { data: ArrayBuffer } }).input?.data.byteLength ?? 0);

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-motion-'));
  still = path.join(tmp, 'still.avi');
  execFileSync(process.execPath, [path.join(__dirname, 'still-video.js'), still, '40'], { timeout: 60000 });
  walkingMjpg = path.join(tmp, 'walking.avi');
  execFileSync(process.execPath, [path.join(__dirname, 'still-video.js'), walkingMjpg, '60', '10', 'walking'], { timeout: 60000 });
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Every frame of a file, in order (lossless, as fast as it decodes), with motion computed in the capture process. */
async function framesOf(file: string, motion: MotionSpec, gated: boolean, max = Infinity, logger = capturingLogger().logger): Promise<Frame[]> {
  const cap = new CameraCapture({ camera: 'motion', source: { kind: 'file', path: file, pacing: 'fast' }, delivery: 'lossless', motion }, logger);
  running.push(cap);
  cap.gateOnMotion(gated);
  cap.start();
  const out: Frame[] = [];
  while (out.length < max) {
    try {
      out.push(await frameWithin(cap, 30000));
    } catch (e) {
      if (e instanceof CaptureClosedError) break;
      throw e;
    }
  }
  return out;
}

test('vtest.avi: people walking are motion in almost every frame, with regions, and moving frames come whole', async () => {
  const frames = await framesOf(VTEST, SPEC, true, 120);
  expect(frames).toHaveLength(120);
  const moving = frames.filter((f) => f.motion?.moving);
  expect(moving.length / frames.length).toBeGreaterThan(0.9);
  for (const f of moving) {
    expect(f.skipped).toBeUndefined();
    expect(bytesOf(f)).toBeGreaterThan(0);
    expect(f.motion?.regions.length).toBeGreaterThan(0);
    for (const [x0, y0, x1, y1] of f.motion?.regions ?? []) {
      expect(0 <= x0 && x0 < x1 && x1 <= 1 && 0 <= y0 && y0 < y1 && y1 <= 1).toBe(true);
    }
  }
});

test('a still video: no motion, and gated requests are answered header-only with the reason', async () => {
  const frames = await framesOf(still, SPEC, true);
  expect(frames).toHaveLength(40);
  expect(frames.filter((f) => f.motion?.moving)).toEqual([]);
  expect(frames.every((f) => f.skipped === 'no-motion' && bytesOf(f) === 0)).toBe(true);
  expect(frames.map((f) => f.seq)).toEqual(frames.map((_, i) => i + 1)); // none lost on the way
});

test('an MJPG video is read compressed: walking people are motion, and those frames come whole at full size', async () => {
  const log = capturingLogger();
  const frames = await framesOf(walkingMjpg, SPEC, true, Infinity, log.logger);
  expect(log.lines.find((l) => l.msg.startsWith('opened'))).toMatchObject({ fourcc: 'MJPG', decode: 'mjpeg-on-demand' });
  expect(frames).toHaveLength(60);
  // Media time at the file's 10 FPS, which realtime pacing holds each frame to (FFmpeg's raw mode has no POS_MSEC).
  expect(frames.map((f) => Math.round(f.positionMs ?? -1))).toEqual(frames.map((_, i) => i * 100));
  const moving = frames.filter((f) => f.motion?.moving);
  expect(moving.length / frames.length).toBeGreaterThan(0.9);
  for (const f of moving) {
    expect(f.skipped).toBeUndefined();
    expect([f.width, f.height]).toEqual([768, 576]);
    expect(bytesOf(f)).toBe(768 * 576 * 3);
  }
  // vtest.avi itself (MPEG-4) is decoded as before.
  const mpeg4 = capturingLogger();
  await framesOf(VTEST, SPEC, true, 2, mpeg4.logger);
  expect(mpeg4.lines.find((l) => l.msg.startsWith('opened'))?.decode).toBeUndefined();
});

test('LOOKOUT_MJPEG_COMPRESSED=0 reads MJPG decoded, with the same motion', async () => {
  process.env.LOOKOUT_MJPEG_COMPRESSED = '0';
  try {
    const log = capturingLogger();
    const frames = await framesOf(still, SPEC, true, 10, log.logger);
    expect(log.lines.find((l) => l.msg.startsWith('opened'))?.decode).toBeUndefined();
    expect(frames.every((f) => f.skipped === 'no-motion')).toBe(true);
  } finally {
    delete process.env.LOOKOUT_MJPEG_COMPRESSED;
  }
});

test('a still video without gating: every frame whole, motion reported as none', async () => {
  const frames = await framesOf(still, SPEC, false, 10);
  expect(frames).toHaveLength(10);
  expect(frames.every((f) => f.skipped === undefined && f.motion?.moving === false)).toBe(true);
  expect(frames.every((f) => bytesOf(f) > 0)).toBe(true);
});

test('vtest.avi with its whole picture masked: no motion at all, every gated frame skipped', async () => {
  const everything: MotionSpec = {
    ...SPEC,
    masks: [
      [
        [0, 0],
        [1, 0],
        [1, 1],
        [0, 1],
      ],
    ],
  };
  const frames = await framesOf(VTEST, everything, true, 60);
  expect(frames).toHaveLength(60);
  expect(frames.filter((f) => f.motion?.moving)).toEqual([]);
  expect(frames.every((f) => f.skipped === 'no-motion')).toBe(true);
});

test('the moving regions of a frame are drawn on its snapshot when asked, and only then', async () => {
  const input = (JSON.parse(fs.readFileSync(path.join(repoRoot, 'models', 'ssdlite_mobilenet_v2_coco.json'), 'utf8')) as { input: ManifestInput }).input;
  const cap = new CameraCapture({
    camera: 'motion',
    source: { kind: 'file', path: VTEST, pacing: 'fast' },
    delivery: 'lossless',
    motion: SPEC,
    modelInput: input,
  });
  running.push(cap);
  cap.start();
  let frame: Frame | undefined;
  for (let i = 0; i < 20 && !frame?.motion?.moving; i++) frame = await frameWithin(cap, 30000);
  const regions = frame?.motion?.regions ?? [];
  expect(regions.length).toBeGreaterThan(0);
  const plain = await fetchJpeg(frame as Frame, { quality: 95 });
  const drawn = await fetchJpeg(frame as Frame, { quality: 95, motion: regions });
  const none = await fetchJpeg(frame as Frame, { quality: 95, motion: [] });
  expect(drawn.jpeg.equals(plain.jpeg)).toBe(false);
  expect(none.jpeg.equals(plain.jpeg)).toBe(true);
});
