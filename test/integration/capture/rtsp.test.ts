// Issue 17: RTSP, the source most IP cameras offer, tested for real. A real RTSP server
// (test/support/rtsp-server.py: GStreamer's gst-rtsp-server) serves vtest.avi as H.264 on a free
// port; the real daemon reads it as a `url` camera (FFmpeg over RTSP/TCP, the default), detects people
// and publishes. Then the server is killed and started again on the same port, as a camera that
// reboots: the camera's status goes reconnecting and back to streaming, visible on MQTT, and
// detections flow again, all without restarting the daemon.
import { Mosquitto } from '../../support/mosquitto';
import { Daemon, daemonTest, VTEST, type Msg } from '../../support/daemon-harness';
import { RtspServer } from '../../support/rtsp-server';
import { schemaProblems } from '../../../src/mqtt';
import { CameraCapture } from '../../../src/capture';
import { frameWithin } from './helpers';

interface Status {
  state: string;
  reason: string | null;
}
interface Detections {
  frame: number;
  width: number;
  height: number;
  detections: Array<{ label: string; score: number }>;
}

const statusOf = (m: Msg): Status => JSON.parse(m.text) as Status;

describe('an RTSP camera (gst-rtsp-server serving vtest.avi as H.264)', () => {
  let broker: Mosquitto;
  let server: RtspServer | undefined;
  beforeAll(async () => {
    broker = await Mosquitto.start();
  });
  afterAll(async () => {
    await server?.stop();
    await broker?.stop();
  });

  daemonTest('is decoded and detected; after the server dies and comes back on the same port it streams again without a daemon restart', async () => {
    server = await RtspServer.start({ file: VTEST, width: 384, height: 288 });
    const d = await Daemon.start({
      mqttUrl: broker.url,
      // max_fps keeps the shared test machine's CPU for the rest; quick reopens keep the test short.
      cameras: [{ name: 'gate', source: { type: 'url', url: server.url }, max_fps: 5 }],
      config: { capture: { reconnect_initial_ms: 300, reconnect_max_ms: 2000 } },
    });
    const rec = d.rec;
    const t = { status: d.topic('gate/status'), detections: d.topic('gate/detections'), availability: d.topic('availability') };
    const states = (): string[] => rec.on(t.status).map((m) => statusOf(m).state);
    const people = (from: number): number =>
      rec
        .on(t.detections)
        .filter((m) => m.index >= from)
        .filter((m) => (JSON.parse(m.text) as Detections).detections.some((x) => x.label === 'person')).length;

    await d.waitFor('the RTSP camera streaming with people detected', () => states().includes('streaming') && people(0) >= 3, 90_000);
    const first = JSON.parse(rec.last(t.detections)!.text) as Detections;
    // The stream's own size, decoded from H.264 (the server scaled vtest.avi to 384×288).
    expect([first.width, first.height]).toEqual([384, 288]);
    expect(schemaProblems('detections', first)).toBeNull();
    const pid = d.pid;

    // The camera "reboots": its server dies without a goodbye.
    const beforeLoss = rec.messages.length;
    await server.stop();
    await d.waitFor(
      'status reconnecting after the RTSP server died',
      () => rec.on(t.status).some((m) => m.index >= beforeLoss && statusOf(m).state === 'reconnecting'),
      30_000,
    );
    const lost = rec.on(t.status).find((m) => m.index >= beforeLoss && statusOf(m).state === 'reconnecting')!;
    expect(lost.retain).toBe(true);
    expect(statusOf(lost).reason).toBeTruthy();

    // Down long enough that a reopen is refused, as a camera that takes a while to boot: the camera is
    // still being reconnected, not given up on (an `error` would mark its Home Assistant entities
    // unavailable).
    await d.waitFor(
      'a refused reopen while the server is down',
      () => rec.on(t.status).some((m) => m.index > lost.index && /cannot open stream/.test(statusOf(m).reason ?? '')),
      30_000,
    );
    await server.restart();
    await d.waitFor(
      'status streaming again and new people detections after the server came back',
      () => rec.on(t.status).some((m) => m.index > lost.index && statusOf(m).state === 'streaming') && people(lost.index) >= 3,
      60_000,
    );
    const afterLoss = rec.on(t.status).filter((m) => m.index >= beforeLoss);
    const refused = afterLoss.find((m) => /cannot open stream/.test(statusOf(m).reason ?? ''))!;
    expect(statusOf(refused).reason).toMatch(/Connection refused/);
    expect(afterLoss.map((m) => statusOf(m).state)).toEqual([...afterLoss.slice(0, -1).map(() => 'reconnecting'), 'streaming']);
    expect(afterLoss.every((m) => m.retain)).toBe(true);

    // The same daemon process throughout, online all along.
    expect(d.running).toBe(true);
    expect(d.pid).toBe(pid);
    expect(rec.texts(t.availability)).not.toContain('offline');
    expect(d.logsMatching(/camera reconnecting/).length).toBeGreaterThanOrEqual(1);
  });
});

// The other ways a `url` camera can be read, on the same kind of server (a moving ball, 320×240): each
// must decode real frames of the stream's size, or a user choosing it gets a camera that never opens.
describe('RTSP transports and backends (capture only)', () => {
  let server: RtspServer | undefined;
  const running: CameraCapture[] = [];
  beforeAll(async () => {
    server = await RtspServer.start({ width: 320, height: 240 });
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((c) => c.stop()));
  });
  afterAll(async () => {
    await server?.stop();
  });

  test.each([
    ['FFmpeg over UDP (rtsp_transport: udp)', { transport: 'udp' as const }],
    ["GStreamer's rtspsrc preset (TCP, jitter buffer)", { backend: 'gstreamer' as const, latencyMs: 100 }],
  ])('%s delivers frames of the stream', async (_name, options) => {
    const cap = new CameraCapture({ camera: 'net', source: { kind: 'stream', url: server!.url, ...options }, backoff: { initialMs: 500, maxMs: 2000 } });
    running.push(cap);
    cap.start();
    const first = await frameWithin(cap, 30_000);
    const next = await frameWithin(cap, 30_000);
    expect([first.width, first.height]).toEqual([320, 240]);
    expect(next.seq).toBeGreaterThan(first.seq);
    expect(cap.status.state).toBe('streaming');
  });
});
