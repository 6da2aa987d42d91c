// Collections asked for by hand (src/util/collect-garbage.ts): the capture process's timer and the
// inference worker's collection after every run.
import { collect, exposedGc, FULL_GC_ARRAY_BUFFERS } from '../../../src/util/collect-garbage';

test('a full collection instead of a scavenge only when earlier scavenges left too much in ArrayBuffers (promoted dead buffers)', () => {
  const gc = jest.fn();
  collect(gc, () => FULL_GC_ARRAY_BUFFERS);
  expect(gc.mock.calls).toEqual([[{ type: 'minor' }]]);
  gc.mockClear();
  collect(gc, () => FULL_GC_ARRAY_BUFFERS + 1);
  expect(gc.mock.calls).toEqual([[]]);
});

test('the full collection frees promoted dead ArrayBuffers (what a sync gc({ type: "major" }) on Node 20 does not)', async () => {
  const gc = exposedGc();
  const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));
  const holder: { buffers?: Buffer[] } = { buffers: Array.from({ length: 40 }, () => Buffer.alloc(250_000, 1)) };
  // Promoted to the old generation, as a pinned frame's JPEG is after a few scavenges.
  for (let i = 0; i < 3; i++) {
    gc({ type: 'minor' });
    await tick();
  }
  delete holder.buffers;
  await tick();
  const before = process.memoryUsage().arrayBuffers;
  expect(before).toBeGreaterThan(FULL_GC_ARRAY_BUFFERS);
  collect(gc);
  await tick();
  expect(before - process.memoryUsage().arrayBuffers).toBeGreaterThan(9_000_000);
});

test('without --expose-gc, exposedGc still gives a gc() that collects this isolate', async () => {
  const gc = exposedGc();
  let garbage: object | undefined = { frame: 1 };
  const ref = new WeakRef(garbage);
  garbage = undefined;
  // A WeakRef's target stays alive until the job that made it ends.
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  expect(ref.deref()).toBeUndefined();
});
