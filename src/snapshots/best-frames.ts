/**
 * The best (highest-scoring) frame of each live track, kept so that an event's snapshot shows the
 * object at its clearest moment rather than whatever frame the event happened on. Frames are held by
 * reference (capture hands each frame its own buffer); at most `maxTracks` are kept per camera, the
 * weakest giving way, so a crowd cannot grow memory without bound.
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

  get size(): number {
    return this.byTrack.size;
  }
}
