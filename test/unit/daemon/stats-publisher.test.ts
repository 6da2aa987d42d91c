import pino from 'pino';
import { Camera } from '../../../src/daemon/camera';
import { StatsPublisher } from '../../../src/daemon/stats-publisher';
import type { MqttCounters, StatsPayload } from '../../../src/mqtt';
import type { HostSnapshot } from '../../../src/system/host-stats';
import { useFakeScheduleClock } from '../../support/schedule-clock';

const host = { cpu_temp_c: 51.5, throttled: null, load_avg: [0.5, 0.4, 0.3], rss_bytes: 50 << 20, process_uptime_s: 12 } as unknown as HostSnapshot;

const publishers: StatsPublisher[] = [];
useFakeScheduleClock({ startIso: '2026-11-23T12:00:00.000Z', stop: () => publishers.splice(0).forEach((p) => p.stop()) });

function setup(o: { publishStats?: (p: StatsPayload) => void } = {}) {
  const sent: string[] = [];
  const payloads: StatsPayload[] = [];
  const lines: Array<{ level: number; msg: string; err?: { message: string } }> = [];
  const gauges: string[] = [];
  const stats = new StatsPublisher({
    link: {
      publishStats: (p) => {
        o.publishStats?.(p);
        sent.push(new Date().toISOString().slice(11));
        payloads.push(p);
        return true;
      },
      counters: () => ({ connected: true }) as MqttCounters,
    },
    metrics: { mqtt: () => void gauges.push('mqtt'), host: () => void gauges.push('host') },
    host: { read: () => Promise.resolve(host) },
    log: pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as (typeof lines)[number]) }),
    cameras: () => [new Camera('front')],
    models: () => [{ model: 'ssd_mobilenet_v1', ep: 'cpu' }] as never,
    now: Date.now,
  });
  publishers.push(stats);
  return { stats, sent, payloads, lines, gauges };
}

describe('StatsPublisher', () => {
  it('publishes at start, then at each stats.interval_s, with the /metrics gauges', async () => {
    const { stats, sent, payloads, gauges } = setup();
    stats.start(7);
    await jest.advanceTimersByTimeAsync(0);
    expect(sent).toEqual(['12:00:00.000Z']);
    await jest.advanceTimersByTimeAsync(70_000);
    expect(sent).toHaveLength(11);
    expect(sent.slice(8)).toEqual(['12:00:56.000Z', '12:01:03.000Z', '12:01:10.000Z']);
    expect(payloads[0]).toMatchObject({ cpu_temp_c: 51.5, ep: 'cpu' });
    expect(Object.keys(payloads[0].cameras)).toEqual(['front']);
    expect(gauges.slice(0, 2)).toEqual(['mqtt', 'host']);
  });

  it('a reload that changes the interval: the next stats one new interval from then, then at the new interval', async () => {
    const { stats, sent } = setup();
    stats.start(30);
    await jest.advanceTimersByTimeAsync(40_000);
    stats.setInterval(60);
    await jest.advanceTimersByTimeAsync(130_000);
    expect(sent).toEqual(['12:00:00.000Z', '12:00:30.000Z', '12:01:40.000Z', '12:02:40.000Z']);
  });

  it('stop: nothing after it, not even the publish whose host read was under way; a reload does not restart it', async () => {
    const { stats, sent } = setup();
    stats.start(5);
    stats.stop();
    await jest.advanceTimersByTimeAsync(60_000);
    stats.setInterval(5);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(sent).toEqual([]);
  });

  it('a publish that throws is logged, and the next interval publishes again', async () => {
    let calls = 0;
    const { stats, sent, lines } = setup({
      publishStats: () => {
        calls += 1;
        if (calls === 2) throw new Error('stats payload refused');
      },
    });
    stats.start(10);
    await jest.advanceTimersByTimeAsync(20_000);
    expect(sent).toEqual(['12:00:00.000Z', '12:00:20.000Z']);
    expect(lines.filter((l) => l.level === 50).map((l) => l.err?.message)).toEqual(['stats payload refused']);
  });
});
