import { Backoff, backoffOptions, type BackoffOptions } from '../../../src/util/backoff';

const exact: BackoffOptions = { initialMs: 1000, maxMs: 30000, factor: 2, jitter: 0 };

test('doubles from the initial delay up to the maximum; reset starts over', () => {
  const b = new Backoff(exact);
  const delays = Array.from({ length: 8 }, () => b.next());
  expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  expect(b.attempts).toBe(8);
  b.reset();
  expect(b.attempts).toBe(0);
  expect(b.next()).toBe(1000);
});

test('other growth factors', () => {
  const b = new Backoff({ initialMs: 100, maxMs: 1000, factor: 3, jitter: 0 });
  expect([b.next(), b.next(), b.next(), b.next()]).toEqual([100, 300, 900, 1000]);
});

test('jitter only shortens a delay, by up to its fraction: the maximum is really the longest wait', () => {
  const o = { initialMs: 1000, maxMs: 8000, factor: 2, jitter: 0.5 };
  const shortest = new Backoff(o, () => 0.999999);
  const longest = new Backoff(o, () => 0);
  expect([1, 2, 3, 4, 5].map(() => shortest.next())).toEqual([500, 1000, 2000, 4000, 4000]);
  expect([1, 2, 3, 4, 5].map(() => longest.next())).toEqual([1000, 2000, 4000, 8000, 8000]);
});

test("a consumer's defaults fill what its user left unset, also keys given as undefined", () => {
  expect(backoffOptions(exact, { maxMs: 5000 })).toEqual({ ...exact, maxMs: 5000 });
  expect(backoffOptions(exact, { initialMs: undefined, maxMs: undefined })).toEqual(exact);
  expect(backoffOptions(exact)).toEqual(exact);
});

test('a long initial delay given alone raises the default maximum with it', () => {
  const b = new Backoff(backoffOptions(exact, { initialMs: 60000 }));
  expect([b.next(), b.next()]).toEqual([60000, 60000]);
  // Both given: the user's maximum stands, and an inconsistent pair is refused.
  expect(() => new Backoff(backoffOptions(exact, { initialMs: 60000, maxMs: 1000 }))).toThrow(/maxMs ≥ initialMs/);
});

test('nonsense settings are refused, naming the rule', () => {
  expect(() => new Backoff({ ...exact, initialMs: 0 })).toThrow('backoff needs initialMs > 0, maxMs ≥ initialMs, factor ≥ 1 (got 0, 30000, 2)');
  expect(() => new Backoff({ ...exact, factor: 0.5 })).toThrow(/factor ≥ 1/);
  expect(() => new Backoff({ ...exact, jitter: 2 })).toThrow('backoff jitter must be 0..1, got 2');
  expect(() => new Backoff({ ...exact, initialMs: Number.NaN })).toThrow(/initialMs > 0/);
});
