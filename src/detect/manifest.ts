/**
 * The model manifest: a JSON file next to an .onnx file that says everything model-specific — input
 * size, layout, dtype, colour order, normalization, resize mode, output format and labels. The
 * detector reads nothing else about a model, so a user's own MobileNet-SSD works by writing one.
 *
 * The JSON Schema below is typed with ajv's JSONSchemaType against the TypeScript types, so the two
 * cannot drift apart without a compile error. Checks JSON Schema cannot express (label keys are
 * integers, the file name has no path, background_index is a real column) follow in `semanticErrors`.
 */
import fs from 'node:fs';
import path from 'node:path';
import Ajv, { type JSONSchemaType, type ErrorObject } from 'ajv';
import { AUTO_MODEL, chooseAutoModel } from './model-choice';
import { errorMessage } from '../util/errors';

export type Layout = 'NHWC' | 'NCHW';
export type InputDtype = 'uint8' | 'float32';
export type ChannelOrder = 'RGB' | 'BGR';
export type ResizeMode = 'stretch' | 'letterbox';
export type BoxEncoding = 'yxyx' | 'xyxy';
export type ScoreActivation = 'none' | 'sigmoid' | 'softmax';

export interface Normalization {
  /** Per-channel mean in the model's channel order, on 0..255 values. */
  mean: [number, number, number];
  /** Per-channel std; the model sees (v - mean) / std. */
  std: [number, number, number];
}

export interface ManifestInput {
  /** Graph input name. */
  name: string;
  width: number;
  height: number;
  layout: Layout;
  dtype: InputDtype;
  channel_order: ChannelOrder;
  /** null: raw 0..255 values (cast to dtype). */
  normalization: Normalization | null;
  resize: ResizeMode;
  /** Letterbox border value on 0..255 (before normalization); default 0. */
  pad_value?: number;
}

/** Raw SSD head: decoded boxes [N,A,4] (or [N,A,1,4]) and per-class scores [N,A,C]. */
export interface BoxesScoresOutput {
  format: 'boxes+scores';
  boxes: string;
  scores: string;
  box_encoding: BoxEncoding;
  score_activation: ScoreActivation;
  /** Score column i is class id i + class_id_offset. */
  class_id_offset: number;
  /** Column index of a background class to skip, if the scores carry one. */
  background_index?: number;
}

/** TF Object Detection API postprocessed outputs (boxes yxyx normalized, class ids as floats). */
export interface TfOdApiOutput {
  format: 'tf-od-api';
  detection_boxes?: string;
  detection_classes?: string;
  detection_scores?: string;
  num_detections?: string;
  /** Added to detection_classes to get a label key; default 0. */
  class_id_offset?: number;
}

/** Caffe/OpenCV DetectionOutput [1,1,N,7]: image_id, label, conf, xmin, ymin, xmax, ymax. */
export interface DetectionOutputOutput {
  format: 'detection-output';
  detections?: string;
  /** Added to the label column to get a label key; default 0. */
  class_id_offset?: number;
}

export type ManifestOutput = BoxesScoresOutput | TfOdApiOutput | DetectionOutputOutput;

export interface Manifest {
  manifest_version: 1;
  name: string;
  description?: string;
  /** Model file, relative to the manifest's folder. */
  file: string;
  /** sha256 of the model file, hex; checked by `lookout model verify`, not on every load. */
  sha256?: string;
  input: ManifestInput;
  output: ManifestOutput;
  /** Class id (decimal string) → label. */
  labels: Record<string, string>;
  provenance?: Record<string, unknown>;
}

/** Default output tensor names where a format allows leaving them out. */
export { DETECTION_OUTPUT_DEFAULT_NAME, TF_OD_API_DEFAULT_NAMES } from './output-names';

const nonEmpty = { type: 'string', minLength: 1 } as const;
const triple = {
  type: 'array',
  items: [{ type: 'number' }, { type: 'number' }, { type: 'number' }],
  minItems: 3,
  maxItems: 3,
} as const;

const boxesScoresSchema: JSONSchemaType<BoxesScoresOutput> = {
  type: 'object',
  additionalProperties: false,
  required: ['format', 'boxes', 'scores', 'box_encoding', 'score_activation', 'class_id_offset'],
  properties: {
    format: { type: 'string', const: 'boxes+scores' },
    boxes: nonEmpty,
    scores: nonEmpty,
    box_encoding: { type: 'string', enum: ['yxyx', 'xyxy'] },
    score_activation: { type: 'string', enum: ['none', 'sigmoid', 'softmax'] },
    class_id_offset: { type: 'integer' },
    background_index: { type: 'integer', minimum: 0, nullable: true },
  },
};

const tfOdApiSchema: JSONSchemaType<TfOdApiOutput> = {
  type: 'object',
  additionalProperties: false,
  required: ['format'],
  properties: {
    format: { type: 'string', const: 'tf-od-api' },
    detection_boxes: { ...nonEmpty, nullable: true },
    detection_classes: { ...nonEmpty, nullable: true },
    detection_scores: { ...nonEmpty, nullable: true },
    num_detections: { ...nonEmpty, nullable: true },
    class_id_offset: { type: 'integer', nullable: true },
  },
};

const detectionOutputSchema: JSONSchemaType<DetectionOutputOutput> = {
  type: 'object',
  additionalProperties: false,
  required: ['format'],
  properties: {
    format: { type: 'string', const: 'detection-output' },
    detections: { ...nonEmpty, nullable: true },
    class_id_offset: { type: 'integer', nullable: true },
  },
};

const normalizationSchema: JSONSchemaType<Normalization> = {
  type: 'object',
  additionalProperties: false,
  required: ['mean', 'std'],
  properties: { mean: triple, std: triple },
};

/** JSON Schema of a manifest (draft-07, as ajv 8 speaks it by default). */
export const MANIFEST_SCHEMA: JSONSchemaType<Manifest> = {
  type: 'object',
  additionalProperties: false,
  required: ['manifest_version', 'name', 'file', 'input', 'output', 'labels'],
  properties: {
    manifest_version: { type: 'integer', const: 1 },
    name: nonEmpty,
    description: { type: 'string', nullable: true },
    file: nonEmpty,
    sha256: { type: 'string', pattern: '^[0-9a-fA-F]{64}$', nullable: true },
    input: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'width', 'height', 'layout', 'dtype', 'channel_order', 'normalization', 'resize'],
      properties: {
        name: nonEmpty,
        width: { type: 'integer', minimum: 1, maximum: 8192 },
        height: { type: 'integer', minimum: 1, maximum: 8192 },
        layout: { type: 'string', enum: ['NHWC', 'NCHW'] },
        dtype: { type: 'string', enum: ['uint8', 'float32'] },
        channel_order: { type: 'string', enum: ['RGB', 'BGR'] },
        normalization: { ...normalizationSchema, nullable: true } as unknown as JSONSchemaType<Normalization>,
        resize: { type: 'string', enum: ['stretch', 'letterbox'] },
        pad_value: { type: 'number', minimum: 0, maximum: 255, nullable: true },
      },
    },
    output: {
      type: 'object',
      required: ['format'],
      properties: { format: { type: 'string', enum: ['boxes+scores', 'tf-od-api', 'detection-output'] } },
      oneOf: [boxesScoresSchema, tfOdApiSchema, detectionOutputSchema],
      discriminator: { propertyName: 'format' },
    } as unknown as JSONSchemaType<ManifestOutput>,
    labels: {
      type: 'object',
      required: [],
      minProperties: 1,
      additionalProperties: { type: 'string', minLength: 1 },
    },
    provenance: { type: 'object', required: [], nullable: true },
  },
};

const ajv = new Ajv({ allErrors: true, discriminator: true, strict: true });
const validateSchema = ajv.compile<Manifest>(MANIFEST_SCHEMA);

/** A manifest that failed validation: every problem, each as `field.path: reason`. */
export class ManifestError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`model manifest ${source} is invalid:\n  ${problems.join('\n  ')}`);
    this.name = 'ManifestError';
  }
}

function fieldPath(instancePath: string): string {
  const p = instancePath.replace(/^\//, '').split('/').filter(Boolean).join('.');
  return p === '' ? '(manifest)' : p;
}

function formatAjvError(e: ErrorObject): string {
  const at = fieldPath(e.instancePath);
  switch (e.keyword) {
    case 'required':
      return `${fieldPath(`${e.instancePath}/${String(e.params.missingProperty)}`)}: is required`;
    case 'additionalProperties':
      return `${fieldPath(`${e.instancePath}/${String(e.params.additionalProperty)}`)}: is not a known field`;
    case 'enum':
      return `${at}: must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'discriminator':
      return `${at}.format: must be one of "boxes+scores", "tf-od-api", "detection-output"`;
    default:
      return `${at}: ${e.message ?? e.keyword}`;
  }
}

function semanticErrors(m: Manifest): string[] {
  const problems: string[] = [];
  if (path.basename(m.file) !== m.file) problems.push(`file: must be a file name next to the manifest, not a path ("${m.file}")`);
  for (const key of Object.keys(m.labels)) {
    if (!/^(0|[1-9]\d*)$/.test(key)) problems.push(`labels.${key}: label keys must be non-negative integer class ids`);
  }
  const n = m.input.normalization;
  if (n && n.std.some((s) => s === 0)) problems.push('input.normalization.std: must not contain 0');
  if (m.input.dtype === 'uint8' && n) {
    problems.push('input.normalization: a uint8 input cannot carry normalized values; use dtype float32 or normalization null');
  }
  return problems;
}

/** Validates a parsed manifest; throws ManifestError listing every problem. */
export function validateManifest(value: unknown, source = 'manifest'): Manifest {
  if (!validateSchema(value)) {
    const seen = new Set<string>();
    const problems = (validateSchema.errors ?? []).map(formatAjvError).filter((p) => !seen.has(p) && seen.add(p));
    throw new ManifestError(source, problems);
  }
  const problems = semanticErrors(value);
  if (problems.length) throw new ManifestError(source, problems);
  return value;
}

/** A loaded manifest with the absolute model path resolved. */
export interface LoadedManifest {
  manifest: Manifest;
  manifestPath: string;
  modelPath: string;
}

/** Reads and validates a manifest file; the model path is resolved next to it. */
export function loadManifest(manifestPath: string): LoadedManifest {
  let text: string;
  try {
    text = fs.readFileSync(manifestPath, 'utf8');
  } catch (e) {
    throw new Error(`cannot read model manifest ${manifestPath}: ${errorMessage(e)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ManifestError(manifestPath, [`(manifest): not valid JSON: ${errorMessage(e)}`]);
  }
  const manifest = validateManifest(parsed, manifestPath);
  return { manifest, manifestPath, modelPath: path.join(path.dirname(manifestPath), manifest.file) };
}

/**
 * Finds the manifest for a model given as a name (looked up in modelsDir), a manifest .json path,
 * or an .onnx path (its manifest is the same path with .json). `auto` is the model model-choice.ts
 * picks for this CPU in modelsDir.
 */
export function resolveManifestPath(model: string, modelsDir: string): string {
  if (model === AUTO_MODEL) return path.resolve(modelsDir, `${chooseAutoModel(modelsDir).model}.json`);
  if (model.endsWith('.json')) return path.resolve(model);
  if (model.endsWith('.onnx')) return path.resolve(model.slice(0, -'.onnx'.length) + '.json');
  if (model.includes('/') || model.includes(path.sep)) return path.resolve(`${model}.json`);
  return path.resolve(modelsDir, `${model}.json`);
}
