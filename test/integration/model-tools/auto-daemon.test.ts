// `detector.model: auto` in the running daemon: one log line at start says which model runs and
// why, and the detections the daemon publishes come from that model.
import { AUTO_FP32, AUTO_INT8, hostInt8Support } from '../../../src/detect/model-choice';
import { Mosquitto } from '../../support/mosquitto';
import { Daemon, daemonTest, fileCamera } from '../../support/daemon-harness';

describe('lookout run with detector.model: auto', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await Mosquitto.start();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  daemonTest('logs the choice once and publishes detections of the chosen model', async () => {
    const cpu = hostInt8Support();
    const expected = cpu.fast ? AUTO_INT8 : AUTO_FP32;
    const d = await Daemon.start({
      mqttUrl: broker.url,
      cameras: [fileCamera('front', { realtime: false, loop: false, max_fps: 120 })],
      config: { detector: { model: 'auto' } },
    });
    const detections = d.topic('front/detections');
    await d.waitFor('5 detections messages', () => d.rec.count(detections) >= 5, 60_000);
    const said = d.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('model auto:'));
    expect(said).toEqual([expect.objectContaining({ lvl: 'info', runs: expected, reason: cpu.why, msg: `model auto: running ${expected} (${cpu.why})` })]);
    const models = new Set(d.rec.json<{ model: string }>(detections).map((p) => p.model));
    expect([...models]).toEqual([expected]);
    d.signal('SIGTERM');
    expect(await d.waitExit(15_000)).toMatchObject({ code: 0 });
  });
});
