/**
 * ONNX Runtime against OpenCV DNN on the same ONNX file, the same threads and the same preprocessed
 * frames: latency of each, and whether their detections agree after our own decoder and NMS.
 *
 * OpenCV gets the whole file when its importer reads it; otherwise (Debian's OpenCV 4.6 and the
 * default model) the graph is split as onnx-split.ts explains, OpenCV runs the convolutional head and
 * ONNX Runtime the small decoding tail, and the tail's time is counted in OpenCV's total.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type * as Ort from 'onnxruntime-node';
import { benchOrt } from './ort';
import { cvError, loadCv, type Mat } from '../cv';
import { decodeOutputs, finishBoxes } from '../detect/decode';
import type { Manifest } from '../detect/manifest';
import { iou, nms } from '../detect/nms';
import type { Candidate, RawTensor } from '../detect/types';
import { createSession, tensorOf, type BareSessionOptions } from './bare-session';
import type { BenchInput } from './input';
import { splitForOpenCv } from './onnx-split';
import { round3, summarize, type LatencyStats } from './stats';

export interface AgreementResult {
  frames: number;
  /** Detections at or above this score count; a counterpart may score down to `candidate_score`. */
  min_score: number;
  candidate_score: number;
  iou_threshold: number;
  ort_detections: number;
  opencv_detections: number;
  /** Detections of either side with a same-label counterpart at IoU above the threshold. */
  matched: number;
  /** matched / (ort_detections + opencv_detections); 1 when both found nothing. */
  agreement: number;
  /** Largest score difference between matched pairs. */
  max_score_diff: number;
}

export interface OpenCvResult {
  opencv: string;
  /** 'whole': OpenCV runs the file as is; 'split': OpenCV the head, ONNX Runtime the tail. */
  mode: 'whole' | 'split';
  /** Why the whole file did not import (split mode). */
  import_error: string | null;
  head_nodes: number;
  total_nodes: number;
  rewrites: Record<string, number>;
  threads: number;
  runs: number;
  /** OpenCV's total per frame: setInput, forward, output copy and (split) the ORT tail. */
  latency_ms: LatencyStats;
  forward_ms: LatencyStats;
  tail_ms: LatencyStats | null;
  throughput_fps: number;
  /** The whole model in ONNX Runtime, same inputs and threads, timed right after the OpenCV runs. */
  ort_latency_ms: LatencyStats;
  ort_throughput_fps: number;
  /** ORT throughput / OpenCV throughput: ≥ 1 when ONNX Runtime is at least as fast. */
  ort_speedup: number;
  agreement: AgreementResult;
}

export interface OpenCvCompareOptions {
  manifest: Manifest;
  session: BareSessionOptions;
  inputs: BenchInput[];
  /** Timed runs of each engine (cycling over the inputs). */
  runs: number;
  scoreThreshold?: number;
  minScore?: number;
  iouThreshold?: number;
}

const CV_DTYPE = { uint8: 'CV_8U', float32: 'CV_32F' } as const;

/** Nested arrays of `dims` over flat `data`, row-major. */
function nest(data: ArrayLike<number>, dims: number[], offset = 0): unknown[] {
  const [n, ...rest] = dims;
  const stride = rest.reduce((a, b) => a * b, 1);
  const out: unknown[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = rest.length === 0 ? data[offset + i] : nest(data, rest, offset + i * stride);
  return out;
}

/**
 * The input as an N-d Mat. Built from nested arrays because opencv4nodejs 7.1's Mat.setData copies
 * only the first element of an N-d Mat (checked: a Cast-only graph then returns 178, 0, 0, ...).
 * Slow (tens of ms), so each input's Mat is built once and reused for every run.
 */
function matOf(input: BenchInput, dtype: 'uint8' | 'float32'): Mat {
  const cv = loadCv();
  return new cv.Mat(nest(input.data, input.dims) as number[][][][], cv[CV_DTYPE[dtype]]);
}

/** An N-d float Mat's values (getData refuses more than 2 dims; flattenFloat views them as 1×n). */
function floatsOf(mat: Mat): Float32Array {
  const n = mat.sizes.reduce((a, b) => a * b, 1);
  const b = mat.flattenFloat(1, n).getData();
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function decode(outputs: Record<string, RawTensor>, manifest: Manifest, input: BenchInput, scoreThreshold: number): Candidate[] {
  return finishBoxes(nms(decodeOutputs(outputs, manifest.output, { scoreThreshold, geometry: input.geometry })));
}

function ortOutputs(r: Ort.InferenceSession.ReturnType): Record<string, RawTensor> {
  const out: Record<string, RawTensor> = {};
  for (const [k, t] of Object.entries(r)) out[k] = { data: t.data as RawTensor['data'], dims: [...t.dims], type: t.type };
  return out;
}

/** Counts detections (≥ minScore) of `a` that have a same-class counterpart in `b` (≥ the decoder's threshold). */
function matchSide(a: Candidate[], b: Candidate[], minScore: number, iouThreshold: number): { n: number; matched: number; maxDiff: number } {
  let n = 0;
  let matched = 0;
  let maxDiff = 0;
  for (const d of a) {
    if (d.score < minScore) continue;
    n++;
    let best: Candidate | undefined;
    let bestIou = iouThreshold;
    for (const e of b) {
      if (e.class_id !== d.class_id) continue;
      const v = iou(d.box, e.box);
      if (v > bestIou) {
        bestIou = v;
        best = e;
      }
    }
    if (best) {
      matched++;
      maxDiff = Math.max(maxDiff, Math.abs(best.score - d.score));
    }
  }
  return { n, matched, maxDiff };
}

export async function compareOpenCv(o: OpenCvCompareOptions): Promise<OpenCvResult> {
  const cv = loadCv();
  const v = cv.version;
  const scoreThreshold = o.scoreThreshold ?? 0.3;
  const minScore = o.minScore ?? 0.5;
  const iouThreshold = o.iouThreshold ?? 0.9;
  const dtype = o.manifest.input.dtype;
  const inputName = o.session.inputName;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-bench-opencv-'));
  const { session: ort } = await createSession(o.session);
  let tail: Ort.InferenceSession | undefined;
  try {
    cv.setNumThreads(o.session.threads);
    let mode: OpenCvResult['mode'] = 'whole';
    let importError: string | null = null;
    let net;
    let cvOutputNames: string[];
    let split: Awaited<ReturnType<typeof splitForOpenCv>> | undefined;
    try {
      net = cv.readNetFromONNX(o.session.modelPath);
      cvOutputNames = [...ort.outputNames];
    } catch (e) {
      importError = cvError(e, 'readNetFromONNX').message.replace(/\s+/g, ' ').trim();
      mode = 'split';
      split = await splitForOpenCv(o.session.modelPath, tmp, { [inputName]: tensorOf(o.inputs[0]) });
      try {
        net = cv.readNetFromONNX(split.headPath);
      } catch (e2) {
        throw cvError(e2, `OpenCV ${v.major}.${v.minor}.${v.revision} cannot read ${o.session.modelPath} (${importError}), nor its convolutional head`);
      }
      cvOutputNames = split.cut.map((c) => c.name);
      // The tail is ORT's on both sides of the comparison, with the same threads.
      const { session } = await createSession({ ...o.session, modelPath: split.tailPath });
      tail = session;
    }
    const graphOutputs = [...ort.outputNames];
    const T = benchOrt().Tensor;

    /** One OpenCV inference: forward, copy out, and the tail in split mode. */
    const mats = new Map<BenchInput, Mat>();
    const runOpenCv = async (input: BenchInput): Promise<{ outputs: Record<string, RawTensor>; forward: number; tail: number }> => {
      let mat = mats.get(input);
      if (!mat) {
        mat = matOf(input, dtype);
        mats.set(input, mat);
      }
      const t0 = performance.now();
      net.setInput(mat, inputName);
      const outs = net.forward(cvOutputNames);
      const values: Record<string, RawTensor> = {};
      outs.forEach((m, i) => {
        values[cvOutputNames[i]] = { data: floatsOf(m), dims: [...m.sizes], type: 'float32' };
      });
      const t1 = performance.now();
      if (!split || !tail) return { outputs: values, forward: t1 - t0, tail: 0 };
      const feeds: Record<string, Ort.Tensor> = {};
      for (const name of tail.inputNames) {
        if (split.tailGraphInputs.includes(name)) feeds[name] = tensorOf(input);
        else feeds[name] = new T('float32', values[name].data as Float32Array, split.cut.find((c) => c.name === name)!.dims);
      }
      const r = ortOutputs(await tail.run(feeds));
      for (const name of graphOutputs) if (!r[name] && values[name]) r[name] = values[name];
      return { outputs: r, forward: t1 - t0, tail: performance.now() - t1 };
    };
    const runOrt = async (input: BenchInput): Promise<Record<string, RawTensor>> => ortOutputs(await ort.run({ [inputName]: tensorOf(input) }));

    // Warm-up (which also builds every input's Mat outside the timed runs), then agreement on each
    // distinct input.
    await runOpenCv(o.inputs[0]);
    await runOrt(o.inputs[0]);
    let ortCount = 0;
    let cvCount = 0;
    let matched = 0;
    let maxDiff = 0;
    for (const input of o.inputs) {
      const a = decode(await runOrt(input), o.manifest, input, scoreThreshold);
      const b = decode((await runOpenCv(input)).outputs, o.manifest, input, scoreThreshold);
      const ab = matchSide(a, b, minScore, iouThreshold);
      const ba = matchSide(b, a, minScore, iouThreshold);
      ortCount += ab.n;
      cvCount += ba.n;
      matched += ab.matched + ba.matched;
      maxDiff = Math.max(maxDiff, ab.maxDiff, ba.maxDiff);
    }

    // Timed runs, one engine after the other rather than interleaved: ORT's intra-op threads spin
    // for a while after each run, which would steal cores from an OpenCV run right behind it.
    const total: number[] = [];
    const forward: number[] = [];
    const tailMs: number[] = [];
    const ortMs: number[] = [];
    for (let i = 0; i < o.runs; i++) {
      const t0 = performance.now();
      const r = await runOpenCv(o.inputs[i % o.inputs.length]);
      total.push(performance.now() - t0);
      forward.push(r.forward);
      tailMs.push(r.tail);
    }
    for (let i = 0; i < o.runs; i++) {
      const t1 = performance.now();
      await ort.run({ [inputName]: tensorOf(o.inputs[i % o.inputs.length]) });
      ortMs.push(performance.now() - t1);
    }
    const cvStats = summarize(total);
    const ortStats = summarize(ortMs);
    return {
      opencv: `${v.major}.${v.minor}.${v.revision}`,
      mode,
      import_error: importError,
      head_nodes: split?.headNodes ?? 0,
      total_nodes: split?.totalNodes ?? 0,
      rewrites: split?.rewrites ?? {},
      threads: o.session.threads,
      runs: o.runs,
      latency_ms: cvStats,
      forward_ms: summarize(forward),
      tail_ms: split ? summarize(tailMs) : null,
      throughput_fps: round3(1000 / cvStats.mean),
      ort_latency_ms: ortStats,
      ort_throughput_fps: round3(1000 / ortStats.mean),
      ort_speedup: round3(cvStats.mean / ortStats.mean),
      agreement: {
        frames: o.inputs.length,
        min_score: minScore,
        candidate_score: scoreThreshold,
        iou_threshold: iouThreshold,
        ort_detections: ortCount,
        opencv_detections: cvCount,
        matched,
        agreement: ortCount + cvCount === 0 ? 1 : round3(matched / (ortCount + cvCount)),
        max_score_diff: round3(maxDiff),
      },
    };
  } finally {
    await tail?.release();
    await ort.release();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
