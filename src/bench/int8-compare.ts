/**
 * `lookout bench --compare int8`: the FP32 model and its int8 variant on the same frame, the same
 * threads and EP, in one run, with the speed-up.
 *
 * The bare figures interleave the two sessions run by run (FP32, int8, FP32, …) instead of
 * measuring one after the other, so a neighbour's burst of work on a shared machine slows both
 * alike and the ratio stays honest even when the absolute figures do not. Whole pipelines cannot
 * interleave; they run A, B, A (the bench's model, the other, the bench's model again) and A's two
 * runs are pooled, which cancels load that rises or falls steadily over the three.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadManifest, resolveManifestPath, type LoadedManifest } from '../detect/manifest';
import { type BareRunResult, type BareSessionOptions, createSession, tensorOf } from './bare-session';
import type { BenchInput } from './input';
import type { PipelineResult } from './pipeline-run';
import { round3, summarize } from './stats';

export interface Int8Pair {
  fp32: LoadedManifest;
  int8: LoadedManifest;
  /** Which of the two the bench's main run measures. */
  main: 'fp32' | 'int8';
}

/**
 * The bench's model and its counterpart: an int8 manifest names its FP32 original in
 * provenance.quantization.from; an FP32 model's variant is `<name>_int8` beside it.
 */
export function int8Pair(main: LoadedManifest): Int8Pair {
  const dir = path.dirname(main.manifestPath);
  const from = (main.manifest.provenance as { quantization?: { from?: unknown } } | undefined)?.quantization?.from;
  const isInt8 = typeof from === 'string';
  const other = isInt8 ? from : `${main.manifest.name}_int8`;
  const otherPath = resolveManifestPath(other, dir);
  if (!fs.existsSync(otherPath)) {
    throw new Error(
      isInt8
        ? `--compare int8: ${main.manifest.name} is quantized from ${other}, whose manifest ${otherPath} is missing`
        : `--compare int8: ${main.manifest.name} has no int8 variant (no manifest ${otherPath}; lookout model build knows ssdlite_mobilenet_v2_coco_int8)`,
    );
  }
  const loaded = loadManifest(otherPath);
  if (!fs.existsSync(loaded.modelPath)) {
    throw new Error(`--compare int8: model file ${loaded.modelPath} is missing; build it with \`lookout model build ${loaded.manifest.name}\``);
  }
  return isInt8 ? { fp32: loaded, int8: main, main: 'int8' } : { fp32: main, int8: loaded, main: 'fp32' };
}

export interface ModelSide {
  model: string;
  bare: BareRunResult;
  /** Pooled over this model's pipeline runs: total frames / total wall time, frame-weighted means. */
  pipeline: { runs: number; frames: number; fps: number; frame_ms: number; inference_ms_mean: number; cpu_ms_per_frame: number };
}

export interface Int8Comparison {
  threads: number;
  fp32: ModelSide;
  int8: ModelSide;
  /** int8 / FP32 throughput: bare session.run, interleaved. */
  bare_speedup: number;
  /** int8 / FP32 frames per second through the whole pipeline (pooled runs, A B A). */
  pipeline_speedup: number;
}

/** Both sessions, `runs` measured runs each, alternating, after `warmup` unmeasured ones each. */
export async function benchBarePair(
  a: BareSessionOptions,
  b: BareSessionOptions,
  input: BenchInput,
  runs: number,
  warmup = 5,
): Promise<[BareRunResult, BareRunResult]> {
  const sa = await createSession(a);
  try {
    const sb = await createSession(b);
    try {
      const sides = [
        { o: a, s: sa.session, loadMs: sa.loadMs, feeds: { [a.inputName]: tensorOf(input) }, lat: [] as number[], cpu: 0 },
        { o: b, s: sb.session, loadMs: sb.loadMs, feeds: { [b.inputName]: tensorOf(input) }, lat: [] as number[], cpu: 0 },
      ];
      for (let i = 0; i < warmup; i++) for (const x of sides) await x.s.run(x.feeds);
      for (let i = 0; i < runs; i++) {
        for (const x of sides) {
          const c0 = process.cpuUsage();
          const t = performance.now();
          await x.s.run(x.feeds);
          x.lat.push(performance.now() - t);
          const c = process.cpuUsage(c0);
          x.cpu += (c.user + c.system) / 1000;
        }
      }
      const result = (x: (typeof sides)[number]): BareRunResult => ({
        threads: x.o.threads,
        ep: x.o.ep,
        runs,
        latency_ms: summarize(x.lat),
        // From the run times alone: the other model's runs in between are not this one's time.
        throughput_fps: round3((runs * 1000) / x.lat.reduce((s, v) => s + v, 0)),
        cpu_ms_per_run: round3(x.cpu / runs),
        load_ms: round3(x.loadMs),
      });
      return [result(sides[0]), result(sides[1])];
    } finally {
      await sb.session.release();
    }
  } finally {
    await sa.session.release();
  }
}

/** One model's pipeline runs pooled: FPS over all their frames, other figures weighted by frames. */
export function poolPipelines(runs: PipelineResult[]): ModelSide['pipeline'] {
  if (runs.length === 0) throw new Error('no pipeline runs to pool');
  const frames = runs.reduce((s, r) => s + r.frames, 0);
  const wall = runs.reduce((s, r) => s + r.wall_s, 0);
  const weighted = (f: (r: PipelineResult) => number) => runs.reduce((s, r) => s + f(r) * r.frames, 0) / frames;
  const fps = frames / wall;
  return {
    runs: runs.length,
    frames,
    fps: round3(fps),
    frame_ms: round3(1000 / fps),
    inference_ms_mean: round3(weighted((r) => r.stages_ms.inference_ms.mean)),
    cpu_ms_per_frame: round3(weighted((r) => r.cpu_ms_per_frame.total)),
  };
}

function side(model: string, bare: BareRunResult, runs: PipelineResult[]): ModelSide {
  return { model, bare, pipeline: poolPipelines(runs) };
}

export function int8Comparison(
  pair: Int8Pair,
  bare: { fp32: BareRunResult; int8: BareRunResult },
  pipeline: { fp32: PipelineResult[]; int8: PipelineResult[] },
): Int8Comparison {
  return {
    threads: bare.fp32.threads,
    fp32: side(pair.fp32.manifest.name, bare.fp32, pipeline.fp32),
    int8: side(pair.int8.manifest.name, bare.int8, pipeline.int8),
    bare_speedup: round3(bare.int8.throughput_fps / bare.fp32.throughput_fps),
    pipeline_speedup: round3(poolPipelines(pipeline.int8).fps / poolPipelines(pipeline.fp32).fps),
  };
}
