import type { Box } from './box';

/** One detection of one frame, as the detector's filters hand it over. */
export interface TrackerInput {
  label: string;
  class_id: number;
  score: number;
  /** `[xmin, ymin, xmax, ymax]` normalized to the full frame. */
  box: Box;
  /** Names of the configured zones this detection lies in. */
  zones: string[];
}

/** The same detection with the tracker's verdict added. */
export interface TrackedDetection extends TrackerInput {
  /**
   * Id of the track this detection belongs to; unique per tracker and never reused within the
   * process. Absent only for labels the tracker is told to ignore (`TrackerOptions.labels`).
   */
  track_id?: number;
  /** The track has been seen in `minHits` frames: it produces events and is counted. */
  confirmed: boolean;
  /**
   * This frame is the best (highest score) of its track so far: keep this frame's image if you want
   * a snapshot of the track's best moment. Set for tentative tracks too, because a track's best frame
   * may come before it is confirmed.
   */
  best_improved: boolean;
}

/** The best (highest-scoring) sighting of a track so far. */
export interface BestSighting {
  score: number;
  /** Frame timestamp, epoch ms. */
  ts: number;
  box: Box;
}

export type TrackEventType = 'start' | 'update' | 'end';

/**
 * A track's lifecycle event. Every confirmed track gets exactly one `start`, then any number of
 * `update`s, then exactly one `end` (also on `endAll`). Tentative tracks produce none.
 */
export interface TrackEvent {
  type: TrackEventType;
  track_id: number;
  label: string;
  class_id: number;
  /** Best score of the track so far. */
  score: number;
  /** Latest observed box. */
  box: Box;
  /** Zones of the latest observation. */
  zones: string[];
  /** Zones entered since the previous event of this track (on `update` with a zone change). */
  entered_zones?: string[];
  /** Zones left since the previous event of this track (on `update` with a zone change). */
  left_zones?: string[];
  /** First sighting, epoch ms (the track existed, tentative, before its `start`). */
  started_at: number;
  /** Timestamp of the frame that produced this event, epoch ms. */
  updated_at: number;
  /** Last frame the object was matched in, epoch ms. */
  last_seen_at: number;
  /** On `end`: when the tracker gave the track up (frame timestamp or the `endAll` timestamp). */
  ended_at?: number;
  /** Number of frames the object was matched in. */
  frames: number;
  best: BestSighting;
}

/** Confirmed tracks alive now, per label and per zone and label. */
export interface TrackCounts {
  /** Label → number of confirmed live tracks. A label once counted stays with 0, so retained counts can be reset. */
  byLabel: Record<string, number>;
  /** Zone → label → number of confirmed live tracks whose latest observation lies in that zone. */
  byZone: Record<string, Record<string, number>>;
}

/** What `Tracker.update` (and `endAll`) returns for one frame. */
export interface TrackFrameResult {
  /** The input detections in input order, with track ids and flags. */
  detections: TrackedDetection[];
  /** Events produced by this frame, in a deterministic order. */
  events: TrackEvent[];
  counts: TrackCounts;
  /** `counts` differ from the previous result's: republish retained counts. */
  countsChanged: boolean;
}
