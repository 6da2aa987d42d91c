/**
 * What the capture process sends for a frame, and the full frames it keeps (issue 17). With a model
 * input in the plan, a record carries that input (300×300 RGB is 270 KB where a 768×576 frame is
 * 1.3 MB), made here where the frame already is, so the daemon's main thread neither receives nor
 * resizes full frames; the frame itself goes into the ring (frame-ring.ts) and leaves the process
 * only as a JPEG, when a snapshot or the live page fetches it. Without one, the record carries the
 * whole BGR frame as before (`lookout doctor`'s camera check).
 */
import { setCvThreadsOnLoad, type Cv, type Mat } from '../cv';
import { annotate } from '../detect/annotate';
import { preprocessMat } from '../detect/preprocess';
import { errorMessage } from '../util/errors';
import type { ChildPlan } from './open-plan';
import type { FetchRequest, FrameHeader } from './protocol';
import { FrameRing } from './frame-ring';

/**
 * Frames kept after their hand-over besides the pinned ones. The daemon says a frame is a track's
 * new best frame with a 'want' up to three hand-overs later: the frame it detects asks for the next
 * one at once (camera-runtime.ts), a lossless hand-over fetches one more ahead, and the frame's own
 * result is known only after that. Four full frames (5 MB at 768×576) cover it.
 */
const RECENT_FRAMES = 4;

type WriteRecord = (header: FrameHeader, data: Buffer) => void;

/**
 * Quality of the JPEG a pinned frame is kept as: a track's best frame may be kept for minutes, and
 * a camera keeps up to one per live track, 1.3 MB each as pixels, about a tenth of that as a JPEG
 * this good (a snapshot is encoded again from it at the asked quality).
 */
const PINNED_QUALITY = 95;

/** A frame in the ring: its pixels while among the recent ones, a JPEG once pinned. */
interface Kept {
  mat?: Mat;
  jpeg?: Buffer;
  release(): void;
}

export class FrameOutput {
  private readonly ring = new FrameRing<Kept>(RECENT_FRAMES, 16, (k) => this.compress(k));

  constructor(
    private readonly cv: Cv,
    private readonly plan: Pick<ChildPlan, 'modelInput'>,
    private readonly write: WriteRecord,
  ) {
    // One small resize a frame: OpenCV's thread pool would only fight the inference threads for
    // the cores (the daemon did the same for its own preprocessing).
    if (plan.modelInput) setCvThreadsOnLoad(1);
  }

  /**
   * The record for `frame` (after transforms, 8-bit BGR, continuous), which this now owns: the model
   * input with the frame going into the ring, or the frame's own bytes. Throws when OpenCV fails
   * (the frame is released then).
   */
  record(frame: Mat, header: FrameHeader): { header: FrameHeader; data: Buffer } {
    const input = this.plan.modelInput;
    if (!input) {
      try {
        return { header, data: frame.getData() };
      } finally {
        // getData() copied the pixels: the Mat can go now rather than at the next garbage collection.
        frame.release();
      }
    }
    const t0 = performance.now();
    let pre;
    try {
      pre = preprocessMat(frame, input);
    } catch (e) {
      frame.release();
      throw e;
    }
    const preprocessMs = Math.round((performance.now() - t0) * 1000) / 1000;
    this.ring.put(header.seq, { mat: frame, release: () => frame.release() });
    return {
      header: { ...header, input: { dims: pre.dims, dtype: input.dtype, geometry: pre.geometry, preprocessMs } },
      data: Buffer.from(pre.data),
    };
  }

  /** The frames the daemon may still fetch besides the recent ones. */
  keep(seqs: readonly number[] | undefined): void {
    if (seqs) this.ring.keep(seqs);
  }

  /**
   * Answers a fetch with a record carrying `reply`: the JPEG, or no data and `missing` saying why.
   * Encoding runs on libuv's thread pool, so this process keeps reading and reporting meanwhile; the
   * frame is leased, so the ring moving on cannot release it under the encoder.
   */
  async fetch(req: FetchRequest): Promise<void> {
    const base = { seq: req.seq, ts: Date.now(), captureMs: 0, reply: req.id };
    const lease = this.ring.lease(req.seq);
    if (!lease) {
      this.write({ ...base, width: 0, height: 0, missing: `frame ${req.seq} is no longer held by the capture process` }, Buffer.alloc(0));
      return;
    }
    let decoded: Mat | undefined;
    let drawn: Mat | undefined;
    try {
      const kept = lease.frame;
      const mat = kept.mat ?? (decoded = this.cv.imdecode(kept.jpeg as Buffer));
      if ((req.annotate && req.annotate.length > 0) || (req.motion && req.motion.length > 0)) drawn = annotate(mat, req.annotate ?? [], req.motion ?? []);
      const quality = Math.max(1, Math.min(100, Math.round(req.quality)));
      const jpeg = await this.cv.imencodeAsync('.jpg', drawn ?? mat, [this.cv.IMWRITE_JPEG_QUALITY, quality]);
      this.write({ ...base, width: mat.cols, height: mat.rows }, jpeg);
    } catch (e) {
      this.write({ ...base, width: 0, height: 0, missing: `encoding frame ${req.seq} failed: ${errorMessage(e)}` }, Buffer.alloc(0));
    } finally {
      drawn?.release();
      decoded?.release();
      lease.end();
    }
  }

  /** A frame pinned for later fetching is kept as a JPEG; if encoding fails it stays as it is. */
  private compress(k: Kept): Kept {
    const mat = k.mat;
    if (!mat) return k;
    try {
      const jpeg = this.cv.imencode('.jpg', mat, [this.cv.IMWRITE_JPEG_QUALITY, PINNED_QUALITY]);
      mat.release();
      return { jpeg, release: () => undefined };
    } catch {
      return k;
    }
  }

  /** Releases the frames (the process is ending). */
  clear(): void {
    this.ring.clear();
  }
}
