/**
 * worker_threads entry that owns one ONNX Runtime session. onnxruntime-node's run() computes
 * synchronously on the calling thread, so it lives here and the daemon's event loop stays free. It
 * also decodes the outputs when asked (decode.ts, nms.ts), so they never cross to the main thread.
 *
 * From the TypeScript sources (tests) it runs under the capture process's source loader
 * (inference-session.ts), so its imports resolve as from dist. Keep them light: no OpenCV, no
 * schema validators.
 */
import { parentPort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import type * as Ort from 'onnxruntime-node';
import { decodeOutputs, finishBoxes } from './decode';
import type {
  LoadRequest,
  LoadedReply,
  ProviderAttempt,
  RunRequest,
  ValueMeta,
  WireTensor,
  WorkerDecode,
  WorkerReply,
  WorkerRequest,
} from './inference-protocol';
import { nms } from './nms';
import type { Candidate } from './types';
import { collect, exposedGc } from '../util/collect-garbage';

let ort: typeof Ort | undefined;
let session: Ort.InferenceSession | undefined;

// Not util/errors' errorMessage: the worker's messages are one line (whitespace folded).
function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim();
}

function post(reply: WorkerReply, transfer: ArrayBuffer[] = []): void {
  try {
    parentPort!.postMessage(reply, transfer);
  } catch {
    // An ArrayBuffer the binding owns may refuse to detach; copying is the safe fallback.
    parentPort!.postMessage(reply);
  }
}

function makeInput(dtype: string, data: ArrayBuffer): Uint8Array | Float32Array {
  return dtype === 'float32' ? new Float32Array(data) : new Uint8Array(data);
}

async function load(req: LoadRequest): Promise<void> {
  const t0 = performance.now();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a path known at run time (the binding resolveOrtBinding chose)
  ort = require(req.ortPath) as typeof Ort;
  ort.env.logLevel = req.ortLogLevel;
  const attempts: ProviderAttempt[] = [];
  let ep: string | undefined;
  for (const candidate of req.providers) {
    try {
      session = await ort.InferenceSession.create(req.modelPath, {
        ...req.sessionOptions,
        executionProviders: [candidate],
      });
      ep = candidate;
      break;
    } catch (e) {
      attempts.push({ ep: candidate, error: message(e) });
    }
  }
  if (!session || !ep) {
    post({
      type: 'error',
      message: `no execution provider could load ${req.modelPath}: ${attempts.map((a) => `${a.ep}: ${a.error}`).join('; ')}`,
    });
    return;
  }
  const loadMs = performance.now() - t0;
  const meta = (s: Ort.InferenceSession, io: 'inputMetadata' | 'outputMetadata'): ValueMeta[] =>
    s[io].map((m) => (m.isTensor ? { name: m.name, isTensor: true, type: m.type, shape: [...m.shape] } : { name: m.name, isTensor: false }));
  const inputs = meta(session, 'inputMetadata');
  const outputs = meta(session, 'outputMetadata');
  const size = req.warmup.dims.reduce((a, b) => a * b, 1);
  const bytes = new ArrayBuffer(size * (req.warmup.dtype === 'float32' ? 4 : 1));
  const t1 = performance.now();
  // A failed warm-up is reported, not fatal here: the main thread first names any contradiction
  // between manifest and model metadata, which explains the failure better than ORT's message.
  let warmupOutputs: LoadedReply['warmupOutputs'] = [];
  let warmupError: string | undefined;
  try {
    const result = await session.run({
      [req.warmup.name]: new ort.Tensor(req.warmup.dtype, makeInput(req.warmup.dtype, bytes), req.warmup.dims),
    });
    warmupOutputs = Object.entries(result).map(([name, t]) => ({ name, type: t.type, dims: [...t.dims] }));
  } catch (e) {
    warmupError = `warm-up run of ${req.modelPath} on ${ep} failed: ${message(e)}`;
  }
  const warmupMs = performance.now() - t1;
  const reply: LoadedReply = { type: 'loaded', ep, attempts, inputs, outputs, warmupOutputs, warmupError, loadMs, warmupMs };
  post(reply);
}

async function run(req: RunRequest): Promise<void> {
  if (!session || !ort) {
    post({ type: 'error', id: req.id, message: 'inference worker has no session (load failed or not done)' });
    return;
  }
  try {
    const t0 = performance.now();
    const result = await session.run({ [req.name]: new ort.Tensor(req.dtype, makeInput(req.dtype, req.data), req.dims) });
    const ms = performance.now() - t0;
    if (req.decode) {
      // The input is done with: back to the main thread's pool, so no frame needs a new buffer.
      post({ type: 'result', id: req.id, outputs: {}, decoded: decodeHere(result, req.decode), input: req.data, ms }, [req.data]);
      return;
    }
    const outputs: Record<string, WireTensor> = {};
    const transfer: ArrayBuffer[] = [];
    for (const [name, t] of Object.entries(result)) {
      const data = t.data as WireTensor['data'];
      outputs[name] = { type: t.type, dims: [...t.dims], data };
      const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
      if (whole && data.buffer instanceof ArrayBuffer && !transfer.includes(data.buffer)) transfer.push(data.buffer);
    }
    post({ type: 'result', id: req.id, outputs, ms }, transfer);
  } catch (e) {
    post({ type: 'error', id: req.id, message: message(e) });
  }
}

function decodeHere(result: Ort.InferenceSession.OnnxValueMapType, d: WorkerDecode): { candidates: Candidate[]; ms: number } {
  const t0 = performance.now();
  const tensors: Record<string, WireTensor> = {};
  for (const [name, t] of Object.entries(result)) tensors[name] = { type: t.type, dims: [...t.dims], data: t.data as WireTensor['data'] };
  const candidates = finishBoxes(nms(decodeOutputs(tensors, d.output, { scoreThreshold: d.scoreThreshold, geometry: d.geometry }), d.nms));
  return { candidates, ms: performance.now() - t0 };
}

/**
 * Runs, and the close, one after the other in the order they came: the main thread posts the next
 * run while one is still computing (inference-session.ts), and onnxruntime-node's run() only starts
 * computing on a later turn of this loop, so two unchained runs would interleave their setup, and a
 * close could release the session under a run.
 */
let turn: Promise<void> = Promise.resolve();

/**
 * A scavenge after every run, once the run's function has returned (its outputs are then garbage).
 * onnxruntime-node copies each output into a new ArrayBuffer (SSDLite: 0.7 MB a frame; tensors passed
 * as pre-allocated outputs are copied too), and this thread makes so few JavaScript objects that
 * its young generation filled only every few dozen frames: 3 to 22 MB of dead outputs sat in the
 * malloc heap, which the daemon's PSS swung with (docs/performance.md, "Memory").
 */
const gc = exposedGc();
const collectAfterRun = (): void => void setImmediate(() => collect(gc));

parentPort!.on('message', (req: WorkerRequest) => {
  if (req.type === 'load') void load(req);
  else if (req.type === 'run') turn = turn.then(() => run(req)).then(collectAfterRun);
  else if (req.type === 'memory') {
    // After the runs before it and their collections (immediates run in the order they were set).
    turn = turn
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(() => {
        const { heapUsed, arrayBuffers } = process.memoryUsage();
        post({ type: 'memory', id: req.id, heapUsed, arrayBuffers });
      });
  } else if (req.type === 'close') {
    turn = turn.then(async () => {
      const s = session;
      session = undefined;
      await s?.release();
    });
    void turn.finally(() => parentPort!.close());
  } else if (req.type === 'crash') {
    setImmediate(() => {
      throw new Error('crash requested by the main thread (test)');
    });
  }
});
