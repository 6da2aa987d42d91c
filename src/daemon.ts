/**
 * The daemon: wires capture → detect → track → publish and runs their lifecycle (start, live reload,
 * shutdown). Parts never reach into each other; everything passes through here.
 */
import { EventEmitter } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import type { CameraStatusChange } from './capture';
import { ConfigError, type LoadedConfig, type LookoutConfig } from './config';
import { loadCv } from './cv';
import { Detector, type DetectorInfo } from './detect';
import { LookoutMetrics } from './http/metrics';
import { MetricsServer } from './http/server';
import type { Logger } from './log';
import {
  MqttLink,
  type CameraState,
  type CommandResult,
  type CommandRequest,
  type DetectionsPayload,
  type StatsPayload,
  type TimingPayload,
} from './mqtt';
import { linkOptions } from './mqtt/link-config';
import { Camera } from './daemon/camera';
import { onCaptureChange, onDetectCommand, onScheduleChange } from './daemon/camera-status';
import { applyCommand, MIN_SCORE_FLOOR } from './pipeline/commands';
import { lowestMinScore, pipelineInferenceThreads, type CameraSettings } from './pipeline/camera-settings';
import { CameraRuntime, type FrameOutcome, type TracksEnded } from './pipeline/camera-runtime';
import { FairGate } from './pipeline/fair-gate';
import { detectionsPayload, eventInput, statsPayload, timingPayload } from './pipeline/payloads';
import { configuredCounts, discoveryCamera } from './pipeline/counts';
import { ReadyGate } from './pipeline/ready-gate';
import { ReloadQueue } from './pipeline/reload-queue';
import { enabledCameraSettings, planReload, type ReloadPlan } from './pipeline/reload-plan';
import { Schedule, ScheduleController, type ScheduleState } from './schedule';
import { BestFrames } from './snapshots/best-frames';
import { encodeSnapshot } from './snapshots/encode';
import { SnapshotStore } from './snapshots/store';
import { AdaptiveLoadController, loadSample, type CameraLoad } from './system/adaptive-load';
import { HostStats, type HostSnapshot } from './system/host-stats';
import { PipelineProgress } from './system/progress';
import type { SystemdNotifier } from './system/sd-notify';
import { WatchdogPinger } from './system/watchdog';
import type { TrackFrameResult } from './track';
import { version } from './version';

export interface DaemonOptions {
  loaded: LoadedConfig;
  logger: Logger;
  /** Reads the config again (SIGHUP, MQTT reload); throws ConfigError when the new one is bad. */
  reloadConfig?: () => LoadedConfig;
  /** Broker URL chosen at startup (zero-setup may pick the embedded broker); default mqtt.url. */
  mqttUrl?: string;
  /** 4 for the embedded broker (MQTT 3.1.1 only); default mqtt.protocol_version. */
  protocolVersion?: 4 | 5;
  notifier?: SystemdNotifier;
}

/** What one processed frame published: the bench and tests listen for these. */
export interface ProcessedFrame {
  camera: string;
  timing: TimingPayload;
  detections: DetectionsPayload;
}

export interface ReloadOutcome {
  ok: boolean;
  problems: string[];
  restartNeeded: string[];
  changed: boolean;
}

interface LoadedModel {
  detector: Detector;
  gate: FairGate;
}

const LOAD_TICK_MS = 5000;
/** READY=1 goes out this long after start even if no camera streams yet (systemd's start timeout is 180 s). */
const READY_BOUND_MS = 30_000;

export class Daemon extends EventEmitter {
  private loaded: LoadedConfig;
  private readonly log: Logger;
  private readonly link: MqttLink;
  private readonly metrics = new LookoutMetrics({ version: version() });
  private server: MetricsServer | null = null;
  private readonly models = new Map<string, LoadedModel>();
  private readonly modelErrors = new Map<string, string>();
  private readonly cameras = new Map<string, Camera>();
  private readonly progress = new PipelineProgress();
  private pinger: WatchdogPinger | null = null;
  private hostStats: HostStats;
  private adaptive: AdaptiveLoadController | null = null;
  private snapshots: SnapshotStore;
  private statsTimer: NodeJS.Timeout | null = null;
  private loadTimer: NodeJS.Timeout | null = null;
  private readonly gate: ReadyGate;
  private appliedAt = Date.now();
  private lastLoadTick = performance.now();
  private stopping: Promise<void> | null = null;
  private readonly reloads = new ReloadQueue<ReloadOutcome>((e) => this.reloadFailed(e));
  /** Per camera, where the next runtime's track ids start: ids are never reused within a process. */
  private readonly nextTrackIds = new Map<string, number>();

  constructor(private readonly options: DaemonOptions) {
    super();
    this.loaded = options.loaded;
    this.log = options.logger;
    const c = this.config;
    this.link = new MqttLink(
      linkOptions(c, { ...(options.mqttUrl ? { url: options.mqttUrl } : {}), ...(options.protocolVersion ? { protocolVersion: options.protocolVersion } : {}), version: version() }),
      this.log.child({ component: 'mqtt' }),
    );
    this.hostStats = this.newHostStats(c);
    this.snapshots = this.newSnapshotStore(c);
    this.gate = new ReadyGate(options.notifier, (why) => this.log.info({ why }, 'ready'));
  }

  get config(): LookoutConfig {
    return this.loaded.config;
  }

  get detectorInfos(): DetectorInfo[] {
    return [...this.models.values()].map((m) => m.detector.info);
  }

  /** Loads the models, starts the MQTT link, the cameras, stats, HTTP and the watchdog. */
  async start(): Promise<void> {
    let started = (): void => undefined;
    this.reloads.holdUntil(new Promise<void>((resolve) => (started = resolve)));
    try {
      await this.doStart();
    } finally {
      started();
    }
  }

  private async doStart(): Promise<void> {
    const c = this.config;
    // OpenCV's own thread pool would fight the inference threads for the cores; its work on the
    // main thread (resize, colour conversion of one frame) is small.
    const cv = loadCv() as unknown as { setNumThreads?: (n: number) => void };
    cv.setNumThreads?.(1);
    this.options.notifier?.status('loading model');
    const settings = enabledCameraSettings(c);
    await this.loadModels(settings);

    this.link.onCommand((request) => this.onCommand(request));
    this.link.setDiscovery(settings.map(discoveryCamera));
    await this.link.start();
    this.publishConfigState([], []);
    for (const cam of c.cameras.filter((x) => x.enabled === false)) {
      this.link.setStatus(cam.name, { state: 'disabled', reason: 'enabled: false in the config', since: Date.now() });
    }

    for (const s of settings) this.startCamera(s);
    // Everything retained for this config is published by now: what the last run left besides is stale.
    const snapshotTopics = new Set(c.cameras.map((cam) => this.link.topics.snapshot(cam.name)));
    this.link.sweepStale((topic) => snapshotTopics.has(topic));

    if (c.http.enabled) await this.startHttp();
    this.startTimers();
    this.startWatchdog();
    this.gate.arm(READY_BOUND_MS);
    if (settings.length === 0) this.gate.ready('no cameras enabled');
    // Nothing is going to stream before a window opens, maybe hours from now: waiting for it (or for
    // the 30 s bound) would only delay systemd's "started".
    else if (this.running().every((cam) => !cam.runtime.isActive)) this.gate.ready('every camera is paused (schedule or command)');
    this.log.info(
      { cameras: settings.map((s) => s.name), models: this.detectorInfos.map((i) => ({ model: i.model, ep: i.ep })), base_topic: this.link.topics.base },
      'lookout running',
    );
  }

  /** Re-reads the config: live changes apply now, bad configs are refused, the running one stays. */
  reload(trigger: string): Promise<ReloadOutcome> {
    if (this.stopping) return Promise.resolve({ ok: false, problems: ['shutting down'], restartNeeded: [], changed: false });
    return this.reloads.run(() => this.doReload(trigger));
  }

  /** A reload that threw part-way: said on base/config and in the log; the next reload runs normally. */
  private reloadFailed(e: unknown): ReloadOutcome {
    const why = `reload failed: ${e instanceof Error ? e.message : String(e)}`;
    this.log.error({ err: e instanceof Error ? { message: e.message, stack: e.stack } : String(e) }, 'reload failed part-way; some changes may not have applied');
    this.publishConfigState([why], [], Date.now());
    this.gate.reloadFinished('reload failed');
    return { ok: false, problems: [why], restartNeeded: [], changed: false };
  }

  /** Stops everything in order: cameras (frame in flight finished, tracks ended), MQTT flushed, models closed. */
  stop(reason = 'stop requested'): Promise<void> {
    if (!this.stopping) this.stopping = this.doStop(reason);
    return this.stopping;
  }

  // --- cameras -----------------------------------------------------------------------------------

  private detectorOptions(c: LookoutConfig, model: string, floor: number) {
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

  /** One session per distinct model; a model that fails to load fails only its cameras. */
  private async loadModels(settings: CameraSettings[]): Promise<void> {
    const c = this.config;
    const floor = Math.min(MIN_SCORE_FLOOR, lowestMinScore(settings));
    const wanted = [...new Set(settings.map((s) => s.model))].filter((m) => !this.models.has(m));
    for (const model of wanted) {
      try {
        const detector = await Detector.load(this.detectorOptions(c, model, floor), this.log.child({ component: 'detect', model }));
        this.models.set(model, { detector, gate: new FairGate() });
        this.modelErrors.delete(model);
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        this.modelErrors.set(model, why);
        this.log.error({ model, err: why }, 'model failed to load; cameras using it stay off, the others run');
      }
    }
  }

  /** Cameras with a loop (the others are stopping, or their model failed to load). */
  private running(): (Camera & { runtime: CameraRuntime })[] {
    return [...this.cameras.values()].filter((cam): cam is Camera & { runtime: CameraRuntime } => cam.runtime !== null);
  }

  private startCamera(s: CameraSettings): void {
    const cam = new Camera(s.name);
    this.cameras.set(s.name, cam);
    this.initCounts(s);
    const model = this.models.get(s.model);
    if (!model) {
      const why = this.modelErrors.get(s.model) ?? `model ${s.model} is not loaded`;
      this.setCameraState(s.name, 'error', `model ${s.model}: ${why}`);
      return;
    }
    cam.bestFrames = new BestFrames();
    const runtime = new CameraRuntime(s, model.detector, model.gate, {
      onFrame: (o) => this.onFrame(o),
      onTracksEnded: (e) => this.onTracksEnded(e),
      onStatus: (change) => this.onCaptureStatus(change),
      onEnded: (camera) => {
        // A file that ended is done, not stalled: it must not stop the watchdog pings.
        this.progress.cameraInactive(camera);
        this.emit('camera-ended', camera);
      },
      onFailed: (camera, reason) => {
        this.progress.cameraInactive(camera);
        this.setCameraState(camera, 'error', reason);
      },
      onInferenceStart: (camera) => this.progress.inferenceStarted(camera),
      onInferenceEnd: (token) => this.progress.inferenceFinished(token),
    }, this.log, this.nextTrackIds.get(s.name));
    cam.runtime = runtime;
    this.setCameraState(s.name, 'starting', null);
    // The schedule first: a camera outside its windows starts paused, not streaming.
    this.startSchedule(cam);
    runtime.start();
    if (runtime.isActive) this.progress.cameraActive(s.name);
  }

  /** Every configured count is on the broker, 0 until this process has seen otherwise; the controls as they are. */
  private initCounts(s: CameraSettings): void {
    for (const { label, zone } of configuredCounts(s)) this.link.initCount(s.name, label, zone);
    this.publishControls(s.name, this.cameras.get(s.name)?.runtime?.detectionOn ?? true, s.filters.minScore);
  }

  private publishControls(camera: string, detect: boolean, minScore: number | undefined): void {
    this.link.setControls(camera, { detect, minScore: minScore ?? this.config.objects.min_score });
  }

  private startSchedule(cam: Camera): void {
    const entries = this.config.cameras.find((x) => x.name === cam.name)?.schedule;
    if (!entries || entries.length === 0) return;
    const schedule = this.parseSchedule(cam.name, entries);
    const ctl = new ScheduleController({ schedule, logger: this.log.child({ component: 'schedule', camera: cam.name }) });
    ctl.on('change', (state) => this.onScheduleChange(cam, state));
    cam.schedule = ctl;
    const initial = ctl.start();
    if (!initial.active) this.onScheduleChange(cam, initial);
  }

  private parseSchedule(camera: string, entries: unknown): Schedule {
    const c = this.config.schedule;
    const index = this.config.cameras.findIndex((x) => x.name === camera);
    return Schedule.parse(entries, {
      ...(c.timezone ? { timezone: c.timezone } : {}),
      ...(c.latitude !== null && c.longitude !== null ? { location: { lat: c.latitude, lon: c.longitude } } : {}),
      path: `cameras[${index}].schedule`,
    });
  }

  private onScheduleChange(cam: Camera, state: ScheduleState): void {
    const runtime = cam.runtime;
    if (!runtime || this.cameras.get(cam.name) !== cam) return;
    const fig = cam.figures;
    fig.scheduleActive = state.active;
    runtime.setActive(state.active, 'schedule');
    if (runtime.isActive) this.progress.cameraActive(cam.name);
    else this.progress.cameraInactive(cam.name);
    this.log.info({ camera: cam.name, active: state.active, mode: state.mode, next_change: state.nextChange }, state.active ? 'detection resumes' : 'detection paused');
    const next = onScheduleChange(fig, state);
    fig.pausedReason = next.pausedReason;
    this.setCameraState(cam.name, next.state, next.reason);
  }

  private onCaptureStatus(change: CameraStatusChange): void {
    const cam = this.cameras.get(change.camera);
    if (!cam) return;
    cam.figures.captureState = change.state;
    this.metrics.cameraStreaming(change.camera, change.state === 'streaming');
    const verdict = onCaptureChange(cam.figures, cam.detecting, change);
    if (verdict.progress === 'waiting') this.progress.cameraWaiting(change.camera);
    else if (verdict.progress === 'active') this.progress.cameraActive(change.camera);
    if (verdict.publish) this.setCameraState(change.camera, verdict.publish.state, verdict.publish.reason);
    if (verdict.streaming) this.gate.ready(`camera ${change.camera} streaming`);
  }

  private setCameraState(camera: string, state: CameraState, reason: string | null): void {
    const since = this.cameras.get(camera)?.figures.setState(state, reason) ?? Date.now();
    this.link.setStatus(camera, { state, reason: reason ? reason.slice(0, 1024) : null, since });
  }

  // --- per frame ---------------------------------------------------------------------------------

  private onFrame(o: FrameOutcome): void {
    const started = performance.now();
    const cam = this.cameras.get(o.camera);
    const fig = cam?.figures;
    const now = Date.now();
    this.progress.frameCaptured(o.camera);
    // Home Assistant's fps and inference sensors read stats: a first value now, not one interval later.
    if (fig?.frameProcessed(o.result.inference_ms, o.result.preprocess_ms + o.result.roundtrip_ms + o.result.postprocess_ms, now)) void this.publishStats();
    const detections = detectionsPayload(o);
    this.link.publishDetections(o.camera, detections);
    this.keepBestFrames(o);
    this.publishTracking(o.camera, o.tracked);
    const endedAt = performance.now();
    const timing = timingPayload(o, {
      publishMs: endedAt - started,
      endedAt,
      endedAtEpoch: Date.now(),
      fps: fig ? fig.detectRate.rate(now) : 0,
    });
    this.link.publishTiming(o.camera, timing);
    this.metrics.frame(o.camera, timing, cam?.runtime?.captureStats?.dropped ?? 0);
    this.metrics.detected(o.camera, detections.detections.map((d) => d.label));
    if (this.options.notifier) this.maybeStatus();
    if (this.listenerCount('frame') > 0) this.emit('frame', { camera: o.camera, timing, detections } satisfies ProcessedFrame);
  }

  private onTracksEnded(e: TracksEnded): void {
    this.publishTracking(e.camera, e.tracked);
    this.cameras.get(e.camera)?.bestFrames?.clear();
  }

  private keepBestFrames(o: FrameOutcome): void {
    const cam = this.cameras.get(o.camera);
    const best = cam?.bestFrames;
    if (!best || !cam.runtime?.current.snapshots) return;
    const plain = o.result.detections;
    for (const d of o.tracked.detections) {
      if (d.track_id !== undefined && d.best_improved) best.offer(d.track_id, d.score, o.frame, plain);
    }
  }

  /** Events (with snapshots of the track's best frame on start and end) and changed counts. */
  private publishTracking(camera: string, tracked: TrackFrameResult): void {
    const best = this.cameras.get(camera)?.bestFrames;
    for (const ev of tracked.events) {
      let snapshot = false;
      if (best && ev.type !== 'update') {
        const b = best.get(ev.track_id);
        if (b && !b.published) {
          snapshot = this.snapshot(camera, ev.track_id, b.frame, b.detections);
          b.published = true;
        }
        if (ev.type === 'end') best.forget(ev.track_id);
      }
      this.link.publishEvent(camera, eventInput(ev, snapshot));
      this.metrics.event(camera, ev.type, ev.label);
      // Starts and ends are what a user looks for in the journal ("was anyone there at 3 am?").
      if (ev.type !== 'update') {
        const seconds = Math.round(((ev.ended_at ?? ev.updated_at) - ev.started_at) / 100) / 10;
        this.log.info(
          { camera, label: ev.label, score: Math.round(ev.score * 1000) / 1000, track_id: ev.track_id, ...(ev.zones.length ? { zones: ev.zones } : {}), ...(ev.type === 'end' ? { seconds } : {}) },
          `${ev.label} ${ev.type === 'start' ? 'appeared' : 'left'}`,
        );
      }
    }
    if (tracked.countsChanged) {
      for (const [label, n] of Object.entries(tracked.counts.byLabel)) this.link.setCount(camera, label, n);
      for (const [zone, labels] of Object.entries(tracked.counts.byZone)) {
        for (const [label, n] of Object.entries(labels)) this.link.setCount(camera, label, n, zone);
      }
    }
  }

  /** Saves and publishes a JPEG; a failing disk or encoder costs the snapshot, never the event. */
  private snapshot(camera: string, trackId: number, frame: FrameOutcome['frame'], detections: FrameOutcome['result']['detections']): boolean {
    const c = this.config.snapshots;
    let jpeg: Buffer;
    try {
      jpeg = encodeSnapshot(frame, detections, { annotate: c.annotate, quality: c.quality });
    } catch (e) {
      this.log.warn({ camera, err: (e as Error).message }, 'snapshot encoding failed');
      return false;
    }
    this.snapshots.save(camera, trackId, frame.ts, jpeg);
    if (c.publish) this.link.publishSnapshot(camera, jpeg);
    return c.publish;
  }

  // --- commands ------------------------------------------------------------------------------------

  private async onCommand(request: CommandRequest): Promise<CommandResult> {
    const result = await applyCommand(request, {
      cameras: () => this.running().map((cam) => cam.name),
      whyNotRunning: (camera) =>
        this.config.cameras.some((c) => c.name === camera && c.enabled === false)
          ? 'enabled: false in the config'
          : this.cameras.has(camera)
            ? (this.cameras.get(camera)?.figures.reason ?? 'its model failed to load')
            : 'no camera of that name',
      reload: async () => ({ ...(await this.reload('mqtt command')), hash: this.loaded.hash }),
      setScores: (camera, minScore, minScores) => {
        const runtime = this.cameras.get(camera)?.runtime;
        if (!runtime) throw new Error(`camera ${camera} is not running`);
        runtime.setFilters({
          ...(minScore !== undefined ? { minScore } : {}),
          ...(minScores !== undefined ? { minScoreByLabel: { ...runtime.current.filters.minScoreByLabel, ...minScores } } : {}),
        });
        this.publishControls(camera, runtime.detectionOn, runtime.current.filters.minScore);
        return { min_score: runtime.current.filters.minScore, min_scores: runtime.current.filters.minScoreByLabel };
      },
      setDetect: (camera, on) => this.setDetect(camera, on),
      overrideSchedule: (camera, mode) => this.cameras.get(camera)?.schedule?.override(mode) ?? null,
      snapshotNow: (camera) => {
        const runtime = this.cameras.get(camera)?.runtime;
        if (runtime && !runtime.current.snapshots) return { refused: 'snapshots are off for this camera (snapshots.enabled, cameras[].snapshots)' };
        const latest = runtime?.latest;
        return latest ? this.snapshot(camera, 0, latest.frame, latest.detections) : null;
      },
    });
    if (result.ok) this.log.info({ camera: request.camera ?? null, command: request.command, id: request.id }, 'command applied');
    return result;
  }

  /** The `detect` command: a camera switched off is paused (and leaves the watchdog's progress check). */
  private setDetect(camera: string, on: boolean): void {
    const cam = this.cameras.get(camera);
    const runtime = cam?.runtime;
    if (!cam || !runtime) return;
    runtime.setActive(on, 'command');
    this.publishControls(camera, on, runtime.current.filters.minScore);
    if (on && cam.figures.scheduleActive) this.progress.cameraActive(camera);
    if (!on) this.progress.cameraInactive(camera);
    const next = onDetectCommand(cam.figures, on);
    cam.figures.pausedReason = next.pausedReason;
    this.setCameraState(camera, next.state, next.reason);
  }

  // --- reload -----------------------------------------------------------------------------------------

  private async doReload(trigger: string): Promise<ReloadOutcome> {
    if (!this.options.reloadConfig) {
      return { ok: false, problems: ['this daemon was started without a config source to reload'], restartNeeded: [], changed: false };
    }
    if (this.stopping) return { ok: false, problems: ['shutting down'], restartNeeded: [], changed: false };
    this.gate.reloadStarted(`reloading config (${trigger})`);
    let next: LoadedConfig;
    try {
      next = this.options.reloadConfig();
    } catch (e) {
      const problems = e instanceof ConfigError ? e.problems : [e instanceof Error ? e.message : String(e)];
      this.log.error({ trigger, problems, file: this.loaded.file ?? null }, 'new config refused; the running config stays');
      this.publishConfigState(problems, [], Date.now());
      this.gate.reloadFinished('config refused; running config unchanged');
      return { ok: false, problems, restartNeeded: [], changed: false };
    }
    const prev = this.loaded.config;
    const plan = planReload(prev, next.config, new Map(this.running().map((cam) => [cam.name, cam.runtime.current])));
    if (plan.restartNeeded.length > 0) {
      this.log.warn({ sections: plan.restartNeeded }, 'these changed sections apply only after a restart; running with the old values');
    }
    const changed = next.hash !== this.loaded.hash;
    this.loaded = { ...next, config: plan.config };
    if (changed) {
      this.appliedAt = Date.now();
      await this.applyPlan(plan);
    }
    this.publishConfigState([], plan.restartNeeded, Date.now());
    this.log.info({ trigger, hash: next.hash, changed, file: next.file ?? null }, changed ? 'config reloaded' : 'config unchanged');
    this.gate.reloadFinished(changed ? 'config reloaded' : 'config unchanged');
    return { ok: true, problems: [], restartNeeded: plan.restartNeeded, changed };
  }

  private async applyPlan(plan: ReloadPlan): Promise<void> {
    const c = plan.config;
    this.log.level = c.log.level;
    this.snapshots = this.newSnapshotStore(c);
    this.hostStats = this.newHostStats(c);
    // New thresholds need a new controller: the old one kept them while base/config said applied.
    this.adaptive = c.adaptive.enabled ? (plan.adaptiveChanged || !this.adaptive ? this.newAdaptive(c) : this.adaptive) : null;
    if (!this.adaptive) for (const { runtime } of this.running()) runtime.setFpsCap(runtime.current.maxFps);

    for (const name of plan.remove) {
      await this.stopCamera(name, true);
      this.link.forgetCamera(name);
      this.log.info({ camera: name }, 'camera removed');
    }
    for (const s of plan.restart) {
      this.log.info({ camera: s.name }, plan.reloadModels ? 'detector settings changed: restarting this camera' : 'source or model changed: restarting this camera');
      await this.stopCamera(s.name, false);
    }
    if (plan.reloadModels) {
      const old = [...this.models.values()];
      this.models.clear();
      for (const m of old) await m.detector.close().catch(() => undefined);
    }
    const settings = enabledCameraSettings(c);
    await this.loadModels(settings);
    for (const s of [...plan.restart, ...plan.add]) {
      if (plan.add.includes(s)) this.log.info({ camera: s.name }, 'camera added');
      this.startCamera(s);
    }
    for (const { after, forgetCounts } of plan.update) {
      const cam = this.cameras.get(after.name);
      const runtime = cam?.runtime;
      if (!cam || !runtime) continue;
      for (const { label, zone } of forgetCounts) this.link.forgetCount(after.name, label, zone);
      runtime.applySettings(after);
      this.initCounts(after);
      this.syncSchedule(cam);
    }
    for (const cam of c.cameras.filter((x) => x.enabled === false)) {
      this.link.setStatus(cam.name, { state: 'disabled', reason: 'enabled: false in the config', since: Date.now() });
    }
    // Models no camera uses any more are closed.
    const used = new Set(settings.map((s) => s.model));
    for (const [name, m] of [...this.models.entries()]) {
      if (!used.has(name)) {
        this.models.delete(name);
        await m.detector.close().catch(() => undefined);
      }
    }
    this.link.setCameras(this.running().map((cam) => cam.name));
    this.link.setDiscovery(settings.map(discoveryCamera));
    if (this.statsTimer) {
      clearInterval(this.statsTimer);
      this.statsTimer = setInterval(() => void this.publishStats(), c.stats.interval_s * 1000);
      this.statsTimer.unref();
    }
  }

  /** A camera kept across a reload follows its new schedule (or none). */
  private syncSchedule(cam: Camera): void {
    const ctl = cam.schedule;
    const entries = this.config.cameras.find((x) => x.name === cam.name)?.schedule ?? [];
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

  private async stopCamera(name: string, removed: boolean): Promise<void> {
    const cam = this.cameras.get(name);
    this.progress.cameraInactive(name);
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
      this.cameras.delete(name);
      for (const m of this.models.values()) m.gate.forget(name);
    }
  }

  private publishConfigState(problems: string[], restartNeeded: string[], attemptedAt?: number): void {
    this.link.setConfigState({
      ok: problems.length === 0,
      hash: this.loaded.hash,
      applied_at: this.appliedAt,
      file: this.loaded.file ?? null,
      problems,
      restart_needed: restartNeeded,
      ...(attemptedAt !== undefined ? { attempted_at: attemptedAt } : {}),
    });
  }

  // --- stats, health, watchdog ----------------------------------------------------------------------

  private newHostStats(c: LookoutConfig): HostStats {
    return new HostStats({
      thermalBasePath: c.adaptive.thermal_glob,
      ...(c.adaptive.throttled_path ? { throttledPath: c.adaptive.throttled_path } : {}),
      logger: this.log.child({ component: 'host' }),
    });
  }

  private newSnapshotStore(c: LookoutConfig): SnapshotStore {
    return new SnapshotStore(
      {
        dir: path.join(c.state_dir, 'snapshots'),
        maxFiles: c.snapshots.max_files,
        maxAgeMs: c.snapshots.max_age_days * 86_400_000,
        maxBytes: c.snapshots.max_mb * 1024 * 1024,
      },
      this.log.child({ component: 'snapshots' }),
    );
  }

  private newAdaptive(c: LookoutConfig): AdaptiveLoadController {
    return new AdaptiveLoadController({ minFps: c.adaptive.min_fps, tempHighC: c.adaptive.temp_high_c, tempOkC: c.adaptive.temp_ok_c });
  }

  private startTimers(): void {
    const c = this.config;
    this.statsTimer = setInterval(() => void this.publishStats(), c.stats.interval_s * 1000);
    this.statsTimer.unref();
    this.adaptive = c.adaptive.enabled ? this.newAdaptive(c) : null;
    this.lastLoadTick = performance.now();
    this.loadTimer = setInterval(() => void this.loadTick(), LOAD_TICK_MS);
    this.loadTimer.unref();
    void this.publishStats();
  }

  /** Temperatures, throttling, load, memory; null (logged) when the board will not say. */
  private async readHost(consequence: string): Promise<HostSnapshot | null> {
    try {
      return await this.hostStats.read();
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, `cannot read host figures; ${consequence}`);
      return null;
    }
  }

  /** Adaptive load: caps each camera's detection FPS from board temperature, throttling and inference saturation. */
  private async loadTick(): Promise<void> {
    const now = performance.now();
    const elapsed = Math.max(1, now - this.lastLoadTick);
    this.lastLoadTick = now;
    const cameras: Record<string, CameraLoad> = {};
    for (const { name, runtime, figures: fig } of this.running()) {
      cameras[name] = {
        target_fps: runtime.current.maxFps,
        achieved_fps: fig.detectRate.rate(Date.now()),
        inference_busy_ratio: fig.takeBusyRatio(elapsed),
      };
    }
    if (!this.adaptive || this.stopping) return;
    const host = await this.readHost('adaptive load skips this tick');
    if (!host) return;
    const decision = this.adaptive.update(loadSample(host, cameras));
    for (const [name, cap] of Object.entries(decision.cameras)) {
      const cam = this.cameras.get(name);
      const runtime = cam?.runtime;
      if (!cam || !runtime) continue;
      const fig = cam.figures;
      runtime.setFpsCap(cap.fps_cap);
      if (!cap.changed) continue;
      fig.adaptiveReason = cap.pressure === 'none' ? null : `adaptive load: ${cap.reason}; detection capped at ${cap.fps_cap} fps`;
      this.log.info({ camera: name, fps_cap: cap.fps_cap, pressure: cap.pressure, reason: cap.reason }, 'detection FPS cap changed');
      if (fig.state === 'streaming') this.setCameraState(name, 'streaming', fig.adaptiveReason);
    }
  }

  private async publishStats(): Promise<void> {
    if (this.stopping) return;
    const host = await this.readHost('stats skip this interval');
    if (!host) return;
    const now = Date.now();
    const cameras: StatsPayload['cameras'] = {};
    const mono = performance.now();
    for (const { name, figures: fig, runtime } of this.cameras.values()) {
      cameras[name] = fig.stats(runtime?.captureStats ?? null, runtime ? runtime.fpsCapNow : null, now, mono);
    }
    const stats = statsPayload({ now, host, cameras, models: this.detectorInfos.map((i) => ({ model: i.model, ep: i.ep })), version: version(), hostname: os.hostname() });
    this.link.publishStats(stats);
    this.metrics.mqtt(this.link.counters().connected, this.link.counters());
    this.metrics.host(host);
  }

  private lastStatusAt = 0;
  /** STATUS= for `systemctl status`, at most every 5 s. */
  private maybeStatus(): void {
    const now = Date.now();
    if (now - this.lastStatusAt < 5000) return;
    this.lastStatusAt = now;
    this.options.notifier?.status([...this.cameras.values()].map((cam) => cam.figures.statusLine(cam.name, now)).join('; '));
  }

  private startWatchdog(): void {
    const notifier = this.options.notifier;
    if (!notifier?.watchdogIntervalMs) return;
    this.pinger = new WatchdogPinger({ notifier, progress: () => this.progress.check(), logger: this.log.child({ component: 'watchdog' }) });
    this.pinger.start();
  }

  private async startHttp(): Promise<void> {
    const c = this.config.http;
    this.server = new MetricsServer({ host: c.host, port: c.port }, this.metrics, () => this.health(), this.log.child({ component: 'http' }));
    try {
      const port = await this.server.start();
      this.log.info({ url: `http://${c.host}:${port}/metrics` }, 'metrics and health on HTTP');
    } catch (e) {
      this.log.error({ host: c.host, port: c.port, err: (e as Error).message }, 'HTTP metrics server cannot listen; running without it (http.port)');
      this.server = null;
    }
  }

  private health() {
    const verdict = this.progress.check();
    const cameras = Object.fromEntries([...this.cameras.values()].map(({ name, figures: f }) => [name, { state: f.state, reason: f.reason }]));
    return { ok: verdict.ok, ...(verdict.ok ? {} : { reason: verdict.reason }), mqtt_connected: this.link.counters().connected, cameras };
  }

  // --- shutdown ------------------------------------------------------------------------------------------

  private async doStop(reason: string): Promise<void> {
    this.log.info({ reason }, 'shutting down');
    this.options.notifier?.stopping(`shutting down: ${reason}`);
    for (const t of [this.statsTimer, this.loadTimer]) if (t) clearInterval(t);
    this.gate.close();
    this.pinger?.stop();
    // A reload half done would start cameras behind the stop's back; one queued after this finds `stopping`.
    await this.reloads.idle();
    for (const cam of this.cameras.values()) cam.schedule?.stop();
    // Cameras stop together: each finishes its frame in flight and ends its tracks (end events).
    await Promise.all(
      this.running().map(async ({ name, runtime }) => {
        try {
          await runtime.stop();
        } catch (e) {
          this.log.warn({ camera: name, err: (e as Error).message }, 'camera did not stop cleanly');
        }
        this.link.setStatus(name, { state: 'stopped', reason: `daemon stopped: ${reason}`, since: Date.now() });
      }),
    );
    for (const cam of this.cameras.values()) cam.runtime = null;
    await this.link.stop();
    await Promise.all([...this.models.values()].map((m) => m.detector.close().catch(() => undefined)));
    this.models.clear();
    await this.server?.stop().catch(() => undefined);
    this.log.info('stopped');
  }
}
