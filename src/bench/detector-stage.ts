/**
 * Detection-stage benchmark (not a test): preprocess and postprocess time per frame next to
 * inference time, on real video frames. The target is pre + post under 10% of inference, so the
 * engine's own work never matters next to the model.
 *
 *   node dist/bench/detector-stage.js [video-or-image] [frames] [threads] [model]
 *
 * `model` is a name, a path or `auto`; `lookout bench --compare int8` puts FP32 and int8 side by side.
 */
import path from 'node:path';
import { type Logger, silentLogger } from '../log';
import { loadCv, type Mat } from '../cv';
import { Detector, type DetectorOptions } from '../detect/detector';
import { errorMessage } from '../util/errors';

export interface BenchDetectOptions extends DetectorOptions {
  /** Video or image file. Default: .cache/testdata/vtest.avi. */
  source?: string;
  /** Frames to measure (after warm-up). Default 100. */
  frames?: number;
  /** Unmeasured frames first, so JIT and caches settle. Default 10. */
  warmupFrames?: number;
}

export interface StageStats {
  mean: number;
  p50: number;
  p95: number;
}

export interface BenchDetectResult {
  model: string;
  ep: string;
  threads: number;
  frames: number;
  width: number;
  height: number;
  preprocess_ms: StageStats;
  inference_ms: StageStats;
  postprocess_ms: StageStats;
  /** Worker round trip minus session.run: messaging and transfer cost. */
  transfer_ms: StageStats;
  /** (mean preprocess + mean postprocess) / mean inference. */
  overhead_ratio: number;
}

function stats(values: number[]): StageStats {
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  const r = (v: number) => Math.round(v * 1000) / 1000;
  return { mean: r(s.reduce((a, b) => a + b, 0) / s.length), p50: r(q(0.5)), p95: r(q(0.95)) };
}

function readFrames(source: string, count: number): Mat[] {
  const cv = loadCv();
  if (/\.(jpe?g|png|bmp|webp)$/i.test(source)) return [cv.imread(source)];
  const cap = new cv.VideoCapture(source);
  const frames: Mat[] = [];
  try {
    while (frames.length < count) {
      const m = cap.read();
      if (m.empty) break;
      frames.push(m);
    }
  } finally {
    cap.release();
  }
  if (frames.length === 0) throw new Error(`${source}: no frames`);
  return frames;
}

export async function benchDetect(options: BenchDetectOptions = {}, logger: Logger = silentLogger): Promise<BenchDetectResult> {
  const source = options.source ?? path.resolve(__dirname, '..', '..', '.cache', 'testdata', 'vtest.avi');
  const frames = options.frames ?? 100;
  const warmup = options.warmupFrames ?? 10;
  const mats = readFrames(source, Math.min(frames + warmup, 300));
  const detector = await Detector.load(options, logger);
  const pre: number[] = [];
  const inf: number[] = [];
  const post: number[] = [];
  const transfer: number[] = [];
  try {
    for (let i = 0; i < warmup + frames; i++) {
      const r = await detector.detectMat(mats[i % mats.length]);
      if (i < warmup) continue;
      pre.push(r.preprocess_ms);
      inf.push(r.inference_ms);
      post.push(r.postprocess_ms);
      transfer.push(Math.max(0, r.roundtrip_ms - r.inference_ms));
    }
  } finally {
    await detector.close();
  }
  const p = stats(pre);
  const i = stats(inf);
  const q = stats(post);
  return {
    model: detector.info.model,
    ep: detector.info.ep,
    threads: detector.info.threads,
    frames,
    width: mats[0].cols,
    height: mats[0].rows,
    preprocess_ms: p,
    inference_ms: i,
    postprocess_ms: q,
    transfer_ms: stats(transfer),
    overhead_ratio: Math.round(((p.mean + q.mean) / i.mean) * 1000) / 1000,
  };
}

export function formatBenchDetect(r: BenchDetectResult): string {
  const row = (name: string, s: StageStats) =>
    `  ${name.padEnd(12)} mean ${s.mean.toFixed(2).padStart(7)} ms   p50 ${s.p50.toFixed(2).padStart(7)} ms   p95 ${s.p95.toFixed(2).padStart(7)} ms`;
  return [
    `${r.model} on ${r.ep}, ${r.threads} intra-op threads, ${r.frames} frames of ${r.width}×${r.height}`,
    row('preprocess', r.preprocess_ms),
    row('inference', r.inference_ms),
    row('postprocess', r.postprocess_ms),
    row('transfer', r.transfer_ms),
    `  (pre + post) / inference = ${(r.overhead_ratio * 100).toFixed(1)}% (target < 10%)`,
  ].join('\n');
}

if (require.main === module) {
  const [source, frames, threads, model] = process.argv.slice(2);
  benchDetect({ source, frames: frames ? Number(frames) : undefined, intraOpThreads: threads ? Number(threads) : undefined, model }).then(
    (r) => process.stdout.write(`${formatBenchDetect(r)}\n`),
    (e: unknown) => {
      process.stderr.write(`detector-stage: ${errorMessage(e)}\n`);
      process.exitCode = 1;
    },
  );
}
