/**
 * The HTTP server as a part of the daemon: metrics, health and the page (src/http). It builds the
 * page's pieces from what the daemon has: the cameras (settings, status, newest frame), the reloader
 * (Save reloads through it), the snapshot folder and the event log. The live picture's frames come
 * through liveFrameSource, the one place that knows how a camera's newest frame is reached.
 */
import path from 'node:path';
import type { LookoutConfig } from '../config';
import { readHttpSecret } from '../http/auth';
import { EventLog } from '../http/event-log';
import { LiveFeed, type FrameTap } from '../http/live-feed';
import { LiveFrames, type LiveFrameSource } from '../http/live-frames';
import type { LookoutMetrics } from '../http/metrics';
import { HttpServer, type HealthReport } from '../http/server';
import { TuningSaver, type ConfigFileEditor, type ReloadResult } from '../http/tuning';
import { UiApi } from '../http/ui-api';
import type { Logger } from '../log';
import { encodeSnapshotAsync } from '../snapshots/encode';
import type { PipelineProgress } from '../system/progress';
import type { Cameras } from './cameras';
import { configFileEditor } from './config-file-editor';

export interface HttpPartOptions {
  config(): LookoutConfig;
  /** The config file the daemon runs (undefined: embedded defaults). */
  file(): string | undefined;
  /** The `--set` overrides it runs with: Save checks the edited file with them. */
  overrides(): string[];
  metrics: LookoutMetrics;
  progress: Pick<PipelineProgress, 'check'>;
  mqttConnected(): boolean;
  cameras: Pick<Cameras, 'get' | 'all'>;
  frames: FrameTap;
  reload(trigger: string): Promise<ReloadResult>;
  log: Logger;
  env?: NodeJS.ProcessEnv;
  editor?: ConfigFileEditor;
  uiDir?: string;
}

export class HttpPart {
  /** The last hour's events, for the page: the frame publisher's link is tapped with it. */
  readonly events = new EventLog();
  private server: HttpServer | null = null;
  private feed: LiveFeed | null = null;
  private liveFrames: LiveFrames | null = null;

  constructor(private readonly o: HttpPartOptions) {}

  /** JPEGs encoded for the page since start (docs/ui.md: what a viewer costs). */
  get encodedFrames(): number {
    return this.liveFrames?.encoded ?? 0;
  }

  /** Listens; an address in use is logged and the daemon runs without HTTP (metrics are an extra). */
  async start(): Promise<void> {
    const c = this.o.config().http;
    const log = this.o.log.child({ component: 'http' });
    const secret = readHttpSecret(c, this.o.env ?? process.env);
    const ui = c.ui.enabled ? this.buildUi() : null;
    const server = new HttpServer({ host: c.host, port: c.port, secret }, this.o.metrics, () => this.health(), log, ui);
    try {
      await server.start();
      this.server = server;
    } catch (e) {
      this.feed?.close();
      log.error({ host: c.host, port: c.port, err: e }, 'HTTP server cannot listen; running without it (http.host, http.port)');
    }
  }

  async stop(): Promise<void> {
    this.feed?.close();
    const server = this.server;
    this.server = null;
    await server?.stop().catch(() => undefined);
  }

  private buildUi(): UiApi {
    const frames = new LiveFrames(liveFrameSource(this.o.cameras), () => this.o.config().http.ui);
    const feed = new LiveFeed({ frames: this.o.frames, events: this.events, status: () => this.status() });
    this.liveFrames = frames;
    this.feed = feed;
    return new UiApi({
      cameras: () => this.cameraViews(),
      uiFps: () => this.o.config().http.ui.fps,
      hasCamera: (name) => this.o.config().cameras.some((cam) => cam.name === name),
      frames,
      feed,
      events: this.events,
      saver: new TuningSaver({
        editor: this.o.editor ?? configFileEditor({ overrides: () => this.o.overrides() }),
        file: () => this.o.file(),
        reload: (trigger) => this.o.reload(trigger),
      }),
      snapshotDir: () => path.join(this.o.config().state_dir, 'snapshots'),
      ...(this.o.uiDir ? { uiDir: this.o.uiDir } : {}),
    });
  }

  /** Each configured camera as the page draws and tunes it: the file's zones and masks, the running thresholds. */
  private cameraViews(): unknown[] {
    const c = this.o.config();
    return c.cameras.map((cam) => {
      const running = this.o.cameras.get(cam.name);
      const runtime = running?.runtime ?? null;
      const frame = runtime?.latest?.frame;
      const filters = runtime?.current.filters;
      return {
        name: cam.name,
        enabled: cam.enabled !== false,
        state: running?.figures.state ?? (cam.enabled === false ? 'disabled' : 'stopped'),
        reason: running?.figures.reason ?? null,
        width: frame?.width ?? null,
        height: frame?.height ?? null,
        zones: cam.zones ?? [],
        masks: cam.masks ?? [],
        motion: cam.motion ?? null,
        // Motion may be on without a `motion` block (the default for cameras); its masks are the block's.
        motion_on: runtime ? runtime.current.motion !== null : cam.motion !== undefined && cam.motion.enabled !== false,
        motion_masks: cam.motion?.masks ?? [],
        min_score: filters?.minScore ?? cam.objects?.min_score ?? c.objects.min_score,
        min_scores: filters?.minScoreByLabel ?? { ...c.objects.min_scores, ...(cam.objects?.min_scores ?? {}) },
        own: { min_score: cam.objects?.min_score ?? null, min_scores: cam.objects?.min_scores ?? {} },
        labels: cam.objects?.track ?? c.objects.track,
      };
    });
  }

  /** /healthz: 503 while frames stall (the watchdog's verdict), with each camera's state. */
  private health(): HealthReport {
    const verdict = this.o.progress.check();
    const cameras = Object.fromEntries([...this.o.cameras.all()].map(({ name, figures: f }) => [name, { state: f.state, reason: f.reason }]));
    return { ok: verdict.ok, ...(verdict.ok ? {} : { reason: verdict.reason }), mqtt_connected: this.o.mqttConnected(), cameras };
  }

  private status(): unknown {
    const now = Date.now();
    return {
      ts: now,
      cameras: this.o.config().cameras.map((cam) => {
        const running = this.o.cameras.get(cam.name);
        const f = running?.figures;
        const runtime = running?.runtime ?? null;
        return {
          name: cam.name,
          state: f?.state ?? (cam.enabled === false ? 'disabled' : 'stopped'),
          reason: f?.reason ?? null,
          detect_fps: f ? Math.round(f.detectRate.rate(now) * 100) / 100 : 0,
          inference_p50_ms: f?.inference.percentile(50) ?? null,
          dropped: runtime?.captureStats?.dropped ?? 0,
          fps_cap: runtime ? runtime.fpsCapNow : null,
        };
      }),
    };
  }
}

/**
 * A camera's newest processed frame, as the `snapshot` command takes it (CameraRuntime.latest),
 * encoded without annotations: the page draws boxes, zones and masks itself.
 */
export function liveFrameSource(cameras: Pick<Cameras, 'get'>): LiveFrameSource {
  const latest = (camera: string) => cameras.get(camera)?.runtime?.latest?.frame ?? null;
  return {
    latestSeq: (camera) => latest(camera)?.seq ?? null,
    jpeg: async (camera, seq, quality) => {
      const frame = latest(camera);
      if (!frame || frame.seq !== seq) return null;
      return encodeSnapshotAsync(frame, [], { annotate: false, quality });
    },
  };
}
