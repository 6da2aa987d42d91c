import { decodeBoxesScores, decodeDetectionOutput, decodeOutputs, decodeTfOdApi, finishBoxes, undoGeometry } from '../../../src/detect/decode';
import type { BoxesScoresOutput } from '../../../src/detect/manifest';
import { letterboxLayout } from '../../../src/detect/preprocess';
import { STRETCH_GEOMETRY, type RawTensor } from '../../../src/detect/types';

const f32 = (dims: number[], values: number[]): RawTensor => {
  expect(values.length).toBe(dims.reduce((a, b) => a * b, 1)); // the test's own tensors must be well-formed
  return { type: 'float32', dims, data: Float32Array.from(values) };
};
const opts = { scoreThreshold: 0.3, geometry: STRETCH_GEOMETRY };

describe('letterbox geometry and its undo', () => {
  it('places a wide frame in the middle band and maps boxes back to the frame', () => {
    // 640×320 into 300×300: scaled to 300×150, 75 px bands above and below.
    const lb = letterboxLayout(640, 320, 300, 300);
    expect(lb).toMatchObject({ width: 300, height: 150, left: 0, top: 75 });
    // A box covering the whole image content in input coordinates is the whole frame.
    const whole = undoGeometry(0, 75 / 300, 1, 225 / 300, lb.geometry)!;
    whole.forEach((v, i) => expect(v).toBeCloseTo([0, 0, 1, 1][i], 10));
    // Frame box (160, 256)-(320, 320) px is input (75, 75+120)-(150, 75+150) px (scale 300/640); back again.
    const p = undoGeometry(75 / 300, 195 / 300, 150 / 300, 225 / 300, lb.geometry)!;
    [160 / 640, 256 / 320, 320 / 640, 320 / 320].forEach((v, i) => expect(p[i]).toBeCloseTo(v, 10));
  });

  it('handles tall frames with side bands', () => {
    const lb = letterboxLayout(300, 600, 300, 300);
    expect(lb).toMatchObject({ width: 150, height: 300, left: 75, top: 0 });
    const b = undoGeometry(75 / 300, 0, 225 / 300, 0.5, lb.geometry)!;
    [0, 0, 1, 0.5].forEach((v, i) => expect(b[i]).toBeCloseTo(v, 10));
  });

  it('rejects non-finite and absurd coordinates', () => {
    expect(undoGeometry(NaN, 0, 1, 1, STRETCH_GEOMETRY)).toBeNull();
    expect(undoGeometry(0, 0, Infinity, 1, STRETCH_GEOMETRY)).toBeNull();
    expect(undoGeometry(0, 0, 1e6, 1, STRETCH_GEOMETRY)).toBeNull();
    expect(undoGeometry(-0.05, 0, 1.02, 1, STRETCH_GEOMETRY)).toEqual([-0.05, 0, 1.02, 1]);
  });
});

describe('boxes+scores decoder', () => {
  const out: BoxesScoresOutput = {
    format: 'boxes+scores',
    boxes: 'boxes',
    scores: 'scores',
    box_encoding: 'yxyx',
    score_activation: 'none',
    class_id_offset: 1,
  };
  // 3 anchors × 4 classes
  const scores = f32(
    [1, 3, 4],
    [
      0.1,
      0.8,
      0.2,
      0.05, // anchor 0: class index 1 → id 2
      0.1,
      0.1,
      0.1,
      0.2, //  anchor 1: best 0.2, under the threshold
      0.9,
      0.3,
      0.3,
      0.3, //  anchor 2: class index 0 → id 1
    ],
  );
  const boxes = f32([1, 3, 1, 4], [0.1, 0.2, 0.5, 0.6, 0, 0, 1, 1, 0.2, 0.1, 0.4, 0.3]);

  it('picks each anchor top class, maps index to id, swaps yxyx to xyxy', () => {
    const c = decodeBoxesScores({ boxes, scores }, out, opts);
    expect(c).toHaveLength(2);
    expect(c[0].class_id).toBe(2);
    expect(c[0].score).toBeCloseTo(0.8, 6);
    [0.2, 0.1, 0.6, 0.5].forEach((v, i) => expect(c[0].box[i]).toBeCloseTo(v, 6));
    expect(c[1].class_id).toBe(1);
    [0.1, 0.2, 0.3, 0.4].forEach((v, i) => expect(c[1].box[i]).toBeCloseTo(v, 6));
  });

  it('reads xyxy boxes as they are', () => {
    const c = decodeBoxesScores({ boxes, scores }, { ...out, box_encoding: 'xyxy' }, opts);
    [0.1, 0.2, 0.5, 0.6].forEach((v, i) => expect(c[0].box[i]).toBeCloseTo(v, 6));
  });

  it('skips a background column and applies sigmoid and softmax', () => {
    // logits: anchor 0 background wins raw, but it is skipped.
    const logits = f32([1, 2, 3], [5, 2, -1, -3, -3, 1]);
    const b = f32([1, 2, 4], [0, 0, 1, 1, 0, 0, 1, 1]);
    const sig = decodeBoxesScores({ boxes: b, scores: logits }, { ...out, score_activation: 'sigmoid', background_index: 0, class_id_offset: 0 }, opts);
    expect(sig.map((x) => x.class_id)).toEqual([1, 2]);
    expect(sig[0].score).toBeCloseTo(1 / (1 + Math.exp(-2)), 6);
    const soft = decodeBoxesScores(
      { boxes: b, scores: logits },
      { ...out, score_activation: 'softmax', background_index: 0, class_id_offset: 0 },
      { ...opts, scoreThreshold: 0.01 },
    );
    const z0 = Math.exp(5) + Math.exp(2) + Math.exp(-1);
    expect(soft[0].score).toBeCloseTo(Math.exp(2) / z0, 6);
    const z1 = Math.exp(-3) + Math.exp(-3) + Math.exp(1);
    expect(soft[1].score).toBeCloseTo(Math.exp(1) / z1, 6);
  });

  it('drops NaN scores and boxes, scores above 1 and absurd boxes', () => {
    const s = f32([1, 4, 2], [NaN, NaN, 0.9, 0.1, 1.7, 0.1, 0.9, 0.2]);
    const b = f32([1, 4, 4], [0, 0, 1, 1, 0, NaN, 1, 1, 0, 0, 1, 1, 0, 0, 50, 1]);
    expect(decodeBoxesScores({ boxes: b, scores: s }, out, opts)).toEqual([]);
  });

  it('names a missing output and a boxes/scores size mismatch', () => {
    expect(() => decodeBoxesScores({ scores }, out, opts)).toThrow('model output "boxes" (needed by format boxes+scores) is missing');
    expect(() => decodeBoxesScores({ boxes: f32([1, 2, 4], new Array<number>(8).fill(0)), scores }, out, opts)).toThrow(
      'model output "boxes" holds 8 values; expected 3×4',
    );
  });

  it('runs over 1917×90 scores in one pass', () => {
    const A = 1917;
    const C = 90;
    const big = new Float32Array(A * C).fill(0.01);
    big[1000 * C + 17] = 0.95; // anchor 1000, class index 17 → dog (id 18)
    const bx = new Float32Array(A * 4);
    bx.set([0.2, 0.3, 0.6, 0.7], 1000 * 4);
    const c = decodeOutputs({ scores: { type: 'float32', dims: [1, A, C], data: big }, boxes: { type: 'float32', dims: [1, A, 1, 4], data: bx } }, out, opts);
    expect(c).toHaveLength(1);
    expect(c[0].class_id).toBe(18);
  });
});

describe('tf-od-api decoder', () => {
  const outputs = {
    detection_boxes: f32([1, 3, 4], [0.1, 0.2, 0.5, 0.6, 0.3, 0.3, 0.9, 0.9, 0, 0, 1, 1]),
    detection_classes: f32([1, 3], [1, 18, 3]),
    detection_scores: f32([1, 3], [0.9, 0.6, 0.8]),
    num_detections: f32([1], [2]),
  };

  it('reads boxes yxyx, class ids and scores, honouring num_detections', () => {
    const c = decodeTfOdApi(outputs, { format: 'tf-od-api' }, opts);
    expect(c.map((x) => x.class_id)).toEqual([1, 18]);
    expect(c[0].score).toBeCloseTo(0.9, 6);
    [0.2, 0.1, 0.6, 0.5].forEach((v, i) => expect(c[0].box[i]).toBeCloseTo(v, 6));
  });

  it('takes configured output names and a class id offset', () => {
    const renamed = { b: outputs.detection_boxes, c: outputs.detection_classes, s: outputs.detection_scores };
    const c = decodeTfOdApi(
      renamed,
      { format: 'tf-od-api', detection_boxes: 'b', detection_classes: 'c', detection_scores: 's', num_detections: 'n', class_id_offset: 1 },
      opts,
    );
    expect(c.map((x) => x.class_id)).toEqual([2, 19, 4]); // no num output: all rows
  });

  it('drops NaN scores and fractional class ids', () => {
    const bad = {
      ...outputs,
      detection_classes: f32([1, 3], [1.5, 18, 3]),
      detection_scores: f32([1, 3], [0.9, NaN, 0.8]),
      num_detections: f32([1], [3]),
    };
    expect(decodeTfOdApi(bad, { format: 'tf-od-api' }, opts).map((x) => x.class_id)).toEqual([3]);
  });
});

describe('detection-output decoder', () => {
  // [1,1,N,7]: image_id, label, conf, xmin, ymin, xmax, ymax
  const rows = f32(
    [1, 1, 4, 7],
    [
      0,
      15,
      0.95,
      0.1,
      0.2,
      0.4,
      0.9,
      0,
      7,
      0.2,
      0.5,
      0.5,
      0.6,
      0.6, // under threshold
      -1,
      0,
      0,
      0,
      0,
      0,
      0, //         padding row
      0,
      12,
      0.7,
      0.6,
      NaN,
      0.9,
      0.8, // NaN coordinate
    ],
  );

  it('reads label, confidence and xyxy boxes, skipping padding and garbage rows', () => {
    const c = decodeDetectionOutput({ detection_out: rows }, { format: 'detection-output' }, opts);
    expect(c).toHaveLength(1);
    expect(c[0].class_id).toBe(15);
    expect(c[0].score).toBeCloseTo(0.95, 6);
    [0.1, 0.2, 0.4, 0.9].forEach((v, i) => expect(c[0].box[i]).toBeCloseTo(v, 6));
  });

  it('undoes letterbox on its boxes', () => {
    const lb = letterboxLayout(600, 300, 300, 300); // content 300×150 at top 75
    const one = f32([1, 1, 1, 7], [0, 1, 0.9, 0, 0.25, 1, 0.75]);
    const c = decodeDetectionOutput({ out: one }, { format: 'detection-output', detections: 'out' }, { ...opts, geometry: lb.geometry });
    [0, 0, 1, 1].forEach((v, i) => expect(c[0].box[i]).toBeCloseTo(v, 6));
  });

  it('names a tensor that is not rows of 7', () => {
    expect(() => decodeDetectionOutput({ detection_out: f32([1, 1, 2, 6], new Array<number>(12).fill(0)) }, { format: 'detection-output' }, opts)).toThrow(
      'DetectionOutput needs rows of 7',
    );
  });
});

describe('finishBoxes', () => {
  it('clamps to the frame and drops boxes wholly outside', () => {
    const out = finishBoxes([
      { class_id: 1, score: 0.91234567, box: [-0.05, 0.2, 1.1, 0.9] },
      { class_id: 1, score: 0.8, box: [1.05, 0.2, 1.3, 0.9] },
    ]);
    expect(out).toEqual([{ class_id: 1, score: 0.9123, box: [0, 0.2, 1, 0.9] }]);
  });
});
