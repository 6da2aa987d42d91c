/**
 * PSS of the daemon and its capture processes, sampled on a timer while the pipeline runs: the
 * memory a Pi has to give Lookout, per process and in all, as a curve (a plateau or a leak) and as
 * start/end/max with a growth rate. Read from /proc/<pid>/smaps_rollup (see proc.ts for why PSS).
 *
 * The sampler only collects; `summarizeMemory` turns samples into figures and is pure, so the
 * arithmetic is tested without processes.
 */
import { descendants, readAllStats, readMemory, type ProcMemory } from './proc';
import { round3, slope } from './stats';

export type ProcessRole = 'daemon' | 'capture';

export interface ProcessSample {
  pid: number;
  role: ProcessRole;
  pss_mb: number;
  private_dirty_mb: number;
  rss_mb: number;
}

export interface MemorySample {
  /** Seconds since the measurement started (negative: during the warm-up). */
  t_s: number;
  /** Frames processed so far (all cameras) since the measurement started. */
  frames: number;
  processes: ProcessSample[];
}

export interface Span {
  start: number;
  end: number;
  max: number;
}

export interface ProcessMemory {
  pid: number;
  role: ProcessRole;
  pss_mb: Span;
  private_dirty_mb: Span;
  samples: number;
}

export interface MemorySummary {
  /** Samples taken after the warm-up (t_s ≥ 0). */
  samples: number;
  duration_s: number;
  /** PSS of all processes together (what they take of the machine), after the warm-up. */
  total_pss_mb: Span;
  total_private_dirty_mb: Span;
  /** Mean total PSS over the second half of the run: the figure to compare across runs. */
  steady_pss_mb: number;
  /** Least-squares slope of total PSS over time after the warm-up. */
  growth_mb_per_min: number;
  /** growth_mb_per_min × duration / total PSS at start: how much it grew, as a share. */
  growth_pct: number;
  /** The daemon process and each capture process (by pid; a restarted capture process is a new one). */
  processes: ProcessMemory[];
}

const mb = (kb: number): number => Math.round((kb / 1024) * 10) / 10;

function span(values: number[]): Span {
  return { start: values[0], end: values[values.length - 1], max: Math.max(...values) };
}

function totals(s: MemorySample, key: 'pss_mb' | 'private_dirty_mb'): number {
  return Math.round(s.processes.reduce((a, p) => a + p[key], 0) * 10) / 10;
}

/** Figures from samples; null when no sample was taken after the warm-up (or /proc had none). */
export function summarizeMemory(all: readonly MemorySample[]): MemorySummary | null {
  const samples = all.filter((s) => s.t_s >= 0 && s.processes.length > 0);
  if (samples.length === 0) return null;
  const pss = samples.map((s) => totals(s, 'pss_mb'));
  const dirty = samples.map((s) => totals(s, 'private_dirty_mb'));
  const duration = samples[samples.length - 1].t_s - samples[0].t_s;
  const perMin = slope(
    samples.map((s) => s.t_s / 60),
    pss,
  );
  const second = pss.slice(Math.floor(pss.length / 2));
  const byPid = new Map<number, ProcessSample[]>();
  for (const s of samples) for (const p of s.processes) byPid.set(p.pid, [...(byPid.get(p.pid) ?? []), p]);
  const processes = [...byPid.values()].map((ps) => ({
    pid: ps[0].pid,
    role: ps[0].role,
    pss_mb: span(ps.map((p) => p.pss_mb)),
    private_dirty_mb: span(ps.map((p) => p.private_dirty_mb)),
    samples: ps.length,
  }));
  processes.sort((a, b) => (a.role === b.role ? a.pid - b.pid : a.role === 'daemon' ? -1 : 1));
  return {
    samples: samples.length,
    duration_s: round3(duration),
    total_pss_mb: span(pss),
    total_private_dirty_mb: span(dirty),
    steady_pss_mb: Math.round((second.reduce((a, b) => a + b, 0) / second.length) * 10) / 10,
    growth_mb_per_min: round3(perMin),
    growth_pct: round3(pss[0] > 0 ? (perMin * (duration / 60) * 100) / pss[0] : 0),
    processes,
  };
}

/** One sample of `root` and its descendants (not `exclude`); an empty list where /proc has no smaps_rollup. */
export function sampleProcesses(root: number, exclude: ReadonlySet<number>): ProcessSample[] {
  const out: ProcessSample[] = [];
  const add = (pid: number, role: ProcessRole, m: ProcMemory | null): void => {
    if (m) out.push({ pid, role, pss_mb: mb(m.pss_kb), private_dirty_mb: mb(m.private_dirty_kb), rss_mb: mb(m.rss_kb) });
  };
  add(root, 'daemon', readMemory(root));
  for (const s of descendants(root, readAllStats() ?? [])) if (!exclude.has(s.pid)) add(s.pid, 'capture', readMemory(s.pid));
  return out;
}

/** Takes a sample every `intervalMs` until stopped; `mark()` sets time zero (the end of the warm-up). */
export class MemorySampler {
  readonly samples: MemorySample[] = [];
  /** performance.now() of each sample, so the warm-up's samples get negative times once zero is known. */
  private readonly takenAt: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private zero: number | undefined;

  constructor(
    private readonly frames: () => number,
    private readonly exclude: ReadonlySet<number>,
    private readonly intervalMs = 1000,
    private readonly root = process.pid,
  ) {}

  start(): void {
    // A first sample at once: on a fast machine the warm-up can end before the first interval, and the
    // curve would then start at the measurement without the warm-up it is meant to show.
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  /** Time zero of the measurement; samples before it are the warm-up's (negative t_s). */
  mark(): void {
    this.zero = performance.now();
    this.takenAt.forEach((at, i) => (this.samples[i].t_s = round3((at - this.zero!) / 1000)));
    this.sample();
  }

  sample(): void {
    const processes = sampleProcesses(this.root, this.exclude);
    const now = performance.now();
    this.takenAt.push(now);
    // Before mark(), t_s is provisional (-1 keeps it out of the summary); mark() rewrites it.
    this.samples.push({ t_s: this.zero === undefined ? -1 : round3((now - this.zero) / 1000), frames: this.frames(), processes });
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }
}
