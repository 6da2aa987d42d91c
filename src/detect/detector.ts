/**
 * The detection engine's façade: one Detector per model, shared by all cameras. `detect()`
 * preprocesses on the calling thread, infers in the session's worker, decodes and runs NMS; the
 * per-camera filters (thresholds, labels, zones, masks) come last and can differ per call.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { type Logger, silentLogger } from '../log';
import type { Mat } from '../cv';
import { decodeOutputs, finishBoxes } from './decode';
import { applyFilters, type FilterOptions } from './filters';
import { WorkerSession, type SessionInfo, type SessionOptions } from './inference-session';
import type { WireTensor } from './inference-protocol';
import { loadManifest, resolveManifestPath, type Manifest, type ManifestInput } from './manifest';
import { AUTO_MODEL, chooseAutoModel } from './model-choice';
import { ModelMismatchError, modelContradictions } from './model-check';
import { nms, type NmsOptions } from './nms';
import { inputDims, preprocessFrame, preprocessMat, type Preprocessed } from './preprocess';
import type { BgrFrame, Candidate, Detection, InputGeometry } from './types';

export const DEFAULT_MODEL = 'ssdlite_mobilenet_v2_coco';
/** The repo's models/ folder, from src/detect (ts) and dist/detect (js) alike. */
export const DEFAULT_MODELS_DIR = path.resolve(__dirname, '..', '..', 'models');

export interface DetectorOptions extends SessionOptions {
  /**
   * Model name (looked up as `<modelsDir>/<name>.json`), a manifest .json path, or an .onnx path
   * with its manifest beside it (same name, .json). Default 'ssdlite_mobilenet_v2_coco'.
   */
  model?: string;
  /** Where model names are looked up. Default: the repo's models/ folder. */
  modelsDir?: string;
  /**
   * Candidates scoring below this never leave the decoder (before NMS). Keep it at or below the
   * lowest per-camera min score. Default 0.3.
   */
  scoreThreshold?: number;
  /** NMS: per class by default, IoU 0.5, at most 100 detections. */
  nms?: NmsOptions;
  /** Filters for detect() calls that pass none (a camera passes its own). */
  filters?: FilterOptions;
}

export interface DetectorInfo {
  /** Manifest name of the model. */
  model: string;
  manifestPath: string;
  modelPath: string;
  /** Execution provider actually running the model. */
  ep: string;
  input: ManifestInput;
  threads: number;
  load_ms: number;
  warmup_ms: number;
}

export interface DetectResult {
  detections: Detection[];
  preprocess_ms: number;
  /** session.run() time in the worker. */
  inference_ms: number;
  /** From handing the input to the worker until its outputs are back (includes queueing behind other cameras). */
  roundtrip_ms: number;
  postprocess_ms: number;
}

function round2(ms: number): number {
  return Math.round(ms * 100) / 100;
}

function missingModelMessage(modelPath: string, manifest: Manifest, manifestPath: string): string {
  const how =
    manifest.name === DEFAULT_MODEL
      ? `build it with \`lookout model build ${DEFAULT_MODEL}\` (or run scripts/setup.sh)`
      : `put the model file there (the manifest ${manifestPath} names "${manifest.file}"), or build it with \`lookout model build ${manifest.name}\` if Lookout ships a converter for it`;
  return `model file ${modelPath} is missing; ${how}`;
}

export class Detector {
  private constructor(
    readonly manifest: Manifest,
    readonly info: DetectorInfo,
    private readonly session: WorkerSession,
    private readonly options: DetectorOptions,
  ) {}

  /**
   * Loads manifest and model, starts the worker, runs the warm-up and checks the manifest against
   * the model. Throws ManifestError, ModelMismatchError, UnknownEpError or an Error naming the
   * missing file.
   */
  static async load(options: DetectorOptions = {}, logger: Logger = silentLogger): Promise<Detector> {
    const modelsDir = options.modelsDir ?? DEFAULT_MODELS_DIR;
    let model = options.model ?? DEFAULT_MODEL;
    if (model === AUTO_MODEL) {
      const choice = chooseAutoModel(modelsDir);
      // `runs`, not `model`: the daemon's child logger already binds model=auto.
      logger.info({ runs: choice.model, reason: choice.reason }, `model auto: running ${choice.model} (${choice.reason})`);
      model = choice.model;
    }
    const manifestPath = resolveManifestPath(model, modelsDir);
    if (!fs.existsSync(manifestPath)) {
      throw new Error(
        `no model manifest at ${manifestPath}: a model needs a manifest (JSON) beside its .onnx file, see ${path.join(DEFAULT_MODELS_DIR, `${DEFAULT_MODEL}.json`)}`,
      );
    }
    const { manifest, modelPath } = loadManifest(manifestPath);
    if (!fs.existsSync(modelPath)) throw new Error(missingModelMessage(modelPath, manifest, manifestPath));
    const input = { name: manifest.input.name, dtype: manifest.input.dtype, dims: inputDims(manifest.input) };
    const session = new WorkerSession(modelPath, input, options, logger);
    let s: SessionInfo;
    try {
      s = await session.start();
    } catch (e) {
      await session.close();
      throw e;
    }
    const problems = modelContradictions(manifest, s.loaded);
    if (problems.length || s.loaded.warmupError) {
      await session.close();
      if (problems.length) throw new ModelMismatchError(modelPath, manifestPath, problems);
      throw new Error(`${s.loaded.warmupError} (manifest ${manifestPath})`);
    }
    const info: DetectorInfo = {
      model: manifest.name,
      manifestPath,
      modelPath,
      ep: s.ep,
      input: manifest.input,
      threads: s.intraOpThreads,
      load_ms: round2(s.loadMs),
      warmup_ms: round2(s.warmupMs),
    };
    return new Detector(manifest, info, session, options);
  }

  /** Detects objects in a packed BGR frame. */
  async detect(frame: BgrFrame, filters?: FilterOptions): Promise<DetectResult> {
    const t0 = performance.now();
    const pre = preprocessFrame(frame, this.manifest.input);
    return this.finish(pre, performance.now() - t0, filters);
  }

  /**
   * Detects objects in a model input made elsewhere (the capture process, issue 17), laid out as
   * this model's manifest says; `preprocessMs` is what making it took there. No OpenCV here.
   */
  async detectPrepared(pre: Preprocessed, preprocessMs: number, filters?: FilterOptions): Promise<DetectResult> {
    const want = inputDims(this.manifest.input);
    if (pre.dims.length !== want.length || pre.dims.some((d, i) => d !== want[i])) {
      throw new Error(`model ${this.manifest.name} takes input dims ${want.join('x')}, got ${pre.dims.join('x')}`);
    }
    return this.finish(pre, preprocessMs, filters);
  }

  /** Detects objects in a BGR Mat (CV_8UC3), e.g. straight from VideoCapture.read(). */
  async detectMat(mat: Mat, filters?: FilterOptions): Promise<DetectResult> {
    const t0 = performance.now();
    const pre = preprocessMat(mat, this.manifest.input);
    return this.finish(pre, performance.now() - t0, filters);
  }

  private async finish(pre: Preprocessed, preprocessMs: number, filters: FilterOptions | undefined): Promise<DetectResult> {
    const t1 = performance.now();
    // Decoded in the worker: the raw outputs (0.7 MB a frame for SSDLite) never reach this thread.
    const { outputs, inferenceMs, decoded } = await this.session.run(pre.data, {
      output: this.manifest.output,
      scoreThreshold: this.options.scoreThreshold ?? 0.3,
      ...(this.options.nms ? { nms: this.options.nms } : {}),
      geometry: pre.geometry,
    });
    const t2 = performance.now();
    const candidates = decoded?.candidates ?? this.postprocess(outputs, pre.geometry);
    const detections = applyFilters(candidates, this.manifest.labels, filters ?? this.options.filters);
    const t3 = performance.now();
    const decodeMs = decoded?.ms ?? 0;
    return {
      detections,
      preprocess_ms: round2(preprocessMs),
      inference_ms: round2(inferenceMs),
      roundtrip_ms: round2(t2 - t1 - decodeMs),
      postprocess_ms: round2(decodeMs + t3 - t2),
    };
  }

  /** Decode, NMS and clamping: the model-wide part of postprocessing, before per-camera filters. */
  postprocess(outputs: Record<string, WireTensor>, geometry: InputGeometry): Candidate[] {
    const cands = decodeOutputs(outputs, this.manifest.output, {
      scoreThreshold: this.options.scoreThreshold ?? 0.3,
      geometry,
    });
    return finishBoxes(nms(cands, this.options.nms));
  }

  /** Ends the worker; pending detect() calls reject. */
  close(): Promise<void> {
    return this.session.close();
  }

  /** For crash-handling tests: the worker dies of an uncaught error. */
  crashWorkerForTest(): void {
    this.session.crashWorkerForTest();
  }
}
