/**
 * Publishes what each processed frame found: detections, timing, track events with snapshots of the
 * track's best frame, and changed counts. Everything on a frame's path stays synchronous and cheap;
 * a snapshot (JPEG encoding on the thread pool, a disk write) is not on it. An event that carries a
 * snapshot waits for its JPEG, so `snapshot: true` still means the JPEG went out before the event
 * (docs/mqtt.md), and the camera's later events and counts queue behind it so their order holds.
 */
import type { Frame } from '../capture';
import type { Detection } from '../detect';
import type { LookoutMetrics } from '../http/metrics';
import type { Logger } from '../log';
import type { DetectionsPayload, MqttLink, TimingPayload } from '../mqtt';
import type { FrameOutcome, SkippedFrame, TracksEnded } from '../pipeline/camera-runtime';
import { isConfiguredCount } from '../pipeline/counts';
import { detectionsPayload, eventInput, skippedTimingPayload, timingPayload } from '../pipeline/payloads';
import type { BestFrames } from '../snapshots/best-frames';
import { encodeSnapshotAsync, type EncodeOptions } from '../snapshots/encode';
import type { SnapshotStore } from '../snapshots/store';
import type { TrackEvent, TrackFrameResult } from '../track';
import type { Camera } from './camera';

/** What one processed frame published: the bench and tests listen for these. */
export interface ProcessedFrame {
  camera: string;
  timing: TimingPayload;
  detections: DetectionsPayload;
}

export type FrameLink = Pick<MqttLink, 'publishDetections' | 'publishTiming' | 'publishEvent' | 'setCount' | 'publishSnapshot'>;
/** A frame's snapshot JPEG; rejects with the reason when it cannot be had (the frame is no longer held, say). */
export type SnapshotEncoder = (frame: Frame, detections: readonly Detection[], options: EncodeOptions) => Promise<Buffer>;

export interface FramePublisherOptions {
  link: FrameLink;
  metrics: Pick<LookoutMetrics, 'frame' | 'detected' | 'event'>;
  logger: Logger;
  camera(name: string): Camera | undefined;
  /** Read at each snapshot: a reload changes them. */
  snapshotConfig(): EncodeOptions & { publish: boolean };
  store(): Pick<SnapshotStore, 'save'>;
  encode?: SnapshotEncoder;
  /** A camera's first processed frame: Home Assistant's fps and inference sensors want a value now. */
  onFirstFrame(camera: string): void;
  /** Every published frame, after its timing went out. */
  onPublished(frame: ProcessedFrame): void;
}

interface Shot {
  trackId: number;
  frame: Frame;
  detections: Detection[];
}

export class FramePublisher {
  private readonly encode: SnapshotEncoder;
  /** Per camera, the events and counts still waiting for a snapshot; later ones queue behind. */
  private readonly queued = new Map<string, Promise<void>>();
  private readonly writes = new Set<Promise<unknown>>();

  constructor(private readonly o: FramePublisherOptions) {
    this.encode = o.encode ?? encodeSnapshotAsync;
  }

  frame(f: FrameOutcome): void {
    const started = performance.now();
    const cam = this.o.camera(f.camera);
    const fig = cam?.figures;
    const now = Date.now();
    if (fig?.frameProcessed(f.result.inference_ms, f.result.preprocess_ms + f.result.roundtrip_ms + f.result.postprocess_ms, now))
      this.o.onFirstFrame(f.camera);
    const detections = detectionsPayload(f);
    this.o.link.publishDetections(f.camera, detections);
    if (cam?.bestFrames && cam.runtime?.current.snapshots) keepBestFrames(cam.bestFrames, f);
    this.tracking(f.camera, f.tracked);
    const endedAt = performance.now();
    const timing = timingPayload(f, { publishMs: endedAt - started, endedAt, endedAtEpoch: Date.now(), fps: fig ? fig.detectRate.rate(now) : 0 });
    this.o.link.publishTiming(f.camera, timing);
    this.o.metrics.frame(f.camera, timing, cam?.runtime?.captureStats?.dropped ?? 0);
    this.o.metrics.detected(
      f.camera,
      detections.detections.map((d) => d.label),
    );
    this.o.onPublished({ camera: f.camera, timing, detections });
  }

  /** A frame motion gating kept from the model: its timing says so; nothing else is published for it. */
  skipped(s: SkippedFrame): void {
    const fig = this.o.camera(s.camera)?.figures;
    this.o.link.publishTiming(s.camera, skippedTimingPayload(s, { endedAtEpoch: Date.now(), fps: fig ? fig.detectRate.rate(Date.now()) : 0 }));
  }

  /**
   * Tracks ended without a frame (pause, shutdown): their end events, then the best frames go.
   * Resolves when the camera's events and their snapshots are out (the capture must run until then:
   * the snapshots are fetched from it).
   */
  tracksEnded(e: TracksEnded): Promise<void> {
    this.tracking(e.camera, e.tracked);
    this.o.camera(e.camera)?.bestFrames?.clear();
    return this.queued.get(e.camera) ?? Promise.resolve();
  }

  /** The `snapshot` command: whether a JPEG went out on MQTT (false when encoding failed or publish is off). */
  snapshotNow(camera: string, frame: Frame, detections: Detection[]): Promise<boolean> {
    return this.snapshot({ trackId: 0, frame, detections }, camera);
  }

  /** Resolves once every queued event, count and snapshot write is out (before the MQTT link stops). */
  async idle(): Promise<void> {
    while (this.queued.size > 0 || this.writes.size > 0) await Promise.all([...this.queued.values(), ...this.writes]);
  }

  private tracking(camera: string, tracked: TrackFrameResult): void {
    const best = this.o.camera(camera)?.bestFrames ?? null;
    // Which frame each event shows is decided now, while the best frames are this frame's.
    const steps = tracked.events.map((ev) => ({ ev, shot: takeShot(best, ev) }));
    const waiting = this.queued.get(camera);
    if (!waiting && steps.every((s) => !s.shot)) {
      for (const { ev } of steps) this.event(camera, ev, false);
      this.counts(camera, tracked);
      return;
    }
    const done: Promise<void> = (waiting ?? Promise.resolve())
      .then(async () => {
        for (const { ev, shot } of steps) {
          let sent = false;
          if (shot) {
            try {
              sent = await this.snapshot(shot, camera);
            } finally {
              best?.unhold(shot.frame.seq);
            }
          }
          this.event(camera, ev, sent);
        }
        this.counts(camera, tracked);
      })
      .catch((e: unknown) => this.o.logger.error({ camera, err: e }, 'publishing events failed'))
      .finally(() => {
        if (this.queued.get(camera) === done) this.queued.delete(camera);
      });
    this.queued.set(camera, done);
  }

  private event(camera: string, ev: TrackEvent, snapshot: boolean): void {
    this.o.link.publishEvent(camera, eventInput(ev, snapshot));
    this.o.metrics.event(camera, ev.type, ev.label);
    // Starts and ends are what a user looks for in the journal ("was anyone there at 3 am?").
    if (ev.type !== 'update') {
      const seconds = Math.round(((ev.ended_at ?? ev.updated_at) - ev.started_at) / 100) / 10;
      this.o.logger.info(
        {
          camera,
          label: ev.label,
          score: Math.round(ev.score * 1000) / 1000,
          track_id: ev.track_id,
          ...(ev.zones.length ? { zones: ev.zones } : {}),
          ...(ev.type === 'end' ? { seconds } : {}),
        },
        `${ev.label} ${ev.type === 'start' ? 'appeared' : 'left'}`,
      );
    }
  }

  /**
   * Only the counts the camera's config promises now: a reload that removed a label or zone cleared its
   * retained count, and tracks from before it (or a frame in flight) must not publish it again.
   */
  private counts(camera: string, tracked: TrackFrameResult): void {
    if (!tracked.countsChanged) return;
    const settings = this.o.camera(camera)?.runtime?.current;
    const promised = (label: string, zone?: string) => !settings || isConfiguredCount(settings, label, zone);
    for (const [label, n] of Object.entries(tracked.counts.byLabel)) if (promised(label)) this.o.link.setCount(camera, label, n);
    for (const [zone, labels] of Object.entries(tracked.counts.byZone)) {
      for (const [label, n] of Object.entries(labels)) if (promised(label, zone)) this.o.link.setCount(camera, label, n, zone);
    }
  }

  /** Saves and publishes a JPEG; a failing disk or encoder costs the snapshot, never the event. */
  private async snapshot(shot: Shot, camera: string): Promise<boolean> {
    const c = this.o.snapshotConfig();
    let jpeg: Buffer;
    try {
      jpeg = await this.encode(shot.frame, shot.detections, { annotate: c.annotate, quality: c.quality });
    } catch (e) {
      // The frame may be gone with its capture process (restarted meanwhile): the event goes without it.
      this.o.logger.warn({ camera, track_id: shot.trackId, frame: shot.frame.seq, err: e }, 'snapshot skipped');
      return false;
    }
    const write = this.o.store().save(camera, shot.trackId, shot.frame.ts, jpeg);
    this.writes.add(write);
    void write.finally(() => this.writes.delete(write));
    if (c.publish) this.o.link.publishSnapshot(camera, jpeg);
    return c.publish;
  }
}

function keepBestFrames(best: BestFrames, f: FrameOutcome): void {
  const plain = f.result.detections;
  for (const d of f.tracked.detections) {
    if (d.track_id !== undefined && d.best_improved) best.offer(d.track_id, d.score, f.frame, plain);
  }
}

/** A start or end shows the track's best frame unless a snapshot of that very frame already went out. */
function takeShot(best: BestFrames | null, ev: TrackEvent): Shot | null {
  if (!best || ev.type === 'update') return null;
  const b = best.get(ev.track_id);
  let shot: Shot | null = null;
  if (b && !b.published) {
    shot = { trackId: ev.track_id, frame: b.frame, detections: b.detections };
    b.published = true;
    // Its JPEG comes from the capture process later (behind earlier snapshots): keep it there until then.
    best.hold(b.frame.seq);
  }
  if (ev.type === 'end') best.forget(ev.track_id);
  return shot;
}
