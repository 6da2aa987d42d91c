import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CHILD_GC_FLAGS, CHILD_OLD_SPACE_FLAG, CHILD_V8_FLAGS, resolveCaptureChild } from '../../../src/capture/child-path';
import { listImages, prepareOpen, SourceUnavailableError, type PlanSettings } from '../../../src/capture/open-plan';

const settings: PlanSettings = { camera: 'c', delivery: 'newest', emptyReadLimit: 10, emptyReadDelayMs: 20, aliveIntervalMs: 250 };

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-plan-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('image folders are listed in natural name order, other files left out', async () => {
  for (const n of ['img10.jpg', 'img2.PNG', 'img1.jpeg', 'notes.txt', 'clip.avi']) fs.writeFileSync(path.join(dir, n), '');
  expect((await listImages(dir)).map((p) => path.basename(p))).toEqual(['img1.jpeg', 'img2.PNG', 'img10.jpg']);
});

test('an empty folder and a missing folder', async () => {
  await expect(listImages(dir)).rejects.toThrow(/no images .* in folder/);
  const missing = path.join(dir, 'nope');
  const err = await listImages(missing).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SourceUnavailableError);
  expect((err as SourceUnavailableError).watchPath).toBe(missing);
});

test('a missing video file is unavailable, with its path to watch', async () => {
  const p = path.join(dir, 'clip.avi');
  const err = await prepareOpen({ kind: 'file', path: p }, settings).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SourceUnavailableError);
  expect((err as Error).message).toBe(`video file not found: ${p}`);
  expect((err as SourceUnavailableError).watchPath).toBe(p);
});

test('a video file plan: FFmpeg backend, absolute path, realtime pacing unless told', async () => {
  const p = path.join(dir, 'clip.avi');
  fs.writeFileSync(p, 'x');
  const { plan, env } = await prepareOpen({ kind: 'file', path: p, loop: true }, { ...settings, transform: { rotate: 90 } });
  expect(plan.open).toEqual({ type: 'capture', target: p, api: 'CAP_FFMPEG' });
  expect(plan).toMatchObject({ isFile: true, loop: true, pacing: 'realtime', transform: { rotate: 90, flip: 'none' } });
  expect(env).toEqual({});
});

test('V4L2 by index: opened by number with the V4L2 backend, FOURCC set before the size', async () => {
  // /dev/video* is absent here, so point a by-id style link at a stand-in node named video5.
  fs.writeFileSync(path.join(dir, 'video5'), '');
  fs.symlinkSync(path.join(dir, 'video5'), path.join(dir, 'cam-link'));
  const { plan } = await prepareOpen({ kind: 'v4l2', device: path.join(dir, 'cam-link'), width: 1920, height: 1080, fps: 30, fourcc: 'MJPG' }, settings);
  expect(plan.open).toEqual({ type: 'capture', target: 5, api: 'CAP_V4L2' });
  expect(plan.props).toEqual([
    ['CAP_PROP_FOURCC', 1196444237],
    ['CAP_PROP_FRAME_WIDTH', 1920],
    ['CAP_PROP_FRAME_HEIGHT', 1080],
    ['CAP_PROP_FPS', 30],
  ]);
  expect(plan.pacing).toBe('source');
});

test('an unplugged V4L2 camera is unavailable with the link to watch', async () => {
  const link = path.join(dir, 'by-id-cam');
  const err = await prepareOpen({ kind: 'v4l2', device: link }, settings).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SourceUnavailableError);
  expect((err as SourceUnavailableError).watchPath).toBe(link);
});

test('RTSP over FFmpeg sets the capture options for this camera only (its own process environment)', async () => {
  const { plan, env } = await prepareOpen({ kind: 'stream', url: 'rtsp://cam/1', transport: 'udp', latencyMs: 0 }, settings);
  expect(plan.open).toEqual({ type: 'capture', target: 'rtsp://cam/1', api: 'CAP_FFMPEG' });
  expect(env).toEqual({ OPENCV_FFMPEG_CAPTURE_OPTIONS: 'rtsp_transport;udp|fflags;nobuffer' });
});

test('CSI presets and RTSP-over-GStreamer go to the GStreamer backend', async () => {
  const lib = await prepareOpen({ kind: 'libcamera', width: 640, height: 480, fps: 30 }, settings);
  expect(lib.plan.open).toMatchObject({ type: 'capture', api: 'CAP_GSTREAMER' });
  expect(lib.gstPipeline).toMatch(/^libcamerasrc ! /);
  const rtsp = await prepareOpen({ kind: 'stream', url: 'rtsp://cam/1', backend: 'gstreamer' }, settings);
  expect(rtsp.gstPipeline).toMatch(/^rtspsrc location="rtsp:\/\/cam\/1" protocols=tcp latency=200 ! decodebin/);
});

test('a broken user pipeline is refused before a process starts', async () => {
  await expect(prepareOpen({ kind: 'gstreamer', pipeline: 'videotestsrc ! fakesink' }, settings)).rejects.toThrow(
    /GStreamer pipeline rejected: must end in 'appsink'/,
  );
});

test('the capture process runs compiled from dist/, and from src/ as TypeScript through the source loader', () => {
  const src = path.join(__dirname, '..', '..', '..', 'src', 'capture');
  expect(resolveCaptureChild(src, path.join(src, 'child-path.ts'))).toEqual({
    file: path.join(src, 'capture-child.ts'),
    execArgv: [...CHILD_V8_FLAGS, ...CHILD_GC_FLAGS, '--require', path.join(src, '..', 'util', 'source-loader.js'), '--require', path.join(src, 'young-gc.ts')],
  });
  fs.writeFileSync(path.join(dir, 'capture-child.js'), '');
  expect(() => resolveCaptureChild(dir, path.join(dir, 'child-path.js'))).toThrow(
    `capture process preload not found: ${path.join(dir, 'young-gc.js')} (run npm run build)`,
  );
  fs.writeFileSync(path.join(dir, 'young-gc.js'), '');
  // Built, a capture process carries only the heap a loop of small objects needs (issue 17's memory
  // target), and collects its young generation often (the model inputs it leaves behind).
  expect(resolveCaptureChild(dir, path.join(dir, 'child-path.js'))).toEqual({
    file: path.join(dir, 'capture-child.js'),
    execArgv: [...CHILD_V8_FLAGS, CHILD_OLD_SPACE_FLAG, '--expose-gc', '--require', path.join(dir, 'young-gc.js')],
  });
  expect(() => resolveCaptureChild(path.join(dir, 'a'), path.join(dir, 'a', 'child-path.js'))).toThrow(
    `capture process entry not found: ${path.join(dir, 'a', 'capture-child.js')} (run npm run build)`,
  );
});
