/**
 * The engine end to end through the real ONNX Runtime (in its worker) and real OpenCV, with small
 * models built in the test: the three output formats, letterbox, manifest-vs-model checks, EP
 * choice and fallback, and missing files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Detector } from '../../../src/detect/detector';
import { UnknownEpError } from '../../../src/detect/execution-providers';
import { ModelMismatchError } from '../../../src/detect/model-check';
import { capturingLogger } from './log-capture';
import { tempModelDir, writeModel } from './tiny-models';

const labels = { '1': 'person', '2': 'bicycle', '3': 'car', '15': 'person_voc' };
const uint8Input = { name: 'image', width: 8, height: 8, layout: 'NHWC', dtype: 'uint8', channel_order: 'RGB', normalization: null, resize: 'stretch' };
const grey = (w: number, h: number, v = 128) => ({ data: Buffer.alloc(w * h * 3, v), width: w, height: h });

describe('detection engine on small real ONNX models', () => {
  const tmp = tempModelDir();
  afterAll(() => tmp.cleanup());

  const boxesScores = (name: string, manifestOver: Record<string, unknown> = {}) =>
    writeModel(
      tmp.dir,
      name,
      {
        input: { name: 'image', dims: [1, 8, 8, 3], dtype: 'uint8' },
        outputs: [
          // anchor 0: bicycle 0.9 at yxyx (0,0,.5,.5); anchor 1: car 0.8; anchor 2 duplicates anchor 0 (NMS)
          { name: 'boxes', dims: [1, 3, 1, 4], values: [0, 0, 0.5, 0.5, 0.1, 0.2, 0.6, 0.9, 0.01, 0, 0.5, 0.5] },
          { name: 'scores', dims: [1, 3, 3], values: [0.1, 0.9, 0.2, 0.3, 0.2, 0.8, 0.1, 0.85, 0.1] },
        ],
      },
      {
        input: uint8Input,
        output: { format: 'boxes+scores', boxes: 'boxes', scores: 'scores', box_encoding: 'yxyx', score_activation: 'none', class_id_offset: 1 },
        labels,
        ...manifestOver,
      },
    );

  it('boxes+scores: decodes, runs NMS per class and reports the EP and timings', async () => {
    const d = await Detector.load({ model: boxesScores('bs'), executionProviders: ['cpu'], intraOpThreads: 1 });
    try {
      expect(d.info).toMatchObject({ model: 'bs', ep: 'cpu', threads: 1 });
      expect(d.info.warmup_ms).toBeGreaterThan(0);
      const r = await d.detect(grey(40, 30));
      expect(r.detections).toEqual([
        { label: 'bicycle', class_id: 2, score: 0.9, box: [0, 0, 0.5, 0.5], zones: [] },
        { label: 'car', class_id: 3, score: 0.8, box: [0.2, 0.1, 0.9, 0.6], zones: [] },
      ]);
      expect(r.inference_ms).toBeGreaterThan(0);
      // per-camera filters on the same shared session
      const mine = await d.detect(grey(40, 30), {
        labels: ['car'],
        zones: [
          {
            name: 'right',
            points: [
              [0.5, 0],
              [1, 0],
              [1, 1],
              [0.5, 1],
            ],
          },
        ],
      });
      expect(mine.detections).toEqual([{ label: 'car', class_id: 3, score: 0.8, box: [0.2, 0.1, 0.9, 0.6], zones: ['right'] }]);
    } finally {
      await d.close();
    }
  });

  it('letterbox: boxes come back in the original frame, bands undone', async () => {
    const d = await Detector.load({ model: boxesScores('lb', { input: { ...uint8Input, resize: 'letterbox' } }) });
    try {
      // 16×8 frame → 8×4 content in the middle of the 8×8 input (rows 2..5): input y 0.25 → frame 0
      const r = await d.detect(grey(16, 8));
      const bike = r.detections.find((x) => x.label === 'bicycle')!;
      // input yxyx (0,0,.5,.5) → frame x 0..0.5, y (0-.25)/.5 → clamped 0 .. (.5-.25)/.5 = .5
      expect(bike.box).toEqual([0, 0, 0.5, 0.5]);
      const car = r.detections.find((x) => x.label === 'car')!;
      // input x .2..9, y .1..6 → frame y (.1-.25)/.5 → 0 (clamped), (.6-.25)/.5 = .7
      expect(car.box).toEqual([0.2, 0, 0.9, 0.7]);
    } finally {
      await d.close();
    }
  });

  it('tf-od-api outputs', async () => {
    const model = writeModel(
      tmp.dir,
      'tfod',
      {
        input: { name: 'image_tensor', dims: [1, 8, 8, 3], dtype: 'uint8' },
        outputs: [
          { name: 'detection_boxes', dims: [1, 3, 4], values: [0.1, 0.2, 0.5, 0.6, 0, 0, 1, 1, 0.2, 0.2, 0.3, 0.3] },
          { name: 'detection_classes', dims: [1, 3], values: [1, 3, 2] },
          { name: 'detection_scores', dims: [1, 3], values: [0.95, 0.7, 0.6] },
          { name: 'num_detections', dims: [1], values: [2] },
        ],
      },
      { input: { ...uint8Input, name: 'image_tensor' }, output: { format: 'tf-od-api' }, labels },
    );
    const d = await Detector.load({ model });
    try {
      const r = await d.detect(grey(10, 10));
      expect(r.detections).toEqual([
        { label: 'person', class_id: 1, score: 0.95, box: [0.2, 0.1, 0.6, 0.5], zones: [] },
        { label: 'car', class_id: 3, score: 0.7, box: [0, 0, 1, 1], zones: [] },
      ]);
    } finally {
      await d.close();
    }
  });

  it('Caffe DetectionOutput with an NCHW float32 BGR normalized input', async () => {
    const model = writeModel(
      tmp.dir,
      'caffe',
      {
        input: { name: 'data', dims: [1, 3, 8, 8], dtype: 'float32' },
        outputs: [{ name: 'detection_out', dims: [1, 1, 2, 7], values: [0, 15, 0.88, 0.1, 0.2, 0.3, 0.9, -1, 0, 0, 0, 0, 0, 0] }],
      },
      {
        input: {
          name: 'data',
          width: 8,
          height: 8,
          layout: 'NCHW',
          dtype: 'float32',
          channel_order: 'BGR',
          normalization: { mean: [127.5, 127.5, 127.5], std: [127.5, 127.5, 127.5] },
          resize: 'stretch',
        },
        output: { format: 'detection-output' },
        labels,
      },
    );
    const d = await Detector.load({ model });
    try {
      const r = await d.detect(grey(12, 12));
      expect(r.detections).toEqual([{ label: 'person_voc', class_id: 15, score: 0.88, box: [0.1, 0.2, 0.3, 0.9], zones: [] }]);
    } finally {
      await d.close();
    }
  });

  it('a manifest that contradicts the model fails at load, naming each field', async () => {
    const model = boxesScores('wrong', {
      input: { ...uint8Input, name: 'input', width: 16 },
      output: { format: 'boxes+scores', boxes: 'boxes', scores: 'logits', box_encoding: 'yxyx', score_activation: 'none', class_id_offset: 1 },
    });
    const err = await Detector.load({ model }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelMismatchError);
    expect((err as ModelMismatchError).problems).toEqual([
      'input.name: manifest says "input" but the model\'s inputs are ["image"]',
      'input: the model has further inputs ["image"] that the detector cannot feed',
      'output: boxes+scores needs output "logits" but the model\'s outputs are ["input_max","boxes","scores"]',
    ]);
    // The input name being right, the wrong width is caught (the warm-up feeds the manifest's size).
    const wide = boxesScores('wide', { input: { ...uint8Input, width: 16 } });
    await expect(Detector.load({ model: wide })).rejects.toThrow(/input\.width|warm-up run/);
  });

  it('an unknown EP name is an error; an unavailable EP falls back to cpu with a warning', async () => {
    const model = boxesScores('ep');
    await expect(Detector.load({ model, executionProviders: ['gpu'] })).rejects.toThrow(UnknownEpError);
    const { logger, lines } = capturingLogger();
    const d = await Detector.load({ model, executionProviders: ['cuda', 'cpu'] }, logger);
    try {
      expect(d.info.ep).toBe('cpu');
      const warns = lines.filter((l) => l.level === 40).map((l) => l.msg);
      expect(warns.some((m) => m.includes('cuda'))).toBe(true);
      expect((await d.detect(grey(8, 8))).detections).toHaveLength(2);
    } finally {
      await d.close();
    }
  });

  it('a missing model file says how to build it; a missing manifest says one is needed', async () => {
    const model = boxesScores('gone');
    fs.rmSync(path.join(tmp.dir, 'gone.onnx'));
    await expect(Detector.load({ model })).rejects.toThrow(`model file ${path.join(tmp.dir, 'gone.onnx')} is missing`);
    const shipped = JSON.parse(fs.readFileSync(model, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(
      path.join(tmp.dir, 'ssdlite_mobilenet_v2_coco.json'),
      JSON.stringify({ ...shipped, name: 'ssdlite_mobilenet_v2_coco', file: 'ssdlite_mobilenet_v2_coco.onnx' }),
    );
    await expect(Detector.load({ model: 'ssdlite_mobilenet_v2_coco', modelsDir: tmp.dir })).rejects.toThrow(
      'build it with `lookout model build ssdlite_mobilenet_v2_coco` (or run scripts/setup.sh)',
    );
    await expect(Detector.load({ model: path.join(tmp.dir, 'nothing.onnx') })).rejects.toThrow(/no model manifest at .*nothing\.json/);
  });

  it('a frame whose size does not match its data is refused, and the session keeps working', async () => {
    const d = await Detector.load({ model: boxesScores('frames') });
    try {
      await expect(d.detect({ data: Buffer.alloc(10), width: 8, height: 8 })).rejects.toThrow('frame of 8×8 needs 192 BGR bytes, got 10');
      expect((await d.detect(grey(8, 8))).detections).toHaveLength(2);
    } finally {
      await d.close();
    }
  });
});
