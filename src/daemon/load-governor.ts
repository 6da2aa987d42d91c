/**
 * Adaptive load: every adaptive.interval_s (5 s by default), caps each camera's detection FPS from the board's temperature,
 * throttling and how busy inference is (AdaptiveLoadController holds the rules). The daemon is told
 * when a camera's cap changes, so its status can say why it detects slower.
 */
import type { LookoutConfig } from '../config';
import type { Logger } from '../log';
import { every, type Periodic } from '../schedule/periodic';
import { AdaptiveLoadController, loadSample, type CameraLoad } from '../system/adaptive-load';
import type { Camera } from './camera';
import type { HostReader } from './host-monitor';

export interface LoadGovernorOptions {
  host: HostReader;
  log: Logger;
  cameras(): Iterable<Camera>;
  now(): number;
  /** A camera's cap changed; `reason` is null when it no longer is under pressure. */
  onCapChanged(camera: Camera, reason: string | null): void;
}

export class LoadGovernor {
  private adaptive: AdaptiveLoadController | null = null;
  private job: Periodic | null = null;
  private intervalMs = 0;
  private lastTick = performance.now();
  private stopped = false;

  constructor(private readonly o: LoadGovernorOptions) {}

  start(c: LookoutConfig): void {
    this.stopped = false;
    this.adaptive = c.adaptive.enabled ? newController(c) : null;
    this.lastTick = performance.now();
    this.job?.cancel();
    this.intervalMs = c.adaptive.interval_s * 1000;
    this.job = every(this.intervalMs, () => this.tick(), { name: 'adaptive load', log: this.o.log });
  }

  /**
   * A reload: new thresholds need a new controller (the old one kept them while base/config said
   * applied); off lifts every cap back to the configured max_fps. A new interval_s takes effect from
   * now (the next tick one new interval away).
   */
  reconfigure(c: LookoutConfig, thresholdsChanged: boolean): void {
    const intervalMs = c.adaptive.interval_s * 1000;
    if (this.job && intervalMs !== this.intervalMs) {
      this.intervalMs = intervalMs;
      this.job.reschedule(intervalMs);
    }
    this.adaptive = c.adaptive.enabled ? (thresholdsChanged || !this.adaptive ? newController(c) : this.adaptive) : null;
    if (!this.adaptive) for (const { runtime } of this.o.cameras()) runtime?.setFpsCap(runtime.current.maxFps);
  }

  stop(): void {
    this.stopped = true;
    this.job?.cancel();
    this.job = null;
  }

  async tick(): Promise<void> {
    const mono = performance.now();
    const elapsed = Math.max(1, mono - this.lastTick);
    this.lastTick = mono;
    // Busy time is taken every tick, adaptive or not, so a controller switched on later starts fresh.
    const loads: Record<string, CameraLoad> = {};
    const running = [...this.o.cameras()].filter((cam) => cam.runtime !== null);
    for (const { name, runtime, figures } of running) {
      loads[name] = {
        target_fps: runtime!.current.maxFps,
        achieved_fps: figures.detectRate.rate(this.o.now()),
        inference_busy_ratio: figures.takeBusyRatio(elapsed),
      };
    }
    if (!this.adaptive || this.stopped) return;
    const host = await this.o.host.read('adaptive load skips this tick');
    if (!host || !this.adaptive || this.stopped) return;
    const decision = this.adaptive.update(loadSample(host, loads));
    for (const cam of this.o.cameras()) {
      const cap = decision.cameras[cam.name];
      if (!cap || !cam.runtime) continue;
      cam.runtime.setFpsCap(cap.fps_cap);
      if (!cap.changed) continue;
      this.o.log.info({ camera: cam.name, fps_cap: cap.fps_cap, pressure: cap.pressure, reason: cap.reason }, 'detection FPS cap changed');
      this.o.onCapChanged(cam, cap.pressure === 'none' ? null : `adaptive load: ${cap.reason}; detection capped at ${cap.fps_cap} fps`);
    }
  }
}

function newController(c: LookoutConfig): AdaptiveLoadController {
  return new AdaptiveLoadController({ minFps: c.adaptive.min_fps, tempHighC: c.adaptive.temp_high_c, tempOkC: c.adaptive.temp_ok_c });
}
