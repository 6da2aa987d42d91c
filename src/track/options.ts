/** Tuning of one camera's tracker. Every field is optional; defaults are in `DEFAULT_TRACKER_OPTIONS`. */
export interface TrackerOptions {
  /** Minimum IoU between a track's (predicted) box and a detection for them to match. Default 0.3. */
  iouThreshold?: number;
  /** Frames a track must be matched in before it is confirmed (emits `start`, is counted). Default 3. */
  minHits?: number;
  /** Consecutive frames without a match after which a confirmed track ends. Default 10. */
  maxMissed?: number;
  /**
   * Also end a track once it has not been matched for this long (ms), whichever comes first with
   * `maxMissed`. Useful when the frame rate varies (adaptive load). Default: off (undefined).
   */
  maxMissedMs?: number;
  /** Consecutive misses after which a tentative (unconfirmed) track is dropped silently. Default 2. */
  tentativeMaxMissed?: number;
  /** Minimum time between two `update` events of a track, unless its zones change. Default 5000 ms. */
  updateIntervalMs?: number;
  /** Let a detection continue a track of another label (the detector flips labels). Default false. */
  matchAcrossLabels?: boolean;
  /**
   * Labels to track. Detections of other labels pass through without a track id. Listed labels are
   * counted from the start (with 0), so retained counts exist before the first sighting. Default: all.
   */
  labels?: string[];
  /**
   * Zones whose counts are kept. A zone left out (or removed by `reconfigure`) is not counted and drops
   * out of `counts()`. Default: every zone a detection carries.
   */
  zones?: string[];
  /**
   * Shift each track's box by its estimated velocity to where it should be at the new frame's
   * timestamp before matching; keeps fast movers and briefly occluded walkers on their track.
   * Default true.
   */
  predictMotion?: boolean;
  /**
   * Weight of the newest displacement in the velocity estimate (exponential smoothing, 0..1]. Lower
   * values smooth detector jitter more. Default 0.5.
   */
  velocitySmoothing?: number;
}

export type ResolvedTrackerOptions = Required<Omit<TrackerOptions, 'maxMissedMs' | 'labels' | 'zones'>> &
  Pick<TrackerOptions, 'maxMissedMs' | 'labels' | 'zones'>;

export const DEFAULT_TRACKER_OPTIONS: ResolvedTrackerOptions = {
  iouThreshold: 0.3,
  minHits: 3,
  maxMissed: 10,
  maxMissedMs: undefined,
  tentativeMaxMissed: 2,
  updateIntervalMs: 5000,
  matchAcrossLabels: false,
  labels: undefined,
  zones: undefined,
  predictMotion: true,
  velocitySmoothing: 0.5,
};

/** Merges options over the defaults and rejects values that would make the tracker misbehave. */
export function resolveTrackerOptions(options: TrackerOptions = {}): ResolvedTrackerOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const o: ResolvedTrackerOptions = { ...DEFAULT_TRACKER_OPTIONS, ...defined };
  const problems: string[] = [];
  if (!(o.iouThreshold > 0 && o.iouThreshold <= 1)) problems.push(`iouThreshold ${o.iouThreshold} is not in (0, 1]`);
  if (!Number.isInteger(o.minHits) || o.minHits < 1) problems.push(`minHits ${o.minHits} is not an integer >= 1`);
  if (!Number.isInteger(o.maxMissed) || o.maxMissed < 1) problems.push(`maxMissed ${o.maxMissed} is not an integer >= 1`);
  if (!Number.isInteger(o.tentativeMaxMissed) || o.tentativeMaxMissed < 1) problems.push(`tentativeMaxMissed ${o.tentativeMaxMissed} is not an integer >= 1`);
  if (o.maxMissedMs !== undefined && !(o.maxMissedMs > 0)) problems.push(`maxMissedMs ${o.maxMissedMs} is not > 0`);
  if (!(o.updateIntervalMs >= 0)) problems.push(`updateIntervalMs ${o.updateIntervalMs} is not >= 0`);
  if (!(o.velocitySmoothing > 0 && o.velocitySmoothing <= 1)) problems.push(`velocitySmoothing ${o.velocitySmoothing} is not in (0, 1]`);
  if (problems.length > 0) throw new Error(`invalid tracker options: ${problems.join('; ')}`);
  return o;
}
