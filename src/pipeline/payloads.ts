/**
 * MQTT payloads of one processed frame, built from what the pipeline measured. Pure functions: the
 * daemon publishes what these return, and tests check them against the schemas.
 */
import type { DetectionsPayload, EventInput, StatsPayload, TimingPayload } from '../mqtt';
import type { HostSnapshot } from '../system/host-stats';
import type { TrackedDetection, TrackEvent } from '../track';
import type { FrameOutcome, SkippedFrame } from './camera-runtime';

const r2 = (ms: number) => Math.max(0, Math.round(ms * 100) / 100);
const r4 = (x: number) => Math.round(x * 10000) / 10000;
const clampBox = (b: readonly number[]): [number, number, number, number] => [
  r4(Math.min(1, Math.max(0, b[0]))),
  r4(Math.min(1, Math.max(0, b[1]))),
  r4(Math.min(1, Math.max(0, b[2]))),
  r4(Math.min(1, Math.max(0, b[3]))),
];

export function detectionsPayload(o: FrameOutcome): DetectionsPayload {
  return {
    v: 1,
    camera: o.camera,
    frame: o.frame.seq,
    ts: Math.round(o.frame.ts),
    width: o.frame.width,
    height: o.frame.height,
    model: o.model,
    detections: o.tracked.detections.map(publishedDetection),
  };
}

function publishedDetection(d: TrackedDetection): DetectionsPayload['detections'][number] {
  return {
    label: d.label,
    class_id: d.class_id,
    score: r4(d.score),
    box: clampBox(d.box),
    ...(d.track_id !== undefined ? { track_id: d.track_id } : {}),
    zones: d.zones,
  };
}

export interface TimingExtras {
  /** Time spent publishing this frame's detections, events, counts and snapshots, ms. */
  publishMs: number;
  /** performance.now() when publishing ended. */
  endedAt: number;
  /** Epoch ms when publishing ended. */
  endedAtEpoch: number;
  /** Detection FPS of the camera now. */
  fps: number;
}

/**
 * Stage times of one frame. total_ms runs from detection start to the end of publishing (what this
 * frame cost the pipeline); age_ms from the frame's read to the end of publishing (how old the result
 * is when it goes out). inference_ms is session.run alone; the hand-over to the worker and back is in
 * total_ms but in no stage.
 */
export function timingPayload(o: FrameOutcome, x: TimingExtras): TimingPayload {
  return {
    v: 1,
    camera: o.camera,
    frame: o.frame.seq,
    ts: Math.round(o.frame.ts),
    capture_ms: r2(o.frame.captureMs),
    wait_ms: r2(o.waitMs),
    preprocess_ms: r2(o.result.preprocess_ms),
    inference_ms: r2(o.result.inference_ms),
    postprocess_ms: r2(o.result.postprocess_ms),
    publish_ms: r2(x.publishMs),
    total_ms: r2(x.endedAt - o.startedAt),
    age_ms: r2(x.endedAtEpoch - o.frame.ts),
    fps: Math.round(x.fps * 100) / 100,
    dropped: o.dropped,
    ...(o.frame.motion ? { motion: o.frame.motion } : {}),
  };
}

/** The timing of a frame motion gating skipped: no stage ran on it, so they are 0, and `skipped` says why. */
export function skippedTimingPayload(s: SkippedFrame, x: { endedAtEpoch: number; fps: number }): TimingPayload {
  return {
    v: 1,
    camera: s.camera,
    frame: s.frame.seq,
    ts: Math.round(s.frame.ts),
    capture_ms: r2(s.frame.captureMs),
    wait_ms: 0,
    preprocess_ms: 0,
    inference_ms: 0,
    postprocess_ms: 0,
    publish_ms: 0,
    total_ms: 0,
    age_ms: r2(Math.max(0, x.endedAtEpoch - s.frame.ts)),
    fps: Math.round(x.fps * 100) / 100,
    dropped: s.dropped,
    skipped: s.reason,
    ...(s.frame.motion ? { motion: s.frame.motion } : {}),
  };
}

export function eventInput(e: TrackEvent, snapshot: boolean): EventInput {
  return {
    type: e.type,
    track_id: e.track_id,
    label: e.label,
    class_id: e.class_id,
    score: r4(e.score),
    box: clampBox(e.box),
    zones: e.zones,
    ...(e.entered_zones ? { entered_zones: e.entered_zones } : {}),
    ...(e.left_zones ? { left_zones: e.left_zones } : {}),
    started_at: Math.round(e.started_at),
    updated_at: Math.round(e.updated_at),
    ...(e.ended_at !== undefined ? { ended_at: Math.round(e.ended_at) } : {}),
    frames: Math.max(1, e.frames),
    ...(snapshot ? { snapshot: true } : {}),
  };
}

export interface StatsInput {
  now: number;
  host: HostSnapshot;
  cameras: StatsPayload['cameras'];
  models: { model: string; ep: string }[];
  version: string;
  hostname: string;
}

/** The periodic stats payload (the link adds its own counters as `mqtt`). */
export function statsPayload(x: StatsInput): StatsPayload {
  const h = x.host;
  return {
    v: 1,
    ts: x.now,
    uptime_s: Math.round(h.process_uptime_s),
    cameras: x.cameras,
    ep: [...new Set(x.models.map((m) => m.ep))].join(',') || 'none',
    cpu_temp_c: h.cpu_temp_c,
    load: h.load_avg.map((v) => Math.round(v * 100) / 100),
    rss_mb: Math.round((h.rss_bytes / 1048576) * 10) / 10,
    ...(h.throttled ? { throttled: h.throttled.throttled_now || h.throttled.under_voltage_now || h.throttled.freq_capped_now } : {}),
    models: x.models,
    version: x.version,
    host: x.hostname,
  };
}
