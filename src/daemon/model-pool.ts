/**
 * The loaded models: one detector session per distinct model, each with the fair gate its cameras
 * take turns at. A model that fails to load fails only its cameras (its error is kept for their
 * status); a load in progress is shared, so asking twice never builds two sessions of one model.
 */
import type { LookoutConfig } from '../config';
import type { Detector, DetectorInfo, DetectorOptions } from '../detect';
import type { Logger } from '../log';
import { pipelineInferenceThreads, lowestMinScore, type CameraSettings } from '../pipeline/camera-settings';
import { MIN_SCORE_FLOOR } from '../pipeline/commands';
import { FRAMES_IN_FLIGHT, type FrameDetector } from '../pipeline/camera-runtime';
import { FairGate } from '../pipeline/fair-gate';
import { errorMessage } from '../util/errors';

/** A loaded model as the daemon uses it. */
export type LoadedDetector = FrameDetector & Pick<Detector, 'close'>;
export type DetectorLoader = (options: DetectorOptions, logger: Logger) => Promise<LoadedDetector>;

export interface LoadedModel {
  detector: LoadedDetector;
  gate: FairGate;
}

export function detectorOptions(c: LookoutConfig, model: string, floor: number): DetectorOptions {
  const d = c.detector;
  return {
    model,
    modelsDir: d.models_dir,
    executionProviders: d.execution_providers.length === 1 && d.execution_providers[0] === 'auto' ? ('auto' as const) : d.execution_providers,
    intraOpThreads: pipelineInferenceThreads(d.threads),
    ...(d.inter_op_threads > 0 ? { interOpThreads: d.inter_op_threads } : {}),
    allowSpinning: d.spinning,
    graphOptimizationLevel: d.graph_optimization as 'disabled' | 'basic' | 'extended' | 'all',
    scoreThreshold: floor,
    nms: { iouThreshold: d.nms.iou_threshold, maxDetections: d.nms.max_detections, classAgnostic: d.nms.class_agnostic },
  };
}

export class ModelPool {
  private readonly models = new Map<string, LoadedModel>();
  private readonly errors = new Map<string, string>();
  private readonly loading = new Map<string, Promise<void>>();

  constructor(
    private readonly load: DetectorLoader,
    private readonly log: Logger,
  ) {}

  get(model: string): LoadedModel | undefined {
    return this.models.get(model);
  }

  /** Why a model is not there, for its cameras' status. */
  whyNot(model: string): string {
    return this.errors.get(model) ?? `model ${model} is not loaded`;
  }

  get infos(): DetectorInfo[] {
    return [...this.models.values()].map((m) => m.detector.info);
  }

  /** Loads every model these cameras use that is not loaded yet (one after another: each load warms up on all cores). */
  async ensure(c: LookoutConfig, settings: CameraSettings[]): Promise<void> {
    // The decode floor is the lowest score any camera may ask for, now or by a later command.
    const floor = Math.min(MIN_SCORE_FLOOR, lowestMinScore(settings));
    for (const model of new Set(settings.map((s) => s.model))) {
      if (this.models.has(model)) continue;
      let loading = this.loading.get(model);
      if (!loading) {
        loading = this.loadOne(detectorOptions(c, model, floor), model).finally(() => this.loading.delete(model));
        this.loading.set(model, loading);
      }
      await loading;
    }
  }

  /** A camera that is gone leaves every gate's turn order. */
  forgetCamera(camera: string): void {
    for (const m of this.models.values()) m.gate.forget(camera);
  }

  /** Closes the models no camera uses (`keep` is what the cameras use), or all of them. */
  async close(keep: ReadonlySet<string> = new Set()): Promise<void> {
    const going = [...this.models.entries()].filter(([name]) => !keep.has(name));
    for (const [name] of going) this.models.delete(name);
    await Promise.all(going.map(([, m]) => m.detector.close().catch(() => undefined)));
  }

  private async loadOne(options: DetectorOptions, model: string): Promise<void> {
    try {
      const detector = await this.load(options, this.log.child({ component: 'detect', model }));
      // As many turns as a camera keeps frames in flight: one model run computing, the next queued.
      this.models.set(model, { detector, gate: new FairGate(FRAMES_IN_FLIGHT) });
      this.errors.delete(model);
    } catch (e) {
      this.errors.set(model, errorMessage(e));
      this.log.error({ model, err: e }, 'model failed to load; cameras using it stay off, the others run');
    }
  }
}
