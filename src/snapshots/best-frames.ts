/**
 * The best (highest-scoring) frame of each live track, kept so that an event's snapshot shows the
 * object at its clearest moment rather than whatever frame the event happened on. Frames are held by
 * reference; with the lean hand-over (issue 17) a Frame holds no pixels, and its capture process
 * keeps the full frame in its ring for as long as it is listed in seqs(). At most `maxTracks` are
 * kept per camera, the weakest giving way, so a crowd cannot grow memory without bound.
 */
import type { Frame } from '../capture';
import type { Detection } from '../detect';

export interface BestFrame {
  frame: Frame;
  score: number;
  /** Every detection of that frame, for annotated snapshots. */
  detections: Detection[];
  /** A snapshot of this very frame has been published. */
  published: boolean;
}

export class BestFrames {
  private readonly byTrack = new Map<number, BestFrame>();
  /** Frames a snapshot is still to be made of (seq → how many), after their track let them go. */
  private readonly held = new Map<number, number>();

  constructor(private readonly maxTracks = 8) {}

  offer(trackId: number, score: number, frame: Frame, detections: Detection[]): void {
    const known = this.byTrack.get(trackId);
    if (known && known.score >= score) return;
    if (!known && this.byTrack.size >= this.maxTracks) {
      let weakest: number | undefined;
      let weakestScore = Infinity;
      for (const [id, b] of this.byTrack) {
        if (b.score < weakestScore) {
          weakest = id;
          weakestScore = b.score;
        }
      }
      if (weakest === undefined || weakestScore >= score) return;
      this.byTrack.delete(weakest);
    }
    this.byTrack.set(trackId, { frame, score, detections, published: false });
  }

  get(trackId: number): BestFrame | undefined {
    return this.byTrack.get(trackId);
  }

  forget(trackId: number): void {
    this.byTrack.delete(trackId);
  }

  clear(): void {
    this.byTrack.clear();
  }

  /**
   * The frames held (their seqs), unpublished or not, and those a snapshot is still to be made of:
   * the capture process keeps them fetchable.
   */
  seqs(): number[] {
    return [...new Set([...[...this.byTrack.values()].map((b) => b.frame.seq), ...this.held.keys()])];
  }

  /**
   * Keeps frame `seq` among seqs() until `unhold`, whatever happens to its track: an end event's
   * snapshot waits in line behind earlier ones while the track is already forgotten.
   */
  hold(seq: number): void {
    this.held.set(seq, (this.held.get(seq) ?? 0) + 1);
  }

  unhold(seq: number): void {
    const n = (this.held.get(seq) ?? 0) - 1;
    if (n > 0) this.held.set(seq, n);
    else this.held.delete(seq);
  }

  get size(): number {
    return this.byTrack.size;
  }
}
