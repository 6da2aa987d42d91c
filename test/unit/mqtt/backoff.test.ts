import { FlapDetector, linkBackoff, MQTT_BACKOFF } from '../../../src/mqtt/backoff';

describe('the link backoff', () => {
  it('defaults to 1 s doubling to 60 s (docs/mqtt.md), each delay shortened by up to half', () => {
    const nominal = linkBackoff({ ...MQTT_BACKOFF, jitter: 0 });
    expect(Array.from({ length: 8 }, () => nominal.next())).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
    expect(MQTT_BACKOFF.jitter).toBe(0.5);
  });

  it('takes any subset of the options', () => {
    const b = linkBackoff(MQTT_BACKOFF, { initialMs: 100, maxMs: 400, jitter: 0 });
    expect([b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 400]);
  });

  it('refuses nonsense, naming the rule', () => {
    expect(() => linkBackoff(MQTT_BACKOFF, { initialMs: 500, maxMs: 100 })).toThrow(/backoff needs initialMs > 0, maxMs ≥ initialMs/);
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
