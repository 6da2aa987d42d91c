/**
 * The daemon: wires capture → detect → track → publish and runs their lifecycle (start, live reload,
 * shutdown). Parts never reach into each other; everything passes through here.
 */
import { EventEmitter } from 'node:events';
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
} from './mqtt';
import { linkOptions } from './mqtt/link-config';
import { Camera } from './daemon/camera';
import { HostMonitor } from './daemon/host-monitor';
import { LoadGovernor } from './daemon/load-governor';
import { StatsPublisher } from './daemon/stats-publisher';
import { ModelPool, type DetectorLoader } from './daemon/model-pool';
import { FramePublisher, type FrameLink } from './daemon/frame-publisher';
import { onCaptureChange, onDetectCommand, onScheduleChange } from './daemon/camera-status';
import { applyCommand } from './pipeline/commands';
import type { CameraSettings } from './pipeline/camera-settings';
import { CameraRuntime, type CaptureFactory } from './pipeline/camera-runtime';
import { configuredCounts, discoveryCamera } from './pipeline/counts';
import { ReadyGate } from './pipeline/ready-gate';
import { ReloadQueue } from './pipeline/reload-queue';
import { enabledCameraSettings, planReload, type ReloadPlan } from './pipeline/reload-plan';
import { Schedule, ScheduleController, type ScheduleState } from './schedule';
import { BestFrames } from './snapshots/best-frames';
import { SnapshotStore } from './snapshots/store';
import { PipelineProgress } from './system/progress';
import type { SystemdNotifier } from './system/sd-notify';
import { WatchdogPinger } from './system/watchdog';
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
  notifier?: ServiceNotifier;
  /** The MQTT link; default the real one (MqttLink) built from the config. Tests pass a double. */
  link?: DaemonLink;
  /** Loads one model; default Detector.load (ONNX Runtime in a worker). */
  loadDetector?: DetectorLoader;
  /** Opens one camera's capture; default a capture child process (CameraCapture). */
  openCapture?: CaptureFactory;
  /** Epoch ms for published times (status `since`, config `applied_at`); default Date.now. */
  now?: () => number;
}

/** What the daemon says to systemd (SystemdNotifier; a double in tests). */
export type ServiceNotifier = Pick<SystemdNotifier, 'ready' | 'reloading' | 'status' | 'stopping' | 'watchdog' | 'watchdogIntervalMs'>;

/** The MQTT link's calls the daemon and its parts make. */
export type DaemonLink = FrameLink &
  Pick<
    MqttLink,
    | 'start'
    | 'stop'
    | 'topics'
    | 'onCommand'
    | 'setDiscovery'
    | 'setStatus'
    | 'sweepStale'
    | 'initCount'
    | 'setControls'
    | 'forgetCamera'
    | 'forgetCount'
    | 'setCameras'
    | 'setConfigState'
    | 'publishStats'
    | 'counters'
  >;

export type { DetectorLoader, LoadedDetector } from './daemon/model-pool';

/** The real loader; OpenCV's own thread pool is limited first (see below). */
const loadOnnxDetector: DetectorLoader = (options, logger) => {
  // OpenCV's own thread pool would fight the inference threads for the cores; its work on the
  // main thread (resize, colour conversion of one frame) is small.
  const cv = loadCv() as unknown as { setNumThreads?: (n: number) => void };
  cv.setNumThreads?.(1);
  return Detector.load(options, logger);
};

export type { ProcessedFrame } from './daemon/frame-publisher';

export interface ReloadOutcome {
  ok: boolean;
  problems: string[];
  restartNeeded: string[];
  changed: boolean;
}

/** READY=1 goes out this long after start even if no camera streams yet (systemd's start timeout is 180 s). */
const READY_BOUND_MS = 30_000;

export class Daemon extends EventEmitter {
  private loaded: LoadedConfig;
  private readonly log: Logger;
  private readonly link: DaemonLink;
  private readonly metrics = new LookoutMetrics({ version: version() });
  private server: MetricsServer | null = null;
  private readonly models: ModelPool;
  private readonly cameras = new Map<string, Camera>();
  private readonly progress = new PipelineProgress();
  private pinger: WatchdogPinger | null = null;
  private readonly host: HostMonitor;
  private readonly stats: StatsPublisher;
  private readonly governor: LoadGovernor;
  private snapshots: SnapshotStore;
  private readonly gate: ReadyGate;
  private readonly publisher: FramePublisher;
  private readonly now: () => number;
  private appliedAt: number;
  private stopping: Promise<void> | null = null;
  private readonly reloads = new ReloadQueue<ReloadOutcome>((e) => this.reloadFailed(e));
  /** Per camera, where the next runtime's track ids start: ids are never reused within a process. */
  private readonly nextTrackIds = new Map<string, number>();

  constructor(private readonly options: DaemonOptions) {
    super();
    this.loaded = options.loaded;
    this.log = options.logger;
    const c = this.config;
    this.now = options.now ?? Date.now;
    this.appliedAt = this.now();
    this.link = options.link ?? new MqttLink(
      linkOptions(c, { ...(options.mqttUrl ? { url: options.mqttUrl } : {}), ...(options.protocolVersion ? { protocolVersion: options.protocolVersion } : {}), version: version() }),
      this.log.child({ component: 'mqtt' }),
    );
    this.models = new ModelPool(options.loadDetector ?? loadOnnxDetector, this.log);
    this.host = new HostMonitor(c, this.log);
    this.snapshots = this.newSnapshotStore(c);
    this.stats = new StatsPublisher({
      link: this.link,
      metrics: this.metrics,
      host: this.host,
      cameras: () => this.cameras.values(),
      models: () => this.models.infos,
      now: this.now,
    });
    this.governor = new LoadGovernor({
      host: this.host,
      log: this.log,
      cameras: () => this.cameras.values(),
      now: this.now,
      onCapChanged: (cam, reason) => {
        cam.figures.adaptiveReason = reason;
        if (cam.figures.state === 'streaming') this.setCameraState(cam.name, 'streaming', reason);
      },
    });
    this.gate = new ReadyGate(options.notifier, (why) => this.log.info({ why }, 'ready'));
    this.publisher = new FramePublisher({
      link: this.link,
      metrics: this.metrics,
      logger: this.log,
      camera: (name) => this.cameras.get(name),
      snapshotConfig: () => this.config.snapshots,
      store: () => this.snapshots,
      onFirstFrame: () => void this.stats.publish(),
      onPublished: (frame) => {
        if (this.options.notifier) this.maybeStatus();
        if (this.listenerCount('frame') > 0) this.emit('frame', frame);
      },
    });
  }

  get config(): LookoutConfig {
    return this.loaded.config;
  }

  get detectorInfos(): DetectorInfo[] {
    return this.models.infos;
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
    this.options.notifier?.status('loading model');
    const settings = enabledCameraSettings(c);
    await this.models.ensure(c, settings);

    this.link.onCommand((request) => this.onCommand(request));
    this.link.setDiscovery(settings.map(discoveryCamera));
    await this.link.start();
    this.publishConfigState([], []);
    for (const cam of c.cameras.filter((x) => x.enabled === false)) {
      this.link.setStatus(cam.name, { state: 'disabled', reason: 'enabled: false in the config', since: this.now() });
    }

    for (const s of settings) this.startCamera(s);
    // Everything retained for this config is published by now: what the last run left besides is stale.
    const snapshotTopics = new Set(c.cameras.map((cam) => this.link.topics.snapshot(cam.name)));
    this.link.sweepStale((topic) => snapshotTopics.has(topic));

    if (c.http.enabled) await this.startHttp();
    this.snapshots.start();
    this.stats.start(c.stats.interval_s);
    this.governor.start(c);
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
    this.publishConfigState([why], [], this.now());
    this.gate.reloadFinished('reload failed');
    return { ok: false, problems: [why], restartNeeded: [], changed: false };
  }

  /** Stops everything in order: cameras (frame in flight finished, tracks ended), MQTT flushed, models closed. */
  stop(reason = 'stop requested'): Promise<void> {
    if (!this.stopping) this.stopping = this.doStop(reason);
    return this.stopping;
  }

  // --- cameras -----------------------------------------------------------------------------------

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
      this.setCameraState(s.name, 'error', `model ${s.model}: ${this.models.whyNot(s.model)}`);
      return;
    }
    cam.bestFrames = new BestFrames();
    const runtime = new CameraRuntime(s, model.detector, model.gate, {
      onFrame: (o) => {
        this.progress.frameCaptured(o.camera);
        this.publisher.frame(o);
      },
      onTracksEnded: (e) => this.publisher.tracksEnded(e),
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
    }, this.log, this.nextTrackIds.get(s.name), this.options.openCapture);
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
    const since = this.cameras.get(camera)?.figures.setState(state, reason) ?? this.now();
    this.link.setStatus(camera, { state, reason: reason ? reason.slice(0, 1024) : null, since });
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
        return latest ? this.publisher.snapshotNow(camera, latest.frame, latest.detections) : null;
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
      this.publishConfigState(problems, [], this.now());
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
      this.appliedAt = this.now();
      await this.applyPlan(plan);
    }
    this.publishConfigState([], plan.restartNeeded, this.now());
    this.log.info({ trigger, hash: next.hash, changed, file: next.file ?? null }, changed ? 'config reloaded' : 'config unchanged');
    this.gate.reloadFinished(changed ? 'config reloaded' : 'config unchanged');
    return { ok: true, problems: [], restartNeeded: plan.restartNeeded, changed };
  }

  private async applyPlan(plan: ReloadPlan): Promise<void> {
    const c = plan.config;
    this.log.level = c.log.level;
    this.snapshots.stop();
    this.snapshots = this.newSnapshotStore(c);
    this.snapshots.start();
    this.host.reconfigure(c);
    this.governor.reconfigure(c, plan.adaptiveChanged);

    for (const name of plan.remove) {
      await this.stopCamera(name, true);
      this.link.forgetCamera(name);
      this.log.info({ camera: name }, 'camera removed');
    }
    for (const s of plan.restart) {
      this.log.info({ camera: s.name }, plan.reloadModels ? 'detector settings changed: restarting this camera' : 'source or model changed: restarting this camera');
      await this.stopCamera(s.name, false);
    }
    if (plan.reloadModels) await this.models.close();
    const settings = enabledCameraSettings(c);
    await this.models.ensure(c, settings);
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
      this.link.setStatus(cam.name, { state: 'disabled', reason: 'enabled: false in the config', since: this.now() });
    }
    // Models no camera uses any more are closed.
    await this.models.close(new Set(settings.map((s) => s.model)));
    this.link.setCameras(this.running().map((cam) => cam.name));
    this.link.setDiscovery(settings.map(discoveryCamera));
    this.stats.setInterval(c.stats.interval_s);
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
      this.models.forgetCamera(name);
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

  private lastStatusAt = 0;
  /** STATUS= for `systemctl status`, at most every 5 s. */
  private maybeStatus(): void {
    const now = this.now();
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
    this.stats.stop();
    this.governor.stop();
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
        this.link.setStatus(name, { state: 'stopped', reason: `daemon stopped: ${reason}`, since: this.now() });
      }),
    );
    for (const cam of this.cameras.values()) cam.runtime = null;
    this.snapshots.stop();
    // The last events may wait for their snapshots: they go out before the link says offline.
    await this.publisher.idle();
    await this.link.stop();
    await this.models.close();
    await this.server?.stop().catch(() => undefined);
    this.log.info('stopped');
  }
}
