/**
 * Per-camera filters, applied after the shared session's NMS: pure functions, so the same model
 * serves cameras with different thresholds, labels, zones and masks, and a reload swaps the options.
 */
import type { Box, Candidate, Detection } from './types';

/** [x, y] in normalized frame coordinates (0..1, origin top-left). */
export type Point = [number, number];
export type Polygon = Point[];

/** Which point of a box decides whether it is inside a zone or mask. */
export type ZoneAnchor = 'bottom-centre' | 'centre';

export interface Zone {
  /** Reported in `Detection.zones`. */
  name: string;
  /** At least 3 points, normalized coordinates. */
  points: Polygon;
  /**
   * include (default): when any include zone exists, only detections inside one of them pass, and
   * they carry its name. exclude: detections inside are dropped.
   */
  mode?: 'include' | 'exclude';
  /** Overrides FilterOptions.anchor for this zone. */
  anchor?: ZoneAnchor;
}

export interface FilterOptions {
  /** Minimum score for every label. Default 0.5. */
  minScore?: number;
  /** Per-label minimum score; replaces minScore for that label. */
  minScoreByLabel?: Record<string, number>;
  /** Allow list: when non-empty, only these labels pass. */
  labels?: string[];
  /** Deny list: these labels never pass (wins over the allow list). */
  excludeLabels?: string[];
  /** Minimum box area as a fraction of the frame. Default 0. */
  minArea?: number;
  /** Maximum box area as a fraction of the frame. Default 1. */
  maxArea?: number;
  zones?: Zone[];
  /** Polygons where detections are ignored (by anchor point), e.g. a tree that moves in wind. */
  masks?: Polygon[];
  /** Default anchor for zones and masks: bottom-centre (where an object touches the ground). */
  anchor?: ZoneAnchor;
}

export const DEFAULT_MIN_SCORE = 0.5;

/**
 * The label key for a class id; labels missing from the manifest read as `class_<id>`. Here, not in
 * manifest.ts: the capture process imports this file (for pointInPolygon, motion masks), and
 * manifest.ts would bring it the manifest's schema validator.
 */
export function labelFor(labels: Record<string, string>, classId: number): string {
  return labels[String(classId)] ?? `class_${classId}`;
}

/** Ray casting; a point exactly on an edge may fall either way. */
export function pointInPolygon(p: Point, poly: Polygon): boolean {
  const [x, y] = p;
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i];
    const [xj, yj] = poly[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export function anchorPoint(box: Box, anchor: ZoneAnchor): Point {
  const cx = (box[0] + box[2]) / 2;
  return anchor === 'centre' ? [cx, (box[1] + box[3]) / 2] : [cx, box[3]];
}

/** Problems with filter options, each as `field: reason` (empty when fine). */
export function filterOptionsErrors(o: FilterOptions): string[] {
  const errs: string[] = [];
  const score = (v: number | undefined, at: string): void => {
    if (v !== undefined && !(v >= 0 && v <= 1)) errs.push(`${at}: must be between 0 and 1 (got ${v})`);
  };
  score(o.minScore, 'minScore');
  for (const [label, v] of Object.entries(o.minScoreByLabel ?? {})) score(v, `minScoreByLabel.${label}`);
  score(o.minArea, 'minArea');
  score(o.maxArea, 'maxArea');
  if (o.minArea !== undefined && o.maxArea !== undefined && o.minArea > o.maxArea) {
    errs.push(`minArea: ${o.minArea} is above maxArea ${o.maxArea}`);
  }
  const poly = (p: Polygon, at: string): void => {
    if (!Array.isArray(p) || p.length < 3) errs.push(`${at}: a polygon needs at least 3 points`);
    else if (p.some((pt) => !Array.isArray(pt) || pt.length !== 2 || pt.some((v) => !(v >= 0 && v <= 1)))) {
      errs.push(`${at}: points must be [x, y] pairs with values in 0..1`);
    }
  };
  const names = new Set<string>();
  (o.zones ?? []).forEach((z, i) => {
    if (!z.name) errs.push(`zones.${i}.name: is required`);
    else if (names.has(z.name)) errs.push(`zones.${i}.name: "${z.name}" is used twice`);
    names.add(z.name);
    poly(z.points, `zones.${z.name || i}.points`);
  });
  (o.masks ?? []).forEach((m, i) => poly(m, `masks.${i}`));
  return errs;
}

/**
 * Turns candidates (after NMS) into the detections a camera publishes: labels attached, thresholds,
 * label lists, area limits, masks and zones applied.
 */
export function applyFilters(cands: readonly Candidate[], labels: Record<string, string>, o: FilterOptions = {}): Detection[] {
  const minScore = o.minScore ?? DEFAULT_MIN_SCORE;
  const allow = o.labels && o.labels.length > 0 ? new Set(o.labels) : null;
  const deny = new Set(o.excludeLabels ?? []);
  const minArea = o.minArea ?? 0;
  const maxArea = o.maxArea ?? 1;
  const defaultAnchor = o.anchor ?? 'bottom-centre';
  const zones = o.zones ?? [];
  const includeZones = zones.filter((z) => (z.mode ?? 'include') === 'include');
  const excludeZones = zones.filter((z) => z.mode === 'exclude');
  const out: Detection[] = [];
  for (const c of cands) {
    const label = labelFor(labels, c.class_id);
    if (deny.has(label) || (allow && !allow.has(label))) continue;
    if (!(c.score >= (o.minScoreByLabel?.[label] ?? minScore))) continue;
    const area = (c.box[2] - c.box[0]) * (c.box[3] - c.box[1]);
    if (area < minArea || area > maxArea) continue;
    const at = (z: { anchor?: ZoneAnchor }): Point => anchorPoint(c.box, z.anchor ?? defaultAnchor);
    if ((o.masks ?? []).some((m) => pointInPolygon(anchorPoint(c.box, defaultAnchor), m))) continue;
    if (excludeZones.some((z) => pointInPolygon(at(z), z.points))) continue;
    const inZones = includeZones.filter((z) => pointInPolygon(at(z), z.points)).map((z) => z.name);
    if (includeZones.length > 0 && inZones.length === 0) continue;
    out.push({ label, class_id: c.class_id, score: c.score, box: c.box, zones: inZones });
  }
  return out;
}
