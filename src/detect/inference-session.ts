/**
 * One ONNX Runtime session in its own worker thread, shared by every camera that uses the model.
 * Up to two runs are posted to the worker at once: the worker runs them one after the other in the
 * order posted, and the second one is already there when the first ends, so the model does not wait
 * for this thread to take a result and post the next input (issue 17). Further runs queue here, which
 * keeps crash handling simple: a crashed worker fails the runs it held; the next run starts a fresh one.
 *
 * How the worker file is found, from both TypeScript sources and the built dist/: a compiled
 * `inference-worker.js` next to this file (dist/, `node bin/lookout.js`) is started directly. From
 * sources (ts-jest, which does not transform inside workers, and ts-node is not a dependency) the
 * worker's .ts is transpiled with the `typescript` package (a devDependency, present wherever .ts
 * sources run) and started with `eval: true`. The worker imports nothing but node built-ins and
 * onnxruntime-node (by absolute path), so one file suffices, and tests never run a stale dist/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { type Logger, silentLogger } from '../log';
import { inputBuffers } from '../util/buffer-pool';
import { errorMessage } from '../util/errors';
import { listBackends, loadOrt, ORT_PATH_ENV, type OrtBinding, planExecutionProviders, resolveOrtBinding, type SupportedBackend } from './execution-providers';
import type {
  LoadRequest,
  LoadedReply,
  MemoryRequest,
  RunRequest,
  TensorDtype,
  WireTensor,
  WorkerDecode,
  WorkerReply,
  WorkerSessionOptions,
} from './inference-protocol';
import type { Candidate } from './types';

export interface SessionOptions {
  /** Execution providers, best first, or 'auto' (default: the best of tensorrt, cuda, cpu available). */
  executionProviders?: string[] | 'auto';
  /** Threads for one operator. Default: os.availableParallelism(). */
  intraOpThreads?: number;
  /** Threads across operators (only with executionMode 'parallel'). Default: ORT's choice. */
  interOpThreads?: number;
  /**
   * Intra-op threads spin while waiting for work: lower latency, more CPU and heat. Turn off on
   * battery or thermally limited boards. Default true (ORT's default).
   */
  allowSpinning?: boolean;
  /** Graph optimization level. Default 'all'. */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** ORT's native log level (its own stderr output). Default 'error'. */
  ortLogLevel?: 'verbose' | 'info' | 'warning' | 'error' | 'fatal';
  /** ORT's CPU memory arena. Default: DEFAULT_SESSION_MEMORY. */
  enableCpuMemArena?: boolean;
  /** ORT's memory pattern (allocations planned from the first run's shapes). Default: DEFAULT_SESSION_MEMORY. */
  enableMemPattern?: boolean;
}

/** Runs posted to the worker at once: one running, one waiting there (see the top of this file). */
const RUNS_POSTED = 2;

/**
 * ONNX Runtime's memory options for every session the daemon opens. Measured by `lookout bench`
 * (the ORT memory section of docs/performance.md), each variant in a fresh process.
 */
export const DEFAULT_SESSION_MEMORY = { enableCpuMemArena: true, enableMemPattern: true } as const;

export interface InputSpec {
  name: string;
  dtype: TensorDtype;
  dims: number[];
}

export interface SessionInfo {
  /** The EP actually running the model. */
  ep: string;
  loadMs: number;
  warmupMs: number;
  intraOpThreads: number;
  interOpThreads?: number;
  allowSpinning: boolean;
  graphOptimizationLevel: string;
  loaded: LoadedReply;
}

export interface RunOutput {
  /** The raw outputs; empty when the run was asked to decode. */
  outputs: Record<string, WireTensor>;
  /** With `decode`: the candidates the worker decoded, and the time that took there. */
  decoded?: { candidates: Candidate[]; ms: number };
  /** session.run() time inside the worker. */
  inferenceMs: number;
}

interface Pending {
  data: ArrayBuffer;
  decode?: WorkerDecode;
  resolve: (r: RunOutput) => void;
  reject: (e: unknown) => void;
}

/** The inference worker's own V8 isolate, bytes. */
export interface WorkerMemory {
  heapUsed: number;
  arrayBuffers: number;
}

interface MemoryAsked {
  resolve: (m: WorkerMemory) => void;
  reject: (e: unknown) => void;
}

let bindingLogged = false;

/** Says once per process which onnxruntime-node runs and what it offers: on a Jetson, whether the user's GPU build was picked up. */
function logBinding(logger: Logger, binding: OrtBinding, backends: SupportedBackend[]): void {
  if (bindingLogged) return;
  bindingLogged = true;
  const offers = backends.map((b) => (b.bundled ? b.name : `${b.name} (needs its provider library)`)).join(', ');
  logger.info(
    { onnxruntime: { version: binding.version, path: binding.root, custom: binding.custom, backends: backends.map((b) => b.name) } },
    `onnxruntime-node ${binding.version} ${binding.custom ? `from ${ORT_PATH_ENV}=${binding.root}` : '(npm package)'} offers: ${offers}`,
  );
}

function spawnWorker(): Worker {
  const compiled = path.join(__dirname, 'inference-worker.js');
  if (__filename.endsWith('.js') && fs.existsSync(compiled)) return new Worker(compiled);
  // From the TypeScript sources (tests): the worker's imports are compiled as they load, by the
  // loader the capture process also uses from src (a dev-only path; dist never takes it).
  const loader = path.join(__dirname, '..', 'util', 'source-loader.js');
  const source = path.join(__dirname, 'inference-worker.ts');
  return new Worker(`require(${JSON.stringify(loader)}); require(${JSON.stringify(source)});`, { eval: true });
}

export class WorkerSession {
  private worker: Worker | undefined;
  private starting: Promise<SessionInfo> | undefined;
  private queue: Pending[] = [];
  /** Runs posted to the worker, oldest first; it answers them in that order. */
  private posted: (Pending & { id: number })[] = [];
  private memoryAsked = new Map<number, MemoryAsked>();
  private nextId = 1;
  private closed = false;
  private ready = false;
  private lastInfo: SessionInfo | undefined;
  private readonly plan: ReturnType<typeof planExecutionProviders>;
  private readonly binding: OrtBinding;

  /** Throws UnknownEpError for an EP name ORT does not know, and an Error naming LOOKOUT_ONNXRUNTIME_NODE when its folder is no onnxruntime-node. */
  constructor(
    private readonly modelPath: string,
    private readonly input: InputSpec,
    private readonly options: SessionOptions = {},
    private readonly logger: Logger = silentLogger,
  ) {
    this.binding = resolveOrtBinding();
    const backends = listBackends(loadOrt(this.binding));
    logBinding(logger, this.binding, backends);
    this.plan = planExecutionProviders(options.executionProviders, backends, this.binding.root);
  }

  get info(): SessionInfo | undefined {
    return this.lastInfo;
  }

  /** Starts the worker, loads the model and runs the warm-up; resolves once ready. */
  start(): Promise<SessionInfo> {
    if (this.closed) return Promise.reject(new Error(`inference session for ${this.modelPath} is closed`));
    this.starting ??= this.startWorker().catch((e: unknown) => {
      this.starting = undefined;
      throw e;
    });
    return this.starting;
  }

  private startWorker(): Promise<SessionInfo> {
    const o = this.options;
    const intraOpThreads = o.intraOpThreads ?? os.availableParallelism();
    const allowSpinning = o.allowSpinning ?? true;
    const graphOptimizationLevel = o.graphOptimizationLevel ?? 'all';
    const sessionOptions: WorkerSessionOptions = {
      intraOpNumThreads: intraOpThreads,
      graphOptimizationLevel,
      enableCpuMemArena: o.enableCpuMemArena ?? DEFAULT_SESSION_MEMORY.enableCpuMemArena,
      enableMemPattern: o.enableMemPattern ?? DEFAULT_SESSION_MEMORY.enableMemPattern,
      extra: { session: { intra_op: { allow_spinning: allowSpinning ? '1' : '0' } } },
    };
    if (o.interOpThreads !== undefined) {
      sessionOptions.interOpNumThreads = o.interOpThreads;
      sessionOptions.executionMode = 'parallel';
    }
    this.ready = false;
    const worker = spawnWorker();
    this.worker = worker;
    const req: LoadRequest = {
      type: 'load',
      ortPath: this.binding.main,
      modelPath: this.modelPath,
      providers: this.plan.providers,
      sessionOptions,
      ortLogLevel: o.ortLogLevel ?? 'error',
      warmup: this.input,
    };
    return new Promise<SessionInfo>((resolve, reject) => {
      let loaded = false;
      const fail = (e: unknown): void => {
        if (this.worker === worker) this.worker = undefined;
        void worker.terminate();
        reject(e);
      };
      worker.on('message', (m: WorkerReply) => {
        if (!loaded) {
          if (m.type === 'loaded') {
            loaded = true;
            const passedOver = [...this.plan.skipped.map((s) => ({ ep: s.ep, reason: s.reason })), ...m.attempts.map((a) => ({ ep: a.ep, reason: a.error }))];
            if (passedOver.length > 0) {
              // One line that says why: a warning when an EP the user asked for (or one that
              // looked installed) failed; info when 'auto' merely found no GPU libraries.
              const why = passedOver.map((p) => `${p.ep}: ${p.reason}`).join('; ');
              const msg = `execution provider ${m.ep} runs ${path.basename(this.modelPath)}; passed over ${why}`;
              if (!this.plan.auto || m.attempts.length > 0) this.logger.warn({ ep: m.ep, passed_over: passedOver }, msg);
              else this.logger.info({ ep: m.ep, passed_over: passedOver }, msg);
            }
            const info: SessionInfo = {
              ep: m.ep,
              loadMs: m.loadMs,
              warmupMs: m.warmupMs,
              intraOpThreads,
              interOpThreads: o.interOpThreads,
              allowSpinning,
              graphOptimizationLevel,
              loaded: m,
            };
            this.lastInfo = info;
            this.ready = true;
            if (this.posted.length === 0 && this.queue.length === 0) worker.unref();
            this.logger.info(
              { model: this.modelPath, ep: m.ep, load_ms: round(m.loadMs), warmup_ms: round(m.warmupMs), threads: intraOpThreads },
              'inference session ready',
            );
            resolve(info);
          } else if (m.type === 'error') {
            fail(new Error(`loading model ${this.modelPath}: ${m.message}`));
          }
          return;
        }
        this.onReply(m);
      });
      // A worker's uncaught throw arrives as is: an Error or anything else.
      worker.on('error', (e: unknown) => {
        if (!loaded) fail(new Error(`inference worker for ${this.modelPath} failed while loading: ${errorMessage(e)}`));
        else this.onCrash(worker, `crashed: ${errorMessage(e)}`);
      });
      worker.on('exit', (code) => {
        if (!loaded) fail(new Error(`inference worker for ${this.modelPath} exited with code ${code} while loading`));
        else this.onCrash(worker, `exited with code ${code}`);
      });
      worker.postMessage(req);
    });
  }

  private onReply(m: WorkerReply): void {
    if (m.type === 'memory') {
      this.memoryAsked.get(m.id)?.resolve({ heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers });
      this.memoryAsked.delete(m.id);
      this.pump();
      return;
    }
    if (m.type !== 'result' && m.type !== 'error') return;
    const at = this.posted.findIndex((p) => p.id === m.id);
    if (at < 0) return;
    const [p] = this.posted.splice(at, 1);
    if (m.type === 'result' && m.input) inputBuffers.give(m.input);
    if (m.type === 'result') p.resolve({ outputs: m.outputs, inferenceMs: m.ms, ...(m.decoded ? { decoded: m.decoded } : {}) });
    else p.reject(new Error(`inference on ${this.modelPath} failed: ${m.message}`));
    this.pump();
  }

  private onCrash(worker: Worker, what: string): void {
    if (this.worker !== worker) return; // an old worker we already replaced or closed
    this.worker = undefined;
    this.starting = undefined;
    this.ready = false;
    if (this.closed) return;
    const err = new Error(`inference worker for ${this.modelPath} ${what}; it restarts on the next frame`);
    this.logger.error({ model: this.modelPath }, err.message);
    const failed = [...this.posted, ...this.queue, ...this.memoryAsked.values()];
    this.posted = [];
    this.queue = [];
    this.memoryAsked.clear();
    for (const p of failed) p.reject(err);
  }

  /**
   * What the worker's isolate holds once the runs already posted are done: how a test sees that each
   * run's outputs are collected there (inference-worker.ts), which nothing outside the thread can
   * tell apart from the rest of the process's memory. Starts the worker when it is not running.
   */
  async memory(): Promise<WorkerMemory> {
    await this.start();
    const w = this.worker;
    if (this.closed || !w || !this.ready) throw new Error(`inference session for ${this.modelPath} is not running`);
    return new Promise<WorkerMemory>((resolve, reject) => {
      const id = this.nextId++;
      this.memoryAsked.set(id, { resolve, reject });
      w.ref(); // unref'd again by pump() once nothing is in flight
      w.postMessage({ type: 'memory', id } satisfies MemoryRequest);
    });
  }

  /**
   * Runs the model on one input whose bytes are handed over (the ArrayBuffer is detached). Queued
   * behind a run in flight; restarts a crashed worker first.
   */
  run(data: ArrayBuffer, decode?: WorkerDecode): Promise<RunOutput> {
    if (this.closed) return Promise.reject(new Error(`inference session for ${this.modelPath} is closed`));
    return new Promise<RunOutput>((resolve, reject) => {
      this.queue.push({ data, ...(decode ? { decode } : {}), resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.posted.length >= RUNS_POSTED || this.queue.length === 0 || this.closed) {
      if (this.posted.length === 0 && this.queue.length === 0 && this.memoryAsked.size === 0) this.worker?.unref();
      return;
    }
    if (!this.worker || !this.ready) {
      const restart = this.start().then((info) => {
        if (info.loaded.warmupError) throw new Error(info.loaded.warmupError);
      });
      restart.then(
        () => this.pump(),
        (e: unknown) => {
          const failed = this.queue;
          this.queue = [];
          for (const p of failed) p.reject(e);
        },
      );
      return;
    }
    const next = this.queue.shift()!;
    const id = this.nextId++;
    this.posted.push({ ...next, id });
    const w = this.worker;
    w.ref(); // a run in flight keeps the process alive; an idle session does not
    const msg: RunRequest = {
      type: 'run',
      id,
      name: this.input.name,
      dtype: this.input.dtype,
      dims: this.input.dims,
      data: next.data,
      ...(next.decode ? { decode: next.decode } : {}),
    };
    try {
      w.postMessage(msg, [next.data]);
    } catch {
      w.postMessage(msg); // a buffer that cannot be detached is copied instead
    }
    this.pump();
  }

  /** Fails queued runs, disposes the session and ends the worker. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new Error(`inference session for ${this.modelPath} closed`);
    for (const p of [...this.posted, ...this.queue, ...this.memoryAsked.values()]) p.reject(err);
    this.posted = [];
    this.queue = [];
    this.memoryAsked.clear();
    await this.starting?.catch(() => undefined);
    const w = this.worker;
    this.worker = undefined;
    if (!w) return;
    // Never terminate() a worker whose native run() may be in progress: onnxruntime-node 1.30 then
    // aborts the whole process. The close message queues behind a run, so the worker ends once its
    // run is done.
    const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    w.ref();
    w.postMessage({ type: 'close' });
    await exited;
  }

  /** For tests of crash handling: makes the worker die of an uncaught error. */
  crashWorkerForTest(): void {
    this.worker?.postMessage({ type: 'crash' });
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
