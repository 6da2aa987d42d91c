/**
 * Output decoders: model tensors → candidate detections with boxes in the original frame's
 * normalized coordinates (letterbox undone), not yet clamped — NMS runs on the unclamped boxes, as
 * the TF.js coco-ssd reference does, and `finishBoxes` clamps afterwards.
 *
 * Garbage never leaves here: a non-finite score or coordinate, a score outside [0, 1] after the
 * activation, or a coordinate far outside the frame (a broken model, not an SSD box that overhangs
 * the edge a little) drops that candidate.
 */
import type { BoxesScoresOutput, DetectionOutputOutput, ManifestOutput, TfOdApiOutput } from './manifest';
import { DETECTION_OUTPUT_DEFAULT_NAME, TF_OD_API_DEFAULT_NAMES } from './output-names';
import type { Box, Candidate, InputGeometry, RawTensor } from './types';

/** SSD boxes overhang the frame a little; beyond this margin a coordinate is garbage. */
const COORD_MARGIN = 1;

type Tensors = Record<string, RawTensor | undefined>;

function need(outputs: Tensors, name: string, format: string): RawTensor {
  const t = outputs[name];
  if (!t) throw new Error(`model output "${name}" (needed by format ${format}) is missing from the run's results`);
  return t;
}

function numeric(t: RawTensor, name: string): ArrayLike<number> {
  if (t.data instanceof BigInt64Array) {
    // int64 class ids: small values, converted once per run (few rows in postprocessed formats).
    return Float64Array.from(t.data, (v) => Number(v));
  }
  if (!(t.data instanceof Float32Array || t.data instanceof Float64Array || t.data instanceof Int32Array || t.data instanceof Uint8Array)) {
    throw new Error(`model output "${name}" has unsupported type ${t.type}`);
  }
  return t.data;
}

/**
 * Maps a box from model-input normalized coordinates to the original frame's, undoing letterbox.
 * Returns null for non-finite or absurd coordinates.
 */
export function undoGeometry(xmin: number, ymin: number, xmax: number, ymax: number, g: InputGeometry): Box | null {
  const b: Box = [(xmin - g.offsetX) / g.extentX, (ymin - g.offsetY) / g.extentY, (xmax - g.offsetX) / g.extentX, (ymax - g.offsetY) / g.extentY];
  for (const v of b) {
    if (!Number.isFinite(v) || v < -COORD_MARGIN || v > 1 + COORD_MARGIN) return null;
  }
  return b;
}

function validScore(s: number): boolean {
  return s >= 0 && s <= 1; // false for NaN
}

export interface DecodeOptions {
  /** Candidates below this score never leave the decoder. */
  scoreThreshold: number;
  geometry: InputGeometry;
}

/**
 * Raw SSD head: boxes [1,A,4] or [1,A,1,4], scores [1,A,C]. One pass over the A×C scores picks each
 * anchor's top class with no allocation per anchor; only anchors above the threshold become
 * candidates. Sigmoid is monotonic, so it is applied to the winning logit only.
 */
export function decodeBoxesScores(outputs: Tensors, out: BoxesScoresOutput, opts: DecodeOptions): Candidate[] {
  const boxesT = need(outputs, out.boxes, out.format);
  const scoresT = need(outputs, out.scores, out.format);
  const scores = numeric(scoresT, out.scores);
  const boxes = numeric(boxesT, out.boxes);
  const dims = scoresT.dims;
  if (dims.length < 2) throw new Error(`model output "${out.scores}" has dims [${dims.join(',')}]; expected [1,anchors,classes]`);
  const classes = dims[dims.length - 1];
  const anchors = dims[dims.length - 2];
  if (scores.length !== anchors * classes) {
    throw new Error(`model output "${out.scores}" holds ${scores.length} values for dims [${dims.join(',')}] (batch must be 1)`);
  }
  if (boxes.length !== anchors * 4) {
    throw new Error(`model output "${out.boxes}" holds ${boxes.length} values; expected ${anchors}×4 for ${anchors} anchors`);
  }
  const bg = out.background_index ?? -1;
  const yxyx = out.box_encoding === 'yxyx';
  const result: Candidate[] = [];
  for (let a = 0; a < anchors; a++) {
    const row = a * classes;
    let best = -Infinity;
    let bestIdx = -1;
    for (let c = 0; c < classes; c++) {
      if (c === bg) continue;
      const v = scores[row + c];
      if (v > best) {
        best = v;
        bestIdx = c;
      }
    }
    if (bestIdx < 0) continue;
    let score: number;
    if (out.score_activation === 'sigmoid') {
      score = 1 / (1 + Math.exp(-best));
    } else if (out.score_activation === 'softmax') {
      let max = best;
      if (bg >= 0 && scores[row + bg] > max) max = scores[row + bg];
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += Math.exp(scores[row + c] - max);
      score = Math.exp(best - max) / sum;
    } else {
      score = best;
    }
    if (!(score >= opts.scoreThreshold) || !validScore(score)) continue;
    const o = a * 4;
    const box = yxyx
      ? undoGeometry(boxes[o + 1], boxes[o], boxes[o + 3], boxes[o + 2], opts.geometry)
      : undoGeometry(boxes[o], boxes[o + 1], boxes[o + 2], boxes[o + 3], opts.geometry);
    if (!box) continue;
    result.push({ class_id: bestIdx + out.class_id_offset, score, box });
  }
  return result;
}

function classIdOf(v: number, offset: number): number | null {
  const r = Math.round(v);
  if (!Number.isFinite(v) || Math.abs(v - r) > 1e-3 || r + offset < 0) return null;
  return r + offset;
}

/** TF-OD-API postprocessed: detection_boxes [1,K,4] yxyx, classes [1,K], scores [1,K], num [1]. */
export function decodeTfOdApi(outputs: Tensors, out: TfOdApiOutput, opts: DecodeOptions): Candidate[] {
  const names = {
    boxes: out.detection_boxes ?? TF_OD_API_DEFAULT_NAMES.detection_boxes,
    classes: out.detection_classes ?? TF_OD_API_DEFAULT_NAMES.detection_classes,
    scores: out.detection_scores ?? TF_OD_API_DEFAULT_NAMES.detection_scores,
    num: out.num_detections ?? TF_OD_API_DEFAULT_NAMES.num_detections,
  };
  const boxes = numeric(need(outputs, names.boxes, out.format), names.boxes);
  const classes = numeric(need(outputs, names.classes, out.format), names.classes);
  const scores = numeric(need(outputs, names.scores, out.format), names.scores);
  const numT = outputs[names.num];
  let n = scores.length;
  if (numT) {
    const num = numeric(numT, names.num)[0];
    if (Number.isFinite(num)) n = Math.min(n, Math.max(0, Math.floor(num)));
  }
  n = Math.min(n, classes.length, Math.floor(boxes.length / 4));
  const offset = out.class_id_offset ?? 0;
  const result: Candidate[] = [];
  for (let i = 0; i < n; i++) {
    const score = scores[i];
    if (!(score >= opts.scoreThreshold) || !validScore(score)) continue;
    const classId = classIdOf(classes[i], offset);
    if (classId === null) continue;
    const o = i * 4;
    const box = undoGeometry(boxes[o + 1], boxes[o], boxes[o + 3], boxes[o + 2], opts.geometry);
    if (!box) continue;
    result.push({ class_id: classId, score, box });
  }
  return result;
}

/** Caffe/OpenCV DetectionOutput [1,1,N,7]: image_id, label, conf, xmin, ymin, xmax, ymax. */
export function decodeDetectionOutput(outputs: Tensors, out: DetectionOutputOutput, opts: DecodeOptions): Candidate[] {
  const name = out.detections ?? DETECTION_OUTPUT_DEFAULT_NAME;
  const t = need(outputs, name, out.format);
  const d = numeric(t, name);
  if (t.dims[t.dims.length - 1] !== 7) {
    throw new Error(`model output "${name}" has dims [${t.dims.join(',')}]; DetectionOutput needs rows of 7`);
  }
  const offset = out.class_id_offset ?? 0;
  const result: Candidate[] = [];
  for (let o = 0; o + 7 <= d.length; o += 7) {
    // Caffe pads unused rows with image_id -1.
    if (d[o] < 0) continue;
    const score = d[o + 2];
    if (!(score >= opts.scoreThreshold) || !validScore(score)) continue;
    const classId = classIdOf(d[o + 1], offset);
    if (classId === null) continue;
    const box = undoGeometry(d[o + 3], d[o + 4], d[o + 5], d[o + 6], opts.geometry);
    if (!box) continue;
    result.push({ class_id: classId, score, box });
  }
  return result;
}

/** Dispatches on the manifest's output format. */
export function decodeOutputs(outputs: Tensors, out: ManifestOutput, opts: DecodeOptions): Candidate[] {
  switch (out.format) {
    case 'boxes+scores':
      return decodeBoxesScores(outputs, out, opts);
    case 'tf-od-api':
      return decodeTfOdApi(outputs, out, opts);
    case 'detection-output':
      return decodeDetectionOutput(outputs, out, opts);
  }
}

/** The output tensor names a format reads (for checking a manifest against the model). */
export function outputNamesOf(out: ManifestOutput): { required: string[]; optional: string[] } {
  switch (out.format) {
    case 'boxes+scores':
      return { required: [out.boxes, out.scores], optional: [] };
    case 'tf-od-api':
      return {
        required: [
          out.detection_boxes ?? TF_OD_API_DEFAULT_NAMES.detection_boxes,
          out.detection_classes ?? TF_OD_API_DEFAULT_NAMES.detection_classes,
          out.detection_scores ?? TF_OD_API_DEFAULT_NAMES.detection_scores,
        ],
        optional: [out.num_detections ?? TF_OD_API_DEFAULT_NAMES.num_detections],
      };
    case 'detection-output':
      return { required: [out.detections ?? DETECTION_OUTPUT_DEFAULT_NAME], optional: [] };
  }
}

/**
 * Clamps boxes to the frame after NMS and drops any that end up empty (a box wholly outside).
 * Rounds to 4 decimals: a tenth of a pixel on a 1000-pixel frame, and stable JSON.
 */
export function finishBoxes(cands: Candidate[]): Candidate[] {
  const out: Candidate[] = [];
  for (const c of cands) {
    const b = c.box.map((v) => Math.round(Math.min(1, Math.max(0, v)) * 1e4) / 1e4) as Box;
    if (b[2] <= b[0] || b[3] <= b[1]) continue;
    out.push({ class_id: c.class_id, score: Math.round(c.score * 1e4) / 1e4, box: b });
  }
  return out;
}
