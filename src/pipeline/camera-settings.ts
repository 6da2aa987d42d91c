/**
 * From configuration to what one camera's pipeline needs: capture options, detection filters, zones,
 * tracker options. Pure, so the mapping from config keys to part options is tested without cameras.
 */
import os from 'node:os';
import type { CameraConfig, LookoutConfig, SourceConfig } from '../config';
import { MOTION_DEFAULTS } from '../config/camera-schema';
import type { CaptureOptions, MotionSpec, SourceSpec, TransformSpec } from '../capture';
import type { MotionGateOptions } from './motion-gate';
import type { FilterOptions, Polygon } from '../detect';
import type { TrackerOptions } from '../track';

export interface ZoneSetting {
  name: string;
  points: Polygon;
  /** Labels that count in this zone; undefined = every label. */
  labels?: ReadonlySet<string>;
}

export interface CameraSettings {
  name: string;
  enabled: boolean;
  /** Model name or path this camera runs (one session per distinct model). */
  model: string;
  capture: CaptureOptions;
  /** Capture-relevant config as text: a change means the capture has to be reopened. */
  captureKey: string;
  /** Detection FPS cap from config (adaptive load may lower it further). */
  maxFps: number;
  filters: FilterOptions;
  zones: ZoneSetting[];
  /** Only detections inside one of these zones go on to tracking and publishing. */
  requiredZones: string[];
  tracker: TrackerOptions;
  /** Labels with tracks, events and retained counts. */
  trackedLabels: string[];
  snapshots: boolean;
  closeWhenInactive: boolean;
  /** Motion gating; null when the camera's motion is off (every frame is detected). */
  motion: (MotionGateOptions & { spec: MotionSpec }) | null;
}

export function sourceSpecOf(source: SourceConfig): SourceSpec {
  const pacing = source.realtime === false ? 'fast' : 'realtime';
  switch (source.type) {
    case 'v4l2':
      return {
        kind: 'v4l2',
        device: source.device ?? 0,
        ...(source.width ? { width: source.width } : {}),
        ...(source.height ? { height: source.height } : {}),
        ...(source.fps ? { fps: source.fps } : {}),
        ...(source.fourcc ? { fourcc: source.fourcc } : {}),
      };
    case 'csi-pi':
      return { kind: 'libcamera', width: source.width ?? 1280, height: source.height ?? 720, fps: source.fps ?? 15 };
    case 'csi-jetson':
      return {
        kind: 'jetson',
        width: source.width ?? 1280,
        height: source.height ?? 720,
        fps: source.fps ?? 30,
        ...(source.sensor_id !== undefined ? { sensorId: source.sensor_id } : {}),
      };
    case 'gstreamer':
      return { kind: 'gstreamer', pipeline: source.pipeline ?? '' };
    case 'url':
      return {
        kind: 'stream',
        url: source.url ?? '',
        ...(source.rtsp_transport ? { transport: source.rtsp_transport } : {}),
        ...(source.latency_ms !== undefined ? { latencyMs: source.latency_ms } : {}),
      };
    case 'file':
      return { kind: 'file', path: source.path ?? '', loop: source.loop ?? false, pacing };
    case 'images':
      return { kind: 'images', path: source.path ?? '', loop: source.loop ?? false, pacing, ...(source.fps ? { fps: source.fps } : {}) };
  }
}

function transformOf(camera: CameraConfig): TransformSpec | undefined {
  const t = camera.transform;
  if (!t) return undefined;
  const crop = t.crop ? { x: t.crop[0], y: t.crop[1], width: t.crop[2] - t.crop[0], height: t.crop[3] - t.crop[1] } : undefined;
  return { ...(t.rotate ? { rotate: t.rotate } : {}), ...(t.flip ? { flip: t.flip } : {}), ...(crop ? { crop } : {}) };
}

export function cameraSettings(camera: CameraConfig, config: LookoutConfig): CameraSettings {
  const global = config.objects;
  const own = camera.objects ?? {};
  const source = sourceSpecOf(camera.source);
  // A file read as fast as possible is a batch job ("process this video"): every frame, in order.
  const lossless = (camera.source.type === 'file' || camera.source.type === 'images') && camera.source.realtime === false;
  const maxFps = camera.max_fps ?? config.capture.max_fps;
  const transform = transformOf(camera);
  const motion = motionOf(camera, lossless);
  const capture: CaptureOptions = {
    camera: camera.name,
    source,
    ...(transform ? { transform } : {}),
    maxFps,
    delivery: lossless ? 'lossless' : 'newest',
    readTimeoutMs: config.capture.read_timeout_ms,
    openTimeoutMs: config.capture.open_timeout_ms,
    backoff: { initialMs: config.capture.reconnect_initial_ms, maxMs: config.capture.reconnect_max_ms },
    ...(motion ? { motion: motion.spec } : {}),
  };
  const trackedLabels = own.track ?? global.track;
  const deny = own.deny ?? global.deny;
  const filters: FilterOptions = {
    minScore: own.min_score ?? global.min_score,
    minScoreByLabel: { ...global.min_scores, ...(own.min_scores ?? {}) },
    labels: trackedLabels,
    excludeLabels: deny,
    minArea: own.min_area ?? global.min_area,
    maxArea: own.max_area ?? global.max_area,
    ...(camera.masks && camera.masks.length > 0 ? { masks: camera.masks } : {}),
  };
  const zones: ZoneSetting[] = (camera.zones ?? []).map((z) => ({
    name: z.name,
    points: z.polygon,
    ...(z.objects && z.objects.length > 0 ? { labels: new Set(z.objects) } : {}),
  }));
  const tracker: TrackerOptions = {
    iouThreshold: config.tracker.iou_threshold,
    minHits: config.tracker.min_hits,
    maxMissed: config.tracker.max_missed,
    updateIntervalMs: config.tracker.update_interval_s * 1000,
    matchAcrossLabels: config.tracker.match_across_labels,
    labels: trackedLabels,
    zones: zones.map((z) => z.name),
  };
  return {
    name: camera.name,
    enabled: camera.enabled ?? true,
    model: camera.model ?? config.detector.model,
    capture,
    // max_fps is in: the capture process paces its hand-over by it, so a raised cap needs a new one.
    // The capture process computes motion: changed motion settings need a new one too.
    captureKey: JSON.stringify({
      source: camera.source,
      transform: camera.transform ?? null,
      lossless,
      maxFps,
      rt: config.capture,
      motion: motion?.spec ?? null,
    }),
    maxFps,
    filters,
    zones,
    requiredZones: own.required_zones ?? [],
    tracker,
    trackedLabels,
    snapshots: config.snapshots.enabled && (camera.snapshots ?? true),
    closeWhenInactive: camera.close_when_inactive ?? false,
    motion,
  };
}

/**
 * A camera watches, so motion gating is on unless configured off; a file or folder read with
 * realtime: false is a batch job ("process this video") whose every frame is detected.
 */
function motionOf(camera: CameraConfig, lossless: boolean): CameraSettings['motion'] {
  const m = camera.motion ?? {};
  if (!(m.enabled ?? !lossless)) return null;
  return {
    spec: { threshold: m.threshold ?? MOTION_DEFAULTS.threshold, minArea: m.min_area ?? MOTION_DEFAULTS.min_area, masks: m.masks ?? [] },
    maxIdleMs: (m.max_idle_s ?? MOTION_DEFAULTS.max_idle_s) * 1000,
    offDelayMs: (m.off_delay_s ?? MOTION_DEFAULTS.off_delay_s) * 1000,
  };
}

/**
 * Inference threads of the daemon when the config says 0: every core but one. Capture decodes in its
 * own process and the main thread preprocesses and publishes; inference threads on every core fight
 * them for it. Measured with `lookout bench` on a 2-core machine: the same pipeline FPS with 1 thread
 * as with 2, for 23% less CPU per frame (docs/performance.md).
 */
export function pipelineInferenceThreads(configured: number, cores = os.availableParallelism()): number {
  return configured > 0 ? configured : Math.max(1, cores - 1);
}

/** The lowest score any camera asks for: the detector's candidate floor must not be above it. */
export function lowestMinScore(settings: readonly CameraSettings[]): number {
  let lowest = 1;
  for (const s of settings) {
    lowest = Math.min(lowest, s.filters.minScore ?? 1, ...Object.values(s.filters.minScoreByLabel ?? {}));
  }
  return lowest;
}
