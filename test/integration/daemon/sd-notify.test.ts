// Issue 8, "Done when" 1, from the outside: the daemon run with NOTIFY_SOCKET bound to a real unix
// datagram socket (and WATCHDOG_USEC) says READY=1 once it is up, pings WATCHDOG=1 while frames flow,
// shows STATUS= lines, brackets a reload with RELOADING=1 … READY=1, and says STOPPING=1 on SIGTERM.
import { bindNotifySocket, type NotifySocket } from '../../support/notify-socket';
import { Mosquitto } from '../../support/mosquitto';
import { Daemon, daemonTest, fileCamera } from '../../support/daemon-harness';

// 1 s → a ping every 500 ms.
const WATCHDOG_USEC = '1000000';

const count = (sock: NotifySocket, assignment: string): number => sock.assignments().filter((a) => a === assignment).length;

describe('lookout run under a systemd notify socket', () => {
  let broker: Mosquitto;
  let sock: NotifySocket | undefined;
  beforeAll(async () => {
    broker = await Mosquitto.start();
  });
  afterAll(async () => {
    await sock?.close();
    await broker?.stop();
  });

  daemonTest('READY=1, WATCHDOG=1 while frames flow, STATUS=, RELOADING=1 … READY=1 on SIGHUP, STOPPING=1 on SIGTERM', async () => {
    sock = await bindNotifySocket();
    const d = await Daemon.start({
      mqttUrl: broker.url,
      cameras: [fileCamera('front', { realtime: true, loop: true, max_fps: 5 })],
      env: { NOTIFY_SOCKET: sock.path, WATCHDOG_USEC },
    });
    const s = sock;
    const failWith = (e: unknown): never => {
      throw new Error(`${(e as Error).message}\nnotify messages: ${JSON.stringify(s.messages)}`);
    };

    await s.waitFor(() => s.assignments().includes('READY=1'), 60_000).catch(failWith);
    // READY means up: frames are being processed by then or very soon after.
    await d.waitFor('detections after READY', () => d.rec.count(d.topic('front/detections')) >= 1, 20_000);
    const pingsAtReady = count(s, 'WATCHDOG=1');
    await s.waitFor(() => count(s, 'WATCHDOG=1') >= pingsAtReady + 4, 20_000).catch(failWith);
    // `systemctl status` shows the camera's detection rate and inference time.
    await s.waitFor(() => s.assignments().some((a) => /^STATUS=.*front [0-9.]+ fps, inference [0-9.]+ ms/.test(a)), 20_000).catch(failWith);

    // A reload (unchanged file) is announced to systemd and finished with READY=1 again.
    const readyBefore = count(s, 'READY=1');
    d.signal('SIGHUP');
    await s.waitFor(() => s.assignments().includes('RELOADING=1') && count(s, 'READY=1') > readyBefore, 20_000).catch(failWith);
    const a1 = s.assignments();
    expect(a1.lastIndexOf('READY=1')).toBeGreaterThan(a1.indexOf('RELOADING=1'));
    const pingsAfterReload = count(s, 'WATCHDOG=1');
    await s.waitFor(() => count(s, 'WATCHDOG=1') >= pingsAfterReload + 2, 20_000).catch(failWith);

    d.signal('SIGTERM');
    const exit = await d.waitExit(15_000);
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.ms).toBeLessThan(5000);
    await s.waitFor(() => s.assignments().includes('STOPPING=1'), 2000).catch(failWith);
    const a = s.assignments();
    expect(a.indexOf('READY=1')).toBeGreaterThanOrEqual(0);
    expect(a.indexOf('STOPPING=1')).toBeGreaterThan(a.lastIndexOf('READY=1'));
  });
});
