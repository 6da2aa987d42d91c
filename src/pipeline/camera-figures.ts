/**
 * What the daemon knows about one camera between frames: its published state, rates, inference
 * latency window and busy time, and the stats entry built from them. Nothing here publishes.
 */
import type { CaptureState, CaptureStats } from '../capture';
import type { CameraState, CameraStats } from '../mqtt';
import { RateMeter, RollingSamples } from './rolling';

export const STATUS_OF_CAPTURE: Record<CaptureState, CameraState> = {
  starting: 'starting',
  streaming: 'streaming',
  stalled: 'reconnecting',
  reconnecting: 'reconnecting',
  error: 'error',
  ended: 'stopped',
  stopped: 'stopped',
};

const r2 = (x: number) => Math.round(x * 100) / 100;

export class CameraFigures {
  readonly inference = new RollingSamples(256);
  readonly detectRate = new RateMeter(10_000);
  /** Inference work (ms) since the last load tick, for adaptive load's busy ratio. */
  private busyMs = 0;
  private lastCaptured: { n: number; at: number } | null = null;
  state: CameraState = 'starting';
  reason: string | null = null;
  since = Date.now();
  captureState: CaptureState = 'starting';
  scheduleActive = true;
  /** Why detection is paused (schedule window or command), to return to after a fault while paused. */
  pausedReason: string | null = null;
  adaptiveReason: string | null = null;

  private frames = 0;

  /** Returns true for this camera's first processed frame: its stats should not wait for the interval. */
  frameProcessed(inferenceMs: number, workMs: number, at: number): boolean {
    this.inference.add(inferenceMs);
    this.detectRate.mark(at);
    this.busyMs += workMs;
    return ++this.frames === 1;
  }

  /** Share of `elapsedMs` the model spent on this camera since the previous call (0..1). */
  takeBusyRatio(elapsedMs: number): number {
    const ratio = Math.min(1, this.busyMs / Math.max(1, elapsedMs));
    this.busyMs = 0;
    return ratio;
  }

  /** Records a state; returns the `since` to publish (kept when nothing changed). */
  setState(state: CameraState, reason: string | null, now = Date.now()): number {
    if (this.state !== state || this.reason !== reason) this.since = now;
    this.state = state;
    this.reason = reason;
    return this.since;
  }

  /** Frames captured per second since the previous call, from the capture's counter. */
  captureFps(captured: number, nowMs: number): number {
    const prev = this.lastCaptured;
    this.lastCaptured = { n: captured, at: nowMs };
    if (!prev || nowMs <= prev.at || captured < prev.n) return 0;
    return ((captured - prev.n) * 1000) / (nowMs - prev.at);
  }

  /** The camera's entry in the stats payload. */
  stats(capture: CaptureStats | null, fpsCap: number | null, nowEpoch: number, nowMono: number): CameraStats {
    const p = (q: number) => {
      const v = this.inference.percentile(q);
      return v === null ? null : r2(v);
    };
    return {
      fps: r2(capture ? this.captureFps(capture.captured, nowMono) : 0),
      detect_fps: r2(this.detectRate.rate(nowEpoch)),
      inference_p50_ms: p(50),
      inference_p95_ms: p(95),
      dropped: capture?.dropped ?? 0,
      status: this.state,
      ...(fpsCap !== null ? { fps_cap: Math.round(fpsCap * 10) / 10 } : {}),
      ...(this.adaptiveReason ? { adaptive: this.adaptiveReason } : {}),
      ...(this.reason ? { reason: this.reason } : {}),
    };
  }

  /** One camera's part of systemd's STATUS= line. */
  statusLine(name: string, nowEpoch: number): string {
    const p50 = this.inference.percentile(50);
    return `${name} ${this.detectRate.rate(nowEpoch).toFixed(1)} fps${p50 !== null ? `, inference ${p50.toFixed(1)} ms` : ''}`;
  }
}
