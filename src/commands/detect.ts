/**
 * `lookout detect <image|video|folder>...`: runs the detector over files and prints what it finds,
 * one JSON line per image or video frame with --json, a readable line otherwise, and optionally
 * writes annotated JPEGs. A file that cannot be read is reported by name and skipped; the exit
 * status then says something failed.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { createLogger, type Logger, silentLogger } from '../log';
import { cvError, loadCv, type Mat } from '../cv';
import type { Detector, DetectResult } from '../detect/detector';
import { expandInputs, InputError, isVideoFile } from '../detect/inputs';
import type { Detection } from '../detect/types';
import { type CommandContext, EXIT } from './common';
import { errorMessage } from '../util/errors';

export function registerDetect(program: Command, ctx: CommandContext): void {
  program
    .command('detect')
    .description('Detect objects in images, videos or folders; print JSON lines (--json) or a summary, optionally write annotated JPEGs.')
    .argument('<inputs...>', 'image files, video files or folders')
    .option('-m, --model <name|file>', 'model name in models/ or an .onnx path with a manifest beside it', 'ssdlite_mobilenet_v2_coco')
    .option('--min-score <score>', 'minimum score', parseFloat)
    .option('--json', 'print one JSON line per image or frame')
    .option('--annotate <dir>', 'write annotated JPEGs into this folder')
    .option('--threads <n>', 'intra-op threads', (v) => parseInt(v, 10))
    .option('--every <n>', 'videos: detect every n-th frame', (v) => parseInt(v, 10))
    .action(async (inputs: string[], opts: Omit<DetectCommandOptions, 'inputs'>) => {
      const logger = createLogger({ level: 'warn', stderr: true });
      ctx.setExitCode(await runDetectCommand({ inputs, ...opts }, logger));
    });
}

export interface DetectCommandOptions {
  /** Image files, video files or folders (a folder's images and videos, not recursive). */
  inputs: string[];
  /** Model name or .onnx/.json path. Default ssdlite_mobilenet_v2_coco. */
  model?: string;
  /** Where model names are looked up. Default: the repo's models/. */
  modelsDir?: string;
  /** Minimum score. Default 0.5. */
  minScore?: number;
  /** One JSON line per image/frame on stdout. */
  json?: boolean;
  /** Folder for annotated JPEGs (created if missing). */
  annotate?: string;
  /** Intra-op threads. Default: all cores. */
  threads?: number;
  /** Videos: detect every n-th frame. Default 1. */
  every?: number;
  /** Execution providers. Default 'auto'. */
  executionProviders?: string[] | 'auto';
  /** Where result lines go. Default process.stdout. */
  out?: (line: string) => void;
  /** Where problems go. Default process.stderr. */
  err?: (line: string) => void;
}

export interface DetectLine {
  file: string;
  frame: number;
  width: number;
  height: number;
  detections: Detection[];
  timing: { preprocess_ms: number; inference_ms: number; postprocess_ms: number };
}

function summary(line: DetectLine): string {
  const found = line.detections.length
    ? line.detections.map((d) => `${d.label} ${d.score.toFixed(2)} [${d.box.map((v) => v.toFixed(3)).join(', ')}]`).join('; ')
    : 'nothing';
  const where = line.frame > 0 || isVideoFile(line.file) ? `${line.file}#${line.frame}` : line.file;
  const t = line.timing;
  return `${where} (${line.width}×${line.height}): ${found}  [pre ${t.preprocess_ms} ms, infer ${t.inference_ms} ms, post ${t.postprocess_ms} ms]`;
}

export async function runDetectCommand(options: DetectCommandOptions, logger: Logger = silentLogger): Promise<number> {
  const out = options.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const err = options.err ?? ((l: string) => process.stderr.write(`${l}\n`));
  const every = Math.max(1, Math.floor(options.every ?? 1));
  const minScore = options.minScore ?? 0.5;
  if (!(minScore >= 0 && minScore <= 1)) {
    err(`lookout detect: --min-score must be between 0 and 1 (got ${options.minScore})`);
    return 64;
  }
  const { files, problems } = expandInputs(options.inputs);
  for (const p of problems) err(`lookout detect: ${p.message}`);
  if (files.length === 0) return problems[0]?.status ?? EXIT.NO_INPUT;
  // A binding that does not load (a broken install, a LOOKOUT_OPENCV_BINDING that is not one)
  // is one problem of the installation, not one undecodable image per file.
  try {
    loadCv();
  } catch (e) {
    err(`lookout detect: ${errorMessage(e)}`);
    return EXIT.SOFTWARE;
  }

  // ONNX Runtime's worker and the model are loaded only when a command detects.
  const { DEFAULT_MODEL, Detector } = await import('../detect/detector');
  const { annotate } = await import('../detect/annotate');
  let detector: Detector;
  try {
    detector = await Detector.load(
      {
        model: options.model ?? DEFAULT_MODEL,
        modelsDir: options.modelsDir,
        intraOpThreads: options.threads,
        executionProviders: options.executionProviders,
        scoreThreshold: Math.min(0.3, minScore),
        filters: { minScore },
      },
      logger,
    );
  } catch (e) {
    const msg = errorMessage(e);
    err(`lookout detect: ${msg}`);
    return /is missing|no model manifest/.test(msg) ? EXIT.NO_INPUT : EXIT.CONFIG;
  }
  if (options.annotate) fs.mkdirSync(options.annotate, { recursive: true });
  let status: number = problems[0]?.status ?? EXIT.OK;
  const emit = async (file: string, frameNo: number, mat: Mat): Promise<void> => {
    const r: DetectResult = await detector.detectMat(mat);
    const line: DetectLine = {
      file,
      frame: frameNo,
      width: mat.cols,
      height: mat.rows,
      detections: r.detections,
      timing: { preprocess_ms: r.preprocess_ms, inference_ms: r.inference_ms, postprocess_ms: r.postprocess_ms },
    };
    out(options.json ? JSON.stringify(line) : summary(line));
    if (options.annotate) {
      const base = path.basename(file, path.extname(file));
      const name = isVideoFile(file) ? `${base}-${String(frameNo).padStart(6, '0')}.jpg` : `${base}.jpg`;
      const target = path.join(options.annotate, name);
      try {
        loadCv().imwrite(target, annotate(mat, r.detections));
      } catch (e) {
        throw cvError(e, `writing annotated image ${target}`);
      }
    }
  };
  try {
    for (const file of files) {
      try {
        if (isVideoFile(file)) await detectVideo(file, every, emit);
        else await emit(file, 0, readImage(file));
      } catch (e) {
        const st = e instanceof InputError ? e.status : EXIT.DATA;
        err(`lookout detect: ${errorMessage(e)}`);
        if (status === EXIT.OK) status = st;
      }
    }
  } finally {
    await detector.close();
  }
  return status;
}

function readImage(file: string): Mat {
  if (!fs.existsSync(file)) throw new InputError(`${file}: no such file`, EXIT.NO_INPUT);
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch {
    throw new InputError(`${file}: not readable (permissions)`, EXIT.NO_INPUT);
  }
  const cv = loadCv();
  try {
    return cv.imread(file);
  } catch {
    throw new InputError(`${file}: not an image OpenCV can decode`, EXIT.DATA);
  }
}

async function detectVideo(file: string, every: number, emit: (file: string, frame: number, mat: Mat) => Promise<void>): Promise<void> {
  const cv = loadCv();
  let cap: InstanceType<typeof cv.VideoCapture>;
  try {
    cap = new cv.VideoCapture(file);
  } catch {
    throw new InputError(`${file}: not a video OpenCV can open`, EXIT.DATA);
  }
  try {
    let frameNo = 0;
    for (;;) {
      const mat = cap.read();
      if (mat.empty) break;
      frameNo++;
      if ((frameNo - 1) % every === 0) await emit(file, frameNo, mat);
    }
    if (frameNo === 0) throw new InputError(`${file}: video holds no frames OpenCV can decode`, EXIT.DATA);
  } finally {
    cap.release();
  }
}
