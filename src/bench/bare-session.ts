/**
 * The model alone: `session.run` on the main thread of this process with the options the daemon's
 * worker uses (same EP, intra-op threads, spinning, graph optimization), on one real preprocessed
 * frame, back to back. No preprocessing, no worker hop, no decoding: the ceiling the pipeline is
 * measured against.
 *
 * Why the main thread and not a worker: nothing else runs while this is measured, so a blocked event
 * loop costs nothing here, and a worker would add the message round trip we want to leave out.
 */
import { performance } from 'node:perf_hooks';
import type * as Ort from 'onnxruntime-node';
import { DEFAULT_SESSION_MEMORY } from '../detect/inference-session';
import { benchOrt } from './ort';
import { summarize, round3, type LatencyStats } from './stats';
import type { BenchInput } from './input';

export interface BareSessionOptions {
  modelPath: string;
  inputName: string;
  /** The EP the daemon's detector ended up on (e.g. 'cpu'). */
  ep: string;
  threads: number;
  allowSpinning?: boolean;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** ORT's CPU memory arena; default: as the daemon's worker (see inference-session.ts). */
  enableCpuMemArena?: boolean;
  /** ORT's memory pattern optimization; default: as the daemon's worker. */
  enableMemPattern?: boolean;
}

export interface BareRunResult {
  threads: number;
  ep: string;
  runs: number;
  latency_ms: LatencyStats;
  /** Runs per second over the measured runs, back to back. */
  throughput_fps: number;
  /** CPU time of this process (all threads) per run. */
  cpu_ms_per_run: number;
  load_ms: number;
}

const ort = benchOrt;

/** Session options as WorkerSession builds them (src/detect/inference-session.ts), for one EP. */
export function sessionOptions(o: BareSessionOptions): Ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [o.ep],
    intraOpNumThreads: o.threads,
    graphOptimizationLevel: o.graphOptimizationLevel ?? 'all',
    enableCpuMemArena: o.enableCpuMemArena ?? DEFAULT_SESSION_MEMORY.enableCpuMemArena,
    enableMemPattern: o.enableMemPattern ?? DEFAULT_SESSION_MEMORY.enableMemPattern,
    logSeverityLevel: 3,
    extra: { session: { intra_op: { allow_spinning: (o.allowSpinning ?? true) ? '1' : '0' } } },
  };
}

export async function createSession(o: BareSessionOptions): Promise<{ session: Ort.InferenceSession; loadMs: number }> {
  const t0 = performance.now();
  const session = await ort().InferenceSession.create(o.modelPath, sessionOptions(o));
  return { session, loadMs: performance.now() - t0 };
}

export function tensorOf(input: BenchInput): Ort.Tensor {
  const T = ort().Tensor;
  return input.data instanceof Float32Array ? new T('float32', input.data, input.dims) : new T('uint8', input.data, input.dims);
}

/** `warmup` unmeasured runs, then `runs` measured ones, on the same input. */
export async function benchBareSession(o: BareSessionOptions, input: BenchInput, runs: number, warmup = 5): Promise<BareRunResult> {
  const { session, loadMs } = await createSession(o);
  try {
    const feeds = { [o.inputName]: tensorOf(input) };
    for (let i = 0; i < warmup; i++) await session.run(feeds);
    const lat: number[] = [];
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      await session.run(feeds);
      lat.push(performance.now() - t);
    }
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return {
      threads: o.threads,
      ep: o.ep,
      runs,
      latency_ms: summarize(lat),
      throughput_fps: round3((runs * 1000) / wall),
      cpu_ms_per_run: round3((cpu.user + cpu.system) / 1000 / runs),
      load_ms: round3(loadMs),
    };
  } finally {
    await session.release();
  }
}

/** Bare throughput for 1…maxThreads intra-op threads, so a user can pick `detector.threads`. */
export async function scanThreads(o: Omit<BareSessionOptions, 'threads'>, input: BenchInput, maxThreads: number, runs: number): Promise<BareRunResult[]> {
  const out: BareRunResult[] = [];
  for (let k = 1; k <= maxThreads; k++) out.push(await benchBareSession({ ...o, threads: k }, input, runs));
  return out;
}
