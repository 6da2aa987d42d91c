import { type Box, center, iou, shift } from './box';
import { type ResolvedTrackerOptions, type TrackerOptions, resolveTrackerOptions } from './options';
import type { BestSighting, TrackCounts, TrackedDetection, TrackerInput, TrackEvent, TrackFrameResult } from './types';

interface Track {
  id: number;
  /** Fixed at creation so a track never moves between label counts. */
  label: string;
  class_id: number;
  box: Box;
  zones: string[];
  hits: number;
  /** Consecutive frames without a match. */
  missed: number;
  firstSeen: number;
  lastSeen: number;
  /** Center velocity, normalized units per ms. */
  vx: number;
  vy: number;
  confirmed: boolean;
  lastEventTs: number;
  lastEventZones: string[];
  best: BestSighting;
}

/** Motion prediction extrapolates a track's velocity over at most this long (a brief occlusion). */
const MAX_PREDICT_MS = 1000;

/**
 * Multi-object tracker for one camera: greedy IoU matching (optionally on motion-predicted boxes),
 * track lifecycle events and live counts. Pure and deterministic: no I/O, no clock; every call
 * carries the frame's timestamp. Cheap enough to run per frame on the main thread.
 *
 * @example
 * const tracker = new Tracker({ minHits: 3, maxMissed: 10, updateIntervalMs: 5000 });
 * publishCounts(tracker.counts());                     // retained zeros for configured labels
 * const r = tracker.update(frame.ts, frame.detections); // every processed frame
 * publishDetections(r.detections);                     // now with track_id
 * for (const e of r.events) publishEvent(e);           // start / update / end
 * if (r.countsChanged) publishCounts(r.counts);
 * for (const d of r.detections) if (d.best_improved) keepSnapshot(d.track_id, frame.image);
 * // when detection pauses (schedule) or on shutdown:
 * for (const e of tracker.endAll(Date.now()).events) publishEvent(e);
 */
export class Tracker {
  private opts: ResolvedTrackerOptions;
  private labelFilter: Set<string> | undefined;
  private tracks: Track[] = [];
  private nextId = 1;
  private lastTs = -Infinity;
  private zoneFilter: Set<string> | undefined;
  /**
   * Labels and zone/label pairs once counted: they stay in `counts()` with 0, until a reconfigure
   * takes the label or zone out of the options.
   */
  private readonly knownLabels = new Set<string>();
  private readonly knownZoneLabels = new Map<string, Set<string>>();
  private lastCountsKey: string;

  /** @throws Error naming each invalid option. */
  constructor(options: TrackerOptions = {}, firstTrackId = 1) {
    this.opts = resolveTrackerOptions(options);
    this.labelFilter = this.opts.labels ? new Set(this.opts.labels) : undefined;
    this.zoneFilter = this.opts.zones ? new Set(this.opts.zones) : undefined;
    for (const l of this.opts.labels ?? []) this.knownLabels.add(l);
    this.nextId = firstTrackId;
    this.lastCountsKey = JSON.stringify(this.counts());
  }

  /**
   * Applies new options (config reload) without losing live tracks or restarting ids. Tracks of
   * labels no longer tracked end at the next frame through the usual missed-frame rule.
   * @throws Error naming each invalid option; the old options stay in force.
   */
  reconfigure(options: TrackerOptions): void {
    const next = resolveTrackerOptions(options);
    this.opts = next;
    this.labelFilter = next.labels ? new Set(next.labels) : undefined;
    this.zoneFilter = next.zones ? new Set(next.zones) : undefined;
    for (const l of [...this.knownLabels]) if (!this.counted(l)) this.knownLabels.delete(l);
    for (const [z, labels] of [...this.knownZoneLabels]) {
      if (this.zoneFilter && !this.zoneFilter.has(z)) this.knownZoneLabels.delete(z);
      else for (const l of [...labels]) if (!this.counted(l)) labels.delete(l);
    }
    for (const l of next.labels ?? []) this.knownLabels.add(l);
  }

  private counted(label: string): boolean {
    return this.labelFilter === undefined || this.labelFilter.has(label);
  }

  /** The options in force, defaults filled in. */
  get options(): Readonly<ResolvedTrackerOptions> {
    return this.opts;
  }

  /** The id the next track gets: a tracker that replaces this one (camera restart) starts here. */
  get nextTrackId(): number {
    return this.nextId;
  }

  /** Live tracks, tentative ones included. */
  get size(): number {
    return this.tracks.length;
  }

  /**
   * Feeds one processed frame. `frameTs` is the frame's capture time (epoch ms); a timestamp older
   * than the previous frame's is treated as equal to it, so a clock step never runs time backwards.
   */
  update(frameTs: number, detections: readonly TrackerInput[]): TrackFrameResult {
    const ts = this.advanceTo(frameTs);
    const events: TrackEvent[] = [];
    const out: TrackedDetection[] = detections.map((d) => ({ ...d, confirmed: false, best_improved: false }));

    const candidates = out.map((_, i) => i).filter((i) => this.labelFilter === undefined || this.labelFilter.has(out[i].label));
    const assignment = this.match(ts, candidates, out);

    const matched = new Set<Track>();
    const sortedMatches = [...assignment.entries()].sort((a, b) => a[1].id - b[1].id);
    for (const [detIndex, track] of sortedMatches) {
      matched.add(track);
      const det = out[detIndex];
      det.best_improved = this.observe(track, ts, det);
      det.track_id = track.id;
      const e = this.afterHit(track, ts);
      det.confirmed = track.confirmed;
      if (e) events.push(e);
    }

    for (const i of candidates) {
      if (assignment.has(i)) continue;
      const det = out[i];
      const track = this.createTrack(ts, det);
      matched.add(track);
      det.track_id = track.id;
      det.best_improved = true;
      const e = this.afterHit(track, ts);
      det.confirmed = track.confirmed;
      if (e) events.push(e);
    }

    const survivors: Track[] = [];
    for (const track of this.tracks) {
      if (matched.has(track)) {
        survivors.push(track);
        continue;
      }
      track.missed += 1;
      if (track.confirmed) {
        const timedOut = this.opts.maxMissedMs !== undefined && ts - track.lastSeen >= this.opts.maxMissedMs;
        if (track.missed >= this.opts.maxMissed || timedOut) {
          events.push(this.event('end', track, ts));
          continue;
        }
      } else if (track.missed >= this.opts.tentativeMaxMissed) {
        continue;
      }
      survivors.push(track);
    }
    this.tracks = survivors;

    return { detections: out, events, ...this.countsResult() };
  }

  /**
   * Ends every live track now: `end` for each confirmed one, tentative ones dropped silently. Call it
   * when detection pauses (schedule, camera lost) and on shutdown. The tracker stays usable; new
   * tracks get fresh ids.
   */
  endAll(ts: number): TrackFrameResult {
    const at = this.advanceTo(ts);
    const events = this.tracks
      .filter((t) => t.confirmed)
      .sort((a, b) => a.id - b.id)
      .map((t) => this.event('end', t, at));
    this.tracks = [];
    return { detections: [], events, ...this.countsResult() };
  }

  /** Confirmed live tracks per label and per zone and label; keys sorted. */
  counts(): TrackCounts {
    const byLabel: Record<string, number> = {};
    const zoneLabels = new Map<string, Map<string, number>>();
    // A live track of a label or in a zone that a reconfigure took out is not counted any more.
    const countedZones = (t: Track) => (this.zoneFilter ? t.zones.filter((z) => this.zoneFilter!.has(z)) : t.zones);
    for (const t of this.tracks) {
      if (!t.confirmed || !this.counted(t.label)) continue;
      this.knownLabels.add(t.label);
      for (const z of countedZones(t)) {
        let known = this.knownZoneLabels.get(z);
        if (!known) this.knownZoneLabels.set(z, (known = new Set()));
        known.add(t.label);
      }
    }
    for (const l of [...this.knownLabels].sort()) byLabel[l] = 0;
    for (const z of [...this.knownZoneLabels.keys()].sort()) {
      const m = new Map<string, number>();
      for (const l of [...(this.knownZoneLabels.get(z) ?? [])].sort()) m.set(l, 0);
      zoneLabels.set(z, m);
    }
    for (const t of this.tracks) {
      if (!t.confirmed || !this.counted(t.label)) continue;
      byLabel[t.label] += 1;
      for (const z of countedZones(t)) {
        const m = zoneLabels.get(z);
        if (m) m.set(t.label, (m.get(t.label) ?? 0) + 1);
      }
    }
    const byZone: Record<string, Record<string, number>> = {};
    for (const [z, m] of zoneLabels) byZone[z] = Object.fromEntries(m);
    return { byLabel, byZone };
  }

  /** Time only moves forward here; a non-finite timestamp (a bug upstream) counts as "no time passed". */
  private advanceTo(ts: number): number {
    const next = Number.isFinite(ts) ? Math.max(ts, this.lastTs) : Number.isFinite(this.lastTs) ? this.lastTs : 0;
    this.lastTs = next;
    return next;
  }

  private countsResult(): { counts: TrackCounts; countsChanged: boolean } {
    const counts = this.counts();
    const key = JSON.stringify(counts);
    const countsChanged = key !== this.lastCountsKey;
    this.lastCountsKey = key;
    return { counts, countsChanged };
  }

  /** Greedy assignment by descending IoU; returns detection index → track. */
  private match(ts: number, candidates: number[], dets: TrackedDetection[]): Map<number, Track> {
    const pairs: Array<{ overlap: number; track: Track; det: number }> = [];
    for (const track of this.tracks) {
      const predicted = this.predict(track, ts);
      for (const i of candidates) {
        if (!this.opts.matchAcrossLabels && dets[i].label !== track.label) continue;
        const overlap = iou(predicted, dets[i].box);
        if (overlap >= this.opts.iouThreshold) pairs.push({ overlap, track, det: i });
      }
    }
    // Ties broken by track age, then input order, so the same input always gives the same ids.
    pairs.sort((a, b) => b.overlap - a.overlap || a.track.id - b.track.id || a.det - b.det);
    const byDet = new Map<number, Track>();
    const usedTracks = new Set<Track>();
    for (const p of pairs) {
      if (byDet.has(p.det) || usedTracks.has(p.track)) continue;
      byDet.set(p.det, p.track);
      usedTracks.add(p.track);
    }
    return byDet;
  }

  private predict(track: Track, ts: number): Box {
    if (!this.opts.predictMotion) return track.box;
    // A velocity measured between frames a fraction of a second apart says nothing about where a box
    // is after a long gap (motion gating detects a still scene once per max_idle_s): a parked car's
    // jitter of a pixel, extrapolated over 30 s, put its predicted box off the car.
    const dt = Math.min(ts - track.lastSeen, MAX_PREDICT_MS);
    return dt > 0 ? shift(track.box, track.vx * dt, track.vy * dt) : track.box;
  }

  /** Returns whether this sighting is the track's new best. */
  private observe(track: Track, ts: number, det: TrackerInput): boolean {
    const dt = ts - track.lastSeen;
    if (dt > 0) {
      const [ox, oy] = center(track.box);
      const [nx, ny] = center(det.box);
      const vx = (nx - ox) / dt;
      const vy = (ny - oy) / dt;
      // The first displacement is the only evidence there is: take it whole instead of averaging with 0.
      const a = track.hits === 1 ? 1 : this.opts.velocitySmoothing;
      track.vx = a * vx + (1 - a) * track.vx;
      track.vy = a * vy + (1 - a) * track.vy;
    }
    track.box = det.box;
    track.zones = [...det.zones];
    track.hits += 1;
    track.missed = 0;
    track.lastSeen = ts;
    if (det.score <= track.best.score) return false;
    track.best = { score: det.score, ts, box: det.box };
    return true;
  }

  private createTrack(ts: number, det: TrackerInput): Track {
    const track: Track = {
      id: this.nextId++,
      label: det.label,
      class_id: det.class_id,
      box: det.box,
      zones: [...det.zones],
      hits: 1,
      missed: 0,
      firstSeen: ts,
      lastSeen: ts,
      vx: 0,
      vy: 0,
      confirmed: false,
      lastEventTs: ts,
      lastEventZones: [],
      best: { score: det.score, ts, box: det.box },
    };
    this.tracks.push(track);
    return track;
  }

  /** Start on confirmation; update on a zone change or when the interval has passed. */
  private afterHit(track: Track, ts: number): TrackEvent | undefined {
    if (!track.confirmed) {
      if (track.hits < this.opts.minHits) return undefined;
      track.confirmed = true;
      return this.event('start', track, ts);
    }
    const entered = track.zones.filter((z) => !track.lastEventZones.includes(z));
    const left = track.lastEventZones.filter((z) => !track.zones.includes(z));
    if (entered.length > 0 || left.length > 0) {
      return { ...this.event('update', track, ts), entered_zones: entered, left_zones: left };
    }
    if (ts - track.lastEventTs >= this.opts.updateIntervalMs) return this.event('update', track, ts);
    return undefined;
  }

  private event(type: TrackEvent['type'], track: Track, ts: number): TrackEvent {
    track.lastEventTs = ts;
    track.lastEventZones = [...track.zones];
    const e: TrackEvent = {
      type,
      track_id: track.id,
      label: track.label,
      class_id: track.class_id,
      score: track.best.score,
      box: track.box,
      zones: [...track.zones],
      started_at: track.firstSeen,
      updated_at: ts,
      last_seen_at: track.lastSeen,
      frames: track.hits,
      best: { ...track.best },
    };
    if (type === 'end') e.ended_at = ts;
    return e;
  }
}
