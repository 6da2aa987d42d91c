/**
 * Fixed-size windows for per-camera figures (inference p50/p95, detection FPS). They run per frame on
 * the main thread, so they allocate nothing per sample.
 */
/** Nearest-rank percentile (q in [0, 1]) of ascending `sorted`, which must not be empty. */
export function nearestRank(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export class RollingSamples {
  private readonly values: Float64Array;
  private count = 0;
  private next = 0;

  constructor(capacity = 512) {
    this.values = new Float64Array(capacity);
  }

  add(value: number): void {
    if (!Number.isFinite(value)) return;
    this.values[this.next] = value;
    this.next = (this.next + 1) % this.values.length;
    if (this.count < this.values.length) this.count += 1;
  }

  get size(): number {
    return this.count;
  }

  /** Nearest-rank percentile of the window (p in [0, 100]); null while empty. */
  percentile(p: number): number | null {
    if (this.count === 0) return null;
    return nearestRank(
      Array.from(this.values.subarray(0, this.count)).sort((a, b) => a - b),
      p / 100,
    );
  }

  clear(): void {
    this.count = 0;
    this.next = 0;
  }
}

/** Events per second over the last `windowMs`, from the timestamps of the events. */
export class RateMeter {
  private readonly stamps: Float64Array;
  private count = 0;
  private next = 0;

  constructor(
    private readonly windowMs = 10_000,
    capacity = 1024,
  ) {
    this.stamps = new Float64Array(capacity);
  }

  mark(atMs: number): void {
    this.stamps[this.next] = atMs;
    this.next = (this.next + 1) % this.stamps.length;
    if (this.count < this.stamps.length) this.count += 1;
  }

  rate(nowMs: number): number {
    let inWindow = 0;
    let oldest = nowMs;
    for (let i = 0; i < this.count; i += 1) {
      const t = this.stamps[i];
      if (nowMs - t <= this.windowMs) {
        inWindow += 1;
        if (t < oldest) oldest = t;
      }
    }
    if (inWindow < 2) return 0;
    const span = Math.max(nowMs - oldest, 1);
    return ((inWindow - 1) * 1000) / span;
  }
}
