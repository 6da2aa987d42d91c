/**
 * The composition root: builds the parts (src/daemon/*), starts and stops them in order, and routes
 * commands and reloads to them. Constructors only assign; side effects happen in start(). The
 * outside world (MQTT link, model loader, camera captures, clock) comes in through DaemonOptions,
 * the real implementations by default, so the daemon runs in-process in unit tests.
 */
import { EventEmitter } from 'node:events';
import type { LookoutConfig } from './config';
import type { DetectorInfo } from './detect';
import { LookoutMetrics } from './http/metrics';
import { tapEvents } from './http/event-log';
import type { Logger } from './log';
import type { CommandResult, CommandRequest } from './mqtt';
import { Cameras } from './daemon/cameras';
import { HttpPart } from './daemon/http-part';
import { Reloader, type ReloadOutcome } from './daemon/reloader';
import { HostMonitor } from './daemon/host-monitor';
import { LoadGovernor } from './daemon/load-governor';
import { StatsPublisher } from './daemon/stats-publisher';
import { ModelPool } from './daemon/model-pool';
import { FramePublisher } from './daemon/frame-publisher';
import { loadOnnxDetector, mqttLink, type DaemonLink } from './daemon/deps';
import type { DaemonOptions } from './daemon/options';
import { Service } from './daemon/service';
import { applyCommand } from './pipeline/commands';
import { discoveryCamera } from './pipeline/counts';
import { enabledCameraSettings } from './pipeline/reload-plan';
import { SnapshotStore } from './snapshots/store';
import { PipelineProgress } from './system/progress';
import { version } from './version';

export type { DaemonOptions } from './daemon/options';
export type { DetectorLoader, LoadedDetector } from './daemon/model-pool';

export type { ProcessedFrame } from './daemon/frame-publisher';
export type { ReloadOutcome } from './daemon/reloader';
export type { DaemonLink } from './daemon/deps';
export type { ServiceNotifier } from './daemon/service';

export class Daemon extends EventEmitter {
  private readonly reloader: Reloader;
  private readonly log: Logger;
  private readonly link: DaemonLink;
  private readonly metrics = new LookoutMetrics({ version: version() });
  private readonly http: HttpPart;
  private readonly models: ModelPool;
  private readonly cameras: Cameras;
  private readonly progress = new PipelineProgress();
  private readonly host: HostMonitor;
  private readonly stats: StatsPublisher;
  private readonly governor: LoadGovernor;
  private snapshots: SnapshotStore;
  private readonly service: Service;
  private readonly publisher: FramePublisher;
  private readonly now: () => number;
  private stopping: Promise<void> | null = null;

  constructor(options: DaemonOptions) {
    super();
    this.log = options.logger;
    const c = options.loaded.config;
    this.now = options.now ?? Date.now;
    this.link =
      options.link ??
      mqttLink(c, this.log, {
        ...(options.mqttUrl ? { url: options.mqttUrl } : {}),
        ...(options.protocolVersion ? { protocolVersion: options.protocolVersion } : {}),
      });
    this.models = new ModelPool(options.loadDetector ?? loadOnnxDetector, this.log);
    this.host = new HostMonitor(c, this.log);
    this.snapshots = SnapshotStore.forConfig(c, this.log);
    this.stats = new StatsPublisher({
      link: this.link,
      metrics: this.metrics,
      host: this.host,
      log: this.log,
      cameras: () => this.cameras.all(),
      models: () => this.models.infos,
      now: this.now,
    });
    this.governor = new LoadGovernor({
      host: this.host,
      log: this.log,
      cameras: () => this.cameras.all(),
      now: this.now,
      onCapChanged: (cam, reason) => {
        cam.figures.adaptiveReason = reason;
        if (cam.figures.state === 'streaming') this.cameras.setState(cam.name, 'streaming', reason);
      },
    });
    this.service = new Service({ notifier: options.notifier, log: this.log, progress: this.progress, cameras: () => this.cameras.all(), now: this.now });
    this.http = new HttpPart({
      config: () => this.config,
      file: () => this.reloader.loaded.file,
      overrides: () => this.reloader.loaded.overrides ?? [],
      metrics: this.metrics,
      progress: this.progress,
      mqttConnected: () => this.link.counters().connected,
      cameras: { get: (name) => this.cameras.get(name), all: () => this.cameras.all() },
      frames: {
        subscribe: (listener) => {
          this.on('frame', listener);
          return () => this.off('frame', listener);
        },
      },
      reload: (trigger) => this.reload(trigger),
      log: this.log,
    });
    this.publisher = new FramePublisher({
      // The page lists the last hour's events: it sees each one the link publishes.
      link: tapEvents(this.link, this.http.events),
      metrics: this.metrics,
      logger: this.log,
      camera: (name) => this.cameras.get(name),
      snapshotConfig: () => this.config.snapshots,
      store: () => this.snapshots,
      onFirstFrame: () => void this.stats.publish(),
      onPublished: (frame) => {
        this.service.framePublished();
        if (this.listenerCount('frame') > 0) this.emit('frame', frame);
      },
    });
    this.cameras = new Cameras({
      link: this.link,
      models: this.models,
      progress: this.progress,
      publisher: this.publisher,
      metrics: this.metrics,
      gate: this.service.gate,
      log: this.log,
      config: () => this.config,
      now: this.now,
      ...(options.openCapture ? { openCapture: options.openCapture } : {}),
      onEnded: (camera) => this.emit('camera-ended', camera),
    });
    this.reloader = new Reloader({
      loaded: options.loaded,
      ...(options.reloadConfig ? { readConfig: options.reloadConfig } : {}),
      link: this.link,
      gate: this.service.gate,
      cameras: this.cameras,
      models: this.models,
      log: this.log,
      now: this.now,
      applyDaemonSettings: (next, plan) => {
        this.log.level = next.log.level;
        this.snapshots.stop();
        this.snapshots = SnapshotStore.forConfig(next, this.log);
        this.snapshots.start();
        this.host.reconfigure(next);
        this.governor.reconfigure(next, plan.adaptiveChanged);
        this.stats.setInterval(next.stats.interval_s);
      },
    });
  }

  get config(): LookoutConfig {
    return this.reloader.loaded.config;
  }

  get detectorInfos(): DetectorInfo[] {
    return this.models.infos;
  }

  /** Loads the models, starts the MQTT link, the cameras, stats, HTTP and the watchdog. */
  async start(): Promise<void> {
    let started = (): void => undefined;
    this.reloader.holdUntil(new Promise<void>((resolve) => (started = resolve)));
    try {
      await this.doStart();
    } finally {
      started();
    }
  }

  private async doStart(): Promise<void> {
    const c = this.config;
    this.service.status('loading model');
    const settings = enabledCameraSettings(c);
    await this.models.ensure(c, settings);

    this.link.onCommand((request) => this.onCommand(request));
    this.link.setDiscovery(settings.map(discoveryCamera));
    await this.link.start();
    this.reloader.publishState([], []);
    for (const cam of c.cameras.filter((x) => x.enabled === false)) {
      this.link.setStatus(cam.name, { state: 'disabled', reason: 'enabled: false in the config', since: this.now() });
    }

    for (const s of settings) this.cameras.start(s);
    // Everything retained for this config is published by now: what the last run left besides is stale.
    const snapshotTopics = new Set(c.cameras.map((cam) => this.link.topics.snapshot(cam.name)));
    this.link.sweepStale((topic) => snapshotTopics.has(topic));

    if (c.http.enabled) await this.http.start();
    // Each of these only adds to what the cameras do: one that cannot start is logged, the rest run.
    this.startSoftly('snapshot retention', () => this.snapshots.start());
    this.startSoftly('stats', () => this.stats.start(c.stats.interval_s));
    this.startSoftly('adaptive load', () => this.governor.start(c));
    this.startSoftly('systemd watchdog', () => this.service.start());
    if (settings.length === 0) this.service.gate.ready('no cameras enabled');
    // Nothing is going to stream before a window opens, maybe hours from now: waiting for it (or for
    // the 30 s bound) would only delay systemd's "started".
    else if (this.cameras.running().every((cam) => !cam.runtime.isActive)) this.service.gate.ready('every camera is paused (schedule or command)');
    this.log.info(
      { cameras: settings.map((s) => s.name), models: this.detectorInfos.map((i) => ({ model: i.model, ep: i.ep })), base_topic: this.link.topics.base },
      'lookout running',
    );
  }

  /** Re-reads the config: live changes apply now, bad configs are refused, the running one stays. */
  reload(trigger: string): Promise<ReloadOutcome> {
    return this.reloader.reload(trigger);
  }

  /** Stops everything in order: cameras (frame in flight finished, tracks ended), MQTT flushed, models closed. */
  stop(reason = 'stop requested'): Promise<void> {
    if (!this.stopping) this.stopping = this.doStop(reason);
    return this.stopping;
  }

  private async onCommand(request: CommandRequest): Promise<CommandResult> {
    const result = await applyCommand(request, {
      ...this.cameras.commandTargets(),
      reload: async () => ({ ...(await this.reload('mqtt command')), hash: this.reloader.loaded.hash }),
    });
    if (result.ok) this.log.info({ camera: request.camera ?? null, command: request.command, id: request.id }, 'command applied');
    return result;
  }

  private startSoftly(part: string, start: () => void): void {
    try {
      start();
    } catch (e) {
      this.log.error({ part, err: e }, 'a part of the daemon failed to start; running without it');
    }
  }

  // --- shutdown ------------------------------------------------------------------------------------------

  private async doStop(reason: string): Promise<void> {
    this.log.info({ reason }, 'shutting down');
    this.service.stop(reason);
    this.stats.stop();
    this.governor.stop();
    // A reload half done would start cameras behind the stop's back; one queued after this is refused.
    await this.reloader.close();
    await this.cameras.stopAll(reason);
    this.snapshots.stop();
    // The last events may wait for their snapshots: they go out before the link says offline.
    await this.publisher.idle();
    await this.link.stop();
    await this.models.close();
    await this.http.stop();
    this.log.info('stopped');
  }
}
