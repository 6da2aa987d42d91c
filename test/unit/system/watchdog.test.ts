import { PipelineProgress } from '../../../src/system/progress';
import { WatchdogPinger, type WatchdogNotifier, type WatchdogTimers } from '../../../src/system/watchdog';

/** A clock and interval timer the test advances by hand. */
class ManualClock implements WatchdogTimers {
  now = 0;
  private timers: Array<{ fn: () => void; ms: number; next: number; id: number }> = [];
  private nextId = 1;
  setInterval(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ fn, ms, next: this.now + ms, id });
    return id;
  }
  clearInterval(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.next <= end).sort((a, b) => a.next - b.next)[0];
      if (!due) break;
      this.now = due.next;
      due.next += due.ms;
      due.fn();
    }
    this.now = end;
  }
  get active(): number {
    return this.timers.length;
  }
}

class RecordingNotifier implements WatchdogNotifier {
  sent: string[] = [];
  constructor(readonly watchdogIntervalMs: number | undefined) {}
  watchdog(): void {
    this.sent.push('WATCHDOG=1');
  }
  status(text: string): void {
    this.sent.push(`STATUS=${text}`);
  }
  get pings(): number {
    return this.sent.filter((s) => s === 'WATCHDOG=1').length;
  }
}

function setup(frameStallMs = 20_000, inferenceStuckMs = 10_000) {
  const clock = new ManualClock();
  const notifier = new RecordingNotifier(15_000); // WatchdogSec=30s
  const progress = new PipelineProgress({ frameStallMs, inferenceStuckMs, now: () => clock.now });
  const warnings: string[] = [];
  const logger = { info: () => {}, debug: () => {}, error: () => {}, warn: (_f: object, m: string) => warnings.push(m) };
  const pinger = new WatchdogPinger({ notifier, progress: () => progress.check(), timers: clock, logger: logger as never });
  return { clock, notifier, progress, pinger, warnings };
}

test('pings at once and every half timeout while frames arrive', () => {
  const { clock, notifier, progress, pinger } = setup();
  progress.cameraActive('front');
  expect(pinger.start()).toBe(true);
  expect(notifier.pings).toBe(1);
  for (let i = 0; i < 8; i++) {
    clock.advance(5_000);
    progress.frameCaptured('front');
  }
  // 40 s at 15 s intervals: ticks at 15 and 30 s.
  expect(notifier.pings).toBe(3);
  expect(pinger.state).toBe('pinging');
});

test('stops pinging when the source stalls, warns once, resumes when frames return', () => {
  const { clock, notifier, progress, pinger, warnings } = setup();
  progress.cameraActive('front');
  pinger.start();
  clock.advance(15_000); // frame at t=0 only; 15 s < 20 s stall limit
  expect(notifier.pings).toBe(2);
  clock.advance(15_000); // t=30: 30 s without a frame
  expect(notifier.pings).toBe(2);
  expect(pinger.state).toBe('stalled');
  clock.advance(60_000);
  expect(notifier.pings).toBe(2);
  expect(warnings).toHaveLength(1);
  expect(notifier.sent.filter((s) => s.startsWith('STATUS=stalled: no frame from any active camera (front) for 30 s'))).toHaveLength(1);

  progress.frameCaptured('front');
  clock.advance(15_000);
  expect(notifier.pings).toBe(3);
  expect(pinger.state).toBe('pinging');
  expect(notifier.sent).toContain('STATUS=running');
});

test('one live camera is enough; paused cameras do not count; none active is fine', () => {
  const { clock, notifier, progress, pinger } = setup();
  progress.cameraActive('front');
  progress.cameraActive('back');
  pinger.start();
  for (let i = 0; i < 6; i++) {
    clock.advance(10_000);
    progress.frameCaptured('back'); // front never delivers
  }
  expect(notifier.pings).toBe(5);
  // Schedule pauses both: nothing is expected to move.
  progress.cameraInactive('front');
  progress.cameraInactive('back');
  clock.advance(120_000);
  expect(notifier.pings).toBe(13);
  expect(pinger.state).toBe('pinging');
});

test('an unplugged camera that is reconnecting keeps the pings going: restarting the service would not bring it back', () => {
  const { clock, notifier, progress, pinger } = setup();
  progress.cameraActive('front');
  pinger.start();
  progress.frameCaptured('front');
  progress.cameraWaiting('front'); // the capture lost its source and is reopening it with backoff
  clock.advance(300_000);
  expect(pinger.state).toBe('pinging');
  expect(notifier.pings).toBe(21);
  // Back: frames count again, and a stall while it claims to stream stops the pings.
  progress.frameCaptured('front');
  clock.advance(30_000);
  expect(pinger.state).toBe('stalled');
});

test('a waiting camera does not hide a stuck inference', () => {
  const { clock, progress, pinger } = setup();
  progress.cameraWaiting('front');
  progress.inferenceStarted('back');
  pinger.start();
  clock.advance(15_000);
  expect(pinger.state).toBe('stalled');
});

test('a camera that becomes active gets the stall limit as grace before its first frame', () => {
  const { clock, progress } = setup();
  clock.advance(100_000);
  progress.cameraActive('front');
  clock.advance(19_000);
  expect(progress.check()).toEqual({ ok: true });
  clock.advance(2_000);
  expect(progress.check().ok).toBe(false);
});

test('an inference stuck beyond its limit stops pings although frames arrive', () => {
  const { clock, notifier, progress, pinger } = setup(20_000, 10_000);
  progress.cameraActive('front');
  pinger.start();
  const token = progress.inferenceStarted('front');
  for (let i = 0; i < 6; i++) {
    clock.advance(5_000);
    progress.frameCaptured('front');
  }
  expect(notifier.pings).toBe(1); // t=15 and t=30 both see a 15/30 s old inference
  expect(notifier.sent.find((s) => s.startsWith('STATUS=stalled'))).toMatch(/inference for camera front running for 15 s \(limit 10 s\)/);
  progress.inferenceFinished(token);
  clock.advance(15_000);
  expect(notifier.pings).toBe(2);
});

test('a throwing progress callback counts as stalled; the pinger does not throw', () => {
  const clock = new ManualClock();
  const notifier = new RecordingNotifier(1_000);
  const pinger = new WatchdogPinger({
    notifier,
    timers: clock,
    progress: () => {
      throw new Error('boom');
    },
  });
  expect(() => pinger.start()).not.toThrow();
  expect(notifier.pings).toBe(0);
  expect(notifier.sent).toEqual(['STATUS=stalled: progress check threw: boom']);
});

test('no watchdog configured: start() returns false and sets no timer; stop() clears it', () => {
  const clock = new ManualClock();
  const off = new WatchdogPinger({ notifier: new RecordingNotifier(undefined), progress: () => true, timers: clock });
  expect(off.start()).toBe(false);
  expect(off.state).toBe('off');
  expect(clock.active).toBe(0);

  const on = new WatchdogPinger({ notifier: new RecordingNotifier(500), progress: () => true, timers: clock });
  on.start();
  expect(clock.active).toBe(1);
  on.stop();
  expect(clock.active).toBe(0);
  expect(on.state).toBe('off');
});
