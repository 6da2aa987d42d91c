// Issue 8, schedules through the running daemon: a camera outside its active window starts paused
// (retained status says so and until when) and publishes no detections; the MQTT override turns it on
// until the next window edge, and `auto` hands it back to the schedule. The window edges themselves
// are tested with a test clock in test/unit/schedule.
import path from 'node:path';
import { Mosquitto } from '../../support/mosquitto';
import { bindNotifySocket } from '../../support/notify-socket';
import { Daemon, daemonTest, fileCamera, sleep } from '../../support/daemon-harness';
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

  daemonTest('outside its window a camera is paused; the override turns it on, auto hands it back', async () => {
    const d = await Daemon.start({
      mqttUrl: broker.url,
      cameras: [fileCamera('front', { realtime: true, loop: true, max_fps: 5, schedule: [{ from: utcClock(2), to: utcClock(3) }] })],
      config: { schedule: { timezone: 'UTC' } },
    });
    const rec = d.rec;
    const statuses = () => rec.json<Status>(d.topic('front/status'));
    const detections = () => rec.count(d.topic('front/detections'));
    const command = async (payload: object): Promise<Result> => (await d.command<Result>('front/set', payload, { timeoutMs: 15_000 })).r;

    await d.waitFor('a paused status', () => statuses().some((s) => s.state === 'paused'), 30_000);
    const paused = statuses().find((s) => s.state === 'paused')!;
    expect(paused.reason).toMatch(/^schedule window: inactive until \d{4}-\d\d-\d\dT/);
    for (const s of rec.json(d.topic('front/status'))) expect(schemaProblems('status', s)).toBeNull();
    // The log line says which camera paused (with several cameras it was anybody's guess).
    expect(d.logsMatching(/detection paused/).map((l) => l.camera)).toContain('front');
    await sleep(3000);
    expect(detections()).toBe(0);

    const pausedCount = statuses().length;
    expect(await command({ schedule_override: 'on' })).toMatchObject({ ok: true });
    await d.waitFor('detections after the override', () => detections() >= 5, 30_000);
    const since = statuses().slice(pausedCount);
    expect(since.map((s) => s.reason)).toContainEqual(expect.stringMatching(/^schedule override on: active until /));
    expect(since.at(-1)!.state).toBe('streaming');

    expect(await command({ schedule_override: 'auto' })).toMatchObject({ ok: true });
    await d.waitFor('paused again', () => statuses().at(-1)?.state === 'paused', 15_000);
    await sleep(1000);
    const settled = detections();
    await sleep(2500);
    expect(detections()).toBe(settled);
    d.signal('SIGTERM');
    expect(await d.waitExit(15_000)).toMatchObject({ code: 0, signal: null });
  });

  daemonTest('every camera outside its window: READY=1 at once, and a missing file shows as an error before the window opens', async () => {
    const sock = await bindNotifySocket();
    try {
      const started = Date.now();
      const d = await Daemon.start({
        mqttUrl: broker.url,
        cameras: [
          fileCamera('gone', {
            realtime: true,
            loop: true,
            path: path.join(__dirname, 'no-such-video.avi'),
            schedule: [{ from: utcClock(2), to: utcClock(3) }],
          }),
        ],
        config: { schedule: { timezone: 'UTC' } },
        env: { NOTIFY_SOCKET: sock.path },
      });
      const statuses = () => d.rec.json<Status>(d.topic('gone/status'));
      // close_when_inactive is false by default: the camera is opened although detection is paused.
      await d.waitFor(
        'an error status naming the file and the schedule',
        () =>
          statuses().some((s) => s.state === 'error' && /no-such-video\.avi/.test(s.reason ?? '') && /schedule window: inactive until/.test(s.reason ?? '')),
        30_000,
      );
      await sock.waitFor(() => sock.assignments().includes('READY=1'), 30_000);
      // Not the 30 s bound: nothing will stream before the window opens, so there is nothing to wait for.
      expect(sock.assignments().find((a) => a.startsWith('STATUS=') && /paused/.test(a)) ?? sock.assignments().join(' ')).toMatch(/paused/);
      expect(Date.now() - started).toBeLessThan(25_000);
      expect(d.rec.count(d.topic('gone/detections'))).toBe(0);
      d.signal('SIGTERM');
      expect(await d.waitExit(15_000)).toMatchObject({ code: 0, signal: null });
    } finally {
      await sock.close();
    }
  });
});
