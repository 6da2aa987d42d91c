/**
 * Model tools: build known models from their originals (TF.js → ONNX) and int8 variants of them
 * (ONNX Runtime's static quantization, quantize.ts), verify them against their manifests, compare
 * two models' detections (compare.ts), and describe ONNX files. The `run*Command` functions are the CLI actions: they print
 * results to stdout, errors to stderr, and resolve to an exit status.
 */
import type { Logger } from '../log';
import { type BuildOptions, buildModel, verifyModel } from './build';
import { formatModelInfo, modelInfo } from './info';

export { buildModel, ensureOriginalFiles, verifyModel, verifySourceFiles } from './build';
export type { BuildOptions, BuildResult, VerifyResult } from './build';
export { convertTfjsGraph, convGeometry } from './convert';
export type { ConvertOptions, ConvertResult, InputBinding, OutputBinding } from './convert';
export { modelInfo, formatModelInfo } from './info';
export type { ModelInfo, LayerInfo, TensorInfo } from './info';
export { loadTfjsGraphFromDir } from './load-dir';
export { loadGraph, parseModelJson } from './tfjs-graph';
export type { TfjsGraph, TfjsModelJson } from './tfjs-graph';
export { BUILDABLE_MODELS, buildableModel, knownModelNames, QUANTIZED_MODELS, quantizedModel } from './registry';
export type { BuildableModel, CalibrationSet, QuantizedModel } from './registry';
export { buildQuantizedModel } from './quantize';
// compare.ts itself is left out: it loads the detector, which `model build`/`verify` do not need.
export { compareFrame, summarize as summarizeComparison, DEFAULT_MATCH_RULES } from './compare-metrics';
export type { ComparisonSummary, FrameComparison, MatchRules } from './compare-metrics';
export { readManifest } from './manifest';
export type { ModelManifest } from './manifest';

export async function runModelBuildCommand(name: string, opts: BuildOptions, logger: Logger): Promise<number> {
  try {
    const r = await buildModel(name, opts, logger);
    process.stdout.write(`${r.built ? 'built' : 'verified'} ${r.path} sha256 ${r.sha256}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`lookout model build ${name}: ${(e as Error).message}\n`);
    return 1;
  }
}

export async function runModelVerifyCommand(name: string, opts: { modelsDir?: string }): Promise<number> {
  const r = await verifyModel(name, opts);
  if (r.ok) {
    process.stdout.write(`ok ${r.path}\n`);
    return 0;
  }
  process.stderr.write(`lookout model verify ${name}: ${r.reason}\n`);
  return 1;
}

export async function runModelInfoCommand(file: string, opts: { layers?: boolean; json?: boolean }): Promise<number> {
  try {
    const info = await modelInfo(file);
    process.stdout.write(opts.json ? `${JSON.stringify(opts.layers ? info : { ...info, layers: undefined }, null, 2)}\n` : `${formatModelInfo(info, !!opts.layers)}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`lookout model info ${file}: ${(e as Error).message}\n`);
    return 1;
  }
}
