/**
 * `base/stats` at stats.interval_s, and the MQTT and host gauges of /metrics with it. Stats are
 * apart from per-frame data (Frigate's shape): a consumer that wants rates reads them here.
 */
import os from 'node:os';
import type { LookoutMetrics } from '../http/metrics';
import type { MqttLink, StatsPayload } from '../mqtt';
import { statsPayload } from '../pipeline/payloads';
import type { DetectorInfo } from '../detect';
import type { Logger } from '../log';
import { every, type Periodic } from '../schedule/periodic';
import { version } from '../version';
import type { Camera } from './camera';
import type { HostReader } from './host-monitor';

export interface StatsPublisherOptions {
  link: Pick<MqttLink, 'publishStats' | 'counters'>;
  metrics: Pick<LookoutMetrics, 'mqtt' | 'host'>;
  host: HostReader;
  log: Logger;
  cameras(): Iterable<Camera>;
  models(): DetectorInfo[];
  now(): number;
}

export class StatsPublisher {
  private job: Periodic | null = null;
  private stopped = false;

  constructor(private readonly o: StatsPublisherOptions) {}

  /** Publishes now, then every `intervalS`. */
  start(intervalS: number): void {
    this.stopped = false;
    this.job?.cancel();
    this.job = every(intervalS * 1000, () => this.publish(), { name: 'stats', log: this.o.log, runNow: true });
  }

  /** A reload may change the interval; the next stats come one new interval from now. */
  setInterval(intervalS: number): void {
    this.job?.reschedule(intervalS * 1000);
  }

  stop(): void {
    this.stopped = true;
    this.job?.cancel();
    this.job = null;
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
}
