// Collections asked for by hand (src/util/collect-garbage.ts): the capture process's timer and the
// inference worker's collection after every run.
import { collect, exposedGc, FULL_GC_ARRAY_BUFFERS } from '../../../src/util/collect-garbage';

test('a full collection instead of a scavenge only when earlier scavenges left too much in ArrayBuffers (promoted dead buffers)', () => {
  const gc = jest.fn();
  collect(gc, () => FULL_GC_ARRAY_BUFFERS);
  expect(gc.mock.calls).toEqual([[{ type: 'minor' }]]);
  gc.mockClear();
  collect(gc, () => FULL_GC_ARRAY_BUFFERS + 1);
  expect(gc.mock.calls).toEqual([[{ type: 'major' }]]);
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
