import { execFileSync } from 'node:child_process';
import { bindNotifySocket, type NotifySocket } from '../../support/notify-socket';
import { SystemdNotifier } from '../../../src/system/sd-notify';
import { WatchdogPinger } from '../../../src/system/watchdog';
import { PipelineProgress } from '../../../src/system/progress';

// A real datagram socket bound as NOTIFY_SOCKET; the notifier and pinger run with real timers.
// WATCHDOG_USEC=200000 → a ping every 100 ms, so "periodic" shows within a second or two.

const WATCHDOG_USEC = '200000';

function count(sock: NotifySocket, assignment: string): number {
  return sock.assignments().filter((a) => a === assignment).length;
}

/** systemd-notify ≥ 246 adds BARRIER=1 (a synchronisation datagram) after each message. */
function withoutBarriers(assignments: string[]): string[] {
  return assignments.filter((a) => a !== 'BARRIER=1');
}

function hasSystemdNotify(): boolean {
  try {
    execFileSync('systemd-notify', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('sd_notify against a real unix datagram socket', () => {
  let sock: NotifySocket;
  afterEach(async () => {
    await sock?.close();
  });

  test('unix-dgram: READY, periodic WATCHDOG while frames flow, STATUS, none while stalled, STOPPING', async () => {
    sock = await bindNotifySocket();
    const env = { NOTIFY_SOCKET: sock.path, WATCHDOG_USEC, WATCHDOG_PID: String(process.pid) };
    const notifier = new SystemdNotifier(undefined, { env });
    expect(notifier.transport).toBe('unix-dgram');
    expect(notifier.watchdogIntervalMs).toBe(100);

    // The clock is real; the frame source is simulated by calls a capture loop would make.
    // The stall limit is ten ping periods, so a busy machine delaying a frame does not stall it early.
    const progress = new PipelineProgress({ frameStallMs: 1000, inferenceStuckMs: 10_000 });
    progress.cameraActive('front');
    const frames = setInterval(() => progress.frameCaptured('front'), 20);
    const pinger = new WatchdogPinger({ notifier, progress: () => progress.check() });

    notifier.ready('warming up done: 1 camera');
    expect(pinger.start()).toBe(true);
    await sock.waitFor(() => count(sock, 'WATCHDOG=1') >= 4);
    notifier.status('front 9.8 fps, inference p50 18 ms');
    await sock.waitFor((m) => m.some((x) => x.includes('STATUS=front 9.8 fps')));

    // Stall the source: pings stop, and the reason shows in STATUS=.
    const stalls = (m: string[]): number => m.filter((x) => x.startsWith('STATUS=stalled: no frame from any active camera (front)')).length;
    const stallsBefore = stalls(sock.messages);
    clearInterval(frames);
    await sock.waitFor((m) => stalls(m) > stallsBefore);
    expect(pinger.state).toBe('stalled');
    const pingsAtStall = count(sock, 'WATCHDOG=1');
    // Several ping periods pass (bounded by message count, not time: other notifications keep flowing).
    for (let i = 0; i < 5; i++) {
      notifier.status(`probe ${i}`);
      await sock.waitFor((m) => m.some((x) => x === `STATUS=probe ${i}`));
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(count(sock, 'WATCHDOG=1')).toBe(pingsAtStall);

    // Frames come back: pings resume.
    progress.frameCaptured('front');
    await sock.waitFor(() => count(sock, 'WATCHDOG=1') > pingsAtStall);

    pinger.stop();
    notifier.stopping('shutting down');
    await sock.waitFor((m) => m.some((x) => x.startsWith('STOPPING=1')));

    const a = sock.assignments();
    expect(a[0]).toBe('READY=1');
    expect(a[1]).toBe('STATUS=warming up done: 1 camera');
    expect(a.indexOf('STATUS=running')).toBeGreaterThan(a.findIndex((x) => x.startsWith('STATUS=stalled')));
    expect(a[a.length - 2]).toBe('STOPPING=1');
    expect(a[a.length - 1]).toBe('STATUS=shutting down');
  });

  test('a stuck inference withholds pings although frames arrive', async () => {
    sock = await bindNotifySocket();
    const notifier = new SystemdNotifier(undefined, { env: { NOTIFY_SOCKET: sock.path, WATCHDOG_USEC } });
    const progress = new PipelineProgress({ frameStallMs: 10_000, inferenceStuckMs: 200 });
    progress.cameraActive('yard');
    const frames = setInterval(() => progress.frameCaptured('yard'), 20);
    const pinger = new WatchdogPinger({ notifier, progress: () => progress.check() });
    try {
      pinger.start();
      await sock.waitFor(() => count(sock, 'WATCHDOG=1') >= 2);
      progress.inferenceStarted('yard'); // never finishes
      await sock.waitFor((m) => m.some((x) => x.startsWith('STATUS=stalled: inference for camera yard running for')));
      const pings = count(sock, 'WATCHDOG=1');
      notifier.status('probe');
      await new Promise((r) => setTimeout(r, 500));
      await sock.waitFor((m) => m.includes('STATUS=probe'));
      expect(count(sock, 'WATCHDOG=1')).toBe(pings);
    } finally {
      clearInterval(frames);
      pinger.stop();
    }
  });

  test('without unix-dgram it falls back to the systemd-notify binary', async () => {
    if (!hasSystemdNotify()) throw new Error('systemd-notify not found: install the Debian package "systemd"');
    sock = await bindNotifySocket();
    const notifier = new SystemdNotifier(undefined, {
      env: { NOTIFY_SOCKET: sock.path, WATCHDOG_USEC },
      loadUnixDgram: () => undefined,
    });
    expect(notifier.transport).toBe('systemd-notify');
    notifier.ready('fallback');
    notifier.watchdog();
    notifier.status('two words');
    notifier.stopping();
    await notifier.flush();
    await sock.waitFor(() => sock.assignments().includes('STOPPING=1'));
    expect(withoutBarriers(sock.assignments())).toEqual(['READY=1', 'STATUS=fallback', 'WATCHDOG=1', 'STATUS=two words', 'STOPPING=1']);
  });

  test('an abstract NOTIFY_SOCKET (@name) is reached', async () => {
    if (!hasSystemdNotify()) throw new Error('systemd-notify not found: install the Debian package "systemd"');
    sock = await bindNotifySocket({ abstract: true });
    expect(sock.path.startsWith('@')).toBe(true);
    const notifier = new SystemdNotifier(undefined, { env: { NOTIFY_SOCKET: sock.path } });
    notifier.ready();
    notifier.stopping();
    await notifier.flush();
    await sock.waitFor(() => sock.assignments().includes('STOPPING=1'));
    expect(withoutBarriers(sock.assignments())).toEqual(['READY=1', 'STOPPING=1']);
  });

  test('a missing socket does not throw; messages are dropped', async () => {
    sock = await bindNotifySocket();
    const gone = sock.path + '.missing';
    const notifier = new SystemdNotifier(undefined, { env: { NOTIFY_SOCKET: gone } });
    expect(() => {
      notifier.ready();
      notifier.watchdog();
      notifier.stopping();
    }).not.toThrow();
    const fallback = new SystemdNotifier(undefined, {
      env: { NOTIFY_SOCKET: gone },
      transport: 'systemd-notify',
      systemdNotifyPath: '/nonexistent/systemd-notify',
    });
    fallback.ready();
    await expect(fallback.flush()).resolves.toBeUndefined();
  });
});
