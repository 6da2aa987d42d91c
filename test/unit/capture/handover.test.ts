import { CaptureClosedError, type Frame, FrameHandover, FrameLedger } from '../../../src/capture/handover';

function frame(seq: number): Frame {
  return { camera: 'c', seq, ts: 0, captureMs: 1, width: 1, height: 1, data: Buffer.alloc(3) };
}

/** A camera double: counts requests; `ended` says whether its source is exhausted. */
function setup(delivery: 'newest' | 'lossless', maxFps?: number) {
  const src = { requests: 0, ended: false };
  const h = new FrameHandover(
    'c',
    { delivery, ...(maxFps !== undefined ? { maxFps } : {}) },
    {
      request: () => {
        src.requests++;
      },
      exhausted: () => src.ended,
    },
  );
  return { h, src };
}

const settled = async <T>(p: Promise<T>): Promise<'pending' | T> => Promise.race([p, new Promise<'pending'>((r) => setImmediate(() => r('pending')))]);

beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate'] }));
afterEach(() => jest.useRealTimers());

test('newest: each request asks the capture process once; frames it read in between count as dropped', async () => {
  const { h, src } = setup('newest');
  const ledger = new FrameLedger(0);
  const first = h.next();
  expect(src.requests).toBe(1);
  h.offer(frame(1), ledger, 1);
  expect((await first).seq).toBe(1);
  const second = h.next();
  expect(src.requests).toBe(2);
  ledger.read(4); // the process read frames 2..4 meanwhile and answers with 5
  h.offer(frame(5), ledger, 5);
  expect((await second).seq).toBe(5);
  expect([h.delivered, h.dropped]).toEqual([2, 3]);
});

test('a frame nobody waits for any more (the consumer aborted) is dropped, and the abort rejects with its reason', async () => {
  const { h } = setup('newest');
  const ledger = new FrameLedger(0);
  const ac = new AbortController();
  const p = h.next(ac.signal);
  ac.abort(new Error('consumer gave up'));
  await expect(p).rejects.toThrow('consumer gave up');
  h.offer(frame(1), ledger, 1);
  expect([h.delivered, h.dropped]).toEqual([0, 1]);
  await expect(h.next(ac.signal)).rejects.toThrow('consumer gave up');
});

test('lossless: one frame is fetched ahead into the slot; every frame arrives in order, none dropped', async () => {
  const { h, src } = setup('lossless');
  const ledger = new FrameLedger(0);
  const got: number[] = [];
  for (let seq = 1; seq <= 5; seq++) {
    const p = h.next();
    h.offer(frame(seq), ledger, seq);
    got.push((await p).seq);
  }
  expect(got).toEqual([1, 2, 3, 4, 5]);
  expect([h.delivered, h.dropped]).toEqual([5, 0]);
  // It asked for the next one ahead of the consumer.
  expect(src.requests).toBeGreaterThanOrEqual(5);
  h.offer(frame(6), ledger, 6);
  expect((await h.next()).seq).toBe(6);
});

test('a process that dies leaves its unsent frames counted as dropped, except the one still in the slot', async () => {
  const { h, src } = setup('lossless');
  const ledger = new FrameLedger(0);
  h.pump();
  h.offer(frame(1), ledger, 1);
  ledger.read(3); // it had read two more when it died
  h.settle(ledger);
  expect(h.dropped).toBe(2);
  src.ended = true;
  // The last frame of a file still arrives after its process is gone; then the source has ended.
  expect((await h.next()).seq).toBe(1);
  await expect(h.next()).rejects.toEqual(new CaptureClosedError('c', 'ended'));
});

test('maxFps spaces hand-overs out; nothing is asked for before the interval has passed', async () => {
  const { h, src } = setup('newest', 5);
  const ledger = new FrameLedger(0);
  const first = h.next();
  h.offer(frame(1), ledger, 1);
  await first;
  const second = h.next();
  expect(src.requests).toBe(1); // held back: 200 ms between hand-overs at 5 fps
  jest.advanceTimersByTime(199);
  expect(src.requests).toBe(1);
  jest.advanceTimersByTime(1);
  expect(src.requests).toBe(2);
  h.offer(frame(2), ledger, 2);
  expect(await settled(second)).toMatchObject({ seq: 2 });
});

test('close rejects waiting and later requests with the given error and lets a held frame go', async () => {
  const { h } = setup('lossless');
  const ledger = new FrameLedger(0);
  h.pump();
  h.offer(frame(1), ledger, 1);
  const p1 = h.next();
  const p2 = h.next();
  expect((await p1).seq).toBe(1);
  const stopped = new CaptureClosedError('c', 'stopped');
  h.close(stopped);
  await expect(p2).rejects.toBe(stopped);
  await expect(h.next()).rejects.toBe(stopped);
  h.offer(frame(2), ledger, 2);
  expect(h.delivered).toBe(1);
});

test('seqs of a later process continue the camera numbering through its ledger', () => {
  const ledger = new FrameLedger(795);
  expect(ledger.read(3)).toBe(true);
  expect(ledger.read(2)).toBe(false);
  expect(ledger.captured).toBe(3);
  expect(ledger.seqBase + 3).toBe(798);
});
