import { FrameRing } from '../../../src/capture/frame-ring';

/** A stand-in for a Mat that knows whether it was released (and complains about a second release). */
class FakeFrame {
  released = false;
  constructor(readonly seq: number) {}
  release(): void {
    if (this.released) throw new Error(`frame ${this.seq} released twice`);
    this.released = true;
  }
}

function fill(ring: FrameRing<FakeFrame>, from: number, to: number): FakeFrame[] {
  const frames: FakeFrame[] = [];
  for (let seq = from; seq <= to; seq++) {
    const f = new FakeFrame(seq);
    frames.push(f);
    ring.put(seq, f);
  }
  return frames;
}

test('the ring holds the last frames put and releases each older one as it leaves', () => {
  const ring = new FrameRing<FakeFrame>(3);
  const frames = fill(ring, 1, 5);
  expect(frames.map((f) => f.released)).toEqual([true, true, false, false, false]);
  expect(ring.lease(2)).toBeUndefined();
  expect(ring.lease(4)?.frame).toBe(frames[3]);
  expect(ring.size).toBe(3);
});

test('a frame being fetched is not released when the ring moves on, only when its lease ends', () => {
  const ring = new FrameRing<FakeFrame>(2);
  const [first] = fill(ring, 1, 1);
  const lease = ring.lease(1);
  expect(lease?.frame).toBe(first);
  fill(ring, 2, 6); // frame 1 has left the ring while an encoder still reads it
  expect(first.released).toBe(false);
  expect(ring.lease(1)).toBeUndefined(); // nobody new gets it
  lease?.end();
  expect(first.released).toBe(true);
  lease?.end(); // idempotent: no second release
});

test('a slot is never handed to a new frame while the frame in it is leased: the new frame goes elsewhere, both intact', () => {
  const ring = new FrameRing<FakeFrame>(1);
  const [a] = fill(ring, 1, 1);
  const lease = ring.lease(1);
  const [b] = fill(ring, 2, 2);
  // Both exist: the leased one for its fetch, the new one for the next fetch.
  expect(lease?.frame).toBe(a);
  expect(a.released).toBe(false);
  expect(ring.lease(2)?.frame).toBe(b);
  expect(b.released).toBe(false);
  lease?.end();
  expect(a.released).toBe(true);
});

test('frames the daemon keeps (best frames) outlive their turn in the ring, and go when no longer kept', () => {
  const ring = new FrameRing<FakeFrame>(2);
  const frames = fill(ring, 1, 2);
  ring.keep([1]);
  fill(ring, 3, 10);
  expect(frames[0].released).toBe(false);
  expect(ring.lease(1)?.frame).toBe(frames[0]);
  expect(frames[1].released).toBe(true);
  ring.keep([]);
  expect(ring.lease(1)).toBeUndefined();
});

test('a kept frame that is being fetched when it stops being kept is released after the fetch', () => {
  const ring = new FrameRing<FakeFrame>(1);
  const [first] = fill(ring, 1, 1);
  ring.keep([1]);
  fill(ring, 2, 3);
  const lease = ring.lease(1);
  ring.keep([]);
  expect(first.released).toBe(false);
  lease?.end();
  expect(first.released).toBe(true);
});

test('pinned frames are bounded, and clear() releases everything not leased', () => {
  const ring = new FrameRing<FakeFrame>(1, 2);
  const frames = fill(ring, 1, 1);
  ring.keep([1, 2, 3]);
  frames.push(...fill(ring, 2, 5));
  expect(ring.size).toBe(3); // one recent + two pinned, the third kept one was let go
  const lease = ring.lease(5);
  ring.clear();
  expect(frames.filter((f) => !f.released).map((f) => f.seq)).toEqual([5]);
  lease?.end();
  expect(frames.every((f) => f.released)).toBe(true);
});

test('a frame still wanted a request after it was pinned is swapped for its smaller stand-in (a JPEG), unless a fetch is reading it right then', () => {
  const compressed: number[] = [];
  const ring = new FrameRing<FakeFrame>(1, 4, (f) => {
    compressed.push(f.seq);
    f.release(); // the stand-in owns what the frame held
    return new FakeFrame(f.seq + 1000);
  });
  fill(ring, 1, 2);
  ring.keep([2, 3]);
  const lease = ring.lease(2);
  fill(ring, 3, 4); // 2 and 3 leave the recent slot, pinned as they are
  expect(compressed).toEqual([]);
  ring.keep([2, 3]); // still wanted: 3 swapped; 2 is leased, so it stays as it is for now
  expect(compressed).toEqual([3]);
  expect(ring.lease(3)?.frame.seq).toBe(1003);
  expect(lease?.frame.seq).toBe(2);
  const second = ring.lease(2);
  expect(second?.frame.seq).toBe(2);
  lease?.end();
  second?.end();
  ring.keep([2, 3]);
  expect(compressed).toEqual([3, 2]);
  expect(ring.lease(2)?.frame.seq).toBe(1002);
});

test('the newest processed frame, pinned for one request and let go at the next, is never encoded', () => {
  const compressed: number[] = [];
  const ring = new FrameRing<FakeFrame>(2, 4, (f) => {
    compressed.push(f.seq);
    return new FakeFrame(f.seq + 1000);
  });
  const frames = fill(ring, 1, 2);
  // With frames in flight, each request names a processed frame that is about to leave the slots.
  for (let seq = 3; seq <= 8; seq++) {
    ring.keep([seq - 2]);
    frames.push(...fill(ring, seq, seq));
  }
  expect(compressed).toEqual([]);
  expect(frames.filter((f) => !f.released).map((f) => f.seq)).toEqual([6, 7, 8]);
});
