/**
 * Live reload (SIGHUP, MQTT `{"reload": true}`): reads the config again, refuses a bad one (the
 * running one stays, base/config says why), plans the change (reload-plan.ts) and carries it out on
 * the cameras and models. Reloads run one at a time and none before the start is done (ReloadQueue);
 * base/config always names the config that runs.
 */
import { ConfigError, type LoadedConfig, type LookoutConfig } from '../config';
import type { Logger } from '../log';
import type { MqttLink } from '../mqtt';
import { discoveryCamera } from '../pipeline/counts';
import type { ReadyGate } from '../pipeline/ready-gate';
import { ReloadQueue } from '../pipeline/reload-queue';
import { enabledCameraSettings, planReload, type ReloadPlan } from '../pipeline/reload-plan';
import type { Cameras } from './cameras';
import type { ModelPool } from './model-pool';
import { errorMessage } from '../util/errors';

export interface ReloadOutcome {
  ok: boolean;
  problems: string[];
  restartNeeded: string[];
  changed: boolean;
}

export interface ReloaderOptions {
  loaded: LoadedConfig;
  /** Reads the config again; throws ConfigError when the new one is bad. None: reloads are refused. */
  readConfig?: () => LoadedConfig;
  link: Pick<MqttLink, 'setConfigState' | 'forgetCamera' | 'forgetCount' | 'setStatus' | 'setCameras' | 'setDiscovery'>;
  gate: Pick<ReadyGate, 'reloadStarted' | 'reloadFinished'>;
  cameras: Pick<Cameras, 'running' | 'get' | 'start' | 'stop' | 'initCounts' | 'syncSchedule' | 'cameras'>;
  models: Pick<ModelPool, 'ensure' | 'close'>;
  log: Logger;
  now(): number;
  /** The daemon's own live settings (log level, snapshot store, host paths, adaptive load, stats), before the cameras change. */
  applyDaemonSettings(c: LookoutConfig, plan: ReloadPlan): void;
}

const refused = (problems: string[]): ReloadOutcome => ({ ok: false, problems, restartNeeded: [], changed: false });

export class Reloader {
  private current: LoadedConfig;
  private appliedAt: number;
  private closed = false;
  private readonly queue = new ReloadQueue<ReloadOutcome>((e) => this.failed(e));

  constructor(private readonly o: ReloaderOptions) {
    this.current = o.loaded;
    this.appliedAt = o.now();
  }

  get loaded(): LoadedConfig {
    return this.current;
  }

  /** Reloads asked for before `busy` settles (the start) wait for it. */
  holdUntil(busy: Promise<unknown>): void {
    this.queue.holdUntil(busy);
  }

  /** No reload starts after this; resolves once the one in progress is done. */
  close(): Promise<void> {
    this.closed = true;
    return this.queue.idle();
  }

  reload(trigger: string): Promise<ReloadOutcome> {
    if (this.closed) return Promise.resolve(refused(['shutting down']));
    return this.queue.run(() => this.run(trigger));
  }

  /** base/config: the running config's hash, and the problems of a refused or failed reload. */
  publishState(problems: string[], restartNeeded: string[], attemptedAt?: number): void {
    this.o.link.setConfigState({
      ok: problems.length === 0,
      hash: this.current.hash,
      applied_at: this.appliedAt,
      file: this.current.file ?? null,
      problems,
      restart_needed: restartNeeded,
      ...(attemptedAt !== undefined ? { attempted_at: attemptedAt } : {}),
    });
  }

  /** A reload that threw part-way: said on base/config and in the log; the next reload runs normally. */
  private failed(e: unknown): ReloadOutcome {
    const why = `reload failed: ${errorMessage(e)}`;
    this.o.log.error({ err: e }, 'reload failed part-way; some changes may not have applied');
    this.publishState([why], [], this.o.now());
    this.o.gate.reloadFinished('reload failed');
    return refused([why]);
  }

  private async run(trigger: string): Promise<ReloadOutcome> {
    if (!this.o.readConfig) return refused(['this daemon was started without a config source to reload']);
    if (this.closed) return refused(['shutting down']);
    this.o.gate.reloadStarted(`reloading config (${trigger})`);
    let next: LoadedConfig;
    try {
      next = this.o.readConfig();
    } catch (e) {
      const problems = e instanceof ConfigError ? e.problems : [errorMessage(e)];
      this.o.log.error({ trigger, problems, file: this.current.file ?? null }, 'new config refused; the running config stays');
      this.publishState(problems, [], this.o.now());
      this.o.gate.reloadFinished('config refused; running config unchanged');
      return refused(problems);
    }
    const plan = planReload(this.current.config, next.config, new Map(this.o.cameras.running().map((cam) => [cam.name, cam.runtime.current])));
    if (plan.restartNeeded.length > 0) {
      this.o.log.warn({ sections: plan.restartNeeded }, 'these changed sections apply only after a restart; running with the old values');
    }
    const changed = next.hash !== this.current.hash;
    this.current = { ...next, config: plan.config };
    if (changed) {
      this.appliedAt = this.o.now();
      await this.apply(plan);
    }
    this.publishState([], plan.restartNeeded, this.o.now());
    this.o.log.info({ trigger, hash: next.hash, changed, file: next.file ?? null }, changed ? 'config reloaded' : 'config unchanged');
    this.o.gate.reloadFinished(changed ? 'config reloaded' : 'config unchanged');
    return { ok: true, problems: [], restartNeeded: plan.restartNeeded, changed };
  }

  private async apply(plan: ReloadPlan): Promise<void> {
    const c = plan.config;
    const { cameras, models, link, log } = this.o;
    this.o.applyDaemonSettings(c, plan);
    for (const name of plan.remove) {
      await cameras.stop(name, true);
      link.forgetCamera(name);
      log.info({ camera: name }, 'camera removed');
    }
    for (const s of plan.restart) {
      log.info({ camera: s.name }, plan.reloadModels ? 'detector settings changed: restarting this camera' : 'source or model changed: restarting this camera');
      await cameras.stop(s.name, false);
    }
    if (plan.reloadModels) await models.close();
    const settings = enabledCameraSettings(c);
    await models.ensure(c, settings);
    for (const s of [...plan.restart, ...plan.add]) {
      if (plan.add.includes(s)) log.info({ camera: s.name }, 'camera added');
      cameras.start(s);
    }
    for (const { after, forgetCounts } of plan.update) {
      const cam = cameras.get(after.name);
      const runtime = cam?.runtime;
      if (!cam || !runtime) continue;
      for (const { label, zone } of forgetCounts) link.forgetCount(after.name, label, zone);
      runtime.applySettings(after);
      cameras.initCounts(after);
      cameras.syncSchedule(cam);
    }
    for (const cam of c.cameras.filter((x) => x.enabled === false)) {
      link.setStatus(cam.name, { state: 'disabled', reason: 'enabled: false in the config', since: this.o.now() });
    }
    // Models no camera uses any more are closed.
    await models.close(new Set(settings.map((s) => s.model)));
    link.setCameras(cameras.cameras());
    link.setDiscovery(settings.map(discoveryCamera));
  }
}
