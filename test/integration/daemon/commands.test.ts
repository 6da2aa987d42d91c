// The MQTT command API of docs/mqtt.md against the running daemon: detection switched off and on per
// camera (status paused / streaming, detections stop and resume), a minimum score set by command
// changes what is published, a camera the daemon does not have and a retained command are refused
// with a reason and change nothing.
import { Mosquitto } from '../../support/mosquitto';
import { Daemon, daemonTest, fileCamera, sleep, type Msg } from '../../support/daemon-harness';

interface Result {
  ok: boolean;
  id?: string;
  camera?: string;
  error?: string;
}

describe('lookout run: MQTT commands', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await Mosquitto.start();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  daemonTest('detect off/on, min_score, unknown camera, retained command', async () => {
    const d = await Daemon.start({
      mqttUrl: broker.url,
      cameras: [fileCamera('front', { realtime: true, loop: true, max_fps: 5 })],
      config: { objects: { min_score: 0.3 } },
    });
    const rec = d.rec;
    const det = d.topic('front/detections');
    const status = d.topic('front/status');
    const after = (m: Msg): Msg[] => rec.on(det).filter((x) => x.index > m.index);
    const scoresAfter = (m: Msg): number[] =>
      after(m)
        .slice(2)
        .flatMap((x) => (JSON.parse(x.text) as { detections: { score: number }[] }).detections.map((y) => y.score));
    const command = (setTopic: string, payload: object | string, retain = false) => d.command<Result>(setTopic, payload, { retain, timeoutMs: 20_000 });

    await d.waitFor('10 detections messages', () => rec.count(det) >= 10, 60_000);

    // Detection off for the camera: answered, status paused, no more detections.
    const off = await command('front/set', { detect: false, id: 'off-1' });
    expect(off.r).toMatchObject({ ok: true, id: 'off-1', camera: 'front' });
    await d.waitFor('status paused', () => (JSON.parse(rec.last(status)?.text ?? '{}') as { state?: string }).state === 'paused', 10_000);
    await sleep(2500);
    expect(after(off.msg).length).toBeLessThanOrEqual(2); // at most the frames already in flight
    // On again: streaming, detections resume.
    const on = await command('front/set', { detect: true, id: 'on-1' });
    expect(on.r).toMatchObject({ ok: true, id: 'on-1' });
    await d.waitFor('status streaming again', () => (JSON.parse(rec.last(status)?.text ?? '{}') as { state?: string }).state === 'streaming', 10_000);
    await d.waitFor('detections again', () => after(on.msg).length >= 5, 20_000);

    // A minimum score by command (device-wide) changes what is published.
    const ms = await command('set', { min_score: 0.85, id: 'ms' });
    expect(ms.r).toMatchObject({ ok: true, id: 'ms' });
    await d.waitFor('12 detections messages after min_score', () => after(ms.msg).length >= 12, 30_000);
    expect(scoresAfter(ms.msg).filter((s) => s < 0.85)).toEqual([]);

    // A camera the daemon does not have: refused, naming the known ones.
    const unknown = await command('garage/set', { detect: false, id: 'g' });
    expect(unknown.r.ok).toBe(false);
    expect(unknown.r.error).toMatch(/garage/);
    expect(unknown.r.error).toMatch(/front/);

    // A retained command is refused (it would switch the camera off at every restart) and not applied.
    const retained = await command('front/set', { detect: false, id: 'ret' }, true);
    expect(retained.r.ok).toBe(false);
    expect(retained.r.error).toMatch(/retain/i);
    await rec.publish(d.topic('front/set'), '', { retain: true }); // clear it from the broker
    await d.waitFor('detections after the refused retained command', () => after(retained.msg).length >= 5, 20_000);
    expect((JSON.parse(rec.last(status)!.text) as { state: string }).state).toBe('streaming');

    expect(d.running).toBe(true);
    d.signal('SIGTERM');
    expect(await d.waitExit(15_000)).toMatchObject({ code: 0, signal: null });
  });
});
