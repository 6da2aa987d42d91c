'use strict';
// face-api's own forward pass and face detection on one 512×512 RGB image, in a plain Node process:
// under Jest every typed-array access of tfjs crosses realms and runs many times slower. tfjs runs
// on its wasm backend (XNNPACK kernels, independent of ONNX Runtime's; face-api's node-wasm build is
// made for it): 3 G multiply-accumulates on the pure-JS CPU backend took most of a minute. Usage:
//   node face-api-oracle.js MODEL_DIR RAW_RGB_FILE OUT_JSON
// RAW_RGB_FILE holds 512·512·3 bytes (HWC, RGB); OUT_JSON gets base64 float32 boxes [5118×4] and
// scores [5118] and face-api's detections (locateFaces, minConfidence 0.5) as relative boxes.
const fs = require('node:fs');
const tf = require('@tensorflow/tfjs');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
const path = require('node:path');
const { setWasmPaths } = require('@tensorflow/tfjs-backend-wasm');

async function main() {
  const [modelDir, rawFile, outFile] = process.argv.slice(2);
  tf.enableProdMode();
  setWasmPaths(`${path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}${path.sep}`);
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs could not start its wasm backend');
  await tf.ready();
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir);
  const raw = fs.readFileSync(rawFile);
  const x = tf.tensor4d(Float32Array.from(raw), [1, 512, 512, 3]);
  const net = faceapi.nets.ssdMobilenetv1;
  const o = net.forwardInput(await faceapi.toNetInput(x));
  const boxes = await o.boxes[0].data();
  const scores = await o.scores[0].data();
  const faces = await net.locateFaces(x, { minConfidence: 0.5, maxResults: 100 });
  fs.writeFileSync(
    outFile,
    JSON.stringify({
      boxes: Buffer.from(boxes.buffer, boxes.byteOffset, boxes.byteLength).toString('base64'),
      scores: Buffer.from(scores.buffer, scores.byteOffset, scores.byteLength).toString('base64'),
      faces: faces.map((f) => ({ score: f.score, x: f.relativeBox.x, y: f.relativeBox.y, width: f.relativeBox.width, height: f.relativeBox.height })),
    }),
  );
}
main().catch((e) => {
  process.stderr.write(`${e && e.stack ? e.stack : String(e)}\n`);
  process.exit(1);
});
