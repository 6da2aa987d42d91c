import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CameraCapture, CaptureClosedError, cropRect, rotatedSize, type Frame } from '../../../src/capture';
import { firstFrameByOpenCv, frameWithin, imageSizes, pixelsOf, recordStates, testdata, waitForState, writeShortClip } from './helpers';

const VTEST = testdata('vtest.avi');
let tmp: string;
let shortClip: string;
const running: CameraCapture[] = [];

function capture(...args: ConstructorParameters<typeof CameraCapture>): CameraCapture {
  const c = new CameraCapture(...args);
  running.push(c);
  return c;
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-capture-file-'));
  shortClip = path.join(tmp, 'short.avi');
  writeShortClip(shortClip, 20);
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('all 795 frames of vtest.avi, in order, with media positions 100 ms apart, none dropped; the event loop keeps ticking', async () => {
  const cap = capture({ camera: 'vtest', source: { kind: 'file', path: VTEST, pacing: 'fast' }, delivery: 'lossless' });
  const states = recordStates(cap);
  let ticks = 0;
  let lastTick = Date.now();
  let longestGap = 0;
  const ticker = setInterval(() => {
    const now = Date.now();
    longestGap = Math.max(longestGap, now - lastTick);
    lastTick = now;
    ticks++;
  }, 5);
  cap.start();
  const frames: Array<Omit<Frame, 'data'>> = [];
  let firstData: Buffer | undefined;
  let ticksAtFirst = 0;
  let ended: unknown;
  try {
    for (;;) {
      let f: Frame;
      try {
        f = await frameWithin(cap, 30000);
      } catch (e) {
        ended = e;
        break;
      }
      expect(pixelsOf(f).length).toBe(768 * 576 * 3);
      if (!firstData) {
        firstData = pixelsOf(f);
        ticksAtFirst = ticks;
      }
      const { data: _data, ...meta } = f;
      frames.push(meta);
    }
  } finally {
    clearInterval(ticker);
  }
  expect(ended).toBeInstanceOf(CaptureClosedError);
  expect((ended as CaptureClosedError).why).toBe('ended');
  expect(frames).toHaveLength(795);
  frames.forEach((f, i) => {
    expect(f).toMatchObject({ camera: 'vtest', seq: i + 1, width: 768, height: 576, loop: 0 });
    expect(f.positionMs).toBeCloseTo(i * 100, 3);
    if (i > 0) expect(f.ts).toBeGreaterThanOrEqual((frames[i - 1] as Frame).ts);
  });
  expect(cap.stats()).toMatchObject({ state: 'ended', captured: 795, delivered: 795, dropped: 0, reconnects: 0 });
  expect(states.map((s) => s.state)).toEqual(['starting', 'streaming', 'ended']);
  // The pixels are OpenCV's own decoding of the first frame, byte for byte.
  expect(firstData?.equals(firstFrameByOpenCv(VTEST, tmp))).toBe(true);
  // Timers kept firing while ~800 frames (1 GB of pixels) came through: capture never held the loop.
  expect(ticks - ticksAtFirst).toBeGreaterThan(10);
  expect(longestGap).toBeLessThan(2000);
});

test('a looping file keeps going past its end: seq increases, the media position wraps to 0', async () => {
  const cap = capture({ camera: 'loop', source: { kind: 'file', path: shortClip, pacing: 'fast', loop: true }, delivery: 'lossless' });
  cap.start();
  const frames: Frame[] = [];
  for (let i = 0; i < 50; i++) frames.push(await frameWithin(cap, 20000));
  expect(frames.map((f) => f.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  expect(frames.map((f) => f.loop)).toEqual([...Array<number>(20).fill(0), ...Array<number>(20).fill(1), ...Array<number>(10).fill(2)]);
  expect(frames.map((f) => Math.round(f.positionMs ?? -1))).toEqual(Array.from({ length: 50 }, (_, i) => (i % 20) * 100));
  expect(cap.status.state).toBe('streaming');
  expect(cap.stats()).toMatchObject({ dropped: 0, reconnects: 0 });
});

test('realtime pacing never hands frames out faster than the media time', async () => {
  const cap = capture({ camera: 'paced', source: { kind: 'file', path: shortClip, pacing: 'realtime' }, delivery: 'lossless' });
  cap.start();
  const frames: Frame[] = [];
  for (let i = 0; i < 6; i++) frames.push(await frameWithin(cap, 20000));
  const first = frames[0];
  for (const f of frames.slice(1)) {
    // A lower bound only: a busy machine may be late, never early (1 ms for clock rounding).
    expect(f.ts - first.ts).toBeGreaterThanOrEqual((f.positionMs ?? 0) - (first.positionMs ?? 0) - 1);
  }
});

test('rotate, flip and crop are applied before hand-over, exactly as OpenCV would', async () => {
  const crop = { x: 0.1, y: 0.25, width: 0.5, height: 0.4 };
  const cap = capture({
    camera: 'turned',
    source: { kind: 'file', path: VTEST, pacing: 'fast' },
    delivery: 'lossless',
    transform: { rotate: 90, flip: 'horizontal', crop },
  });
  cap.start();
  const f = await frameWithin(cap, 20000);
  const r = rotatedSize(768, 576, 90);
  const px = cropRect(r.width, r.height, crop);
  expect({ width: f.width, height: f.height }).toEqual({ width: px.width, height: px.height });
  expect(pixelsOf(f).equals(firstFrameByOpenCv(VTEST, tmp, { rotate: 90, flip: 1, rect: px }))).toBe(true);
});

test('an image folder: images in name order, each at its own size, then ended', async () => {
  const dir = path.join(tmp, 'images');
  fs.mkdirSync(dir);
  fs.copyFileSync(testdata('messi5.jpg'), path.join(dir, 'img2.jpg'));
  fs.copyFileSync(testdata('fruits.jpg'), path.join(dir, 'img10.jpg'));
  fs.copyFileSync(testdata('basketball1.png'), path.join(dir, 'img1.png'));
  fs.writeFileSync(path.join(dir, 'readme.txt'), 'not an image');
  const cap = capture({ camera: 'stills', source: { kind: 'images', path: dir, pacing: 'fast', fps: 2 }, delivery: 'lossless' });
  cap.start();
  const sizes = imageSizes(['img1.png', 'img2.jpg', 'img10.jpg'].map((n) => path.join(dir, n)));
  const got: Array<{ width: number; height: number; positionMs?: number }> = [];
  for (let i = 0; i < 3; i++) {
    const f = await frameWithin(cap, 20000);
    got.push({ width: f.width, height: f.height, ...(f.positionMs !== undefined ? { positionMs: f.positionMs } : {}) });
  }
  expect(got).toEqual(sizes.map((s, i) => ({ ...s, positionMs: i * 500 })));
  await waitForState(cap, 'ended', 10000);
  await expect(cap.nextFrame()).rejects.toBeInstanceOf(CaptureClosedError);
});
