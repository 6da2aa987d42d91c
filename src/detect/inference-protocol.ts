/**
 * Messages between the main thread and the inference worker. Types only.
 */
import type { ManifestOutput } from './manifest';
import type { NmsOptions } from './nms';
import type { Candidate, InputGeometry } from './types';

export type TensorDtype = 'uint8' | 'float32';

/** Session options as the worker hands them to onnxruntime-node. */
export interface WorkerSessionOptions {
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  executionMode?: 'sequential' | 'parallel';
  enableCpuMemArena?: boolean;
  enableMemPattern?: boolean;
  /** Flattened by the binding to `a.b.c` session config keys; values must be strings. */
  extra?: Record<string, unknown>;
}

export interface LoadRequest {
  type: 'load';
  ortPath: string;
  modelPath: string;
  /** Tried in order; the first that creates a session wins. */
  providers: string[];
  sessionOptions: WorkerSessionOptions;
  /** ORT's own log level for its native stderr output. */
  ortLogLevel: 'verbose' | 'info' | 'warning' | 'error' | 'fatal';
  /** The warm-up feed; dims already concrete. */
  warmup: { name: string; dtype: TensorDtype; dims: number[] };
}

export interface ValueMeta {
  name: string;
  isTensor: boolean;
  type?: string;
  /** Numbers for fixed dims, strings for symbolic ones. */
  shape?: Array<number | string>;
}

export interface ProviderAttempt {
  ep: string;
  error: string;
}

export interface LoadedReply {
  type: 'loaded';
  ep: string;
  attempts: ProviderAttempt[];
  inputs: ValueMeta[];
  outputs: ValueMeta[];
  /** Real dims of each output in the warm-up run. */
  warmupOutputs: Array<{ name: string; type: string; dims: number[] }>;
  /** Set when the warm-up run failed (the session is then unusable). */
  warmupError?: string;
  loadMs: number;
  warmupMs: number;
}

export interface RunRequest {
  type: 'run';
  id: number;
  name: string;
  dtype: TensorDtype;
  dims: number[];
  /** Transferred, not copied. */
  data: ArrayBuffer;
  /** Decode the outputs in the worker and answer with candidates instead of the raw tensors. */
  decode?: WorkerDecode;
}

/**
 * The model-wide postprocessing (decode, NMS, clamping), done where the outputs are: sending them
 * to the main thread made 0.7 MB of new external memory there every frame (SSDLite's scores), which
 * kept V8 running a full garbage collection about every 8 frames on the daemon's main thread.
 */
export interface WorkerDecode {
  output: ManifestOutput;
  scoreThreshold: number;
  nms?: NmsOptions;
  geometry: InputGeometry;
}

export interface WireTensor {
  type: string;
  dims: number[];
  data: Float32Array | Int32Array | Uint8Array | BigInt64Array | Float64Array;
}

export interface ResultReply {
  type: 'result';
  id: number;
  /** The raw outputs; empty when the request asked for `decode`. */
  outputs: Record<string, WireTensor>;
  /** With `decode`: the candidates, and how long decoding took in the worker. */
  decoded?: { candidates: Candidate[]; ms: number };
  /** The request's input buffer, handed back (transferred) for reuse. */
  input?: ArrayBuffer;
  /** session.run() wall time inside the worker. */
  ms: number;
}

export interface ErrorReply {
  type: 'error';
  /** Absent for load errors. */
  id?: number;
  message: string;
}

/**
 * `crash` makes the worker throw an uncaught error, as a bug or a native failure would: the only
 * safe way to test crash handling, because `worker.terminate()` while ORT's native run() is in
 * progress aborts the whole process (onnxruntime-node 1.30: "terminate called after throwing an
 * instance of 'Napi::Error'").
 */
export type WorkerRequest = LoadRequest | RunRequest | MemoryRequest | { type: 'close' } | { type: 'crash' };
export type WorkerReply = LoadedReply | ResultReply | ErrorReply | MemoryReply;

/** What the worker's own V8 isolate holds, answered after the runs posted before the request. */
export interface MemoryRequest {
  type: 'memory';
  id: number;
}

export interface MemoryReply {
  type: 'memory';
  id: number;
  /** The isolate's heap in use, bytes. */
  heapUsed: number;
  /** ArrayBuffers the isolate still holds (live or not yet collected: outputs, inputs), bytes. */
  arrayBuffers: number;
}
