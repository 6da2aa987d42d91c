/**
 * ONNX Runtime's memory options, measured: each variant of the session options runs in a fresh
 * process of its own (bench-child), so its PSS is the session's and nothing else's, on the same
 * preprocessed frame and threads. The variants cover what ORT offers to trade memory for speed:
 * the CPU memory arena (a pool that keeps every buffer it ever allocated), the memory pattern
 * (pre-planned allocations from the first run's shapes), and the graph optimization level
 * (optimized graphs fuse nodes and may pre-pack weights into extra copies).
 */
import { performance } from 'node:perf_hooks';
import { type BareSessionOptions, createSession, tensorOf } from './bare-session';
import type { BenchInput } from './input';
import { readMemory } from './proc';
import { round3 } from './stats';

export interface OrtMemoryVariant {
  name: string;
  enableCpuMemArena: boolean;
  enableMemPattern: boolean;
  graphOptimizationLevel: 'disabled' | 'basic' | 'extended' | 'all';
}

/** The defaults first (ORT's and the daemon's before this bench measured them), then one change at a time. */
export const ORT_MEMORY_VARIANTS: OrtMemoryVariant[] = [
  { name: 'arena on, pattern on, all (ORT defaults)', enableCpuMemArena: true, enableMemPattern: true, graphOptimizationLevel: 'all' },
  { name: 'arena off', enableCpuMemArena: false, enableMemPattern: true, graphOptimizationLevel: 'all' },
  { name: 'pattern off', enableCpuMemArena: true, enableMemPattern: false, graphOptimizationLevel: 'all' },
  { name: 'arena off, pattern off', enableCpuMemArena: false, enableMemPattern: false, graphOptimizationLevel: 'all' },
  { name: 'arena off, graph basic', enableCpuMemArena: false, enableMemPattern: true, graphOptimizationLevel: 'basic' },
];

export interface OrtMemoryResult {
  variant: string;
  enableCpuMemArena: boolean;
  enableMemPattern: boolean;
  graphOptimizationLevel: string;
  threads: number;
  runs: number;
  /** PSS of the measuring process before the session, after loading it, after the runs (MB). */
  pss_mb: { before: number; loaded: number; after_runs: number };
  /** after_runs − before: what the session costs. */
  session_pss_mb: number;
  private_dirty_mb: number;
  throughput_fps: number;
  /** Mean CPU time of the process per run. */
  cpu_ms_per_run: number;
}

const pssMb = (): number => Math.round(((readMemory(process.pid)?.pss_kb ?? 0) / 1024) * 10) / 10;

/** Runs in the child process: one session with the variant's options, `runs` runs on `input`. */
export async function measureOrtMemory(session: BareSessionOptions, variant: OrtMemoryVariant, input: BenchInput, runs: number): Promise<OrtMemoryResult> {
  const before = pssMb();
  const { session: s } = await createSession({
    ...session,
    graphOptimizationLevel: variant.graphOptimizationLevel,
    enableCpuMemArena: variant.enableCpuMemArena,
    enableMemPattern: variant.enableMemPattern,
  });
  const loaded = pssMb();
  const feeds = { [session.inputName]: tensorOf(input) };
  for (let i = 0; i < 3; i++) await s.run(feeds);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) await s.run(feeds);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const after = pssMb();
  const dirty = Math.round(((readMemory(process.pid)?.private_dirty_kb ?? 0) / 1024) * 10) / 10;
  await s.release();
  return {
    variant: variant.name,
    enableCpuMemArena: variant.enableCpuMemArena,
    enableMemPattern: variant.enableMemPattern,
    graphOptimizationLevel: variant.graphOptimizationLevel,
    threads: session.threads,
    runs,
    pss_mb: { before, loaded, after_runs: after },
    session_pss_mb: Math.round((after - before) * 10) / 10,
    private_dirty_mb: dirty,
    throughput_fps: round3((runs * 1000) / wall),
    cpu_ms_per_run: round3((cpu.user + cpu.system) / 1000 / runs),
  };
}
