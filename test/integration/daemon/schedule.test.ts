// Issue 8, schedules through the running daemon: a camera outside its active window starts paused
// (retained status says so and until when) and publishes no detections; the MQTT override turns it on
// until the next window edge, and `auto` hands it back to the schedule. The window edges themselves
// are tested with jest fake timers driving node-schedule in test/unit/schedule.
import path from 'node:path';
import { Mosquitto } from '../../support/mosquitto';
import { bindNotifySocket } from '../../support/notify-socket';
import { Daemon, daemonTest, fileCamera } from '../../support/daemon-harness';
import { schemaProblems } from '../../../src/mqtt';

interface Status {
  state: string;
  reason: string | null;
}
interface Result {
  ok: boolean;
  error?: string;
}

/** HH:MM in UTC, `hours` from now. */
const utcClock = (hours: number): string => {
  const d = new Date(Date.now() + hours * 3_600_000);
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
};

describe('lookout run: schedules', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await Mosquitto.start();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  // One daemon for both cameras (each daemon start costs a model load): every camera is outside its
  // window, so READY=1 comes at once; `front` is paused and obeys the override, `gone` (a missing
  // file) shows its error with the pause reason. Detect × schedule rules are unit-tested in
  // test/unit/daemon; this proves the real process with node-schedule, the notify socket and a broker.
  daemonTest('outside their windows: READY=1 at once, paused (or an error with the pause reason), the override turns one on, auto hands it back', async () => {
    const sock = await bindNotifySocket();
    try {
      const started = Date.now();
      const closed = [{ from: utcClock(2), to: utcClock(3) }];
      const d = await Daemon.start({
        mqttUrl: broker.url,
        cameras: [
          fileCamera('front', { realtime: true, loop: true, max_fps: 5, schedule: closed }),
          fileCamera('gone', { realtime: true, loop: true, path: path.join(__dirname, 'no-such-video.avi'), schedule: closed }),
        ],
        // Stats every second: the checks that nothing is published wait for two of them.
        config: { schedule: { timezone: 'UTC' }, stats: { interval_s: 1 } },
        env: { NOTIFY_SOCKET: sock.path },
      });
      const rec = d.rec;
      const statuses = (camera: string) => rec.json<Status>(d.topic(`${camera}/status`));
      const detections = () => rec.count(d.topic('front/detections'));
      const command = async (payload: object): Promise<Result> => (await d.command<Result>('front/set', payload, { timeoutMs: 15_000 })).r;
      /** Two stats messages (1 s apart): time in which a detecting camera (5 fps) would have published. */
      const twoStatsLater = async () => {
        await rec.next(d.topic('stats'));
        await rec.next(d.topic('stats'));
      };

      await d.waitFor('a paused status', () => statuses('front').some((s) => s.state === 'paused'), 30_000);
      const paused = statuses('front').find((s) => s.state === 'paused')!;
      expect(paused.reason).toMatch(/^schedule window: inactive until \d{4}-\d\d-\d\dT/);
      for (const s of rec.json(d.topic('front/status'))) expect(schemaProblems('status', s)).toBeNull();
      // The log line says which camera paused (with several cameras it was anybody's guess).
      expect(d.logsMatching(/detection paused/).map((l) => l.camera)).toContain('front');
      // close_when_inactive is false by default: the camera is opened although detection is paused.
      await d.waitFor(
        'an error status naming the file and the schedule',
        () =>
          statuses('gone').some(
            (s) => s.state === 'error' && /no-such-video\.avi/.test(s.reason ?? '') && /schedule window: inactive until/.test(s.reason ?? ''),
          ),
        30_000,
      );
      await sock.waitFor(() => sock.assignments().includes('READY=1'), 30_000);
      // Not the 30 s bound: nothing will stream before the window opens, so there is nothing to wait for.
      expect(sock.assignments().find((a) => a.startsWith('STATUS=') && /paused/.test(a)) ?? sock.assignments().join(' ')).toMatch(/paused/);
      expect(Date.now() - started).toBeLessThan(25_000);
      await twoStatsLater();
      expect(detections()).toBe(0);

      const pausedCount = statuses('front').length;
      expect(await command({ schedule_override: 'on' })).toMatchObject({ ok: true });
      await d.waitFor('detections after the override', () => detections() >= 5, 30_000);
      const since = statuses('front').slice(pausedCount);
      expect(since.map((s) => s.reason)).toContainEqual(expect.stringMatching(/^schedule override on: active until /));
      expect(since.at(-1)!.state).toBe('streaming');

      expect(await command({ schedule_override: 'auto' })).toMatchObject({ ok: true });
      await d.waitFor('paused again', () => statuses('front').at(-1)?.state === 'paused', 15_000);
      await rec.next(d.topic('stats')); // frames in flight at the pause are published by now
      const settled = detections();
      await twoStatsLater();
      expect(detections()).toBe(settled);
      expect(rec.count(d.topic('gone/detections'))).toBe(0);
      d.signal('SIGTERM');
      expect(await d.waitExit(15_000)).toMatchObject({ code: 0, signal: null });
    } finally {
      await sock.close();
    }
  });
});
