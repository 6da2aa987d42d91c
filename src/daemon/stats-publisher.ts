/**
 * `base/stats` at stats.interval_s, and the MQTT and host gauges of /metrics with it. Stats are
 * apart from per-frame data (Frigate's shape): a consumer that wants rates reads them here.
 */
import os from 'node:os';
import type { LookoutMetrics } from '../http/metrics';
import type { MqttLink, StatsPayload } from '../mqtt';
import { statsPayload } from '../pipeline/payloads';
import type { DetectorInfo } from '../detect';
import { version } from '../version';
import type { Camera } from './camera';
import type { HostReader } from './host-monitor';

export interface StatsPublisherOptions {
  link: Pick<MqttLink, 'publishStats' | 'counters'>;
  metrics: Pick<LookoutMetrics, 'mqtt' | 'host'>;
  host: HostReader;
  cameras(): Iterable<Camera>;
  models(): DetectorInfo[];
  now(): number;
}

export class StatsPublisher {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly o: StatsPublisherOptions) {}

  /** Publishes now, then every `intervalS`. */
  start(intervalS: number): void {
    this.stopped = false;
    this.schedule(intervalS);
    void this.publish();
  }

  /** A reload may change the interval; the next stats come one new interval from now. */
  setInterval(intervalS: number): void {
    if (this.timer) this.schedule(intervalS);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async publish(): Promise<void> {
    if (this.stopped) return;
    const host = await this.o.host.read('stats skip this interval');
    if (!host || this.stopped) return;
    const now = this.o.now();
    const cameras: StatsPayload['cameras'] = {};
    const mono = performance.now();
    for (const { name, figures, runtime } of this.o.cameras()) {
      cameras[name] = figures.stats(runtime?.captureStats ?? null, runtime ? runtime.fpsCapNow : null, now, mono);
    }
    const models = this.o.models().map((i) => ({ model: i.model, ep: i.ep }));
    this.o.link.publishStats(statsPayload({ now, host, cameras, models, version: version(), hostname: os.hostname() }));
    const counters = this.o.link.counters();
    this.o.metrics.mqtt(counters.connected, counters);
    this.o.metrics.host(host);
  }

  private schedule(intervalS: number): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = setInterval(() => void this.publish(), intervalS * 1000);
    this.timer.unref();
  }
}
