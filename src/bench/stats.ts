/**
 * Summaries of repeated measurements. Percentiles are nearest-rank on the sorted samples, so a p99
 * of 100 samples is the slowest but one: with few samples the tail figures are coarse, which the
 * report states by printing the sample count next to them.
 */

import { nearestRank } from '../pipeline/rolling';

export interface LatencyStats {
  n: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  min: number;
  max: number;
}

/** Rounds to 3 decimals: sub-microsecond digits of a millisecond figure are noise. */
export function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

export function summarize(samples: readonly number[]): LatencyStats {
  if (samples.length === 0) throw new Error('no samples to summarize');
  const s = [...samples].sort((a, b) => a - b);
  const rank = (q: number): number => nearestRank(s, q);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return {
    n: s.length,
    mean: round3(mean),
    p50: round3(rank(0.5)),
    p95: round3(rank(0.95)),
    p99: round3(rank(0.99)),
    min: round3(s[0]),
    max: round3(s[s.length - 1]),
  };
}

/** Least-squares slope of y over x (0 when x does not vary). */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return 0;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i];
    my += ys[i];
  }
  mx /= n;
  my /= n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}
