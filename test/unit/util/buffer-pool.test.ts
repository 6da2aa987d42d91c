// The pool of model-input buffers (src/util/buffer-pool.ts): a frame reuses a buffer of its size.
import { BufferPool } from '../../../src/util/buffer-pool';

test('a buffer given back is the one the next take of its size gets', () => {
  const pool = new BufferPool(1024);
  const a = pool.take(4096);
  pool.give(a);
  expect(pool.take(4096)).toBe(a);
  expect(pool.take(4096)).not.toBe(a); // taken already: a new one
  expect(pool.take(8192).byteLength).toBe(8192);
});

test('small and detached buffers are not kept; neither are more than a few per size and sizes', () => {
  const pool = new BufferPool(1024, 2, 2);
  pool.give(new ArrayBuffer(100));
  const moved = new ArrayBuffer(4096);
  structuredClone(moved, { transfer: [moved] }); // detached, as after a transfer to a worker
  pool.give(moved);
  expect(pool.kept).toBe(0);
  for (let i = 0; i < 5; i++) pool.give(new ArrayBuffer(4096));
  expect(pool.kept).toBe(2);
  pool.give(new ArrayBuffer(2048));
  pool.give(new ArrayBuffer(3000)); // a third size: the oldest size goes
  expect(pool.kept).toBe(2);
  const again = new BufferPool(1024);
  const b = again.take(4096);
  again.give(b);
  again.give(b); // the same buffer twice is kept once
  expect(again.kept).toBe(1);
});
