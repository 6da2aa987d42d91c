/**
 * What the capture process does with its source, as policy apart from OpenCV and from the process
 * (capture-child.ts wires both in): read continuously (`newest`) or one ahead of the daemon's asking
 * (`lossless`), keep only the newest unsent frame, pace files to media time, loop or end at the end
 * of the media, and give up on a stream after so many empty reads in a row. The result of run() is
 * the process's final word, or nothing when it was told to stop.
 *
 * Issue #17's work in the capture process (motion on a small copy, model-ready input, a ring of full
 * frames) belongs between a read and the newest slot, and in `send`.
 */
import type { MediaReader } from './media-reader';
import { errorMessage } from '../util/errors';
import type { ChildPlan } from './open-plan';
import { Pacer } from './pacer';
import type { ChildMessage, FinalMessage, FrameHeader } from './protocol';

/** The little of a Mat the loop needs. */
export interface FrameImage {
  readonly empty: boolean;
  readonly cols: number;
  readonly rows: number;
  release(): void;
}

export interface CaptureLoopDeps<M extends FrameImage> {
  plan: ChildPlan;
  reader: MediaReader<M>;
  /**
   * Sends a frame down the frame pipe (converting and releasing `mat`); a message when it could not
   * be converted. `onlyIfMoving`: the daemon asked for the frame only if something moves in it.
   */
  send(mat: M, header: FrameHeader, onlyIfMoving: boolean): boolean;
  tell(msg: ChildMessage): void;
  sleep(ms: number): Promise<void>;
  now(): number;
  /** Monotonic ms, for read durations. */
  monotonic(): number;
}

export class CaptureLoop<M extends FrameImage> {
  /** At most one frame waits here, read and not yet asked for; a newer read replaces it. */
  private newest: { mat: M; header: FrameHeader } | undefined;
  private wants = 0;
  /** The open request takes a header-only record when nothing moved (protocol.ts, 'want'). */
  private wantOnlyIfMoving = false;
  private wantWaiter: (() => void) | undefined;
  private stopping = false;
  private capturedCount = 0;
  private readStartedAt = 0;
  private emptyRun = 0;
  private pass = 0;
  private framesThisPass = 0;
  private readonly pacer = new Pacer();

  constructor(private readonly d: CaptureLoopDeps<M>) {}

  /** Frames read so far. */
  get captured(): number {
    return this.capturedCount;
  }

  /** How long the read in progress has been running, ms; -1 when none is. */
  readingMs(): number {
    return this.readStartedAt ? this.d.now() - this.readStartedAt : -1;
  }

  /** True while a read is in progress (it owns the source until it returns). */
  get reading(): boolean {
    return this.readStartedAt !== 0;
  }

  /** The daemon asks for one frame newer than the last one sent. */
  want(onlyIfMoving = false): void {
    this.wants = 1; // the daemon never has more than one request open; a repeat is the same request
    this.wantOnlyIfMoving = onlyIfMoving;
    if (this.newest) this.sendNewest();
    this.wake();
  }

  /** Stop at the next chance; run() then resolves without a final message. */
  stop(): void {
    this.stopping = true;
    this.wake();
  }

  async run(): Promise<{ final?: FinalMessage; code: number }> {
    const { plan, reader } = this.d;
    let opened;
    try {
      opened = reader.open();
    } catch (e) {
      return { final: { t: 'open-failed', reason: errorMessage(e) }, code: 2 };
    }
    this.d.tell(opened);
    for (;;) {
      if (this.stopping) break;
      // Lossless: read one frame ahead and hold it until asked, so decoding overlaps the hand-over;
      // never read over a frame that has not been sent.
      if (plan.delivery === 'lossless' && this.newest) {
        await new Promise<void>((resolve) => {
          this.wantWaiter = resolve;
        });
        continue;
      }
      const started = this.d.monotonic();
      this.readStartedAt = this.d.now();
      let r;
      try {
        r = await reader.read();
      } finally {
        this.readStartedAt = 0;
      }
      const captureMs = this.d.monotonic() - started;
      if (this.stopping) {
        r.mat?.release();
        break;
      }
      if (r.mat === null) continue; // an unreadable image, already reported
      if (r.mat === undefined || r.mat.empty) {
        const end = await this.afterEmptyRead();
        if (end) {
          this.dropNewest();
          return end;
        }
        continue;
      }
      this.emptyRun = 0;
      this.capturedCount++;
      this.framesThisPass++;
      const header: FrameHeader = {
        seq: this.capturedCount,
        ts: this.d.now(),
        captureMs: Math.round(captureMs * 1000) / 1000,
        width: r.mat.cols,
        height: r.mat.rows,
        ...(r.positionMs !== undefined ? { positionMs: r.positionMs, loop: this.pass } : {}),
      };
      if (plan.pacing === 'realtime') {
        await this.pace(header);
        header.ts = this.d.now();
        if (this.stopping) {
          r.mat.release();
          break;
        }
      }
      if (this.capturedCount === 1) this.d.tell({ t: 'first-frame', width: r.mat.cols, height: r.mat.rows });
      const old = this.newest;
      this.newest = { mat: r.mat, header };
      old?.mat.release();
      if (this.wants > 0) this.sendNewest();
    }
    this.dropNewest();
    return { code: 0 };
  }

  /** A frame read and never asked for goes with the loop (the daemon counts it as dropped). */
  private dropNewest(): void {
    this.newest?.mat.release();
    this.newest = undefined;
  }

  /** After an empty read: the end of the media (loop or finish), or one more of a run of empty reads. */
  private async afterEmptyRead(): Promise<{ final: FinalMessage; code: number } | undefined> {
    const { plan, reader } = this.d;
    const captured = this.capturedCount;
    if (plan.isFile && reader.atEnd()) {
      if (!plan.loop) return { final: { t: 'ended', reason: 'end of media', captured }, code: 0 };
      if (this.framesThisPass === 0) return { final: { t: 'lost', reason: 'no readable frames in a whole pass over the media', captured }, code: 0 };
      this.pass++;
      this.framesThisPass = 0;
      this.pacer.restart();
      try {
        reader.restart();
      } catch (e) {
        return { final: { t: 'lost', reason: `reopening for the next loop failed: ${errorMessage(e)}`, captured }, code: 0 };
      }
      return undefined;
    }
    this.emptyRun++;
    if (this.emptyRun >= plan.emptyReadLimit) {
      return { final: { t: 'lost', reason: `${this.emptyRun} empty reads in a row (end of stream, or the device went away)`, captured }, code: 0 };
    }
    await this.d.sleep(plan.emptyReadDelayMs);
    return undefined;
  }

  private async pace(header: FrameHeader): Promise<void> {
    const fps = this.d.reader.mediaFps() > 0 ? this.d.reader.mediaFps() : 25;
    const interval = 1000 / fps;
    const media = header.positionMs ?? (this.framesThisPass - 1) * interval;
    const delay = this.pacer.delayFor(media, this.d.now(), interval);
    if (delay > 0) await this.d.sleep(delay);
  }

  private sendNewest(): void {
    const f = this.newest;
    if (!f || this.wants === 0 || this.stopping) return;
    this.newest = undefined;
    this.wants--;
    if (!this.d.send(f.mat, f.header, this.wantOnlyIfMoving)) this.wants++;
  }

  private wake(): void {
    const w = this.wantWaiter;
    this.wantWaiter = undefined;
    w?.();
  }
}
