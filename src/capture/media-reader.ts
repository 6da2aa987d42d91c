/**
 * The capture process's OpenCV side of a source: opens it as the plan says (a VideoCapture on a
 * backend, or a list of image files), reads frames, and knows a file's real end from a decoding
 * hiccup. How often to read and what to do with a frame is capture-loop.ts's business.
 */
import * as fs from 'node:fs';
import type * as OpenCV from '@u4/opencv4nodejs';
import type { Cv, Mat } from '../cv';
import { CompressedFrame, mayReadCompressed } from './compressed-frame';
import { fourccText } from './cv-frame';
import type { ChildPlan } from './open-plan';
import type { OpenedMessage } from './protocol';
import { transformSteps } from './transform';
import { errorMessage } from '../util/errors';

/** A read: `mat` undefined when nothing came (end of a list, an empty read), null for an unreadable image (skipped). */
export interface MediaRead<M> {
  mat: M | null | undefined;
  /** Files and folders: position in the media, ms. */
  positionMs?: number;
}

/** What the capture loop needs from a source; OpenCV's below, a stand-in in unit tests. */
export interface MediaReader<M> {
  /** Opens the source; throws with the reason when it cannot. */
  open(): OpenedMessage;
  read(): Promise<MediaRead<M>>;
  /** After an empty read of a file or folder: true when it is the real end, not a hiccup mid-file. */
  atEnd(): boolean;
  /** The next pass over a looping file or folder; throws when the file is gone. */
  restart(): void;
  /** Frames per second of the media, for realtime pacing (0 when unknown). */
  mediaFps(): number;
  /** Closes the source; best effort, once the process is about to end. */
  release(): void;
}

/** An OpenCV constant by name (plans name backends and properties, e.g. CAP_V4L2, CAP_PROP_FPS). */
function cvConstant(cv: Cv, name: string): number | undefined {
  const v = (cv as unknown as Record<string, unknown>)[name];
  return typeof v === 'number' ? v : undefined;
}

export class OpenCvMediaReader implements MediaReader<Mat | CompressedFrame> {
  private cap: OpenCV.VideoCapture | undefined;
  private imageIndex = 0;
  private fps = 0;
  private frameCount = 0;
  /** Frames are read as MJPG packets of this size and decoded on demand (compressed-frame.ts). */
  private compressed: { width: number; height: number } | undefined;

  constructor(
    private readonly cv: Cv,
    private readonly plan: ChildPlan,
    private readonly warn: (message: string) => void,
  ) {}

  open(): OpenedMessage {
    const cv = this.cv;
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
        this.warn(`setting ${name}=${value} failed: ${errorMessage(e)}`);
        continue;
      }
      if (!ok) this.warn(`the driver refused ${name}=${value}`);
    }
    const get = (prop: number): number => {
      try {
        return cap.get(prop);
      } catch {
        return 0;
      }
    };
    this.fps = get(cv.CAP_PROP_FPS);
    this.frameCount = get(cv.CAP_PROP_FRAME_COUNT);
    const width = get(cv.CAP_PROP_FRAME_WIDTH);
    const height = get(cv.CAP_PROP_FRAME_HEIGHT);
    const fourcc = fourccText(get(cv.CAP_PROP_FOURCC));
    const transformed = transformSteps(width, height, this.plan.transform).length > 0;
    this.compressed = undefined;
    if (width > 0 && height > 0 && mayReadCompressed({ api: o.api, fourcc, motion: this.plan.motion !== undefined, transformed })) {
      this.compressed = this.rawMode(cap) ? { width, height } : undefined;
    }
    return {
      t: 'opened',
      width,
      height,
      fps: this.fps,
      fourcc,
      frameCount: this.frameCount,
      ...(this.compressed ? { compressed: true } : {}),
    };
  }

  /** Asks FFmpeg's backend for packets instead of decoded frames; false when it refuses. */
  private rawMode(cap: OpenCV.VideoCapture): boolean {
    try {
      return cap.set(this.cv.CAP_PROP_FORMAT, -1);
    } catch {
      return false;
    }
  }

  async read(): Promise<MediaRead<Mat | CompressedFrame>> {
    const o = this.plan.open;
    if (o.type === 'images') {
      if (this.imageIndex >= o.files.length) return { mat: undefined };
      const i = this.imageIndex++;
      const file = o.files[i];
      let mat: Mat | undefined;
      try {
        mat = await this.cv.imreadAsync(file);
      } catch (e) {
        this.warn(`cannot read image ${file}: ${errorMessage(e)}`);
      }
      const positionMs = (i * 1000) / this.plan.imagesFps;
      if (!mat || mat.empty) {
        this.warn(`skipping unreadable image ${file}`);
        return { mat: null, positionMs };
      }
      return { mat, positionMs };
    }
    if (!this.cap) return { mat: undefined };
    const read = await this.cap.readAsync();
    if (!read || read.empty) return { mat: undefined };
    const c = this.compressed;
    const mat = c ? new CompressedFrame(read, c.width, c.height) : read;
    if (!this.plan.isFile) return { mat };
    return { mat, positionMs: Math.round(this.positionMs() * 1000) / 1000 };
  }

  /**
   * Where the frame just read is in the file, ms. FFmpeg's backend does not track POS_MSEC in raw
   * mode (it stays 0, and realtime pacing would then read as fast as it can), so a compressed read
   * counts frames at the file's rate.
   */
  private positionMs(): number {
    const cap = this.cap as OpenCV.VideoCapture;
    if (this.compressed && this.fps > 0) return ((cap.get(this.cv.CAP_PROP_POS_FRAMES) - 1) * 1000) / this.fps;
    return cap.get(this.cv.CAP_PROP_POS_MSEC);
  }

  atEnd(): boolean {
    const o = this.plan.open;
    if (o.type === 'images') return this.imageIndex >= o.files.length;
    if (!this.cap || !(this.frameCount > 0)) return true;
    let pos = 0;
    try {
      pos = this.cap.get(this.cv.CAP_PROP_POS_FRAMES);
    } catch {
      return true;
    }
    return pos >= this.frameCount - 1;
  }

  /** Reopening (not seeking) also sees a file replaced in place. */
  restart(): void {
    const o = this.plan.open;
    if (o.type === 'images') {
      this.imageIndex = 0;
      return;
    }
    this.release();
    if (typeof o.target !== 'string' || !fs.existsSync(o.target)) throw new Error(`the file is gone: ${o.target}`);
    this.cap = new this.cv.VideoCapture(o.target, cvConstant(this.cv, o.api));
    this.frameCount = this.cap.get(this.cv.CAP_PROP_FRAME_COUNT);
    if (this.compressed && !this.rawMode(this.cap)) this.compressed = undefined;
  }

  mediaFps(): number {
    return this.plan.open.type === 'images' ? this.plan.imagesFps : this.fps;
  }

  release(): void {
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
}
