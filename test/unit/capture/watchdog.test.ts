import { CaptureWatchdog } from '../../../src/capture/watchdog';

const o = { openTimeoutMs: 2000, readTimeoutMs: 1500, aliveIntervalMs: 250, tickMs: 250 };

/** Checks at every tick from `from` to `to` (as the camera's interval would), returning the first verdict. */
function tickUntil(w: CaptureWatchdog, from: number, to: number): { at: number; verdict: string } | undefined {
  for (let t = from; t <= to; t += o.tickMs) {
    const verdict = w.check(t);
    if (verdict) return { at: t, verdict };
  }
  return undefined;
}

test('an open or first read that hangs is stuck once the open timeout has passed, not before', () => {
  const w = new CaptureWatchdog(o, 0);
  // Reports keep coming (its event loop runs), but no first frame.
  for (let t = 250; t <= 2000; t += 250) {
    w.reading(t, t);
    expect(w.check(t)).toBeUndefined();
  }
  expect(w.check(2250)).toBe('no frame within 2000 ms of opening (open or first read hung)');
});

test('a streaming process that stops reporting is unresponsive after the read timeout', () => {
  const w = new CaptureWatchdog(o, 0);
  w.streamingSince();
  w.reading(-1, 1000);
  expect(tickUntil(w, 1000, 5000)).toEqual({ at: 2750, verdict: 'capture process unresponsive for 1750 ms (stuck in a native call)' });
});

test('a read that the process itself reports as running too long is a read timeout', () => {
  const w = new CaptureWatchdog(o, 0);
  w.streamingSince();
  let verdict: string | undefined;
  for (let t = 250; t <= 5000 && !verdict; t += 250) {
    w.reading(t - 250, t); // a read started at 0 still runs, reported every 250 ms
    verdict = w.check(t);
  }
  expect(verdict).toBe('a read has not returned for 1750 ms (read timeout 1500 ms)');
});

test('reads that return in time are never a verdict, however long it streams', () => {
  const w = new CaptureWatchdog(o, 0);
  w.streamingSince();
  for (let t = 250; t <= 60_000; t += 250) {
    w.reading(t % 1000 < 500 ? 100 : -1, t);
    expect(w.check(t)).toBeUndefined();
  }
});

test('after the daemon itself was blocked, judging waits a tick for the queued reports', () => {
  const w = new CaptureWatchdog(o, 0);
  w.streamingSince();
  w.reading(-1, 250);
  expect(w.check(250)).toBeUndefined();
  // The daemon's loop was stuck for 5 s: the capture process's reports are still unread.
  expect(w.check(5250)).toBeUndefined();
  w.reading(-1, 5260);
  expect(w.check(5500)).toBeUndefined();
});

test('a silent process is not blamed for a slow read: only the unresponsive verdict applies', () => {
  const w = new CaptureWatchdog(o, 0);
  w.streamingSince();
  w.reading(100, 1000); // last word: a read running for 100 ms
  // Extrapolated, that read passes the 1500 ms timeout at 2400; but the process has been silent
  // for more than three report intervals by then, so it is judged as not running at all.
  expect(tickUntil(w, 1250, 5000)).toEqual({ at: 2750, verdict: 'capture process unresponsive for 1750 ms (stuck in a native call)' });
});

test('the check interval follows the read timeout within bounds', () => {
  expect(CaptureWatchdog.tickFor(5000)).toBe(250);
  expect(CaptureWatchdog.tickFor(400)).toBe(100);
  expect(CaptureWatchdog.tickFor(10)).toBe(20);
});
