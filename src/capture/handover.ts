/**
 * Frame hand-over from a camera's capture process to its consumer (the detector).
 *
 * The consumer calls `next()`. In `newest` delivery the request goes to the capture process, which
 * keeps reading all the time and answers with the newest frame it has (or the next one), so the
 * detector always works on a fresh frame and never waits for a queue to drain. In `lossless`
 * delivery the capture process reads the next frame only when asked, and one frame is fetched ahead
 * into a slot, so every frame of a file arrives, in order. `maxFps` spaces hand-overs out.
 *
 * Accounting: every frame a capture process read is, in the end, either delivered or dropped
 * (counted from the gaps in its sequence numbers), also when the process dies with frames unsent.
 */
import type { MotionBox, MotionResult } from './motion';
import type { DeliveryMode } from './open-plan';
import type { AnnotationBox, ModelInputHeader } from './protocol';

/** One captured frame, after transforms. */
export interface Frame {
  camera: string;
  /** Increases by one per captured frame over the camera's lifetime (also across reconnects); gaps are drops. */
  seq: number;
  /** Epoch ms when the read returned (paced files: when the frame became due). */
  ts: number;
  /** How long the read (grab and decode) took, ms. */
  captureMs: number;
  width: number;
  height: number;
  /**
   * H × W × 3 bytes, BGR, rows contiguous: only when the capture was opened without a model input.
   * With one, the frame stays in its capture process (see `input` and `jpeg`).
   */
  data?: Buffer;
  /** The model's input made from this frame in the capture process (CaptureOptions.modelInput). */
  input?: FrameInput;
  /**
   * The frame as a JPEG, fetched from the capture process's ring (optionally with boxes drawn).
   * Rejects with the reason when the frame is no longer held (its process restarted, say) or does
   * not come in time; never hangs.
   */
  jpeg?: (options: JpegOptions) => Promise<FetchedJpeg>;
  /** Files and folders: position in the media, ms. */
  positionMs?: number;
  /** Files and folders: which pass over a looping source, from 0. */
  loop?: number;
  /** Motion against the frames before, when the camera computes motion. */
  motion?: MotionResult;
  /** Not for detection: nothing moved and none was needed; `data` is empty. */
  skipped?: 'no-motion';
}

/** A model input as the inference worker takes it: laid out as its record's header says. */
export interface FrameInput extends ModelInputHeader {
  /** Owned by whoever holds the frame; transferable to the inference worker. */
  data: ArrayBuffer;
}

export interface JpegOptions {
  /** 1..100. */
  quality: number;
  /** Draw these detections on it. */
  annotate?: readonly AnnotationBox[];
  /** Draw these moving regions on it (the frame's `motion.regions`). */
  motion?: readonly MotionBox[];
}

export interface FetchedJpeg {
  jpeg: Buffer;
  width: number;
  height: number;
}

/** nextFrame() cannot deliver because the camera ended (non-looping file) or was stopped. */
export class CaptureClosedError extends Error {
  constructor(
    readonly camera: string,
    readonly why: 'ended' | 'stopped',
  ) {
    super(why === 'ended' ? `camera ${camera}: the source ended` : `camera ${camera}: capture stopped`);
    this.name = 'CaptureClosedError';
  }
}

/** The frames of one capture process, by its own sequence numbers (from 1). */
export class FrameLedger {
  /** Highest seq the process reported reading. */
  captured = 0;
  /** Seqs up to here are counted as delivered or dropped. */
  accounted = 0;

  /** `seqBase`: frames captured by the camera's earlier processes, so camera seqs keep increasing. */
  constructor(readonly seqBase: number) {}

  /** The process reported reading up to `seq`; true when that is news. */
  read(seq: number): boolean {
    if (seq <= this.captured) return false;
    this.captured = seq;
    return true;
  }
}

/** What the hand-over needs from the camera. */
export interface FrameSource {
  /** Ask the current capture process for one frame, unless one is asked for already or none can be. */
  request(): void;
  /** No frame will ever come again: the source ended and its process is gone. */
  exhausted(): boolean;
}

interface Waiter {
  resolve: (f: Frame) => void;
  reject: (e: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export class FrameHandover {
  private waiters: Waiter[] = [];
  private slot: { frame: Frame; ledger: FrameLedger; childSeq: number } | undefined;
  private capTimer: NodeJS.Timeout | undefined;
  private lastDeliveredAt = 0;
  private closedWith: Error | undefined;
  private deliveredCount = 0;
  private droppedCount = 0;

  constructor(
    private readonly camera: string,
    private readonly o: { delivery: DeliveryMode; maxFps?: number },
    private readonly source: FrameSource,
  ) {}

  get delivered(): number {
    return this.deliveredCount;
  }

  get dropped(): number {
    return this.droppedCount;
  }

  /**
   * The next frame, honouring maxFps. Rejects with CaptureClosedError when the source ended or the
   * hand-over was closed, and with the signal's reason when aborted; otherwise it waits, also
   * through reconnects.
   */
  next(signal?: AbortSignal): Promise<Frame> {
    if (signal?.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (this.source.exhausted() && !this.slot) return Promise.reject(new CaptureClosedError(this.camera, 'ended'));
    return new Promise<Frame>((resolve, reject) => {
      const w: Waiter = { resolve, reject, ...(signal ? { signal } : {}) };
      if (signal) {
        w.onAbort = () => {
          this.waiters = this.waiters.filter((x) => x !== w);
          reject(signal.reason ?? new Error('aborted'));
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.waiters.push(w);
      this.pump();
    });
  }

  /** A frame arrived from the capture process whose frames `ledger` counts (its own seq: `childSeq`). */
  offer(frame: Frame, ledger: FrameLedger, childSeq: number): void {
    if (this.closedWith) return;
    ledger.read(childSeq);
    if (this.o.delivery === 'lossless') {
      this.slot = { frame, ledger, childSeq };
    } else {
      const w = this.waiters.shift();
      if (w) this.deliver(w, frame, ledger, childSeq);
      else {
        // Its consumer gave up (aborted) before it arrived; the next request fetches a newer one.
        this.droppedCount += childSeq - ledger.accounted;
        ledger.accounted = childSeq;
      }
    }
    this.pump();
  }

  /** The process of `ledger` is gone: what it read and never handed over is dropped, except a frame still in the slot. */
  settle(ledger: FrameLedger): void {
    const kept = this.slot?.ledger === ledger ? this.slot.childSeq : undefined;
    if (kept !== undefined) {
      this.droppedCount += Math.max(0, kept - ledger.accounted - 1) + Math.max(0, ledger.captured - kept);
      ledger.accounted = kept - 1;
    } else if (ledger.captured > ledger.accounted) {
      this.droppedCount += ledger.captured - ledger.accounted;
      ledger.accounted = ledger.captured;
    }
  }

  /** No more frames: pending and later next() calls reject with `error`; a frame in the slot is let go. */
  close(error: Error): void {
    this.closedWith = error;
    if (this.capTimer) clearTimeout(this.capTimer);
    this.capTimer = undefined;
    this.slot = undefined;
    this.rejectWaiters(error);
  }

  /** Moves frames toward waiters: serves the slot, asks for a frame, honours maxFps. */
  pump(): void {
    if (this.closedWith) return;
    const minInterval = this.o.maxFps ? 1000 / this.o.maxFps : 0;
    while (this.waiters.length > 0) {
      const wait = this.lastDeliveredAt + minInterval - Date.now();
      if (wait > 0) {
        this.capTimer ??= setTimeout(() => {
          this.capTimer = undefined;
          this.pump();
        }, wait);
        break;
      }
      if (this.slot) {
        const { frame, ledger, childSeq } = this.slot;
        this.slot = undefined;
        this.deliver(this.waiters.shift() as Waiter, frame, ledger, childSeq);
        continue;
      }
      if (this.source.exhausted()) {
        this.rejectWaiters(new CaptureClosedError(this.camera, 'ended'));
        return;
      }
      this.source.request();
      break;
    }
    // Lossless: fetch one ahead so decoding overlaps the consumer.
    if (this.o.delivery === 'lossless' && !this.slot) this.source.request();
  }

  private deliver(w: Waiter, frame: Frame, ledger: FrameLedger, childSeq: number): void {
    if (childSeq > ledger.accounted) {
      this.droppedCount += childSeq - ledger.accounted - 1;
      ledger.accounted = childSeq;
    }
    this.deliveredCount++;
    this.lastDeliveredAt = Date.now();
    if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
    w.resolve(frame);
  }

  private rejectWaiters(e: Error): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) {
      if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
      w.reject(e);
    }
  }
}
