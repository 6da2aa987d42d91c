// A fleet as docs/fleet.md describes it, with real daemons and real Mosquitto brokers:
// - two devices (different device ids) publish into one broker, and two consumers sharing one MQTT 5
//   shared subscription ($share/<group>/lookout/+/+/events) together receive every event exactly once;
// - a device publishes to its own local Mosquitto, bridged to an upstream one; the upstream link goes
//   down mid-run (a TCP proxy stops, as a WAN link would) and comes back: the bridge's store-and-forward
//   delivers every QoS 1 event upstream.
import { connectAsync, type MqttClient } from 'mqtt';
import { Mosquitto, freePort } from '../../support/mosquitto';
import { TcpProxy } from '../mqtt/helpers';
import { Daemon, Recorder, daemonTest, fileCamera, sleep, uniqueEvents, waitFor, type EventMsg } from '../../support/daemon-harness';

const quickEvents = { tracker: { update_interval_s: 0.5 } };
const camera = () => fileCamera('front', { realtime: true, loop: true, max_fps: 5 });

async function sharedConsumer(url: string, filter: string): Promise<{ client: MqttClient; got: { topic: string; seq: number }[] }> {
  const got: { topic: string; seq: number }[] = [];
  const client = await connectAsync(url, { protocolVersion: 5, clean: true, clientId: `consumer-${Math.random().toString(36).slice(2, 8)}` });
  client.on('message', (topic, payload) => got.push({ topic, seq: (JSON.parse(payload.toString()) as EventMsg).seq }));
  await client.subscribeAsync(filter, { qos: 1 });
  return { client, got };
}

describe('a fleet of devices', () => {
  daemonTest('two devices into one broker: two consumers on a shared subscription get every event exactly once', async () => {
    const broker = await Mosquitto.start();
    const consumers = [
      await sharedConsumer(broker.url, '$share/pipeline/lookout/+/+/events'),
      await sharedConsumer(broker.url, '$share/pipeline/lookout/+/+/events'),
    ];
    try {
      const devices = [
        await Daemon.start({ mqttUrl: broker.url, deviceId: `fleet-a-${process.pid}`, cameras: [camera()], config: quickEvents }),
        await Daemon.start({ mqttUrl: broker.url, deviceId: `fleet-b-${process.pid}`, cameras: [camera()], config: quickEvents }),
      ];
      const events = (d: Daemon) => uniqueEvents(d.rec, d.topic('front/events'));
      await waitFor('both devices publishing events', () => devices.every((d) => events(d).length >= 10), 60_000);
      for (const d of devices) d.signal('SIGTERM');
      for (const d of devices) expect((await d.waitExit(15_000)).code).toBe(0);
      // Every event the devices published (as a plain subscriber saw them), by topic and seq.
      const expected = devices.flatMap((d) => events(d).map((e) => `${d.topic('front/events')}#${e.seq}`)).sort();
      const received = () => consumers.flatMap((c) => c.got.map((g) => `${g.topic}#${g.seq}`)).sort();
      await waitFor('the consumers to catch up', () => received().length >= expected.length, 15_000);
      expect(received()).toEqual(expected);
      // Shared: the load really is split between the two consumers.
      for (const c of consumers) expect(c.got.length).toBeGreaterThan(0);
    } finally {
      for (const c of consumers) await c.client.endAsync();
      await broker.stop();
    }
  });

  daemonTest('device → local Mosquitto bridged upstream: no QoS 1 event lost across an upstream outage', async () => {
    const upstream = await Mosquitto.start();
    const link = new TcpProxy(upstream.port);
    await link.up(await freePort());
    // The bridge as docs/fleet.md configures it: a persistent session, so the local broker queues
    // what the upstream has not acknowledged while the link is down.
    const edge = await Mosquitto.start({
      extraConfig: [
        'connection upstream',
        `address 127.0.0.1:${link.port}`,
        'topic lookout/# out 1',
        'cleansession false',
        `clientid lookout-edge-${process.pid}`,
        'restart_timeout 1 2',
        'keepalive_interval 5',
        'max_queued_messages 10000',
      ],
    });
    const deviceId = `edge-${process.pid}`;
    const upstreamRec = await Recorder.connect(upstream.url, [`lookout/${deviceId}/+/events`]);
    try {
      const d = await Daemon.start({ mqttUrl: edge.url, deviceId, cameras: [camera()], config: quickEvents });
      const topic = d.topic('front/events');
      const atEdge = () => uniqueEvents(d.rec, topic).map((e) => e.seq);
      const atUpstream = () => uniqueEvents(upstreamRec, topic).map((e) => e.seq);
      await waitFor('events reaching the upstream broker through the bridge', () => atUpstream().length >= 5, 60_000);
      await link.down();
      const downAt = atEdge().length;
      await waitFor('events produced while the upstream link is down', () => atEdge().length >= downAt + 10, 30_000);
      await sleep(1000);
      await link.up();
      d.signal('SIGTERM');
      expect((await d.waitExit(15_000)).code).toBe(0);
      const missing = () => atEdge().filter((seq) => !atUpstream().includes(seq));
      await waitFor('every event upstream', () => missing(), { until: (m) => m.length === 0, timeoutMs: 30_000 });
      // The ones from the outage went through the queue, not around it.
      expect(atEdge().length).toBeGreaterThan(downAt + 10);
      expect(atEdge()).toEqual([...atEdge()].sort((a, b) => a - b));
    } finally {
      await upstreamRec.close();
      await edge.stop();
      await link.down();
      await upstream.stop();
    }
  });
});
