'use strict';
/**
 * The capture process of one camera, started by camera-capture.ts with child_process.fork.
 *
 * Why a process: OpenCV's read() and open() are synchronous native calls that can block for a long
 * time (V4L2 ~10 s, FFmpeg network ~30 s, a pulled USB camera sometimes forever in the kernel). A
 * worker thread stuck in native code cannot be stopped; a process can be SIGKILLed and started
 * again, and it keeps libuv's shared thread pool of the daemon free. It also makes
 * OPENCV_FFMPEG_CAPTURE_OPTIONS, a process-wide variable, a per-camera setting.
 *
 * Why plain JavaScript with no project imports: this file runs as its own Node process, which gets
 * no ts-jest transform under jest, and it must run unchanged from src/capture and (copied) from
 * dist/capture. The plan it executes is computed by open-plan.ts; transform arithmetic mirrors
 * transform.ts (cropRect) and the record layout mirrors frame-stream.ts.
 *
 * Protocol
 *   IPC in : {t:'start', plan} · {t:'want'} (send me one frame newer than the last) · {t:'stop'}
 *   IPC out: {t:'opened', ...} · {t:'first-frame'} · {t:'alive', captured, readingMs}
 *            · {t:'warn', message} · and one final {t:'ended'|'lost'|'open-failed'|'fatal', reason}
 *   fd 4   : frame records 'LKF1' · u32 LE header length · u32 LE data length · JSON header · BGR bytes
 * The daemon asks for one frame at a time, so at most one frame is ever in flight on the pipe.
 * Missing 'alive' messages (this event loop blocked in a synchronous call) or a read that has been
 * running too long make the daemon kill this process.
 */
const fs = require('node:fs');
const net = require('node:net');

const FRAME_MAGIC = 0x31464b4c; // 'LKF1' as u32 LE

let cv;
let plan;
let cap; // cv.VideoCapture
let out; // the frame pipe
const st = {
  wants: 0,
  wantWaiter: undefined,
  stopping: false,
  captured: 0,
  newest: undefined, // { mat, header }
  readStartedAt: 0,
  emptyRun: 0,
  loop: 0,
  framesThisPass: 0,
  imageIndex: 0,
  fileFps: 0,
  frameCount: 0,
  anchor: undefined,
  finished: false,
};

function send(msg, cb) {
  if (process.connected) {
    try {
      process.send(msg, cb);
      return;
    } catch {
      // channel closed between the check and the send: nothing to tell anyone
    }
  }
  if (cb) cb();
}

function releaseCapture() {
  const c = cap;
  cap = undefined;
  if (c) {
    try {
      // For GStreamer this sets the pipeline to NULL: CSI stacks (Argus on Jetson) dislike processes
      // that vanish with a pipeline playing.
      c.release();
    } catch {
      // closing is best effort; the process ends next
    }
  }
}

/** Ends the process after the final message has been handed to the channel. */
function finish(msg, code) {
  if (st.finished) return;
  st.finished = true;
  st.stopping = true;
  if (st.readStartedAt === 0) releaseCapture();
  // A frame still queued on the pipe is worth delivering (the last frame of a file, say).
  const exit = () => {
    if (out && out.writableLength > 0) out.once('drain', () => process.exit(code));
    else process.exit(code);
  };
  send(msg, exit);
  setTimeout(() => process.exit(code), 2000).unref();
}

function errorText(e) {
  if (e instanceof Error) return e.message;
  if (typeof e === 'string') return e;
  try {
    return JSON.stringify(e);
  } catch {
    return String(e);
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

function loadCv() {
  try {
    // Its loader prints info lines to stdout on require.
    const build = require('@u4/opencv-build');
    if (build && build.Log) build.Log.silence = true;
  } catch {
    // only the silencing is lost
  }
  const mod = require('@u4/opencv4nodejs');
  return mod.cv || mod.default || mod;
}

function fourccText(code) {
  const c = Math.round(code) >>> 0;
  if (c === 0) return '';
  return String.fromCharCode(c & 0xff, (c >>> 8) & 0xff, (c >>> 16) & 0xff, (c >>> 24) & 0xff).replace(/[^\x20-\x7e]/g, '?');
}

function openCapture() {
  const o = plan.open;
  if (o.type === 'images') {
    st.imageIndex = 0;
    return { images: o.files.length };
  }
  const api = cv[o.api];
  if (typeof api !== 'number') throw new Error(`this OpenCV has no ${o.api} backend`);
  cap = new cv.VideoCapture(o.target, api);
  for (const [name, value] of plan.props) {
    const prop = cv[name];
    let ok = false;
    try {
      ok = typeof prop === 'number' && cap.set(prop, value);
    } catch (e) {
      send({ t: 'warn', message: `setting ${name}=${value} failed: ${errorText(e)}` });
      continue;
    }
    if (!ok) send({ t: 'warn', message: `the driver refused ${name}=${value}` });
  }
  const get = (name) => {
    try {
      return cap.get(cv[name]);
    } catch {
      return 0;
    }
  };
  st.fileFps = get('CAP_PROP_FPS');
  st.frameCount = get('CAP_PROP_FRAME_COUNT');
  return {
    width: get('CAP_PROP_FRAME_WIDTH'),
    height: get('CAP_PROP_FRAME_HEIGHT'),
    fps: st.fileFps,
    fourcc: fourccText(get('CAP_PROP_FOURCC')),
    frameCount: st.frameCount,
  };
}

/** Reads the next frame; { mat: undefined } at the end of an image list. */
async function readOne() {
  const started = process.hrtime.bigint();
  st.readStartedAt = Date.now();
  let mat;
  let positionMs;
  try {
    if (plan.open.type === 'images') {
      const files = plan.open.files;
      if (st.imageIndex < files.length) {
        const i = st.imageIndex++;
        try {
          mat = await cv.imreadAsync(files[i]);
        } catch (e) {
          send({ t: 'warn', message: `cannot read image ${files[i]}: ${errorText(e)}` });
        }
        if (!mat || mat.empty) {
          send({ t: 'warn', message: `skipping unreadable image ${files[i]}` });
          mat = null; // null: skip, undefined: end of list
        }
        positionMs = (i * 1000) / plan.imagesFps;
      }
    } else {
      mat = await cap.readAsync();
      if (plan.isFile && mat && !mat.empty) positionMs = Math.round(cap.get(cv.CAP_PROP_POS_MSEC) * 1000) / 1000;
    }
  } finally {
    st.readStartedAt = 0;
  }
  const captureMs = Number(process.hrtime.bigint() - started) / 1e6;
  return { mat, positionMs, captureMs, ts: Date.now() };
}

/** True when an empty read of a file is its real end (not a decoding hiccup mid-file). */
function atEndOfMedia() {
  if (plan.open.type === 'images') return st.imageIndex >= plan.open.files.length;
  if (!cap || !(st.frameCount > 0)) return true;
  let pos = 0;
  try {
    pos = cap.get(cv.CAP_PROP_POS_FRAMES);
  } catch {
    return true;
  }
  return pos >= st.frameCount - 1;
}

/** Starts the next pass of a looping file or folder. Reopening (not seeking) also sees a replaced file. */
function restartMedia() {
  st.loop++;
  st.framesThisPass = 0;
  st.anchor = undefined;
  if (plan.open.type === 'images') {
    st.imageIndex = 0;
    return;
  }
  releaseCapture();
  if (!fs.existsSync(plan.open.target)) throw new Error(`the file is gone: ${plan.open.target}`);
  cap = new cv.VideoCapture(plan.open.target, cv[plan.open.api]);
  st.frameCount = cap.get(cv.CAP_PROP_FRAME_COUNT);
}

/** Realtime pacing: hold the frame until its media time, measured from the first frame of the pass. */
async function pace(header) {
  const fps = plan.open.type === 'images' ? plan.imagesFps : st.fileFps > 0 ? st.fileFps : 25;
  const interval = 1000 / fps;
  const media = header.positionMs !== undefined ? header.positionMs : (st.framesThisPass - 1) * interval;
  const now = Date.now();
  if (!st.anchor) st.anchor = { wall: now, media };
  let due = st.anchor.wall + (media - st.anchor.media);
  if (due < now - 1000 || due > now + 2 * interval + 1000) {
    // Far behind (slow decoding) or a jump in the timestamps: restart the clock instead of bursting.
    st.anchor = { wall: now, media };
    due = now;
  }
  if (due > now) await sleep(due - now);
}

const ROTATE_CODES = { 90: 'ROTATE_90_CLOCKWISE', 180: 'ROTATE_180', 270: 'ROTATE_90_COUNTERCLOCKWISE' };
const FLIP_CODES = { horizontal: 1, vertical: 0, both: -1 };

/** Same arithmetic as cropRect in transform.ts. */
function cropRect(width, height, c) {
  const x0 = Math.min(width - 1, Math.max(0, Math.round(c.x * width)));
  const y0 = Math.min(height - 1, Math.max(0, Math.round(c.y * height)));
  const x1 = Math.min(width, Math.max(x0 + 1, Math.round((c.x + c.width) * width)));
  const y1 = Math.min(height, Math.max(y0 + 1, Math.round((c.y + c.height) * height)));
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/** A continuous 8-bit BGR Mat after rotate → flip → crop. */
function toOutputMat(mat) {
  let m = mat;
  if (m.depth !== cv.CV_8U) m = m.convertTo(cv.CV_8U);
  if (m.channels === 1) m = m.cvtColor(cv.COLOR_GRAY2BGR);
  else if (m.channels === 4) m = m.cvtColor(cv.COLOR_BGRA2BGR);
  const t = plan.transform;
  if (t.rotate && ROTATE_CODES[t.rotate]) m = m.rotate(cv[ROTATE_CODES[t.rotate]]);
  if (t.flip && t.flip !== 'none') m = m.flip(FLIP_CODES[t.flip]);
  if (t.crop) {
    const r = cropRect(m.cols, m.rows, t.crop);
    if (r.x !== 0 || r.y !== 0 || r.width !== m.cols || r.height !== m.rows) {
      m = m.getRegion(new cv.Rect(r.x, r.y, r.width, r.height)).copy();
    }
  }
  if (m.step !== m.cols * m.elemSize) m = m.copy();
  return m;
}

function sendNewest() {
  const f = st.newest;
  if (!f || st.wants === 0 || st.stopping) return;
  st.newest = undefined;
  st.wants--;
  let data;
  let m;
  try {
    m = toOutputMat(f.mat);
    data = m.getData();
  } catch (e) {
    send({ t: 'warn', message: `frame ${f.header.seq} could not be converted: ${errorText(e)}` });
    st.wants++;
    return;
  }
  const header = { ...f.header, width: m.cols, height: m.rows };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.allocUnsafe(12);
  prefix.writeUInt32LE(FRAME_MAGIC, 0);
  prefix.writeUInt32LE(json.length, 4);
  prefix.writeUInt32LE(data.length, 8);
  out.cork();
  out.write(prefix);
  out.write(json);
  out.write(data);
  out.uncork();
}

function waitForWant() {
  return new Promise((resolve) => {
    st.wantWaiter = resolve;
  });
}

function onWant() {
  st.wants = 1; // the daemon never has more than one request open; a repeat is the same request
  if (st.newest) sendNewest();
  const w = st.wantWaiter;
  st.wantWaiter = undefined;
  if (w) w();
}

async function run() {
  let info;
  try {
    info = openCapture();
  } catch (e) {
    finish({ t: 'open-failed', reason: errorText(e) }, 2);
    return;
  }
  send({ t: 'opened', ...info });
  for (;;) {
    if (st.stopping) break;
    // Lossless: read one frame ahead and hold it until asked, so decoding overlaps the hand-over;
    // never read over a frame that has not been sent.
    if (plan.delivery === 'lossless' && st.newest) {
      await waitForWant();
      continue;
    }
    const r = await readOne();
    if (st.stopping) break;
    if (r.mat === null) continue; // an unreadable image, already reported
    if (!r.mat || r.mat.empty) {
      if (plan.isFile && atEndOfMedia()) {
        if (!plan.loop) {
          finish({ t: 'ended', reason: 'end of media', captured: st.captured }, 0);
          return;
        }
        if (st.framesThisPass === 0) {
          finish({ t: 'lost', reason: 'no readable frames in a whole pass over the media', captured: st.captured }, 0);
          return;
        }
        try {
          restartMedia();
        } catch (e) {
          finish({ t: 'lost', reason: `reopening for the next loop failed: ${errorText(e)}`, captured: st.captured }, 0);
          return;
        }
        continue;
      }
      st.emptyRun++;
      if (st.emptyRun >= plan.emptyReadLimit) {
        finish({ t: 'lost', reason: `${st.emptyRun} empty reads in a row (end of stream, or the device went away)`, captured: st.captured }, 0);
        return;
      }
      await sleep(plan.emptyReadDelayMs);
      continue;
    }
    st.emptyRun = 0;
    st.captured++;
    st.framesThisPass++;
    const header = { seq: st.captured, ts: r.ts, captureMs: Math.round(r.captureMs * 1000) / 1000, width: r.mat.cols, height: r.mat.rows };
    if (r.positionMs !== undefined) {
      header.positionMs = r.positionMs;
      header.loop = st.loop;
    }
    if (plan.pacing === 'realtime') {
      await pace(header);
      header.ts = Date.now();
      if (st.stopping) break;
    }
    if (st.captured === 1) send({ t: 'first-frame', width: r.mat.cols, height: r.mat.rows });
    const old = st.newest;
    st.newest = { mat: r.mat, header };
    if (old && typeof old.mat.release === 'function') old.mat.release();
    if (st.wants > 0) sendNewest();
  }
  releaseCapture();
  process.exit(0);
}

function start(p) {
  plan = p;
  out = new net.Socket({ fd: 4, readable: false, writable: true });
  out.on('error', () => process.exit(0)); // the daemon went away
  setInterval(() => {
    const readingMs = st.readStartedAt ? Date.now() - st.readStartedAt : -1;
    send({ t: 'alive', captured: st.captured, readingMs });
  }, plan.aliveIntervalMs);
  send({ t: 'alive', captured: 0, readingMs: -1 });
  try {
    cv = loadCv();
  } catch (e) {
    finish({ t: 'fatal', reason: `loading the OpenCV binding failed: ${errorText(e)}` }, 3);
    return;
  }
  // Let the 'alive' above leave before open() may block this thread for a long time.
  setImmediate(() => {
    run().catch((e) => finish({ t: 'fatal', reason: errorText(e) }, 3));
  });
}

process.on('message', (m) => {
  if (!m || typeof m !== 'object') return;
  if (m.t === 'start' && !plan) start(m.plan);
  else if (m.t === 'want') onWant();
  else if (m.t === 'stop') {
    st.stopping = true;
    if (st.wantWaiter) {
      const w = st.wantWaiter;
      st.wantWaiter = undefined;
      w();
    }
    // A read in flight owns the capture; the loop releases it when the read returns.
    if (st.readStartedAt === 0) {
      releaseCapture();
      process.exit(0);
    }
  }
});
process.on('disconnect', () => process.exit(0));
process.on('uncaughtException', (e) => finish({ t: 'fatal', reason: errorText(e) }, 3));
process.on('unhandledRejection', (e) => finish({ t: 'fatal', reason: errorText(e) }, 3));
