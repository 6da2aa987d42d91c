'use strict';
// A video of a still scene for the motion tests and the gating measurement (docs/performance.md):
// one frame of vtest.avi (people walking, so the same scene the moving tests use) repeated, written
// with OpenCV's VideoWriter as MJPG AVI, the format of most USB cameras. Outside jest because jest's
// resolver cannot load the OpenCV binding (see cv-tool.js). With the frame index `walking`, vtest.avi's
// own frames from the start instead: the people walking, as MJPG.
//   node still-video.js <out.avi> <frames> [fps=10] [frame index in vtest.avi=0 | walking]
const path = require('node:path');
try {
  require('@u4/opencv-build').Log.silence = true;
} catch {
  // only the silencing is lost
}
const mod = require('@u4/opencv4nodejs');
const cv = mod.cv || mod;
const [out, frames, fps = '10', index = '0'] = process.argv.slice(2);
if (!out || !(Number(frames) > 0)) {
  console.error('usage: node still-video.js <out.avi> <frames> [fps] [frame index]');
  process.exit(2);
}
const src = new cv.VideoCapture(path.join(__dirname, '..', '..', '..', '.cache', 'testdata', 'vtest.avi'), cv.CAP_FFMPEG);
const walking = index === 'walking';
let frame = src.read();
for (let i = 0; !walking && i < Number(index); i++) frame = src.read();
const w = new cv.VideoWriter(out, cv.VideoWriter.fourcc('MJPG'), Number(fps), new cv.Size(frame.cols, frame.rows), true);
for (let i = 0; i < Number(frames); i++) {
  w.write(frame);
  if (walking) frame = src.read();
}
w.release();
src.release();
