/** Greedy non-maximum suppression over candidates (boxes as [xmin, ymin, xmax, ymax]). */
import type { Box, Candidate } from './types';

export interface NmsOptions {
  /** Boxes overlapping a kept box by more than this IoU are dropped. Default 0.5. */
  iouThreshold?: number;
  /** Keep at most this many detections per frame. Default 100. */
  maxDetections?: number;
  /** true: one box suppresses any class; false (default): only its own class. */
  classAgnostic?: boolean;
  /** Only the best this-many candidates enter NMS (bounds its O(n·k) cost). Default 1000. */
  maxCandidates?: number;
}

export function iou(a: Box, b: Box): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/** Returns the kept candidates, best score first. */
export function nms(cands: readonly Candidate[], options: NmsOptions = {}): Candidate[] {
  const iouThreshold = options.iouThreshold ?? 0.5;
  const maxDetections = options.maxDetections ?? 100;
  const maxCandidates = options.maxCandidates ?? 1000;
  const sorted = [...cands].sort((x, y) => y.score - x.score).slice(0, maxCandidates);
  const kept: Candidate[] = [];
  for (const c of sorted) {
    if (kept.length >= maxDetections) break;
    let suppressed = false;
    for (const k of kept) {
      if (!options.classAgnostic && k.class_id !== c.class_id) continue;
      if (iou(k.box, c.box) > iouThreshold) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) kept.push(c);
  }
  return kept;
}
