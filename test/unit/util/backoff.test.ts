import { Backoff } from '../../../src/capture/backoff';

test('doubles from initial up to max, without jitter', () => {
  const b = new Backoff({ initialMs: 1000, maxMs: 30000, jitter: 0 });
  const delays = Array.from({ length: 8 }, () => b.next());
  expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  expect(b.attempts).toBe(8);
  b.reset();
  expect(b.next()).toBe(1000);
});

test('jitter spreads each delay within ±jitter and never above max', () => {
  const low = new Backoff({ initialMs: 1000, maxMs: 5000, jitter: 0.2 }, () => 0);
  const high = new Backoff({ initialMs: 1000, maxMs: 5000, jitter: 0.2 }, () => 0.999999);
  expect([low.next(), low.next(), low.next(), low.next()]).toEqual([800, 1600, 3200, 4000]);
  expect([high.next(), high.next(), high.next(), high.next()]).toEqual([1200, 2400, 4800, 5000]);
});

test('other growth factors', () => {
  const b = new Backoff({ initialMs: 100, maxMs: 1000, factor: 3, jitter: 0 });
  expect([b.next(), b.next(), b.next(), b.next()]).toEqual([100, 300, 900, 1000]);
});

test('a long initial delay alone raises the default maximum; unset keys keep their defaults', () => {
  const b = new Backoff({ initialMs: 60000, jitter: 0 });
  expect([b.next(), b.next()]).toEqual([60000, 60000]);
  const c = new Backoff({ initialMs: undefined, maxMs: undefined, jitter: 0 });
  expect([c.next(), c.next()]).toEqual([1000, 2000]);
});

test('nonsense settings are refused', () => {
  expect(() => new Backoff({ initialMs: 0 })).toThrow(/initialMs > 0/);
  expect(() => new Backoff({ initialMs: 5000, maxMs: 1000 })).toThrow(/maxMs ≥ initialMs/);
  expect(() => new Backoff({ jitter: 2 })).toThrow(/jitter must be 0..1/);
});
