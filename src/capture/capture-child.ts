/**
 * The capture process of one camera, started by capture-process.ts with child_process.fork.
 *
 * Why a process: OpenCV's read() and open() are synchronous native calls that can block for a long
 * time (V4L2 ~10 s, FFmpeg network ~30 s, a pulled USB camera sometimes forever in the kernel). A
 * worker thread stuck in native code cannot be stopped; a process can be SIGKILLed and started
 * again, and it keeps libuv's shared thread pool of the daemon free. It also makes
 * OPENCV_FFMPEG_CAPTURE_OPTIONS, a process-wide variable, a per-camera setting.
 *
 * This file is the process: its channels and its end. What it does with the source is
 * capture-loop.ts, OpenCV's part media-reader.ts and cv-frame.ts, what it sends for a frame (the
 * model's input, the frame kept in a ring for snapshots) frame-output.ts, what it says protocol.ts; the plan
 * it executes is computed by open-plan.ts in the daemon. It runs as compiled JavaScript from
 * dist/capture, and under jest straight from src/capture through source-loader.js (child-path.ts).
 *
 * Missing 'alive' messages (this event loop blocked in a synchronous call) or a read that has been
 * running too long make the daemon kill this process.
 */
import * as net from 'node:net';
import { type Cv, loadCv, type Mat } from '../cv';
import { CaptureLoop } from './capture-loop';
import { CompressedFrame } from './compressed-frame';
import { toOutputMat } from './cv-frame';
import { FrameOutput } from './frame-output';
import { OpenCvMediaReader } from './media-reader';
import { errorMessage } from '../util/errors';
import { FrameMotion } from './motion-frame';
import type { ChildPlan } from './open-plan';
import { asParentMessage, type ChildMessage, encodeFrameRecord, type FinalMessage, type FrameHeader, unhandledKind } from './protocol';

function tell(msg: ChildMessage, cb?: () => void): void {
  if (process.connected && process.send) {
    try {
      process.send(msg, undefined, undefined, cb);
      return;
    } catch {
      // channel closed between the check and the send: nothing to tell anyone
    }
  }
  cb?.();
}

let out: net.Socket | undefined;
let reader: OpenCvMediaReader | undefined;
let loop: CaptureLoop<Mat | CompressedFrame> | undefined;
let finished = false;
/** The data of a header-only record. */
const NO_DATA = Buffer.alloc(0);
/** Motion of the frames handed over, when the plan asks for it. */
let motion: FrameMotion | undefined;
/** What goes out for each frame, and the ring of full frames the daemon fetches snapshots from. */
let output: FrameOutput | undefined;

/** Ends the process after the final message has been handed to the channel. */
function finish(msg: FinalMessage, code: number): void {
  if (finished) return;
  finished = true;
  loop?.stop();
  // A read in flight owns the source; it is released when the process ends.
  if (!loop?.reading) reader?.release();
  // A frame still queued on the pipe is worth delivering (the last frame of a file, say).
  const exit = (): void => {
    if (out && out.writableLength > 0) out.once('drain', () => process.exit(code));
    else process.exit(code);
  };
  tell(msg, exit);
  setTimeout(() => process.exit(code), 2000).unref();
}

/**
 * A frame read compressed (an MJPG packet): its motion from a reduced gray decode, and the whole frame
 * decoded only when it goes on to the daemon. No transform applies (compressed-frame.ts).
 */
function sendCompressed(cv: Cv, frame: CompressedFrame, header: FrameHeader, onlyIfMoving: boolean): boolean {
  let rec: { header: FrameHeader; data: Buffer };
  try {
    const moved = (motion as FrameMotion).updateCompressed(frame);
    if (!moved.moving && onlyIfMoving) {
      rec = { header: { ...header, motion: moved, skipped: 'no-motion' }, data: NO_DATA };
    } else {
      const mat = frame.decode(cv);
      rec = (output as FrameOutput).record(mat, { ...header, width: mat.cols, height: mat.rows, motion: moved });
    }
  } catch (e) {
    tell({ t: 'warn', message: `frame ${header.seq} could not be decoded: ${errorMessage(e)}` });
    return false;
  } finally {
    frame.release();
  }
  writeRecord(rec.header, rec.data);
  return true;
}

/** Converts and writes one frame record; false (and a warning) when OpenCV could not convert it. */
function sendFrame(cv: Cv, plan: ChildPlan, frame: Mat | CompressedFrame, header: FrameHeader, onlyIfMoving: boolean): boolean {
  if (frame instanceof CompressedFrame) return sendCompressed(cv, frame, header, onlyIfMoving);
  const mat = frame;
  let m: Mat;
  let rec: { header: FrameHeader; data: Buffer };
  try {
    m = toOutputMat(cv, mat, plan.transform);
    const moved = motion?.update(m);
    const h: FrameHeader = { ...header, width: m.cols, height: m.rows, ...(moved ? { motion: moved } : {}) };
    if (moved && !moved.moving && onlyIfMoving) {
      // Nothing moved and the daemon needs no detection: only the header goes, which is where gating
      // saves its CPU (no copy of the pixels here, no transfer, nothing for the daemon to touch).
      if (m !== mat) m.release();
      rec = { header: { ...h, skipped: 'no-motion' }, data: NO_DATA };
    } else {
      // From here `m` belongs to the output: the model input goes out and the frame into the ring.
      rec = (output as FrameOutput).record(m, h);
    }
  } catch (e) {
    tell({ t: 'warn', message: `frame ${header.seq} could not be converted: ${errorMessage(e)}` });
    mat.release();
    return false;
  }
  // `mat` is the output's now only when no transform made a new Mat and the frame went to the output.
  const toOutput = m === mat && rec.header.skipped === undefined;
  if (!toOutput) mat.release();
  writeRecord(rec.header, rec.data);
  return true;
}

function writeRecord(h: FrameHeader, data: Buffer): void {
  const pipe = out as net.Socket;
  pipe.cork();
  for (const part of encodeFrameRecord(h, data)) pipe.write(part);
  pipe.uncork();
}

function start(plan: ChildPlan): void {
  out = new net.Socket({ fd: 4, readable: false, writable: true });
  out.on('error', () => process.exit(0)); // the daemon went away
  setInterval(() => tell({ t: 'alive', captured: loop?.captured ?? 0, readingMs: loop?.readingMs() ?? -1 }), plan.aliveIntervalMs);
  tell({ t: 'alive', captured: 0, readingMs: -1 });
  let cv: Cv;
  try {
    cv = loadCv();
  } catch (e) {
    finish({ t: 'fatal', reason: errorMessage(e) }, 3);
    return;
  }
  reader = new OpenCvMediaReader(cv, plan, (message) => tell({ t: 'warn', message }));
  if (plan.motion) motion = new FrameMotion(cv, plan.motion);
  output = new FrameOutput(cv, plan, writeRecord);
  const l = new CaptureLoop<Mat | CompressedFrame>({
    plan,
    reader,
    send: (mat, header, onlyIfMoving) => sendFrame(cv, plan, mat, header, onlyIfMoving),
    tell: (msg) => tell(msg),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
    now: () => Date.now(),
    monotonic: () => Number(process.hrtime.bigint()) / 1e6,
  });
  loop = l;
  // Let the 'alive' above leave before open() may block this thread for a long time.
  setImmediate(() => {
    l.run().then(
      ({ final, code }) => {
        if (final) finish(final, code);
        else {
          reader?.release();
          process.exit(code);
        }
      },
      (e: unknown) => finish({ t: 'fatal', reason: errorMessage(e) }, 3),
    );
  });
}

process.on('message', (raw: unknown) => {
  const m = asParentMessage(raw);
  if (!m) return;
  switch (m.t) {
    case 'start':
      if (!out) start(m.plan);
      return;
    case 'want':
      output?.keep(m.keep);
      loop?.want(m.onlyIfMoving === true);
      return;
    case 'fetch':
      if (output) void output.fetch(m);
      else if (out) writeRecord({ seq: m.seq, ts: Date.now(), captureMs: 0, width: 0, height: 0, reply: m.id, missing: 'the source is not open yet' }, NO_DATA);
      return;
    case 'stop':
      loop?.stop();
      // A read in flight owns the source; the loop ends when it returns.
      if (!loop?.reading) {
        reader?.release();
        process.exit(0);
      }
      return;
    default:
      unhandledKind(m);
  }
});
process.on('disconnect', () => process.exit(0));
const fatal = (e: unknown): void => finish({ t: 'fatal', reason: errorMessage(e) }, 3);
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);
