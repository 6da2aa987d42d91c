'use strict';
// OpenCV outside jest, for the capture tests: jest's resolver does not know the '.node' extension
// (jest.config.js moduleFileExtensions), so the test process itself cannot load the binding.
//   node cv-tool.js clip <out.avi> <frames>          first N frames of vtest.avi as MJPG AVI, 10 fps
//   node cv-tool.js frame <video> <out.raw> [json]   first frame, optionally {rotate,flip,rect}, as raw BGR
//   node cv-tool.js sizes <image>...                 prints [{"width":W,"height":H}, ...]
//   node cv-tool.js colours <out.avi> <frames>       320×240 MJPG AVI, 10 fps, frame i (from 0) filled with colourOf(i)
//   node cv-tool.js mean <image>                     prints the mean [B, G, R] of the decoded image
//   node --require ../../../src/util/source-loader.js cv-tool.js preprocess <video> <out.raw> <manifest input json>
//                                                    first frame through src/detect/preprocess.ts, as the daemon's main thread did it
const fs = require('node:fs');
const path = require('node:path');
try {
  require('@u4/opencv-build').Log.silence = true;
} catch {
  // only the silencing is lost
}
const mod = require('@u4/opencv4nodejs');
const cv = mod.cv || mod;
const [cmd, a, b, c] = process.argv.slice(2);
const vtest = path.join(__dirname, '..', '..', '..', '.cache', 'testdata', 'vtest.avi');
/** The colour of frame i of a `colours` clip (BGR): far apart from one frame to the next. */
function colourOf(i) {
  return [(i * 53) % 256, (255 - i * 29) & 255, 128];
}
if (cmd === 'clip') {
  const src = new cv.VideoCapture(vtest, cv.CAP_FFMPEG);
  const first = src.read();
  const w = new cv.VideoWriter(a, cv.VideoWriter.fourcc('MJPG'), 10, new cv.Size(first.cols, first.rows), true);
  w.write(first);
  for (let i = 1; i < Number(b); i++) w.write(src.read());
  w.release();
  src.release();
} else if (cmd === 'frame') {
  const cap = new cv.VideoCapture(a, cv.CAP_FFMPEG);
  let m = cap.read();
  const t = c ? JSON.parse(c) : {};
  if (t.rotate) m = m.rotate({ 90: cv.ROTATE_90_CLOCKWISE, 180: cv.ROTATE_180, 270: cv.ROTATE_90_COUNTERCLOCKWISE }[t.rotate]);
  if (t.flip !== undefined) m = m.flip(t.flip);
  if (t.rect) m = m.getRegion(new cv.Rect(t.rect.x, t.rect.y, t.rect.width, t.rect.height)).copy();
  fs.writeFileSync(b, m.getData());
  cap.release();
} else if (cmd === 'sizes') {
  const sizes = process.argv.slice(3).map((f) => {
    const m = cv.imread(f);
    return { width: m.cols, height: m.rows };
  });
  process.stdout.write(JSON.stringify(sizes));
} else if (cmd === 'colours') {
  const w = new cv.VideoWriter(a, cv.VideoWriter.fourcc('MJPG'), 10, new cv.Size(320, 240), true);
  for (let i = 0; i < Number(b); i++) w.write(new cv.Mat(240, 320, cv.CV_8UC3, colourOf(i)));
  w.release();
} else if (cmd === 'mean') {
  const m = cv.imread(a);
  const mean = m.mean();
  process.stdout.write(JSON.stringify([mean.w, mean.x, mean.y].map((v) => Math.round(v))));
} else if (cmd === 'preprocess') {
  const { preprocessFrame } = require('../../../src/detect/preprocess.ts');
  const cap = new cv.VideoCapture(a, cv.CAP_FFMPEG);
  const m = cap.read();
  const pre = preprocessFrame({ data: m.getData(), width: m.cols, height: m.rows }, JSON.parse(c));
  fs.writeFileSync(b, Buffer.from(pre.data));
  cap.release();
} else {
  process.stderr.write(`unknown command ${cmd}\n`);
  process.exit(2);
}
