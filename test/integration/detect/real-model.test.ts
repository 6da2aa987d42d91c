/**
 * The converted SSDLite-MobileNetV2 on real images from Debian's opencv-doc, checked against the
 * oracle: @tensorflow/tfjs (wasm backend) running the original TF.js graph on the very pixels our
 * preprocessing produced, decoded with tfjs's own NMS. So this compares converter + ORT + our
 * decoder and NMS with an independent implementation; preprocessing has its own test.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadCv, type Mat } from '../../../src/cv';
import { Detector } from '../../../src/detect/detector';
import { preprocessMat } from '../../../src/detect/preprocess';
import type { Detection } from '../../../src/detect/types';
import { useTfjsWasm } from '../../support/tfjs-wasm';

const ROOT = path.join(__dirname, '..', '..', '..');
const MODEL = path.join(ROOT, 'models', 'ssdlite_mobilenet_v2_coco.onnx');
// The original TF.js files, cached and hash-checked by `lookout model build`.
const ORACLE_DIR = process.env.LOOKOUT_COCO_SSD_DIR ?? path.join(ROOT, '.cache', 'models', 'coco-ssd');
const image = (name: string): string => path.join(ROOT, '.cache', 'testdata', name);
const MIN_SCORE = 0.5;

function requireFiles(): void {
  if (!fs.existsSync(MODEL)) throw new Error(`${MODEL} is missing: run \`node bin/lookout.js model build ssdlite_mobilenet_v2_coco\` (or scripts/setup.sh)`);
  if (!fs.existsSync(path.join(ORACLE_DIR, 'model.json'))) {
    throw new Error(`oracle files missing in ${ORACLE_DIR}: \`lookout model build ssdlite_mobilenet_v2_coco\` caches them there`);
  }
}

async function loadOracle(): Promise<tf.GraphModel> {
  await useTfjsWasm();
  const mj = JSON.parse(fs.readFileSync(path.join(ORACLE_DIR, 'model.json'), 'utf8')) as {
    modelTopology: object;
    weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
  };
  const shards = mj.weightsManifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(ORACLE_DIR, p))));
  const all = Buffer.concat(shards);
  // tfjs greets Node users (on its first tensor) with an advert for tfjs-node on
  // console.warn; keep the test output clean.
  const warn = console.warn;
  console.warn = () => undefined;
  try {
    return await tf.loadGraphModel(
      tf.io.fromMemory({
        modelTopology: mj.modelTopology,
        weightSpecs: mj.weightsManifest.flatMap((g) => g.weights),
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
      }),
    );
  } finally {
    console.warn = warn;
  }
}

/** The oracle's detections: top class per anchor, per-class NMS (IoU 0.5) by tfjs, boxes clamped. */
async function oracleDetect(model: tf.GraphModel, mat: Mat, labels: Record<string, string>): Promise<Detection[]> {
  const pre = preprocessMat(mat, {
    name: 'image',
    width: 300,
    height: 300,
    layout: 'NHWC',
    dtype: 'uint8',
    channel_order: 'RGB',
    normalization: null,
    resize: 'stretch',
  });
  const pixels = tf.tensor(Int32Array.from(new Uint8Array(pre.data)), [1, 300, 300, 3], 'int32');
  const [scoresT, boxesT] = (await model.executeAsync(pixels, ['Postprocessor/Slice', 'Postprocessor/ExpandDims_1'])) as tf.Tensor[];
  const scores = scoresT.dataSync();
  const boxes = boxesT.dataSync(); // [1,1917,1,4] ymin xmin ymax xmax
  tf.dispose([pixels, scoresT, boxesT]);
  const classes = 90;
  const anchors = scores.length / classes;
  const byClass = new Map<number, Array<{ score: number; yxyx: number[] }>>();
  for (let a = 0; a < anchors; a++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (scores[a * classes + c] > scores[a * classes + best]) best = c;
    const s = scores[a * classes + best];
    if (s < MIN_SCORE) continue;
    const list = byClass.get(best + 1) ?? [];
    list.push({ score: s, yxyx: Array.from(boxes.slice(a * 4, a * 4 + 4)) });
    byClass.set(best + 1, list);
  }
  const out: Detection[] = [];
  for (const [classId, list] of byClass) {
    const keep = tf.tidy(() =>
      tf.image.nonMaxSuppression(tf.tensor2d(list.map((l) => l.yxyx)), tf.tensor1d(list.map((l) => l.score)), 100, 0.5, MIN_SCORE).arraySync(),
    );
    for (const i of keep) {
      const [y0, x0, y1, x1] = list[i].yxyx.map((v) => Math.min(1, Math.max(0, v)));
      out.push({ label: labels[String(classId)], class_id: classId, score: list[i].score, box: [x0, y0, x1, y1], zones: [] });
    }
  }
  return out.sort((a, b) => b.score - a.score);
}

function expectSameDetections(ours: Detection[], oracle: Detection[]): void {
  expect(ours.map((d) => d.label)).toEqual(oracle.map((d) => d.label));
  ours.forEach((d, i) => {
    expect(Math.abs(d.score - oracle[i].score)).toBeLessThanOrEqual(0.01);
    d.box.forEach((v, k) => expect(Math.abs(v - oracle[i].box[k])).toBeLessThanOrEqual(0.01));
  });
}

describe('SSDLite-MobileNetV2 COCO on real images', () => {
  let detector: Detector;
  let oracle: tf.GraphModel;
  const cv = loadCv();

  beforeAll(async () => {
    requireFiles();
    detector = await Detector.load({ filters: { minScore: MIN_SCORE } });
    oracle = await loadOracle();
  });
  afterAll(async () => {
    await detector?.close();
    oracle?.dispose();
  });

  it.each([
    ['messi5.jpg', ['person', 'sports ball']],
    ['basketball1.png', ['person']],
    ['fruits.jpg', ['orange']],
  ])('%s: finds %j, equal to the tfjs oracle within 0.01', async (file, expected) => {
    const mat = cv.imread(image(file));
    const ours = await detector.detectMat(mat);
    for (const label of expected) expect(ours.detections.map((d) => d.label)).toContain(label);
    if (file === 'basketball1.png') expect(ours.detections.filter((d) => d.label === 'person').length).toBeGreaterThanOrEqual(2);
    expectSameDetections(ours.detections, await oracleDetect(oracle, mat, detector.manifest.labels));
  });

  it('a raw BGR buffer gives the same detections as the Mat it came from', async () => {
    const mat = cv.imread(image('messi5.jpg'));
    const fromMat = await detector.detectMat(mat);
    const fromBuffer = await detector.detect({ data: mat.getData(), width: mat.cols, height: mat.rows });
    expect(fromBuffer.detections).toEqual(fromMat.detections);
  });

  it("concurrent calls from several cameras each get their own frame's detections", async () => {
    const files = ['messi5.jpg', 'fruits.jpg', 'basketball1.png', 'messi5.jpg'];
    const mats = files.map((f) => cv.imread(image(f)));
    const sequential = [];
    for (const m of mats) sequential.push((await detector.detectMat(m)).detections);
    const parallel = await Promise.all(mats.map((m) => detector.detectMat(m)));
    expect(parallel.map((r) => r.detections)).toEqual(sequential);
  });

  it('a main-thread timer keeps firing during back-to-back inferences', async () => {
    const mat = cv.imread(image('basketball1.png'));
    const runs = 15;
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    let inferenceMs = 0;
    try {
      for (let i = 0; i < runs; i++) inferenceMs += (await detector.detectMat(mat)).inference_ms;
    } finally {
      clearInterval(timer);
    }
    // If session.run() blocked this thread, the timer could fire at most about once per inference
    // (between runs). In a worker it fires all through them.
    expect(inferenceMs).toBeGreaterThan(0);
    expect(ticks).toBeGreaterThan(3 * runs);
  });

  it('a crashed worker fails the frames it held, and the next frame restarts the session', async () => {
    const mat = cv.imread(image('fruits.jpg'));
    const pending = [detector.detectMat(mat), detector.detectMat(mat), detector.detectMat(mat)];
    detector.crashWorkerForTest();
    const settled = await Promise.allSettled(pending);
    const failures = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    expect(failures.length).toBeGreaterThan(0);
    for (const f of failures) expect((f.reason as Error).message).toMatch(/inference worker for .* crashed: .*; it restarts on the next frame/);
    const after = await detector.detectMat(mat);
    expect(after.detections.map((d) => d.label)).toContain('orange');
  });
});
