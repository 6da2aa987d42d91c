// Two Lookouts with one client id throw each other off the broker. Both protocol versions: MQTT 5 says
// so (DISCONNECT 0x8E), on 3.1.1 the flapping pattern gives it away. Either way an ERROR names the cause.
import { MqttLink } from '../../../src/mqtt';
import { Mosquitto } from '../../support/mosquitto';
import { captureLogger, waitUntil } from './helpers';

describe('a second client with the same client id', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await Mosquitto.start();
  });
  afterAll(async () => broker.stop());

  it.each([5, 4] as const)('is detected and reported (MQTT protocol %s), and backs off', async (protocolVersion) => {
    const logs = [captureLogger(), captureLogger()];
    const links = logs.map(
      (log) =>
        new MqttLink(
          { url: broker.url, deviceId: `twin${protocolVersion}`, protocolVersion, backoff: { initialMs: 50, maxMs: 200 }, discovery: { enabled: false } },
          log.logger,
        ),
    );
    try {
      await links[0].start();
      expect(await links[0].whenConnected(10_000)).toBe(true);
      await links[1].start();
      const reported = (): boolean =>
        logs.some((log) => log.lines.some((l) => l.level === 50 && /(session taken over|another client probably uses).*client id 'lookout-twin/.test(l.msg)));
      await waitUntil('an ERROR about the shared client id', reported, 30_000);
      // The harder backoff: reconnects now wait the takeover backoff (30 s doubling, minus jitter).
      const harder = (): boolean =>
        logs.some((log) => log.lines.some((l) => l.msg === 'MQTT reconnect scheduled' && l.takeover === true && (l.delayMs as number) >= 15_000));
      await waitUntil('a reconnect scheduled with the takeover backoff', harder, 30_000);
    } finally {
      for (const link of links) await link.stop();
    }
  });
});
