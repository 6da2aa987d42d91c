/**
 * The rebuilt face detector computes what face-api computes: face-api's own forward pass
 * (@vladmandic/face-api@1.7.15, tfjs CPU backend, run in a child process) and the ONNX model
 * (onnxruntime-node) get the same 512×512 pixels, made from real photos by Lookout's own
 * preprocessing (letterbox); every box and score of the 5118 anchors must agree to 1e-4, and the
 * faces after NMS must be the same.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadCv } from '../../../src/cv';
import { decodeBoxesScores, finishBoxes } from '../../../src/detect/decode';
import { runDetectCommand } from '../../../src/commands/detect';
import { loadManifest } from '../../../src/detect/manifest';
import { nms } from '../../../src/detect/nms';
import { preprocessMat } from '../../../src/detect/preprocess';
import { STRETCH_GEOMETRY } from '../../../src/detect/types';
import { projectRoot } from '../../../src/model-tools/files';
import { buildFaceModel, ensureFaceFiles, FACE_SSD } from '../../../src/model-tools/face-ssd';
import * as ort from 'onnxruntime-node';

const execFileP = promisify(execFile);
const ROOT = projectRoot();
// Photos with faces (messi5, basketball1) and one without (home).
const IMAGES = ['messi5.jpg', 'basketball1.png', 'home.jpg'];
const ANCHORS = 5118;
const TOL = 1e-4;

jest.setTimeout(600_000);

let session: Awaited<ReturnType<typeof ort.InferenceSession.create>>;
let modelDir: string;
let tmp: string;
const manifest = loadManifest(path.join(ROOT, 'models', `${FACE_SSD.name}.json`));

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'lookout-face-oracle-'));
  modelDir = await ensureFaceFiles();
  const built = await buildFaceModel();
  session = await ort.InferenceSession.create(built.path, { intraOpNumThreads: 1 });
});
afterAll(async () => {
  await session?.release();
  await fs.rm(tmp, { recursive: true, force: true });
});

describe.each(IMAGES)('%s', (file) => {
  it('boxes and scores of every anchor within 1e-4 of face-api, and the same faces after NMS', async () => {
    const cv = loadCv();
    const pre = preprocessMat(cv.imread(path.join(ROOT, '.cache', 'testdata', file)), manifest.manifest.input);
    const pixels = new Uint8Array(pre.data);
    expect(pre.dims).toEqual([1, 512, 512, 3]);

    const raw = path.join(tmp, `${file}.rgb`);
    const json = path.join(tmp, `${file}.json`);
    await fs.writeFile(raw, pixels);
    await execFileP(process.execPath, [path.join(ROOT, 'test', 'support', 'face-api-oracle.js'), modelDir, raw, json], {
      cwd: ROOT,
      timeout: 300_000,
      maxBuffer: 1 << 20,
    });
    const oracle = JSON.parse(await fs.readFile(json, 'utf8')) as {
      boxes: string;
      scores: string;
      faces: { score: number; x: number; y: number; width: number; height: number }[];
    };
    const f32 = (b64: string) => {
      const buf = Buffer.from(b64, 'base64');
      return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    };
    const wantBoxes = f32(oracle.boxes);
    const wantScores = f32(oracle.scores);
    expect(wantBoxes).toHaveLength(ANCHORS * 4);
    expect(wantScores).toHaveLength(ANCHORS);

    const r = await session.run({ image: new ort.Tensor('uint8', pixels, [1, 512, 512, 3]) });
    expect(r.boxes.dims).toEqual([1, ANCHORS, 4]);
    expect(r.scores.dims).toEqual([1, ANCHORS, 1]);
    const boxes = r.boxes.data as Float32Array;
    const scores = r.scores.data as Float32Array;
    let maxBox = 0;
    let maxScore = 0;
    for (let i = 0; i < ANCHORS * 4; i++) maxBox = Math.max(maxBox, Math.abs(boxes[i] - wantBoxes[i]));
    for (let i = 0; i < ANCHORS; i++) maxScore = Math.max(maxScore, Math.abs(scores[i] - wantScores[i]));
    expect(maxBox).toBeLessThan(TOL);
    expect(maxScore).toBeLessThan(TOL);

    // Lookout's own decoder and NMS on the ONNX outputs against face-api's locateFaces.
    const cands = decodeBoxesScores(
      { boxes: { data: boxes, dims: r.boxes.dims as number[] }, scores: { data: scores, dims: r.scores.dims as number[] } } as never,
      manifest.manifest.output as never,
      { scoreThreshold: 0.5, geometry: STRETCH_GEOMETRY },
    );
    const ours = finishBoxes(nms(cands, { iouThreshold: 0.5, maxDetections: 100 }));
    const theirs = oracle.faces.map((f) => ({ score: f.score, box: [f.x, f.y, f.x + f.width, f.y + f.height] })).sort((a, b) => b.score - a.score);
    expect(ours.map((d) => d.class_id)).toEqual(theirs.map(() => 1));
    ours.forEach((d, i) => {
      expect(Math.abs(d.score - theirs[i].score)).toBeLessThan(1e-3);
      for (let k = 0; k < 4; k++) expect(Math.abs(d.box[k] - theirs[i].box[k])).toBeLessThan(1e-3);
    });
    if (file !== 'home.jpg') expect(ours.length).toBeGreaterThan(0);
  });
});

it('lookout detect --model face_ssd_mobilenet_v1 finds the face in a photo and none in a room', async () => {
  const out: string[] = [];
  const err: string[] = [];
  const rc = await runDetectCommand({
    inputs: [path.join(ROOT, '.cache', 'testdata', 'messi5.jpg'), path.join(ROOT, '.cache', 'testdata', 'home.jpg')],
    model: FACE_SSD.name,
    json: true,
    threads: 1,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  expect({ rc, err }).toEqual({ rc: 0, err: [] });
  const lines = out.map((l) => JSON.parse(l) as { file: string; detections: { label: string; score: number; box: number[] }[] });
  const messi = lines.find((l) => l.file.endsWith('messi5.jpg'));
  const home = lines.find((l) => l.file.endsWith('home.jpg'));
  expect(messi?.detections.map((d) => d.label)).toEqual(['face']);
  // The face is in the upper middle of the frame (box as xmin, ymin, xmax, ymax of the original image).
  const [x0, y0, x1, y1] = messi?.detections[0].box ?? [];
  expect(x0).toBeGreaterThan(0.35);
  expect(x1).toBeLessThan(0.55);
  expect(y0).toBeGreaterThan(0.15);
  expect(y1).toBeLessThan(0.45);
  expect(home?.detections).toEqual([]);
});
