/**
 * Model tools: build known models from their originals (TF.js → ONNX) and int8 variants of them
 * (ONNX Runtime's static quantization, quantize.ts), verify them against their manifests, compare
 * two models' detections (compare.ts), and describe ONNX files. The `lookout model` commands that call them are in
 * src/commands/model.ts.
 */
export { buildConvertedModel, ensureOriginalFiles, verifyModel, verifySourceFiles } from './build';
export { buildModel } from './build-model';
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
