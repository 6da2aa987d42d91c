/**
 * `lookout bench`: how fast the model alone runs, how close the full daemon pipeline comes to it,
 * how ONNX Runtime compares with OpenCV DNN and TF.js on the same frames, and what memory (PSS of
 * the daemon and its capture processes) does over thousands of frames or minutes — on this machine,
 * printed as a table, written as JSON, and drawn as a self-contained HTML or SVG report.
 *
 * Order matters: the pipeline runs first, in a process that has loaded nothing else yet, so its
 * memory figures are the daemon's own; the long memory runs and the ORT memory variants each get a
 * fresh process (bench-child); the bare model, the detector stage, the engines and the threads scan
 * follow.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import type { BareSessionOptions } from '../bench/bare-session';
import type { Int8Comparison } from '../bench/int8-compare';
import type { OrtMemoryResult } from '../bench/ort-memory';
import type { PipelineResult } from '../bench/pipeline-run';
import type { BenchReport } from '../bench/report';
import { round3 } from '../bench/stats';
import type { TfjsComparison } from '../bench/tfjs-compare';
import { createLogger, type Logger } from '../log';
import { type CommandContext, EXIT } from './common';
import { errorMessage } from '../util/errors';

export function registerBench(program: Command, ctx: CommandContext): void {
  program
    .command('bench')
    .description('Measure speed and memory: bare session.run, the full pipeline on a video (CPU and PSS per process), other engines, a threads scan.')
    .option(
      '-m, --model <name|file>',
      'model; or untrained MobileNetV1 variants, timed bare (speed only): mobilenet_v1:alpha=0.5,size=160 (| lists make a grid: alpha=1|0.5,size=224|128)',
      'ssdlite_mobilenet_v2_coco',
    )
    .option('--source <file>', 'video file for the pipeline run')
    .option('--frames <n>', 'frames per measurement', (v) => parseInt(v, 10))
    .option('--threads <k>', 'inference threads (default: all cores but one, as lookout run)', (v) => parseInt(v, 10))
    .option(
      '--compare <what>',
      "also measure, comma-separated: opencv (OpenCV DNN), int8 (the model's int8 variant or FP32 original), tfjs (the original TF.js graph on tfjs-backend-wasm), ort-memory (ONNX Runtime's memory options)",
    )
    .option('--cameras <n>', 'memory runs with 1 and with n cameras on the source, to show the PSS each more camera costs', (v) => parseInt(v, 10))
    .option('--memory-minutes <m>', 'memory run(s) of m minutes each at 30 FPS per camera: PSS start, end, max and growth (a leak check)', parseFloat)
    .option('--no-scan', 'skip the threads scan')
    .option('--json <file>', 'write the results as JSON here')
    .option('--report <file>', 'draw the stage timings, threads scan and memory curves into a self-contained .html or .svg file')
    .action(async (opts: BenchCommandOptions) => {
      ctx.setExitCode(await runBenchCommand(opts, createLogger({ level: 'warn', stderr: true })));
    });
}

export interface BenchCommandOptions {
  model?: string;
  source?: string;
  /** Frames per measurement; default: 5000 for the pipeline, fewer for the others (see defaults). */
  frames?: number;
  threads?: number;
  /** Also measure, comma-separated: `opencv`, `int8`, `tfjs`, `ort-memory`. */
  compare?: string;
  /** Memory runs with 1 and with this many cameras. */
  cameras?: number;
  /** Length of each memory run. */
  memoryMinutes?: number;
  /** Where the HTML or SVG drawing goes. */
  report?: string;
  /** false with --no-scan. */
  scan?: boolean;
  json?: string;
  /** Where the table goes. Default process.stdout. */
  out?: (line: string) => void;
  /** Where problems go. Default process.stderr. */
  err?: (line: string) => void;
}

/** Default counts when --frames is not given: the pipeline long enough for the 5000-frame RSS target. */
export const DEFAULTS = {
  pipeline: 5000,
  warmup: 50,
  bare: 300,
  detector: 100,
  opencv: 100,
  tfjs: 100,
  ortMemory: 100,
  scan: 100,
  agreementFrames: 10,
  /** A memory run's length when --cameras is given without --memory-minutes. */
  memoryMinutes: 1,
  /** The cameras' frame rate cap in memory runs: the issue's conditions (one camera, vtest.avi, 30 FPS cap). */
  memoryMaxFps: 30,
} as const;

const COMPARES = ['opencv', 'int8', 'tfjs', 'ort-memory'] as const;

export const DEFAULT_SOURCE = path.resolve(__dirname, '..', '..', '.cache', 'testdata', 'vtest.avi');

function positiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
}

/** Untrained MobileNetV1 variants: only the bare session can be timed (no detections to pipe). */
async function benchVariants(spec: string, opts: BenchCommandOptions, cores: number, out: (l: string) => void, err: (l: string) => void): Promise<number> {
  const { benchMobileNetVariants, formatVariantReport } = await import('../bench/mobilenet-variants');
  const { pipelineInferenceThreads } = await import('../pipeline/camera-settings');
  if (opts.compare !== undefined) {
    err('lookout bench: --compare needs a trained model; mobilenet_v1 variants are timed alone');
    return EXIT.USAGE;
  }
  const threads = opts.threads ?? pipelineInferenceThreads(0, cores);
  try {
    const report = await benchMobileNetVariants(spec, { threads, runs: opts.frames ?? DEFAULTS.bare, progress: (w) => err(`lookout bench: ${w}`) });
    const jsonPath = path.resolve(opts.json ?? path.join(os.tmpdir(), `lookout-bench-${stamp()}.json`));
    fs.mkdirSync(path.dirname(jsonPath), { recursive: true });
    fs.writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
    out(formatVariantReport(report, jsonPath));
    return 0;
  } catch (e) {
    err(`lookout bench: ${errorMessage(e)}`);
    return /mobilenet_v1/.test(errorMessage(e)) ? EXIT.USAGE : EXIT.SOFTWARE;
  }
}

export async function runBenchCommand(opts: BenchCommandOptions, logger: Logger): Promise<number> {
  const out = opts.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const err = opts.err ?? ((l: string) => process.stderr.write(`${l}\n`));
  const cores = os.availableParallelism();
  const loadAverage = os.loadavg().map(round3);
  // Read defensively: the CLI hands commander's values through as they are.
  if (opts.frames !== undefined && !positiveInt(opts.frames)) {
    err(`lookout bench: --frames must be a positive integer (got ${String(opts.frames)})`);
    return EXIT.USAGE;
  }
  if (opts.threads !== undefined && !positiveInt(opts.threads)) {
    err(`lookout bench: --threads must be a positive integer (got ${String(opts.threads)})`);
    return EXIT.USAGE;
  }
  const compares = new Set(
    opts.compare === undefined
      ? []
      : String(opts.compare)
          .split(',')
          .map((c) => c.trim()),
  );
  const unknown = [...compares].filter((c) => !(COMPARES as readonly string[]).includes(c));
  if (unknown.length) {
    err(`lookout bench: --compare knows ${COMPARES.map((c) => `"${c}"`).join(', ')}, comma-separated (got "${String(opts.compare)}")`);
    return EXIT.USAGE;
  }
  if (opts.cameras !== undefined && !positiveInt(opts.cameras)) {
    err(`lookout bench: --cameras must be a positive integer (got ${String(opts.cameras)})`);
    return EXIT.USAGE;
  }
  if (opts.memoryMinutes !== undefined && !(typeof opts.memoryMinutes === 'number' && opts.memoryMinutes > 0 && Number.isFinite(opts.memoryMinutes))) {
    err(`lookout bench: --memory-minutes must be a positive number (got ${String(opts.memoryMinutes)})`);
    return EXIT.USAGE;
  }
  if (opts.report !== undefined && !/\.(html?|svg)$/i.test(opts.report)) {
    err(`lookout bench: --report writes .html or .svg (got ${opts.report})`);
    return EXIT.USAGE;
  }
  // The measuring parts load here, not with the CLI: the other commands (`lookout config check`, …)
  // start without the ONNX Runtime, OpenCV and daemon modules they pull in.
  const { isMobileNetV1Spec } = await import('../model-tools/mobilenet-v1');
  if (opts.model !== undefined && isMobileNetV1Spec(opts.model)) return benchVariants(opts.model, opts, cores, out, err);
  const { DEFAULT_MODEL, DEFAULT_MODELS_DIR } = await import('../detect/detector');
  const { loadManifest, resolveManifestPath } = await import('../detect/manifest');
  const { loadTfjs, tfjsOriginalName, TfjsMissingError, compareTfjs } = await import('../bench/tfjs-compare');
  const { benchBarePair, int8Comparison, int8Pair } = await import('../bench/int8-compare');
  const { pipelineInferenceThreads } = await import('../pipeline/camera-settings');
  const { sourceInputs } = await import('../bench/input');
  const { runPipeline } = await import('../bench/pipeline-run');
  const { runInChild } = await import('../bench/child-run');
  const { ORT_MEMORY_VARIANTS } = await import('../bench/ort-memory');
  const { benchBareSession, scanThreads } = await import('../bench/bare-session');
  const { benchDetect } = await import('../bench/detector-stage');
  const { compareOpenCv } = await import('../bench/opencv-dnn');
  const { machineInfo } = await import('../bench/machine');
  const { evaluateTargets, formatReport, memoryIncrement } = await import('../bench/report');
  const { renderReportFile } = await import('../bench/html-report');
  const source = path.resolve(opts.source ?? DEFAULT_SOURCE);
  if (!fs.existsSync(source)) {
    err(`lookout bench: source ${source} not found${opts.source ? '' : ' (the demo video comes with scripts/setup.sh --test)'}`);
    return EXIT.NO_INPUT;
  }
  const model = opts.model ?? DEFAULT_MODEL;
  const manifestPath = resolveManifestPath(model, DEFAULT_MODELS_DIR);
  let loaded;
  try {
    loaded = loadManifest(manifestPath);
  } catch (e) {
    err(`lookout bench: ${errorMessage(e)}`);
    return EXIT.NO_INPUT;
  }
  if (!fs.existsSync(loaded.modelPath)) {
    err(`lookout bench: model file ${loaded.modelPath} is missing; build it with \`lookout model build ${loaded.manifest.name}\``);
    return EXIT.NO_INPUT;
  }
  let tfjsGraph: string | null = null;
  if (compares.has('tfjs')) {
    try {
      loadTfjs();
      tfjsGraph = tfjsOriginalName(loaded);
    } catch (e) {
      err(`lookout bench: ${errorMessage(e)}`);
      return e instanceof TfjsMissingError ? EXIT.UNAVAILABLE : EXIT.USAGE;
    }
  }
  let pair = null;
  if (compares.has('int8')) {
    try {
      pair = int8Pair(loaded);
    } catch (e) {
      err(`lookout bench: ${errorMessage(e)}`);
      return EXIT.NO_INPUT;
    }
  }
  // The daemon's own default, so a plain `lookout bench` measures what `lookout run` does.
  const threads = opts.threads ?? pipelineInferenceThreads(0, cores);
  const n = opts.frames;
  const counts = {
    pipeline: n ?? DEFAULTS.pipeline,
    warmup: n === undefined ? DEFAULTS.warmup : Math.min(DEFAULTS.warmup, Math.max(2, Math.floor(n / 4))),
    bare: n ?? DEFAULTS.bare,
    detector: Math.min(n ?? DEFAULTS.detector, DEFAULTS.detector),
    opencv: n ?? DEFAULTS.opencv,
    tfjs: n ?? DEFAULTS.tfjs,
    ortMemory: n ?? DEFAULTS.ortMemory,
    scan: n ?? DEFAULTS.scan,
  };
  const memoryMinutes = opts.memoryMinutes ?? (opts.cameras !== undefined && opts.cameras > 1 ? DEFAULTS.memoryMinutes : null);
  const memoryCameras = memoryMinutes === null ? [] : [...new Set([1, opts.cameras ?? 1])];
  const jsonPath = path.resolve(opts.json ?? path.join(os.tmpdir(), `lookout-bench-${stamp()}.json`));
  const progress = (what: string): void => err(`lookout bench: ${what}`);

  try {
    const { manifest, modelPath } = loaded;
    const src = sourceInputs(source, manifest, DEFAULTS.agreementFrames);

    progress(`pipeline: ${counts.warmup} + ${counts.pipeline} frames of ${path.basename(source)}, ${threads} thread(s)`);
    const pipeline = await runPipeline({
      source,
      // The .onnx path (its manifest beside it) is valid wherever the config takes a model.
      model: modelPath,
      threads,
      frames: counts.pipeline,
      warmupFrames: counts.warmup,
      sourceFrames: src.frameCount,
      logger,
    });
    const session: BareSessionOptions = { modelPath, inputName: manifest.input.name, ep: pipeline.ep, threads };

    const memoryRuns: PipelineResult[] = [];
    for (const cameras of memoryCameras) {
      progress(`memory: ${cameras} camera(s) for ${memoryMinutes} min at ${DEFAULTS.memoryMaxFps} FPS each, in a fresh process`);
      const durationMs = memoryMinutes! * 60_000;
      memoryRuns.push(
        await runInChild<PipelineResult>(
          {
            kind: 'pipeline',
            options: {
              source,
              model: modelPath,
              threads,
              frames: 0,
              durationMs,
              cameras,
              maxFps: DEFAULTS.memoryMaxFps,
              // The pipeline run's warm-up per camera (shorter with a small --frames).
              warmupFrames: counts.warmup * cameras,
              sourceFrames: src.frameCount,
              // About 300 samples whatever the length, at least one a second.
              memorySampleMs: Math.max(1000, Math.round(durationMs / 300)),
            },
          },
          `memory run with ${cameras} camera(s)`,
        ),
      );
    }

    let ortMemory: OrtMemoryResult[] | null = null;
    if (compares.has('ort-memory')) {
      ortMemory = [];
      const input = src.inputs[0];
      for (const variant of ORT_MEMORY_VARIANTS) {
        progress(`ORT memory: ${variant.name}, ${counts.ortMemory} runs in a fresh process`);
        ortMemory.push(
          await runInChild<OrtMemoryResult>(
            {
              kind: 'ort-memory',
              session,
              variant,
              input: { ...input, data: Array.from(input.data), float: input.data instanceof Float32Array },
              runs: counts.ortMemory,
            },
            `ORT memory variant "${variant.name}"`,
          ),
        );
      }
    }

    progress(`bare session.run: ${counts.bare} runs`);
    const bare = await benchBareSession(session, src.inputs[0], counts.bare);

    progress(`detector stage: ${counts.detector} frames`);
    const detector = await benchDetect({ model, source, frames: counts.detector, intraOpThreads: threads, executionProviders: [pipeline.ep] }, logger);

    let opencv = null;
    if (compares.has('opencv')) {
      progress(`OpenCV DNN: ${counts.opencv} runs each, agreement on ${src.inputs.length} frames`);
      opencv = await compareOpenCv({ manifest, session, inputs: src.inputs, runs: counts.opencv });
    }

    let tfjs: TfjsComparison | null = null;
    if (tfjsGraph !== null) {
      const { ensureOriginalFiles } = await import('../model-tools/build');
      const graphDir = await ensureOriginalFiles(tfjsGraph, {}, logger);
      progress(`TF.js (wasm) vs ORT, 1 thread: ${counts.tfjs} runs each, interleaved, on ${src.inputs.length} frames`);
      tfjs = await compareTfjs({ graphDir, session, ortModel: manifest.name, inputs: src.inputs, runs: counts.tfjs });
    }

    let int8: Int8Comparison | null = null;
    if (pair) {
      const other = pair.main === 'fp32' ? pair.int8 : pair.fp32;
      const again = (model: string) =>
        runPipeline({ source, model, threads, frames: counts.pipeline, warmupFrames: counts.warmup, sourceFrames: src.frameCount, logger });
      progress(`int8 vs FP32: pipeline with ${other.manifest.name}, ${counts.warmup} + ${counts.pipeline} frames`);
      const otherPipeline = await again(other.modelPath);
      // A, B, A: the main run's model once more, so a load that drifts over the runs hits both alike.
      progress(`int8 vs FP32: pipeline with ${loaded.manifest.name} again, ${counts.warmup} + ${counts.pipeline} frames`);
      const mainAgain = await again(modelPath);
      progress(`int8 vs FP32: bare session.run, ${counts.bare} runs each, interleaved`);
      const fp32Session = { ...session, modelPath: pair.fp32.modelPath, inputName: pair.fp32.manifest.input.name };
      const int8Session = { ...session, modelPath: pair.int8.modelPath, inputName: pair.int8.manifest.input.name };
      const [fp32Bare, int8Bare] = await benchBarePair(fp32Session, int8Session, src.inputs[0], counts.bare);
      int8 = int8Comparison(
        pair,
        { fp32: fp32Bare, int8: int8Bare },
        pair.main === 'fp32' ? { fp32: [pipeline, mainAgain], int8: [otherPipeline] } : { fp32: [otherPipeline], int8: [pipeline, mainAgain] },
      );
    }

    let scan = null;
    if (opts.scan !== false) {
      progress(`threads scan: 1…${cores}, ${counts.scan} runs each`);
      scan = await scanThreads(session, src.inputs[0], cores, counts.scan);
    }

    const efficiency = round3(pipeline.fps / bare.throughput_fps);
    const base = { efficiency, pipeline, opencv, int8, tfjs, memory_runs: memoryRuns };
    const report: BenchReport = {
      report_version: 1,
      generated_at: new Date().toISOString(),
      machine: { ...machineInfo(), ep: pipeline.ep, load_average: loadAverage },
      model: {
        name: manifest.name,
        path: modelPath,
        input: `${manifest.input.width}×${manifest.input.height} ${manifest.input.layout} ${manifest.input.dtype}`,
      },
      source: { path: source, width: src.width, height: src.height, frames: src.frameCount },
      settings: {
        threads,
        pipeline_frames: counts.pipeline,
        warmup_frames: counts.warmup,
        bare_runs: counts.bare,
        detector_frames: counts.detector,
        opencv_runs: opencv ? counts.opencv : null,
        tfjs_runs: tfjs ? counts.tfjs : null,
        scan_runs: scan ? counts.scan : null,
        memory_minutes: memoryMinutes,
        memory_cameras: memoryCameras,
      },
      bare,
      detector,
      pipeline,
      efficiency,
      opencv,
      int8,
      tfjs,
      ort_memory: ortMemory,
      memory_runs: memoryRuns,
      memory_increment_mb_per_camera: memoryIncrement(memoryRuns),
      threads_scan: scan,
      targets: evaluateTargets(base),
    };
    fs.mkdirSync(path.dirname(jsonPath), { recursive: true });
    fs.writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
    let drawn: string | undefined;
    if (opts.report) {
      drawn = path.resolve(opts.report);
      fs.mkdirSync(path.dirname(drawn), { recursive: true });
      fs.writeFileSync(drawn, renderReportFile(report, drawn));
    }
    out(formatReport(report, jsonPath, drawn));
    return 0;
  } catch (e) {
    err(`lookout bench: ${errorMessage(e)}`);
    logger.debug({ err: e }, 'bench failed');
    return EXIT.SOFTWARE;
  }
}
