import type { Frame } from '../../../src/capture';
import { BestFrames } from '../../../src/snapshots/best-frames';

const frame = (seq: number): Frame => ({ camera: 'front', seq, ts: 1000 + seq, captureMs: 1, width: 2, height: 2, data: Buffer.alloc(12) });

describe('BestFrames', () => {
  it('keeps the highest-scoring frame of each track, and a better one is unpublished again', () => {
    const best = new BestFrames();
    best.offer(1, 0.6, frame(1), []);
    best.get(1)!.published = true;
    best.offer(1, 0.5, frame(2), []);
    expect(best.get(1)).toMatchObject({ score: 0.6, published: true });
    best.offer(1, 0.9, frame(3), []);
    expect(best.get(1)).toMatchObject({ score: 0.9, published: false });
    expect(best.get(1)!.frame.seq).toBe(3);
  });

  it('holds at most maxTracks frames: the weakest gives way to a stronger newcomer, not to a weaker one', () => {
    const best = new BestFrames(2);
    best.offer(1, 0.7, frame(1), []);
    best.offer(2, 0.5, frame(2), []);
    best.offer(3, 0.4, frame(3), []);
    expect(best.get(3)).toBeUndefined();
    best.offer(3, 0.8, frame(4), []);
    expect(best.size).toBe(2);
    expect(best.get(2)).toBeUndefined();
    expect(best.get(3)?.score).toBe(0.8);
    best.forget(1);
    expect(best.size).toBe(1);
  });

  it('names the frames the capture process must keep: best frames, and those a snapshot is still to be made of after their track went', () => {
    const best = new BestFrames();
    best.offer(1, 0.6, frame(4), []);
    best.offer(2, 0.7, frame(9), []);
    expect(best.seqs().sort()).toEqual([4, 9]);
    // Track 1 ended; its end event's snapshot waits in line behind others.
    best.hold(4);
    best.forget(1);
    best.clear();
    expect(best.seqs()).toEqual([4]);
    best.unhold(4);
    expect(best.seqs()).toEqual([]);
  });
});
