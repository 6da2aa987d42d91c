// The link writes its packets without mqtt-packet's number cache: that cache is a Buffer for each
// number up to 65 535, built on the first packet written unless the client says otherwise, and it
// held 6 MB of the daemon's V8 heap (issue 17, memory).
import { MqttLink } from '../../../src/mqtt';
import { Mosquitto } from '../../support/mosquitto';
import { captureLogger, Subscriber, waitUntil } from './helpers';

// The copy of mqtt-packet that the link's mqtt.js writes with.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a path resolved from mqtt's own folder
const numbers = require(require.resolve('mqtt-packet/numbers', { paths: [require.resolve('mqtt')] })) as { cache: Record<number, Buffer> };

test('a connected link that has published leaves the 65 536-entry number cache unbuilt', async () => {
  const broker = await Mosquitto.start();
  const link = new MqttLink({ url: broker.url, deviceId: 'cache', cameras: ['front'], version: '0.1.0' }, captureLogger().logger);
  let sub: Subscriber | undefined;
  try {
    await link.start();
    expect(await link.whenConnected(10_000)).toBe(true);
    // Connected after the link, so that this client (whose options would build the cache) writes
    // with the setting the link left.
    sub = await Subscriber.connect(broker.url, ['lookout/cache/availability']);
    await waitUntil('the link published its retained availability', () => sub!.on('lookout/cache/availability').some((m) => m.payload.toString() === 'online'));
    expect(Object.keys(numbers.cache)).toHaveLength(0);
  } finally {
    await sub?.close();
    await link.stop();
    await broker.stop();
  }
});
