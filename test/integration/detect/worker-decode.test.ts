/**
 * The inference worker decodes the outputs itself (issue 17: the raw tensors, 0.7 MB a frame, no
 * longer cross to the main thread). Its candidates must be exactly what the main thread's decoder
 * makes of the same outputs, on real photos with the real model. And the input buffer comes back
 * for reuse.
 */
import path from 'node:path';
import { loadCv } from '../../../src/cv';
import { decodeOutputs, finishBoxes } from '../../../src/detect/decode';
import { WorkerSession } from '../../../src/detect/inference-session';
import { inputDims, preprocessMat } from '../../../src/detect/preprocess';
import { loadManifest } from '../../../src/detect/manifest';
import { nms } from '../../../src/detect/nms';
import { inputBuffers } from '../../../src/util/buffer-pool';

const ROOT = path.join(__dirname, '..', '..', '..');
const { manifest, modelPath } = loadManifest(path.join(ROOT, 'models', 'ssdlite_mobilenet_v2_coco.json'));
const session = new WorkerSession(
  modelPath,
  { name: manifest.input.name, dtype: manifest.input.dtype, dims: inputDims(manifest.input) },
  { intraOpThreads: 1 },
);
afterAll(() => session.close());

test.each(['messi5.jpg', 'basketball1.png', 'home.jpg'])('%s: the worker decodes to the same candidates as the main thread', async (photo) => {
  const mat = loadCv().imread(path.join(ROOT, '.cache', 'testdata', photo));
  const pre = preprocessMat(mat, manifest.input);
  const copy = (): ArrayBuffer => pre.data.slice(0);
  const opts = { scoreThreshold: 0.3, geometry: pre.geometry };

  const raw = await session.run(copy());
  const inWorker = await session.run(copy(), { output: manifest.output, ...opts });

  expect(raw.decoded).toBeUndefined();
  expect(Object.keys(inWorker.outputs)).toEqual([]);
  const onMain = finishBoxes(nms(decodeOutputs(raw.outputs, manifest.output, opts)));
  expect(onMain.length).toBeGreaterThan(0);
  expect(inWorker.decoded?.candidates).toEqual(onMain);
  // The input came back for the next frame (the frame parser takes its buffers from this pool).
  const reused = inputBuffers.take(pre.data.byteLength);
  expect(reused.byteLength).toBe(pre.data.byteLength);
  expect(new Uint8Array(reused)).toEqual(new Uint8Array(pre.data));
});

test("each run's outputs are collected in the worker: 40 frames leave no pile of dead 0.7 MB outputs there", async () => {
  const mat = loadCv().imread(path.join(ROOT, '.cache', 'testdata', 'home.jpg'));
  const pre = preprocessMat(mat, manifest.input);
  const opts = { output: manifest.output, scoreThreshold: 0.3, geometry: pre.geometry };
  const before = await session.memory();
  for (let i = 0; i < 40; i++) await session.run(pre.data.slice(0), opts);
  const after = await session.memory();
  // 40 runs make 28 MB of outputs (onnxruntime-node copies each into a new ArrayBuffer); collected
  // after every run, what is left is the last run's and the inputs, well under the full-collection
  // threshold of 8 MB.
  expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(4 * 1024 * 1024);
});
