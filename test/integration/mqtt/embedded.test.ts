// The embedded aedes broker (zero-setup default): localhost, MQTT 3.1.1, the link publishes through it.
import net from 'node:net';
import { MqttLink, startEmbeddedBroker } from '../../../src/mqtt';
import { captureLogger, Subscriber, waitUntil } from './helpers';

describe('embedded broker', () => {
  it('accepts connections on 127.0.0.1 and carries the link', async () => {
    const log = captureLogger();
    const broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0 }, log.logger);
    const link = new MqttLink({ url: broker.url, protocolVersion: 4, deviceId: 'embedded', discovery: { enabled: false } }, log.logger);
    let sub: Subscriber | undefined;
    try {
      expect(broker.url).toBe(`mqtt://127.0.0.1:${broker.port}`);
      sub = await Subscriber.connect(broker.url, ['lookout/embedded/#'], { protocolVersion: 4 });
      await link.start();
      expect(await link.whenConnected(10_000)).toBe(true);
      link.publishEvent('front', {
        type: 'start',
        track_id: 3,
        label: 'dog',
        score: 0.7,
        box: [0, 0, 1, 1],
        zones: [],
        started_at: 1,
        updated_at: 1,
        frames: 1,
      });
      link.setCount('front', 'dog', 1);
      await waitUntil('event and count', () => sub!.on('lookout/embedded/front/events').length === 1 && sub!.on('lookout/embedded/front/dog').length === 1);
      expect(sub.on('lookout/embedded/availability').at(-1)!.payload.toString()).toBe('online');
    } finally {
      await link.stop();
      await sub?.close();
      await broker.close();
    }
  });

  it('a link left at MQTT 5 falls back to 3.1.1 with a WARN line', async () => {
    const log = captureLogger();
    const broker = await startEmbeddedBroker({ port: 0 }, log.logger);
    const link = new MqttLink({ url: broker.url, deviceId: 'embedded5', discovery: { enabled: false } }, log.logger);
    try {
      await link.start();
      expect(await link.whenConnected(10_000)).toBe(true);
      expect(log.lines.some((l) => l.level === 40 && /does not speak MQTT 5/.test(l.msg))).toBe(true);
      expect(log.lines.filter((l) => l.level >= 50)).toEqual([]);
    } finally {
      await link.stop();
      await broker.close();
    }
  });

  it('says clearly when the port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(startEmbeddedBroker({ port }, captureLogger().logger)).rejects.toThrow(new RegExp(`127\\.0\\.0\\.1:${port}: the port is in use`));
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });
});
