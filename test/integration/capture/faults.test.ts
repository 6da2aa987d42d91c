import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { CameraCapture, type Frame } from '../../../src/capture';
import { frameWithin, recordStates, waitForState, writeShortClip } from './helpers';

let tmp: string;
const running: CameraCapture[] = [];
function capture(...args: ConstructorParameters<typeof CameraCapture>): CameraCapture {
  const c = new CameraCapture(...args);
  running.push(c);
  return c;
}
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-capture-faults-'));
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const live = (w: number, h: number, extra?: string): string =>
  `videotestsrc is-live=true ! video/x-raw,width=${w},height=${h},framerate=30/1 ! ${extra ? `${extra} ! ` : ''}` +
  'videoconvert ! video/x-raw,format=BGR ! appsink drop=true max-buffers=1';

test('a file removed mid-run: the camera reports it and recovers as soon as the file is back', async () => {
  const clip = path.join(tmp, 'removed.avi');
  writeShortClip(clip, 20);
  const aside = path.join(tmp, 'aside.avi');
  // A long backoff: recovering well within it shows the reopen loop noticed the file coming back.
  const cap = capture({
    camera: 'gone',
    source: { kind: 'file', path: clip, loop: true, pacing: 'fast' },
    backoff: { initialMs: 60000, maxMs: 60000, jitter: 0 },
    presencePollMs: 100,
  });
  const states = recordStates(cap);
  cap.start();
  const before = await frameWithin(cap, 20000);
  fs.renameSync(clip, aside);
  const lost = await waitForState(cap, 'reconnecting', 20000);
  expect(lost.reason).toBe(`reopening for the next loop failed: the file is gone: ${clip}`);
  expect(lost.retryInMs).toBe(60000);
  fs.renameSync(aside, clip);
  await waitForState(cap, 'streaming', 20000, (s) => s.previous === 'reconnecting');
  const after = await frameWithin(cap, 20000);
  expect(after.seq).toBeGreaterThan(before.seq);
  expect(states.map((s) => s.state)).toEqual(['starting', 'streaming', 'reconnecting', 'streaming']);
});

test('a missing file at start: error with the reason, then streaming once it appears', async () => {
  const clip = path.join(tmp, 'later.avi');
  const cap = capture({
    camera: 'later',
    source: { kind: 'file', path: clip, pacing: 'fast', loop: true },
    backoff: { initialMs: 60000, maxMs: 60000 },
    presencePollMs: 100,
  });
  cap.start();
  expect((await waitForState(cap, 'error', 10000)).reason).toBe(`video file not found: ${clip}`);
  writeShortClip(path.join(tmp, 'later.tmp.avi'), 5);
  fs.renameSync(path.join(tmp, 'later.tmp.avi'), clip);
  await waitForState(cap, 'streaming', 20000);
  expect((await frameWithin(cap, 20000)).width).toBe(768);
});

test('missing V4L2 devices and an unreachable RTSP camera: clear reasons, no crash, retried', async () => {
  // This machine has no cameras; a by-id style link to a node named video7 gets as far as OpenCV.
  fs.writeFileSync(path.join(tmp, 'video7'), '');
  fs.symlinkSync(path.join(tmp, 'video7'), path.join(tmp, 'usb-cam-index0'));
  const port = await new Promise<number>((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
  const quick = { initialMs: 100, maxMs: 300 };
  const caps = [
    capture({ camera: 'unplugged', source: { kind: 'v4l2', device: '/dev/v4l/by-id/usb-Nothing_Here-video-index0' }, backoff: quick }),
    capture({ camera: 'noindex', source: { kind: 'v4l2', device: path.join(tmp, 'usb-cam-index0') }, backoff: quick }),
    capture({ camera: 'rtsp', source: { kind: 'stream', url: `rtsp://admin:secret@127.0.0.1:${port}/stream1` }, backoff: quick }),
  ];
  for (const c of caps) c.start();
  const [unplugged, noindex, rtsp] = await Promise.all(caps.map((c) => waitForState(c, 'error', 20000)));
  expect(unplugged?.reason).toBe('V4L2 device /dev/v4l/by-id/usb-Nothing_Here-video-index0 not present (unplugged, or another name?)');
  expect(noindex?.reason).toBe(`cannot open v4l2 ${path.join(tmp, 'usb-cam-index0')}: VIDEOIO(V4L2:/dev/video7): can't open camera by index`);
  expect(rtsp?.reason).toMatch(/^cannot open stream rtsp:\/\/admin:\*\*\*@127\.0\.0\.1:\d+\/stream1: ffmpeg tcp: .*Connection refused/);
  expect(rtsp?.reason).not.toContain('secret');
  const deadline = Date.now() + 20000;
  while (caps.some((c) => c.stats().reconnects < 2) && Date.now() < deadline) await sleep(100);
  for (const c of caps) expect(c.stats().reconnects).toBeGreaterThanOrEqual(2);
});

test('a slow consumer always gets the newest frame; the frames it skipped are counted as dropped', async () => {
  const cap = capture({ camera: 'slow', source: { kind: 'gstreamer', pipeline: live(160, 120) } });
  cap.start();
  await frameWithin(cap, 20000);
  const frames: Frame[] = [];
  const ages: number[] = [];
  for (let i = 0; i < 6; i++) {
    await sleep(300); // "inference"
    const capturedBefore = cap.stats().captured;
    const f = await frameWithin(cap, 10000);
    ages.push(Date.now() - f.ts);
    // Nothing older than what had already been captured when we asked.
    expect(f.seq).toBeGreaterThanOrEqual(capturedBefore);
    frames.push(f);
  }
  const seqs = frames.map((f) => f.seq);
  const skipped = seqs.slice(1).reduce((n, s, i) => n + (s - seqs[i] - 1), 0);
  expect(skipped).toBeGreaterThan(0);
  // Every frame up to the last one handed over was either delivered or counted as dropped.
  const last = seqs[seqs.length - 1];
  expect(cap.stats().dropped).toBe(last - cap.stats().delivered);
  // Loose: a queue would hand over frames ever older (by ~300 ms per round).
  for (const a of ages) expect(a).toBeLessThan(1500);
});

test('cameras stuck in open, in a read, or frozen do not stop another camera; the watchdog restarts them', async () => {
  const watchdog = { readTimeoutMs: 1500, backoff: { initialMs: 200, maxMs: 1000 } };
  const good = capture({ camera: 'good', source: { kind: 'gstreamer', pipeline: live(160, 120) } });
  // Never yields a first buffer: open() blocks in native code.
  const neverOpens = capture({
    camera: 'never-opens',
    source: { kind: 'gstreamer', pipeline: live(160, 120, 'identity sleep-time=60000000') },
    openTimeoutMs: 2000,
    ...watchdog,
  });
  // One buffer every 3 s: opens, then each read blocks longer than the read timeout.
  const slowReads = capture({
    camera: 'slow-reads',
    source: {
      kind: 'gstreamer',
      pipeline: 'videotestsrc ! video/x-raw,width=160,height=120 ! identity sleep-time=3000000 ! videoconvert ! video/x-raw,format=BGR ! appsink',
    },
    // Generous: the first buffer comes after 3 s, and a busy machine may take seconds more to start
    // the capture process; this camera is about reads that stall after opening.
    openTimeoutMs: 20000,
    ...watchdog,
  });
  // Streams, then its capture process is frozen with SIGSTOP.
  const frozen = capture({ camera: 'frozen', source: { kind: 'gstreamer', pipeline: live(160, 120) }, ...watchdog });
  const goodStates = recordStates(good);

  let ticks = 0;
  let lastTick = Date.now();
  let longestGap = 0;
  const ticker = setInterval(() => {
    const now = Date.now();
    longestGap = Math.max(longestGap, now - lastTick);
    lastTick = now;
    ticks++;
  }, 10);
  const goodFrames: number[] = [];
  let consuming = true;
  const consumer = (async () => {
    while (consuming) {
      try {
        goodFrames.push((await good.nextFrame()).ts);
      } catch {
        return;
      }
    }
  })();

  try {
    for (const c of [good, neverOpens, slowReads, frozen]) c.start();
    await waitForState(frozen, 'streaming', 20000);
    const frozenPid = frozen.capturePid as number;
    process.kill(frozenPid, 'SIGSTOP');

    const stalls = await Promise.all([
      waitForState(neverOpens, 'stalled', 20000),
      waitForState(slowReads, 'stalled', 40000),
      waitForState(frozen, 'stalled', 20000),
    ]);
    const [open, read, froze] = stalls;
    expect(open.reason).toBe('no frame within 2000 ms of opening (open or first read hung)');
    expect(read.reason).toMatch(/^a read has not returned for \d+ ms \(read timeout 1500 ms\)$/);
    expect(froze.reason).toMatch(/^capture process unresponsive for \d+ ms \(stuck in a native call\)$/);

    // The frozen one comes back in a new capture process; the others are retried.
    await waitForState(frozen, 'streaming', 20000);
    expect(frozen.capturePid).not.toBe(frozenPid);
    await waitForState(neverOpens, 'reconnecting', 20000);
    await waitForState(slowReads, 'reconnecting', 20000);

    // All along, the good camera streamed and the event loop kept running.
    const tickCount = ticks;
    const frameCount = goodFrames.length;
    await sleep(300);
    expect(goodFrames.length).toBeGreaterThan(frameCount);
    expect(ticks).toBeGreaterThan(tickCount);
    const lastStall = Math.max(...stalls.map((s) => s.since));
    expect(goodFrames.filter((ts) => ts < lastStall).length).toBeGreaterThan(10);
    expect(goodStates.map((s) => s.state)).toEqual(['starting', 'streaming']);
    expect(longestGap).toBeLessThan(2000);
  } finally {
    consuming = false;
    clearInterval(ticker);
    await Promise.all(running.splice(0).map((c) => c.stop()));
    await consumer;
  }
});
