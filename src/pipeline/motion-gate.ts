/**
 * Motion gating, the daemon's half (the capture process computes motion, capture/motion.ts): when
 * must the next frame be detected whatever moves in it, and what is the camera's motion state.
 * Pure: time comes in as arguments, so the rules are unit-tested without cameras or clocks.
 *
 * Detection runs on a frame when something moves in it (the capture process decides), and also
 * regardless of motion:
 *   - while a track is alive and not stationary: a person who stops moving must still be followed,
 *     and a track can only end by detections that no longer find it. A track the last detection did
 *     not find counts as moving (it must be found again or end). A track whose box has stayed put for
 *     STATIONARY_AFTER_MS is stationary: a parked car would otherwise keep the model running forever;
 *   - at least every max_idle_s: a car that parked while the model was not running, a stationary
 *     track, anything the background took in, is still seen (and a stationary track stays alive).
 */
import { type Box, iou } from '../track';

/** A track whose box has not moved (IoU with where it last moved ≥ STILL_IOU) for this long is stationary. */
export const STATIONARY_AFTER_MS = 10_000;
const STILL_IOU = 0.8;
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
  /** Per track found by the last detection: its box when it last moved, and when that was. */
  private readonly anchors = new Map<number, { box: Box; movedAt: number }>();

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
    if (now - this.lastDetectedAt >= this.options.maxIdleMs) return true;
    if (tracksAlive === 0) return false;
    // Tracks the last detection did not find (or found without an id yet) have no anchor: they are
    // resolved only by detections.
    if (tracksAlive > this.anchors.size) return true;
    for (const a of this.anchors.values()) if (now - a.movedAt < STATIONARY_AFTER_MS) return true;
    return false;
  }

  /** What the tracker made of a detected frame: the tracks it found (id and box). */
  tracked(now: number, found: ReadonlyArray<{ track_id?: number; box: Box }>): void {
    const before = [...this.anchors.values()];
    const ids = new Set<number>();
    for (const d of found) {
      if (d.track_id === undefined) continue;
      ids.add(d.track_id);
      const own = this.anchors.get(d.track_id);
      if (own && iou(own.box, d.box) >= STILL_IOU) continue;
      // A box where a still one already was has not moved, whatever its id: the ids of two
      // overlapping parked cars can swap, and a track can end and start again on the same object.
      // Taken for movement, either kept the model running on a scene where nothing moved.
      const still = before.find((a) => iou(a.box, d.box) >= STILL_IOU);
      this.anchors.set(d.track_id, still ? { ...still } : { box: d.box, movedAt: now });
    }
    for (const id of [...this.anchors.keys()]) if (!ids.has(id)) this.anchors.delete(id);
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
