import { Backoff, FlapDetector } from '../../../src/mqtt/backoff';

describe('Backoff', () => {
  it('doubles up to the cap, without jitter', () => {
    const b = new Backoff({ minMs: 100, maxMs: 1000, factor: 2, jitter: 0 });
    expect([1, 2, 3, 4, 5, 6].map(() => b.next())).toEqual([100, 200, 400, 800, 1000, 1000]);
    b.reset();
    expect(b.next()).toBe(100);
  });

  it('jitter shortens each delay by up to the jitter fraction', () => {
    const low = new Backoff({ minMs: 1000, maxMs: 8000, factor: 2, jitter: 0.5 }, () => 1);
    const high = new Backoff({ minMs: 1000, maxMs: 8000, factor: 2, jitter: 0.5 }, () => 0);
    expect([low.next(), low.next()]).toEqual([500, 1000]);
    expect([high.next(), high.next()]).toEqual([1000, 2000]);
  });

  it('refuses nonsense', () => {
    expect(() => new Backoff({ minMs: 0, maxMs: 1, factor: 2, jitter: 0 })).toThrow(/backoff/);
  });
});

describe('FlapDetector', () => {
  it('reports flapping after several short-lived connections in a row, not after long ones', () => {
    const f = new FlapDetector(5000, 3);
    expect([f.closed(100), f.closed(200)]).toEqual([false, false]);
    expect(f.closed(60_000)).toBe(false);
    expect([f.closed(100), f.closed(100), f.closed(100)]).toEqual([false, false, true]);
  });
});
