/**
 * The cameras: each one's start and stop, schedule, status (camera-status.ts holds the rules) and the
 * per-camera side of MQTT commands. One Camera object per configured camera; this is the only place
 * that creates, finds or drops them.
 */
import type { CameraStatusChange } from '../capture';
import type { LookoutConfig } from '../config';
import type { LookoutMetrics } from '../http/metrics';
import type { Logger } from '../log';
import type { CameraState, MqttLink } from '../mqtt';
import { CameraRuntime, type CaptureFactory } from '../pipeline/camera-runtime';
import type { CameraSettings } from '../pipeline/camera-settings';
import type { CommandTargets } from '../pipeline/commands';
import { configuredCounts } from '../pipeline/counts';
import type { ReadyGate } from '../pipeline/ready-gate';
import { Schedule, ScheduleController, type ScheduleState } from '../schedule';
import { BestFrames } from '../snapshots/best-frames';
import type { PipelineProgress } from '../system/progress';
import { Camera } from './camera';
import { onCaptureChange, onDetectCommand, onScheduleChange } from './camera-status';
import type { FramePublisher } from './frame-publisher';
import type { ModelPool } from './model-pool';

export interface CamerasOptions {
  link: Pick<MqttLink, 'setStatus' | 'initCount' | 'setControls' | 'setMotion' | 'forgetMotion'>;
  models: Pick<ModelPool, 'get' | 'whyNot' | 'forgetCamera'>;
  progress: PipelineProgress;
  publisher: Pick<FramePublisher, 'frame' | 'tracksEnded' | 'snapshotNow' | 'skipped'>;
  metrics: Pick<LookoutMetrics, 'cameraStreaming'>;
  gate: Pick<ReadyGate, 'ready'>;
  log: Logger;
  /** The running config (a reload replaces it). */
  config(): LookoutConfig;
  now(): number;
  openCapture?: CaptureFactory;
  /** A non-looping file or folder reached its end. */
  onEnded(camera: string): void;
}

export class Cameras implements Omit<CommandTargets, 'reload'> {
  private readonly byName = new Map<string, Camera>();
  /** Per camera, where the next runtime's track ids start: ids are never reused within a process. */
  private readonly nextTrackIds = new Map<string, number>();

  constructor(private readonly o: CamerasOptions) {}

  get(name: string): Camera | undefined {
    return this.byName.get(name);
  }

  all(): IterableIterator<Camera> {
    return this.byName.values();
  }

  // --- command targets ---

  /** What the MQTT commands act on (pipeline/commands.ts), except reload, which is the daemon's. */
  commandTargets(): Omit<CommandTargets, 'reload'> {
    return {
      cameras: () => this.cameras(),
      whyNotRunning: (camera) => this.whyNotRunning(camera),
      setScores: (camera, minScore, minScores) => this.setScores(camera, minScore, minScores),
      setDetect: (camera, on) => this.setDetect(camera, on),
      overrideSchedule: (camera, mode) => this.overrideSchedule(camera, mode),
      snapshotNow: (camera) => this.snapshotNow(camera),
    };
  }

  cameras(): string[] {
    return this.running().map((cam) => cam.name);
  }

  whyNotRunning(camera: string): string {
    if (this.o.config().cameras.some((c) => c.name === camera && c.enabled === false)) return 'enabled: false in the config';
    return this.byName.has(camera) ? (this.byName.get(camera)?.figures.reason ?? 'its model failed to load') : 'no camera of that name';
  }

  setScores(camera: string, minScore: number | undefined, minScores: Record<string, number> | undefined) {
    const runtime = this.byName.get(camera)?.runtime;
    if (!runtime) throw new Error(`camera ${camera} is not running`);
    runtime.setFilters({
      ...(minScore !== undefined ? { minScore } : {}),
      ...(minScores !== undefined ? { minScoreByLabel: { ...runtime.current.filters.minScoreByLabel, ...minScores } } : {}),
    });
    this.publishControls(camera, runtime.detectionOn, runtime.current.filters.minScore);
    return { min_score: runtime.current.filters.minScore, min_scores: runtime.current.filters.minScoreByLabel };
  }

  overrideSchedule(camera: string, mode: Parameters<ScheduleController['override']>[0]): ScheduleState | null {
    return this.byName.get(camera)?.schedule?.override(mode) ?? null;
  }

  snapshotNow(camera: string): Promise<boolean> | null | { refused: string } {
    const runtime = this.byName.get(camera)?.runtime;
    if (runtime && !runtime.current.snapshots) return { refused: 'snapshots are off for this camera (snapshots.enabled, cameras[].snapshots)' };
    const latest = runtime?.latest;
    return latest ? this.o.publisher.snapshotNow(camera, latest.frame, latest.detections) : null;
  }

  // --- lifecycle ---

  /** Every camera stops together: each finishes its frame in flight and ends its tracks (end events). */
  async stopAll(reason: string): Promise<void> {
    for (const cam of this.byName.values()) cam.schedule?.stop();
    await Promise.all(
      this.running().map(async ({ name, runtime }) => {
        try {
          await runtime.stop();
        } catch (e) {
          this.o.log.warn({ camera: name, err: e }, 'camera did not stop cleanly');
        }
        this.setState(name, 'stopped', `daemon stopped: ${reason}`);
      }),
    );
    for (const cam of this.byName.values()) cam.runtime = null;
  }

  /** Cameras with a loop (the others are stopping, or their model failed to load). */
  running(): (Camera & { runtime: CameraRuntime })[] {
    return [...this.byName.values()].filter((cam): cam is Camera & { runtime: CameraRuntime } => cam.runtime !== null);
  }

  start(s: CameraSettings): void {
    const cam = new Camera(s.name);
    this.byName.set(s.name, cam);
    this.initCounts(s);
    const model = this.o.models.get(s.model);
    if (!model) {
      this.setState(s.name, 'error', `model ${s.model}: ${this.o.models.whyNot(s.model)}`);
      return;
    }
    cam.bestFrames = new BestFrames();
    const runtime = new CameraRuntime(
      s,
      model.detector,
      model.gate,
      {
        onFrame: (o) => {
          this.o.progress.frameCaptured(o.camera);
          this.o.publisher.frame(o);
        },
        onTracksEnded: (e) => this.o.publisher.tracksEnded(e),
        onSkipped: (skipped) => {
          // A skipped frame is progress too: capture flows and the loop turns (the watchdog's question).
          this.o.progress.frameCaptured(skipped.camera);
          this.o.publisher.skipped(skipped);
        },
        onMotion: (camera, moving) => this.o.link.setMotion(camera, moving),
        onStatus: (change) => this.onCaptureStatus(change),
        onEnded: (camera) => {
          // A file that ended is done, not stalled: it must not stop the watchdog pings.
          this.o.progress.cameraInactive(camera);
          this.o.onEnded(camera);
        },
        onFailed: (camera, reason) => {
          this.o.progress.cameraInactive(camera);
          this.setState(camera, 'error', reason);
        },
        onInferenceStart: (camera) => this.o.progress.inferenceStarted(camera),
        onInferenceEnd: (token) => this.o.progress.inferenceFinished(token),
        framesToKeep: () => cam.bestFrames?.seqs() ?? [],
      },
      this.o.log,
      this.nextTrackIds.get(s.name),
      this.o.openCapture,
    );
    cam.runtime = runtime;
    this.setState(s.name, 'starting', null);
    // The schedule first: a camera outside its windows starts paused, not streaming.
    this.startSchedule(cam);
    runtime.start();
    if (runtime.isActive) this.o.progress.cameraActive(s.name);
  }

  /** Every configured count is on the broker, 0 until this process has seen otherwise; the controls as they are. */
  initCounts(s: CameraSettings): void {
    for (const { label, zone } of configuredCounts(s)) this.o.link.initCount(s.name, label, zone);
    this.publishControls(s.name, this.byName.get(s.name)?.runtime?.detectionOn ?? true, s.filters.minScore);
    // Retained state is the truth: the motion state as the running camera has it, or none when off.
    if (s.motion) this.o.link.setMotion(s.name, this.byName.get(s.name)?.runtime?.motionOn ?? false);
    else this.o.link.forgetMotion(s.name);
  }

  publishControls(camera: string, detect: boolean, minScore: number | undefined): void {
    this.o.link.setControls(camera, { detect, minScore: minScore ?? this.o.config().objects.min_score });
  }

  private startSchedule(cam: Camera): void {
    const entries = this.o.config().cameras.find((x) => x.name === cam.name)?.schedule;
    if (!entries || entries.length === 0) return;
    const schedule = this.parseSchedule(cam.name, entries);
    const ctl = new ScheduleController({ schedule, logger: this.o.log.child({ component: 'schedule', camera: cam.name }) });
    ctl.on('change', (state) => this.onScheduleChange(cam, state));
    cam.schedule = ctl;
    const initial = ctl.start();
    if (!initial.active) this.onScheduleChange(cam, initial);
  }

  private parseSchedule(camera: string, entries: unknown): Schedule {
    const c = this.o.config().schedule;
    const index = this.o.config().cameras.findIndex((x) => x.name === camera);
    return Schedule.parse(entries, {
      ...(c.timezone ? { timezone: c.timezone } : {}),
      ...(c.latitude !== null && c.longitude !== null ? { location: { lat: c.latitude, lon: c.longitude } } : {}),
      path: `cameras[${index}].schedule`,
    });
  }

  private onScheduleChange(cam: Camera, state: ScheduleState): void {
    const runtime = cam.runtime;
    if (!runtime || this.byName.get(cam.name) !== cam) return;
    const fig = cam.figures;
    fig.scheduleActive = state.active;
    runtime.setActive(state.active, 'schedule');
    if (runtime.isActive) this.o.progress.cameraActive(cam.name);
    else this.o.progress.cameraInactive(cam.name);
    this.o.log.info(
      { camera: cam.name, active: state.active, mode: state.mode, next_change: state.nextChange },
      state.active ? 'detection resumes' : 'detection paused',
    );
    const next = onScheduleChange(fig, state);
    fig.pausedReason = next.pausedReason;
    this.setState(cam.name, next.state, next.reason);
  }

  private onCaptureStatus(change: CameraStatusChange): void {
    const cam = this.byName.get(change.camera);
    if (!cam) return;
    cam.figures.captureState = change.state;
    this.o.metrics.cameraStreaming(change.camera, change.state === 'streaming');
    const verdict = onCaptureChange(cam.figures, cam.detecting, change);
    if (verdict.progress === 'waiting') this.o.progress.cameraWaiting(change.camera);
    else if (verdict.progress === 'active') this.o.progress.cameraActive(change.camera);
    if (verdict.publish) this.setState(change.camera, verdict.publish.state, verdict.publish.reason);
    if (verdict.streaming) this.o.gate.ready(`camera ${change.camera} streaming`);
  }

  setState(camera: string, state: CameraState, reason: string | null): void {
    const since = this.byName.get(camera)?.figures.setState(state, reason) ?? this.o.now();
    this.o.link.setStatus(camera, { state, reason: reason ? reason.slice(0, 1024) : null, since });
  }

  /** The `detect` command: a camera switched off is paused (and leaves the watchdog's progress check). */
  setDetect(camera: string, on: boolean): void {
    const cam = this.byName.get(camera);
    const runtime = cam?.runtime;
    if (!cam || !runtime) return;
    runtime.setActive(on, 'command');
    this.publishControls(camera, on, runtime.current.filters.minScore);
    if (on && cam.figures.scheduleActive) this.o.progress.cameraActive(camera);
    if (!on) this.o.progress.cameraInactive(camera);
    const next = onDetectCommand(cam.figures, on);
    cam.figures.pausedReason = next.pausedReason;
    this.setState(camera, next.state, next.reason);
  }

  /** A camera kept across a reload follows its new schedule (or none). */
  syncSchedule(cam: Camera): void {
    const ctl = cam.schedule;
    const entries = this.o.config().cameras.find((x) => x.name === cam.name)?.schedule ?? [];
    if (ctl && entries.length > 0) {
      ctl.setSchedule(this.parseSchedule(cam.name, entries));
      return;
    }
    if (ctl) {
      ctl.stop();
      cam.schedule = null;
      this.onScheduleChange(cam, { active: true, mode: 'auto', reason: 'window', nextChange: null });
    }
    if (entries.length > 0) this.startSchedule(cam);
  }

  async stop(name: string, removed: boolean): Promise<void> {
    const cam = this.byName.get(name);
    this.o.progress.cameraInactive(name);
    if (!cam) return;
    cam.schedule?.stop();
    cam.schedule = null;
    const runtime = cam.runtime;
    cam.bestFrames = null;
    if (runtime) {
      cam.runtime = null;
      await runtime.stop();
      this.nextTrackIds.set(name, runtime.nextTrackId);
    }
    if (removed) {
      this.byName.delete(name);
      this.o.models.forgetCamera(name);
    }
  }
}
