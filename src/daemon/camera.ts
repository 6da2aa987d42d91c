/**
 * One configured camera as the daemon holds it: its figures (status, rates), and while it runs its
 * loop, schedule and best frames. One object instead of five maps keyed by name that had to be kept
 * consistent by hand. A camera whose model failed to load has figures (its `error` status, stats)
 * and no loop.
 */
import type { CameraRuntime } from '../pipeline/camera-runtime';
import { CameraFigures } from '../pipeline/camera-figures';
import type { ScheduleController } from '../schedule';
import type { BestFrames } from '../snapshots/best-frames';

export class Camera {
  readonly figures = new CameraFigures();
  runtime: CameraRuntime | null = null;
  schedule: ScheduleController | null = null;
  bestFrames: BestFrames | null = null;

  constructor(readonly name: string) {}

  /** Whether its loop detects now (schedule and command); null when it has no loop. */
  get detecting(): boolean | null {
    return this.runtime ? this.runtime.isActive : null;
  }
}
