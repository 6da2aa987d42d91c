// The broker is away when the daemon starts, and dies (SIGKILL, no persistence) mid-run: the daemon
// keeps running, connects when the broker comes, and no QoS 1 event is lost — every seq from 1 on
// arrives, including those produced while the broker was away, and every started track has its end by
// shutdown. Retained state (availability, status, counts) is whole again after the broker restarted
// empty.
//
// The daemon reaches the broker through a TCP proxy on its own port; the test's subscriber talks to
// the broker directly. "The broker is down" for the daemon is the proxy not listening (connection
// refused, exactly like a dead broker on that port); the test subscribes to a restarted broker first
// and only then lets the daemon in, so no message races past an absent subscriber.
import { Mosquitto, freePort } from '../../support/mosquitto';
import { TcpProxy } from '../mqtt/helpers';
import { Daemon, daemonTest, fileCamera, retainedSnapshot, sleep, trackLifecycleProblems, uniqueEvents, waitFor } from '../../support/daemon-harness';
import { countProblem, schemaProblems } from '../../../src/mqtt';

describe('lookout run across broker outages', () => {
  let broker: Mosquitto;
  let proxy: TcpProxy;
  beforeAll(async () => {
    broker = await Mosquitto.start();
    proxy = new TcpProxy(broker.port);
  });
  afterAll(async () => {
    await proxy?.down();
    await broker?.stop();
  });

  daemonTest('broker down at start, killed mid-run and restarted: QoS 1 events all arrive, every start has its end', async () => {
    const daemonPort = await freePort(); // nothing listens here yet: the broker is "down"
    const httpPort = await freePort();
    const d = await Daemon.start({
      mqttUrl: `mqtt://127.0.0.1:${daemonPort}`,
      recordUrl: broker.url,
      cameras: [fileCamera('front', { realtime: true, loop: true, max_fps: 5 })],
      config: {
        tracker: { update_interval_s: 0.5 },
        mqtt: { reconnect: { initial_ms: 300, max_ms: 1500 } },
        http: { enabled: true, host: '127.0.0.1', port: httpPort },
      },
    });
    /** Track events the daemon has handed to its MQTT link (lookout_events_total): seen with no broker too. */
    const eventsMade = async (): Promise<number> => {
      const text = await fetch(`http://127.0.0.1:${httpPort}/metrics`)
        .then((r) => r.text())
        .catch(() => ''); // the HTTP part is not up yet
      return [...text.matchAll(/^lookout_events_total\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
    };
    const rec = d.rec;
    const events = d.topic('front/events');
    const seqs = (): number[] => uniqueEvents(rec, events).map((e) => e.seq);

    // Phase 1: no broker. The daemon says so, stays up, and keeps detecting (events queue).
    await d.waitFor(
      'a log line saying the MQTT broker cannot be reached',
      () => d.logs.some((l) => (l.level ?? 0) >= 40 && /mqtt|broker/i.test(JSON.stringify(l))),
      30_000,
    );
    await d.waitFor('track events made while no broker is there', eventsMade, 60_000);
    expect(d.running).toBe(true);
    expect(rec.messages).toEqual([]);

    // Phase 2: the broker comes. Events produced while it was away arrive, from seq 1.
    const upAt = Date.now();
    await proxy.up(daemonPort);
    await d.waitFor('availability online and the first events', () => rec.last(d.topic('availability'))?.text === 'online' && seqs().includes(1), 30_000);
    const early = uniqueEvents(rec, events).filter((e) => e.updated_at < upAt);
    expect(early.length).toBeGreaterThan(0);
    await d.waitFor('detections flowing', () => rec.count(d.topic('front/detections')) >= 5, 20_000);

    // Phase 3: the broker dies with everything it held; events keep happening meanwhile.
    const killedAt = Date.now();
    const seqBeforeKill = Math.max(0, ...seqs());
    await broker.kill('SIGKILL');
    await proxy.down();
    // Events made more than 500 ms after the kill are surely made while the broker is away (see below).
    await sleep(800);
    const madeBefore = await eventsMade();
    await d.waitFor('track events made while the broker is away', async () => (await eventsMade()) >= madeBefore + 2, 30_000);
    expect(d.running).toBe(true);
    await broker.restart();
    await rec.resubscribed();
    const restartedAt = Date.now();
    await proxy.up(daemonPort);
    await d.waitFor(
      'events past the outage',
      () =>
        Math.max(0, ...seqs()) > seqBeforeKill + 3 &&
        rec.messages.some((m) => m.at > restartedAt && m.topic === d.topic('availability') && m.text === 'online'),
      30_000,
    );
    // Messages in flight at the kill are resent first, then the queue made during the outage: wait for
    // the latter rather than check right after the first resends arrive.
    const duringOutage = () => uniqueEvents(rec, events).filter((e) => e.updated_at > killedAt + 500 && e.updated_at < restartedAt);
    await d.waitFor('events produced while the broker was away', () => duringOutage().length > 0, 30_000);

    // The restarted broker had no retained messages; the daemon put them back.
    await d.waitFor(
      'a count and a status after the restart',
      () => rec.messages.some((m) => m.at > restartedAt && m.topic === d.topic('front/status')),
      15_000,
    );
    const retained = await retainedSnapshot(broker.url, [d.topic('availability'), d.topic('front/status'), d.topic('front/person'), d.topic('stats')]);
    expect(retained.get(d.topic('availability'))?.text).toBe('online');
    expect(schemaProblems('status', JSON.parse(retained.get(d.topic('front/status'))?.text ?? 'null'))).toBeNull();
    expect(countProblem(retained.get(d.topic('front/person'))?.text ?? 'missing')).toBeNull();

    await d.waitFor('a stats message after the restart', () => rec.messages.some((m) => m.at > restartedAt && m.topic === d.topic('stats')), 15_000);
    const stats = rec.messages
      .filter((m) => m.at > restartedAt && m.topic === d.topic('stats'))
      .map((m) => JSON.parse(m.text) as { mqtt?: { reconnects?: number } });
    expect(schemaProblems('stats', stats[0])).toBeNull();
    expect(stats[0].mqtt?.reconnects).toBeGreaterThanOrEqual(1);

    // Shutdown: every track ends, nothing lost.
    d.signal('SIGTERM');
    const exit = await d.waitExit(15_000);
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.ms).toBeLessThan(5000);
    // The last QoS 1 messages in flight to the recorder.
    await waitFor('availability offline', () => rec.last(d.topic('availability'))?.text === 'offline', 5000);
    const all = uniqueEvents(rec, events);
    expect(
      rec
        .json(events)
        .map((e) => schemaProblems('event', e))
        .filter(Boolean)
        .slice(0, 5),
    ).toEqual([]);
    const sorted = all.map((e) => e.seq).sort((a, b) => a - b);
    const missing: number[] = [];
    for (let s = 1, i = 0; s <= sorted[sorted.length - 1]; s++) {
      while (sorted[i] < s) i++;
      if (sorted[i] !== s) missing.push(s);
    }
    expect(missing).toEqual([]);
    expect(trackLifecycleProblems(all, true)).toEqual([]);
  });
});
