import type { ProgressVerdict } from './watchdog';

/**
 * What "the pipeline makes progress" means for the systemd watchdog (see watchdog.ts): at least one
 * streaming camera delivered a frame recently, and no inference has been running for too long. The
 * daemon reports events here; WatchdogPinger calls check(). Cameras paused by a schedule are not
 * active, and with no active camera at all nothing is expected to move, so that counts as progress.
 *
 * A camera whose capture is (re)opening a lost source is "waiting": its capture supervisor is doing
 * its job, with its own open and read timeouts and backoff, and a restart of the whole service would
 * not bring an unplugged camera back; it would only make Home Assistant's availability flap. So a
 * waiting camera is left out of the frame check until it streams again. What the watchdog still
 * catches is the daemon itself being stuck: the event loop (no pings at all), an inference that does
 * not return, or a camera that claims to stream while no frame arrives.
 */

export interface PipelineProgressOptions {
  /** A camera without a frame for this long is stalled (ms). Default 60000. */
  frameStallMs?: number;
  /** An inference running longer than this is stuck (ms). Default 30000. */
  inferenceStuckMs?: number;
  /** Clock in ms; tests inject one. Default Date.now. */
  now?: () => number;
}

export class PipelineProgress {
  private readonly frameStallMs: number;
  private readonly inferenceStuckMs: number;
  private readonly now: () => number;
  /** Active cameras → time of their last frame (or of their activation, as a grace period). */
  private readonly lastFrame = new Map<string, number>();
  /** Active cameras whose capture is reopening their source (left out of the frame check). */
  private readonly waiting = new Set<string>();
  private readonly inFlight = new Map<number, { camera: string; since: number }>();
  private nextToken = 1;

  constructor(options: PipelineProgressOptions = {}) {
    this.frameStallMs = options.frameStallMs ?? 60_000;
    this.inferenceStuckMs = options.inferenceStuckMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  /** A camera starts (or resumes after a schedule pause); it gets frameStallMs to deliver. */
  cameraActive(camera: string): void {
    this.waiting.delete(camera);
    this.lastFrame.set(camera, this.now());
  }

  /** The camera's capture is opening or reopening its source (starting, reconnecting, error, stalled). */
  cameraWaiting(camera: string): void {
    this.lastFrame.delete(camera);
    this.waiting.add(camera);
  }

  /** A camera is paused by a schedule, removed by a reload, or closed on purpose. */
  cameraInactive(camera: string): void {
    this.lastFrame.delete(camera);
    this.waiting.delete(camera);
  }

  /** A frame arrived from the camera. An unknown camera becomes active. */
  frameCaptured(camera: string): void {
    this.waiting.delete(camera);
    this.lastFrame.set(camera, this.now());
  }

  /** An inference starts; pass the returned token to inferenceFinished. */
  inferenceStarted(camera: string): number {
    const token = this.nextToken++;
    this.inFlight.set(token, { camera, since: this.now() });
    return token;
  }

  inferenceFinished(token: number): void {
    this.inFlight.delete(token);
  }

  check(): ProgressVerdict {
    const now = this.now();
    for (const { camera, since } of this.inFlight.values()) {
      const age = now - since;
      if (age > this.inferenceStuckMs) {
        return { ok: false, reason: `inference for camera ${camera} running for ${Math.round(age / 1000)} s (limit ${this.inferenceStuckMs / 1000} s)` };
      }
    }
    if (this.lastFrame.size === 0) return { ok: true };
    let newest = -Infinity;
    for (const t of this.lastFrame.values()) newest = Math.max(newest, t);
    const age = now - newest;
    if (age > this.frameStallMs) {
      const cameras = [...this.lastFrame.keys()].join(', ');
      return { ok: false, reason: `no frame from any active camera (${cameras}) for ${Math.round(age / 1000)} s (limit ${this.frameStallMs / 1000} s)` };
    }
    return { ok: true };
  }
}
