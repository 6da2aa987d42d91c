/**
 * The capture process of one camera, started by capture-process.ts with child_process.fork.
 *
 * Why a process: OpenCV's read() and open() are synchronous native calls that can block for a long
 * time (V4L2 ~10 s, FFmpeg network ~30 s, a pulled USB camera sometimes forever in the kernel). A
 * worker thread stuck in native code cannot be stopped; a process can be SIGKILLed and started
 * again, and it keeps libuv's shared thread pool of the daemon free. It also makes
 * OPENCV_FFMPEG_CAPTURE_OPTIONS, a process-wide variable, a per-camera setting.
 *
 * It runs as compiled JavaScript from dist/capture; under jest, straight from src/capture through
 * source-loader.js (see child-path.ts). It imports only what it needs to stay quick to start: the
 * protocol, OpenCV and the frame arithmetic. The plan it executes is computed by open-plan.ts in
 * the daemon; what it says and sends is protocol.ts.
 *
 * Missing 'alive' messages (this event loop blocked in a synchronous call) or a read that has been
 * running too long make the daemon kill this process.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import type * as OpenCV from '@u4/opencv4nodejs';
import { type Cv, loadCv, type Mat } from '../cv';
import { fourccText, toOutputMat } from './cv-frame';
import type { ChildPlan } from './open-plan';
import { Pacer } from './pacer';
import { asParentMessage, type ChildMessage, encodeFrameRecord, type FinalMessage, type FrameHeader, type OpenedMessage, unhandledKind } from './protocol';

/** A read's result; `mat` undefined at the end of an image list, null for an unreadable image (skipped). */
interface ReadResult {
  mat: Mat | null | undefined;
  positionMs: number | undefined;
  captureMs: number;
  ts: number;
}

function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'string') return e;
  try {
    return JSON.stringify(e);
  } catch {
    return String(e);
  }
}

/** An OpenCV constant by name (plans name backends and properties, e.g. CAP_V4L2, CAP_PROP_FPS). */
function cvConstant(cv: Cv, name: string): number | undefined {
  const v = (cv as unknown as Record<string, unknown>)[name];
  return typeof v === 'number' ? v : undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

function send(msg: ChildMessage, cb?: () => void): void {
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

class CaptureChild {
  private cv: Cv | undefined;
  private cap: OpenCV.VideoCapture | undefined;
  /** At most one frame waits here, read and not yet asked for; a newer read replaces it. */
  private newest: { mat: Mat; header: FrameHeader } | undefined;
  private wants = 0;
  private wantWaiter: (() => void) | undefined;
  private stopping = false;
  private finished = false;
  private captured = 0;
  private readStartedAt = 0;
  private emptyRun = 0;
  private loop = 0;
  private framesThisPass = 0;
  private imageIndex = 0;
  private fileFps = 0;
  private frameCount = 0;
  private readonly pacer = new Pacer();

  constructor(
    private readonly plan: ChildPlan,
    private readonly out: net.Socket,
  ) {}

  start(): void {
    setInterval(() => send({ t: 'alive', captured: this.captured, readingMs: this.readingMs() }), this.plan.aliveIntervalMs);
    send({ t: 'alive', captured: 0, readingMs: -1 });
    try {
      this.cv = loadCv();
    } catch (e) {
      this.finish({ t: 'fatal', reason: errorText(e) }, 3);
      return;
    }
    // Let the 'alive' above leave before open() may block this thread for a long time.
    setImmediate(() => {
      this.run().catch((e: unknown) => this.finish({ t: 'fatal', reason: errorText(e) }, 3));
    });
  }

  readingMs(): number {
    return this.readStartedAt ? Date.now() - this.readStartedAt : -1;
  }

  onWant(): void {
    this.wants = 1; // the daemon never has more than one request open; a repeat is the same request
    if (this.newest) this.sendNewest();
    this.wakeReader();
  }

  onStop(): void {
    this.stopping = true;
    this.wakeReader();
    // A read in flight owns the capture; the loop releases it when the read returns.
    if (this.readStartedAt === 0) {
      this.releaseCapture();
      process.exit(0);
    }
  }

  /** Ends the process after the final message has been handed to the channel. */
  finish(msg: FinalMessage, code: number): void {
    if (this.finished) return;
    this.finished = true;
    this.stopping = true;
    if (this.readStartedAt === 0) this.releaseCapture();
    // A frame still queued on the pipe is worth delivering (the last frame of a file, say).
    const exit = (): void => {
      if (this.out.writableLength > 0) this.out.once('drain', () => process.exit(code));
      else process.exit(code);
    };
    send(msg, exit);
    setTimeout(() => process.exit(code), 2000).unref();
  }

  private wakeReader(): void {
    const w = this.wantWaiter;
    this.wantWaiter = undefined;
    w?.();
  }

  private releaseCapture(): void {
    const c = this.cap;
    this.cap = undefined;
    if (!c) return;
    try {
      // For GStreamer this sets the pipeline to NULL: CSI stacks (Argus on Jetson) dislike processes
      // that vanish with a pipeline playing.
      c.release();
    } catch {
      // closing is best effort; the process ends next
    }
  }

  private openCapture(cv: Cv): OpenedMessage {
    const o = this.plan.open;
    if (o.type === 'images') {
      this.imageIndex = 0;
      return { t: 'opened', images: o.files.length };
    }
    const api = cvConstant(cv, o.api);
    if (api === undefined) throw new Error(`this OpenCV has no ${o.api} backend`);
    const cap = new cv.VideoCapture(o.target, api);
    this.cap = cap;
    for (const [name, value] of this.plan.props) {
      const prop = cvConstant(cv, name);
      let ok = false;
      try {
        ok = prop !== undefined && cap.set(prop, value);
      } catch (e) {
        send({ t: 'warn', message: `setting ${name}=${value} failed: ${errorText(e)}` });
        continue;
      }
      if (!ok) send({ t: 'warn', message: `the driver refused ${name}=${value}` });
    }
    const get = (prop: number): number => {
      try {
        return cap.get(prop);
      } catch {
        return 0;
      }
    };
    this.fileFps = get(cv.CAP_PROP_FPS);
    this.frameCount = get(cv.CAP_PROP_FRAME_COUNT);
    return {
      t: 'opened',
      width: get(cv.CAP_PROP_FRAME_WIDTH),
      height: get(cv.CAP_PROP_FRAME_HEIGHT),
      fps: this.fileFps,
      fourcc: fourccText(get(cv.CAP_PROP_FOURCC)),
      frameCount: this.frameCount,
    };
  }

  private async readOne(cv: Cv): Promise<ReadResult> {
    const started = process.hrtime.bigint();
    this.readStartedAt = Date.now();
    let mat: Mat | null | undefined;
    let positionMs: number | undefined;
    try {
      const o = this.plan.open;
      if (o.type === 'images') {
        if (this.imageIndex < o.files.length) {
          const i = this.imageIndex++;
          const file = o.files[i] as string;
          try {
            mat = await cv.imreadAsync(file);
          } catch (e) {
            send({ t: 'warn', message: `cannot read image ${file}: ${errorText(e)}` });
          }
          if (!mat || mat.empty) {
            send({ t: 'warn', message: `skipping unreadable image ${file}` });
            mat = null;
          }
          positionMs = (i * 1000) / this.plan.imagesFps;
        }
      } else if (this.cap) {
        mat = await this.cap.readAsync();
        if (this.plan.isFile && mat && !mat.empty) positionMs = Math.round(this.cap.get(cv.CAP_PROP_POS_MSEC) * 1000) / 1000;
      }
    } finally {
      this.readStartedAt = 0;
    }
    const captureMs = Number(process.hrtime.bigint() - started) / 1e6;
    return { mat, positionMs, captureMs, ts: Date.now() };
  }

  /** True when an empty read of a file is its real end (not a decoding hiccup mid-file). */
  private atEndOfMedia(cv: Cv): boolean {
    const o = this.plan.open;
    if (o.type === 'images') return this.imageIndex >= o.files.length;
    if (!this.cap || !(this.frameCount > 0)) return true;
    let pos = 0;
    try {
      pos = this.cap.get(cv.CAP_PROP_POS_FRAMES);
    } catch {
      return true;
    }
    return pos >= this.frameCount - 1;
  }

  /** Starts the next pass of a looping file or folder. Reopening (not seeking) also sees a replaced file. */
  private restartMedia(cv: Cv): void {
    this.loop++;
    this.framesThisPass = 0;
    this.pacer.restart();
    const o = this.plan.open;
    if (o.type === 'images') {
      this.imageIndex = 0;
      return;
    }
    this.releaseCapture();
    if (typeof o.target !== 'string' || !fs.existsSync(o.target)) throw new Error(`the file is gone: ${o.target}`);
    this.cap = new cv.VideoCapture(o.target, cvConstant(cv, o.api));
    this.frameCount = this.cap.get(cv.CAP_PROP_FRAME_COUNT);
  }

  private async pace(header: FrameHeader): Promise<void> {
    const fps = this.plan.open.type === 'images' ? this.plan.imagesFps : this.fileFps > 0 ? this.fileFps : 25;
    const interval = 1000 / fps;
    const media = header.positionMs ?? (this.framesThisPass - 1) * interval;
    const delay = this.pacer.delayFor(media, Date.now(), interval);
    if (delay > 0) await sleep(delay);
  }

  private sendNewest(): void {
    const f = this.newest;
    const cv = this.cv;
    if (!f || !cv || this.wants === 0 || this.stopping) return;
    this.newest = undefined;
    this.wants--;
    let data: Buffer;
    let m: Mat;
    try {
      m = toOutputMat(cv, f.mat, this.plan.transform);
      data = m.getData();
    } catch (e) {
      send({ t: 'warn', message: `frame ${f.header.seq} could not be converted: ${errorText(e)}` });
      f.mat.release();
      this.wants++;
      return;
    }
    const header: FrameHeader = { ...f.header, width: m.cols, height: m.rows };
    // getData() copied the pixels: both Mats can go now rather than at the next garbage collection.
    if (m !== f.mat) m.release();
    f.mat.release();
    this.out.cork();
    for (const part of encodeFrameRecord(header, data)) this.out.write(part);
    this.out.uncork();
  }

  private waitForWant(): Promise<void> {
    return new Promise((resolve) => {
      this.wantWaiter = resolve;
    });
  }

  private async run(): Promise<void> {
    const cv = this.cv as Cv;
    let opened: OpenedMessage;
    try {
      opened = this.openCapture(cv);
    } catch (e) {
      this.finish({ t: 'open-failed', reason: errorText(e) }, 2);
      return;
    }
    send(opened);
    for (;;) {
      if (this.stopping) break;
      // Lossless: read one frame ahead and hold it until asked, so decoding overlaps the hand-over;
      // never read over a frame that has not been sent.
      if (this.plan.delivery === 'lossless' && this.newest) {
        await this.waitForWant();
        continue;
      }
      const r = await this.readOne(cv);
      if (this.stopping) break;
      if (r.mat === null) continue; // an unreadable image, already reported
      if (!r.mat || r.mat.empty) {
        if (this.plan.isFile && this.atEndOfMedia(cv)) {
          if (!this.plan.loop) {
            this.finish({ t: 'ended', reason: 'end of media', captured: this.captured }, 0);
            return;
          }
          if (this.framesThisPass === 0) {
            this.finish({ t: 'lost', reason: 'no readable frames in a whole pass over the media', captured: this.captured }, 0);
            return;
          }
          try {
            this.restartMedia(cv);
          } catch (e) {
            this.finish({ t: 'lost', reason: `reopening for the next loop failed: ${errorText(e)}`, captured: this.captured }, 0);
            return;
          }
          continue;
        }
        this.emptyRun++;
        if (this.emptyRun >= this.plan.emptyReadLimit) {
          this.finish(
            { t: 'lost', reason: `${this.emptyRun} empty reads in a row (end of stream, or the device went away)`, captured: this.captured },
            0,
          );
          return;
        }
        await sleep(this.plan.emptyReadDelayMs);
        continue;
      }
      this.emptyRun = 0;
      this.captured++;
      this.framesThisPass++;
      const header: FrameHeader = {
        seq: this.captured,
        ts: r.ts,
        captureMs: Math.round(r.captureMs * 1000) / 1000,
        width: r.mat.cols,
        height: r.mat.rows,
        ...(r.positionMs !== undefined ? { positionMs: r.positionMs, loop: this.loop } : {}),
      };
      if (this.plan.pacing === 'realtime') {
        await this.pace(header);
        header.ts = Date.now();
        if (this.stopping) break;
      }
      if (this.captured === 1) send({ t: 'first-frame', width: r.mat.cols, height: r.mat.rows });
      const old = this.newest;
      this.newest = { mat: r.mat, header };
      old?.mat.release();
      if (this.wants > 0) this.sendNewest();
    }
    this.releaseCapture();
    process.exit(0);
  }
}

let child: CaptureChild | undefined;

process.on('message', (raw: unknown) => {
  const m = asParentMessage(raw);
  if (!m) return;
  switch (m.t) {
    case 'start': {
      if (child) return;
      const out = new net.Socket({ fd: 4, readable: false, writable: true });
      out.on('error', () => process.exit(0)); // the daemon went away
      child = new CaptureChild(m.plan, out);
      child.start();
      return;
    }
    case 'want':
      child?.onWant();
      return;
    case 'stop':
      if (child) child.onStop();
      else process.exit(0);
      return;
    default:
      unhandledKind(m);
  }
});
process.on('disconnect', () => process.exit(0));
const fatal = (e: unknown): void => {
  if (child) child.finish({ t: 'fatal', reason: errorText(e) }, 3);
  else send({ t: 'fatal', reason: errorText(e) }, () => process.exit(3));
};
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);
