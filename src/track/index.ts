/**
 * Object tracking for one camera: ids that persist across frames, `start` / `update` / `end`
 * events, live counts per label and zone, and the best frame of each track.
 *
 * @example
 * import { Tracker } from './track';
 * const tracker = new Tracker({ iouThreshold: 0.3, minHits: 3, maxMissed: 10 });
 * const { detections, events, counts, countsChanged } = tracker.update(ts, detectionsOfFrame);
 * // ... on pause/shutdown: tracker.endAll(Date.now()).events
 */
export { Tracker } from './tracker';
export { type TrackerOptions, type ResolvedTrackerOptions, DEFAULT_TRACKER_OPTIONS, resolveTrackerOptions } from './options';
export type { TrackerInput, TrackedDetection, TrackEvent, TrackEventType, TrackCounts, TrackFrameResult, BestSighting } from './types';
export { type Box, iou } from './box';
