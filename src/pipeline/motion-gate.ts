/**
 * Motion gating, the daemon's half (the capture process computes motion, capture/motion.ts): when
 * must the next frame be detected whatever moves in it, and what is the camera's motion state.
 * Pure: time comes in as arguments, so the rules are unit-tested without cameras or clocks.
 *
 * Detection runs on a frame when something moves in it (the capture process decides), and also
 * regardless of motion:
 *   - while any track is alive: a person who stops moving must still be followed, and a track can
 *     only end by detections that no longer find it;
 *   - at least every max_idle_s: a car that parked while the model was not running, or anything the
 *     background took in, is still seen.
 */
export interface MotionGateOptions {
  /** Longest time between two detections, ms. */
  maxIdleMs: number;
  /** The motion state turns OFF only after this long without motion, ms (no ON/OFF flapping). */
  offDelayMs: number;
}

export class MotionGate {
  /** When the last frame was detected; -Infinity: none yet, so the first frame is detected. */
  private lastDetectedAt = -Infinity;
  private lastMotionAt = -Infinity;
  private on = false;

  constructor(private options: MotionGateOptions) {}

  reconfigure(options: MotionGateOptions): void {
    this.options = options;
  }

  /** The motion state now (the retained `<camera>/motion` ON/OFF). */
  get moving(): boolean {
    return this.on;
  }

  /** Whether the next frame must be detected even if nothing moves in it. */
  detectionDue(now: number, tracksAlive: number): boolean {
    return tracksAlive > 0 || now - this.lastDetectedAt >= this.options.maxIdleMs;
  }

  /** A frame was detected at `now`. */
  detected(now: number): void {
    this.lastDetectedAt = now;
  }

  /** No more frames (the camera stops or pauses): the state is OFF; true when it was ON. */
  clear(): boolean {
    const was = this.on;
    this.on = false;
    this.lastMotionAt = -Infinity;
    return was;
  }

  /** A frame's motion; returns the new state when it changed, else undefined. */
  observe(now: number, moving: boolean): boolean | undefined {
    if (moving) this.lastMotionAt = now;
    const next = moving || now - this.lastMotionAt < this.options.offDelayMs;
    if (next === this.on) return undefined;
    this.on = next;
    return next;
  }
}
