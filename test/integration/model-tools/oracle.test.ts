/**
 * The converted SSDLite-MobileNetV2 computes what the original computes: the original TF.js graph
 * (@tensorflow/tfjs on its wasm backend, XNNPACK kernels) and the ONNX model (onnxruntime-node) get the same
 * 300×300 RGB pixels from real photos; every score and box of all 1917 anchors must agree to 1e-4,
 * and the detections after NMS must be the same.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadCv } from '../../../src/cv';
import { buildModel, ensureOriginalFiles, verifyModel } from '../../../src/model-tools';
import { projectRoot } from '../../../src/model-tools/files';
import * as ort from 'onnxruntime-node';
import { useTfjsWasm } from '../../support/tfjs-wasm';

tf.enableProdMode(); // silences the "install tfjs-node" banner
const NAME = 'ssdlite_mobilenet_v2_coco';
const ROOT = projectRoot();
const IMAGES = ['messi5.jpg', 'fruits.jpg', 'basketball1.png', 'baboon.jpg'];
const ANCHORS = 1917;
const CLASSES = 90;
const TOL = 1e-4;

interface Outputs {
  scores: Float32Array;
  boxes: Float32Array;
}

interface Detection {
  anchor: number;
  classId: number;
  score: number;
  box: number[];
}

/** Greedy per-class NMS over all anchors, as a detector would run it. */
function detections(o: Outputs, minScore = 0.3, iouThreshold = 0.5): Detection[] {
  const out: Detection[] = [];
  for (let c = 0; c < CLASSES; c++) {
    const cands: Detection[] = [];
    for (let a = 0; a < ANCHORS; a++) {
      const s = o.scores[a * CLASSES + c];
      if (s >= minScore) cands.push({ anchor: a, classId: c + 1, score: s, box: Array.from(o.boxes.subarray(a * 4, a * 4 + 4)) });
    }
    cands.sort((p, q) => q.score - p.score || p.anchor - q.anchor);
    const kept: Detection[] = [];
    for (const d of cands) if (kept.every((k) => iou(k.box, d.box) < iouThreshold)) kept.push(d);
    out.push(...kept);
  }
  return out.sort((p, q) => q.score - p.score || p.anchor - q.anchor);
}

function iou(a: number[], b: number[]): number {
  const ih = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const iw = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = ih * iw;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

function maxAbs(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Decoded, stretched to 300×300, RGB: the same bytes go to both runtimes. */
function pixels300(file: string): Uint8Array {
  const cv = loadCv();
  const img = cv
    .imread(path.join(ROOT, '.cache', 'testdata', file))
    .resize(300, 300)
    .cvtColor(cv.COLOR_BGR2RGB);
  return new Uint8Array(img.getData());
}

describe('ssdlite_mobilenet_v2_coco: ONNX vs the original TF.js graph', () => {
  let original: tf.GraphModel;
  let session: Awaited<ReturnType<typeof ort.InferenceSession.create>>;
  const inputs = new Map<string, Uint8Array>();
  const onnxOut = new Map<string, Outputs>();
  const tfOut = new Map<string, Outputs>();

  beforeAll(async () => {
    const src = await ensureOriginalFiles(NAME);
    if (!(await verifyModel(NAME)).ok) await buildModel(NAME);
    const modelJson = JSON.parse(await fs.readFile(path.join(src, 'model.json'), 'utf8')) as {
      modelTopology: object;
      weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
    };
    const shards = await Promise.all(modelJson.weightsManifest[0].paths.map((p) => fs.readFile(path.join(src, p))));
    const all = Buffer.concat(shards);
    const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
    await useTfjsWasm();
    original = await tf.loadGraphModel(
      tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs: modelJson.weightsManifest[0].weights, weightData }),
    );
    session = await ort.InferenceSession.create(path.join(ROOT, 'models', `${NAME}.onnx`));
    for (const f of IMAGES) inputs.set(f, pixels300(f));
  }, 180_000);

  afterAll(async () => {
    original?.dispose();
    await session?.release();
  });

  async function runOriginal(file: string, extra: string[] = []): Promise<{ out: Outputs; extra: Float32Array[] }> {
    const px = inputs.get(file) as Uint8Array;
    const x = tf.tensor(Int32Array.from(px), [1, 300, 300, 3], 'int32');
    try {
      const res = (await original.executeAsync({ image_tensor: x }, ['Postprocessor/Slice', 'Postprocessor/ExpandDims_1', ...extra])) as tf.Tensor[];
      const data = res.map((t) => Float32Array.from(t.dataSync()));
      expect(res[0].shape).toEqual([1, ANCHORS, CLASSES]);
      expect(res[1].shape).toEqual([1, ANCHORS, 1, 4]);
      res.forEach((t) => t.dispose());
      return { out: { scores: data[0], boxes: data[1] }, extra: data.slice(2) };
    } finally {
      x.dispose();
    }
  }

  async function runOnnx(files: string[]): Promise<Outputs[]> {
    const batch = new Uint8Array(files.length * 300 * 300 * 3);
    files.forEach((f, i) => batch.set(inputs.get(f) as Uint8Array, i * 270_000));
    const res = await session.run({ image: new ort.Tensor('uint8', batch, [files.length, 300, 300, 3]) });
    expect(res.scores.dims).toEqual([files.length, ANCHORS, CLASSES]);
    expect(res.boxes.dims).toEqual([files.length, ANCHORS, 4]);
    const s = res.scores.data as Float32Array;
    const b = res.boxes.data as Float32Array;
    return files.map((_, i) => ({
      scores: s.slice(i * ANCHORS * CLASSES, (i + 1) * ANCHORS * CLASSES),
      boxes: b.slice(i * ANCHORS * 4, (i + 1) * ANCHORS * 4),
    }));
  }

  it("the original's internal resize is the identity on 300×300 input, so both get the same pixels", async () => {
    const file = IMAGES[0];
    const { out, extra } = await runOriginal(file, ['Preprocessor/map/TensorArrayStack/TensorArrayGatherV3']);
    tfOut.set(file, out);
    const px = inputs.get(file) as Uint8Array;
    expect(extra[0].length).toBe(px.length);
    expect(maxAbs(extra[0], Float32Array.from(px))).toBe(0);
  });

  it.each(IMAGES)('%s: every score and box of all 1917 anchors within 1e-4, same detections after NMS', async (file) => {
    const ref = tfOut.get(file) ?? (await runOriginal(file)).out;
    tfOut.set(file, ref);
    const [got] = await runOnnx([file]);
    onnxOut.set(file, got);
    const dScores = maxAbs(ref.scores, got.scores);
    const dBoxes = maxAbs(ref.boxes, got.boxes);
    process.stderr.write(`oracle ${file}: max |Δscore| ${dScores.toExponential(2)}, max |Δbox| ${dBoxes.toExponential(2)}\n`);
    expect(dScores).toBeLessThanOrEqual(TOL);
    expect(dBoxes).toBeLessThanOrEqual(TOL);

    const want = detections(ref);
    const have = detections(got);
    expect(have.map((d) => [d.anchor, d.classId])).toEqual(want.map((d) => [d.anchor, d.classId]));
    have.forEach((d, i) => {
      expect(Math.abs(d.score - want[i].score)).toBeLessThanOrEqual(TOL);
      d.box.forEach((v, k) => expect(Math.abs(v - want[i].box[k])).toBeLessThanOrEqual(TOL));
    });
    expect(want.length).toBeGreaterThan(0);
  });

  it('messi5.jpg: finds a person (~0.97) and a sports ball (~0.84)', () => {
    const got = detections(onnxOut.get('messi5.jpg') as Outputs, 0.5);
    const best = (id: number) => Math.max(0, ...got.filter((d) => d.classId === id).map((d) => d.score));
    expect(best(1)).toBeGreaterThan(0.9); // person
    expect(best(37)).toBeGreaterThan(0.75); // sports ball
  });

  it('a batch of four gives the same results as four single images (batch is dynamic)', async () => {
    const batched = await runOnnx(IMAGES);
    batched.forEach((o, i) => {
      const single = onnxOut.get(IMAGES[i]) as Outputs;
      expect(maxAbs(o.scores, single.scores)).toBeLessThanOrEqual(1e-5);
      expect(maxAbs(o.boxes, single.boxes)).toBeLessThanOrEqual(1e-5);
    });
  });
});
