/**
 * How closely model B reproduces model A's detections on the same frames: the figures
 * `lookout model compare` prints and the int8 acceptance test holds to.
 *
 * A reference detection is one of A's scoring at least `minScore`. B finds it when B has a
 * detection of the same label scoring at least `matchScore` whose box overlaps it by IoU above
 * `iou`. The lower bar for B is deliberate: a detection that drops from 0.52 to 0.48 is still
 * there for a tracker or a lowered threshold, and the score change shows up in |Δscore| instead.
 * Extras are the mirror image: B's detections ≥ minScore that A has nothing for at ≥ matchScore.
 */
import type { Box } from '../detect/types';

export interface ComparedDetection {
  label: string;
  score: number;
  /** [xmin, ymin, xmax, ymax] normalized. */
  box: Box;
}

export interface MatchRules {
  /** A's detections at or above this are the reference. Default 0.5. */
  minScore: number;
  /** The other model's detections count as a match from this score up. Default 0.3. */
  matchScore: number;
  /** Boxes must overlap by more than this IoU. Default 0.5. */
  iou: number;
}

export const DEFAULT_MATCH_RULES: MatchRules = { minScore: 0.5, matchScore: 0.3, iou: 0.5 };

export interface MatchedPair {
  label: string;
  scoreA: number;
  scoreB: number;
  iou: number;
}

export interface FrameComparison {
  frame: string;
  /** A's detections ≥ minScore. */
  reference: number;
  pairs: MatchedPair[];
  /** Reference detections B did not find. */
  missed: ComparedDetection[];
  /** B's detections ≥ minScore that A does not have. */
  extra: ComparedDetection[];
}

export interface ComparisonSummary {
  frames: number;
  reference: number;
  matched: number;
  /** matched / reference; null when A found nothing to compare against. */
  recall: number | null;
  extra: number;
  /** Mean and max |scoreA − scoreB| over matched pairs; null when nothing matched. */
  mean_abs_dscore: number | null;
  max_abs_dscore: number | null;
  mean_iou: number | null;
}

export function iou(a: Box, b: Box): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Greedy one-to-one matching, strongest reference first, each to the unused candidate of the same
 * label with the highest IoU above the bar. Returns the pairs and the references left over.
 */
function match(
  refs: ComparedDetection[],
  cands: ComparedDetection[],
  minIou: number,
): { pairs: Array<{ ref: ComparedDetection; cand: ComparedDetection; iou: number }>; unmatched: ComparedDetection[] } {
  const used = new Set<number>();
  const pairs: Array<{ ref: ComparedDetection; cand: ComparedDetection; iou: number }> = [];
  const unmatched: ComparedDetection[] = [];
  for (const ref of [...refs].sort((x, y) => y.score - x.score)) {
    let best = -1;
    let bestIou = minIou;
    cands.forEach((c, i) => {
      if (used.has(i) || c.label !== ref.label) return;
      const o = iou(ref.box, c.box);
      if (o > bestIou) {
        best = i;
        bestIou = o;
      }
    });
    if (best < 0) unmatched.push(ref);
    else {
      used.add(best);
      pairs.push({ ref, cand: cands[best], iou: bestIou });
    }
  }
  return { pairs, unmatched };
}

export function compareFrame(frame: string, a: ComparedDetection[], b: ComparedDetection[], rules: MatchRules = DEFAULT_MATCH_RULES): FrameComparison {
  const refA = a.filter((d) => d.score >= rules.minScore);
  const candB = b.filter((d) => d.score >= rules.matchScore);
  const forward = match(refA, candB, rules.iou);
  const refB = b.filter((d) => d.score >= rules.minScore);
  const candA = a.filter((d) => d.score >= rules.matchScore);
  const backward = match(refB, candA, rules.iou);
  return {
    frame,
    reference: refA.length,
    pairs: forward.pairs.map((p) => ({ label: p.ref.label, scoreA: p.ref.score, scoreB: p.cand.score, iou: p.iou })),
    missed: forward.unmatched,
    extra: backward.unmatched,
  };
}

const mean = (xs: number[]): number | null => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : null);

export function summarize(frames: FrameComparison[]): ComparisonSummary {
  const pairs = frames.flatMap((f) => f.pairs);
  const reference = frames.reduce((s, f) => s + f.reference, 0);
  const d = pairs.map((p) => Math.abs(p.scoreA - p.scoreB));
  return {
    frames: frames.length,
    reference,
    matched: pairs.length,
    recall: reference ? pairs.length / reference : null,
    extra: frames.reduce((s, f) => s + f.extra.length, 0),
    mean_abs_dscore: mean(d),
    max_abs_dscore: d.length ? Math.max(...d) : null,
    mean_iou: mean(pairs.map((p) => p.iou)),
  };
}
