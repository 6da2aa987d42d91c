/**
 * Model tools: build known models from their originals (TF.js → ONNX) and int8 variants of them
 * (ONNX Runtime's static quantization, quantize.ts), verify them against their manifests, compare
 * two models' detections (compare.ts), and describe ONNX files. The `run*Command` functions are the CLI actions: they print
 * results to stdout, errors to stderr, and resolve to an exit status.
 */
import type { Logger } from '../log';
import { type BuildOptions, buildModel, verifyModel } from './build';
import { formatModelInfo, modelInfo, modelInfoFromBytes } from './info';
import { buildMobileNetV1, isMobileNetV1Spec, mobileNetV1Name, parseMobileNetV1Spec } from './mobilenet-v1';

export { buildModel, ensureOriginalFiles, verifyModel, verifySourceFiles } from './build';
export type { BuildOptions, BuildResult, VerifyResult } from './build';
export { convertTfjsGraph, convGeometry } from './convert';
export type { ConvertOptions, ConvertResult, InputBinding, OutputBinding } from './convert';
export { modelInfo, modelInfoFromBytes, formatModelInfo, sharesByType } from './info';
export type { ModelInfo, LayerInfo, TensorInfo, TypeShare } from './info';
export {
  addMobileNetV1,
  buildMobileNetV1,
  isMobileNetV1Spec,
  mobileNetV1Name,
  parseMobileNetV1Spec,
  paperMultAdds,
  paperParams,
  randomWeights,
} from './mobilenet-v1';
export type { MobileNetV1Graph, MobileNetV1Model, MobileNetV1Options, LayerSpec, LayerWeights, WeightSource } from './mobilenet-v1';
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

export async function runModelBuildCommand(name: string, opts: BuildOptions & { out?: string }, logger: Logger): Promise<number> {
  if (isMobileNetV1Spec(name)) return buildMobileNetV1File(name, opts);
  if (name === 'face_ssd_mobilenet_v1') {
    try {
      const { buildFaceModel } = await import('./face-ssd');
      const r = await buildFaceModel(opts, logger);
      process.stdout.write(`${r.built ? 'built' : 'verified'} ${r.path} sha256 ${r.sha256}\n`);
      return 0;
    } catch (e) {
      process.stderr.write(`lookout model build ${name}: ${(e as Error).message}\n`);
      return 1;
    }
  }
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

/**
 * `lookout model build mobilenet_v1:alpha=0.5,size=160 [--out FILE]`: the untrained network, for
 * inspecting and timing; no manifest, since nothing can be detected with random weights.
 */
async function buildMobileNetV1File(spec: string, opts: { modelsDir?: string; out?: string }): Promise<number> {
  try {
    const variants = parseMobileNetV1Spec(spec);
    if (variants.length !== 1) throw new Error('one variant at a time (no | lists)');
    const m = buildMobileNetV1(variants[0]);
    const { promises: fs } = await import('node:fs');
    const path = await import('node:path');
    const { projectRoot, sha256Bytes } = await import('./files');
    const out = path.resolve(opts.out ?? path.join(opts.modelsDir ?? path.join(projectRoot(), 'models'), `${mobileNetV1Name(variants[0])}.onnx`));
    await fs.mkdir(path.dirname(out), { recursive: true });
    await fs.writeFile(out, m.bytes);
    process.stdout.write(`built ${out} sha256 ${sha256Bytes(m.bytes)} (untrained random weights: speed and size only)\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`lookout model build ${spec}: ${(e as Error).message}\n`);
    return 1;
  }
}

export async function runModelInfoCommand(file: string, opts: { layers?: boolean; json?: boolean }): Promise<number> {
  try {
    // A variant spec is built in memory: its table needs no file on disk.
    const info = isMobileNetV1Spec(file) ? mobileNetV1Info(file) : await modelInfo(file);
    process.stdout.write(
      opts.json ? `${JSON.stringify(opts.layers ? info : { ...info, layers: undefined }, null, 2)}\n` : `${formatModelInfo(info, !!opts.layers)}\n`,
    );
    return 0;
  } catch (e) {
    process.stderr.write(`lookout model info ${file}: ${(e as Error).message}\n`);
    return 1;
  }
}

function mobileNetV1Info(spec: string) {
  const variants = parseMobileNetV1Spec(spec);
  if (variants.length !== 1) throw new Error('one variant at a time (no | lists)');
  return modelInfoFromBytes(buildMobileNetV1(variants[0]).bytes, `${spec} (built in memory, untrained)`);
}
