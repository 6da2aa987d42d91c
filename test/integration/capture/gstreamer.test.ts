import { CameraCapture, type Frame } from '../../../src/capture';
import { frameWithin, pixelsOf, recordStates, waitForState } from './helpers';

const running: CameraCapture[] = [];
function capture(...args: ConstructorParameters<typeof CameraCapture>): CameraCapture {
  const c = new CameraCapture(...args);
  running.push(c);
  return c;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

const testsrc = (buffers: number, extra = ''): string =>
  `videotestsrc num-buffers=${buffers} ${extra}! video/x-raw,width=320,height=240,framerate=30/1 ! videoconvert ! video/x-raw,format=BGR ! appsink`;

test('a videotestsrc pipeline delivers 320×240 BGR frames; when it ends it is reopened and streams again', async () => {
  const cap = capture({ camera: 'bars', source: { kind: 'gstreamer', pipeline: testsrc(30) }, backoff: { initialMs: 200, maxMs: 1000 } });
  const states = recordStates(cap);
  cap.start();
  const first = await frameWithin(cap, 20000);
  expect(first).toMatchObject({ camera: 'bars', width: 320, height: 240 });
  expect(pixelsOf(first).length).toBe(320 * 240 * 3);
  // SMPTE bars: the top-left bar is grey-white, equal in B, G and R.
  const [b, g, r] = pixelsOf(first);
  expect([b, g, r]).toEqual([b, b, b]);
  expect(b).toBeGreaterThan(150);

  const lost = await waitForState(cap, 'reconnecting', 20000);
  expect(lost.reason).toMatch(/empty reads in a row/);
  await waitForState(cap, 'streaming', 20000);
  const again = await frameWithin(cap, 20000);
  expect(again.seq).toBeGreaterThan(first.seq);
  expect(states.slice(0, 4).map((s) => s.state)).toEqual(['starting', 'streaming', 'reconnecting', 'streaming']);
  expect(cap.stats().reconnects).toBeGreaterThanOrEqual(1);
});

test('lossless delivery gets every buffer of a finite pipeline, in order', async () => {
  const cap = capture({
    camera: 'every',
    source: { kind: 'gstreamer', pipeline: testsrc(40, 'pattern=ball ') },
    delivery: 'lossless',
    backoff: { initialMs: 60000, maxMs: 60000 },
  });
  cap.start();
  const frames: Frame[] = [];
  for (let i = 0; i < 40; i++) frames.push(await frameWithin(cap, 20000));
  expect(frames.map((f) => f.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  expect(cap.stats()).toMatchObject({ delivered: 40, dropped: 0 });
  // The ball moves: consecutive frames differ.
  expect(pixelsOf(frames[0]).equals(pixelsOf(frames[10]))).toBe(false);
});

test('a pipeline GStreamer cannot build: error naming the missing element, retried with backoff, nothing crashes', async () => {
  const cap = capture({
    camera: 'broken',
    source: { kind: 'gstreamer', pipeline: 'videotestsrc ! nosuchelement ! videoconvert ! video/x-raw,format=BGR ! appsink' },
    backoff: { initialMs: 100, maxMs: 400, jitter: 0 },
  });
  const states = recordStates(cap);
  cap.start();
  const err = await waitForState(cap, 'error', 20000);
  expect(err.reason).toBe(
    "cannot open gstreamer 'videotestsrc ! nosuchelement ! videoconvert ! video/x-raw,format=BGR ! appsink': GStreamer has no element 'nosuchelement' (plugin not installed, or a typo?)",
  );
  expect(err.retryInMs).toBeGreaterThan(0);
  // It keeps trying (a plugin may get installed), each attempt a fresh capture process.
  const deadline = Date.now() + 20000;
  while (cap.stats().reconnects < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(cap.stats().reconnects).toBeGreaterThanOrEqual(2);
  expect(cap.status.state).toBe('error');
  // Each failure with the same reason is published again with the delay that really applies now
  // (it once kept saying "retrying in 0.1 s" while the backoff had grown).
  const delays = () => states.filter((s) => s.state === 'error').map((s) => s.retryInMs);
  while (delays().length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(delays().slice(0, 3)).toEqual([100, 200, 400]);
});

test('a pipeline that cannot start passes on what GStreamer said', async () => {
  // Builds, but its source file is missing: OpenCV only says "failed to open", GStreamer says why.
  const cap = capture({
    camera: 'nosink',
    source: { kind: 'gstreamer', pipeline: 'filesrc location=/nonexistent/clip.mp4 ! decodebin ! videoconvert ! video/x-raw,format=BGR ! appsink' },
    backoff: { initialMs: 60000, maxMs: 60000 },
  });
  cap.start();
  const err = await waitForState(cap, 'error', 20000);
  expect(err.reason).toMatch(/^cannot open gstreamer .*: GStreamer: .*filesrc0 reported: Resource not found/);
});

test('maxFps caps how often frames are handed over; the frames in between are counted as dropped', async () => {
  const pipeline =
    'videotestsrc is-live=true ! video/x-raw,width=160,height=120,framerate=30/1 ! videoconvert ! video/x-raw,format=BGR ! appsink drop=true max-buffers=1';
  const cap = capture({ camera: 'capped', source: { kind: 'gstreamer', pipeline }, maxFps: 4 });
  cap.start();
  const got: Array<{ at: number; seq: number }> = [];
  for (let i = 0; i < 5; i++) {
    const f = await frameWithin(cap, 20000);
    got.push({ at: Date.now(), seq: f.seq });
  }
  for (let i = 1; i < got.length; i++) {
    // A lower bound only (the cap is 250 ms; 5 ms for timer rounding): never early, late is allowed.
    expect((got[i] as { at: number }).at - (got[i - 1] as { at: number }).at).toBeGreaterThanOrEqual(245);
  }
  // A 30 fps camera read at 4 fps: frames in between were skipped and counted.
  expect(cap.stats().dropped).toBeGreaterThan(0);
});
