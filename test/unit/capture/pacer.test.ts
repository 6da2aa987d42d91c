import { Pacer } from '../../../src/capture/pacer';

test('holds each frame until its media time, counted from the first frame of the pass', () => {
  const p = new Pacer();
  expect(p.delayFor(5000, 1000, 100)).toBe(0); // the first frame anchors the clock
  expect(p.delayFor(5100, 1000, 100)).toBe(100);
  expect(p.delayFor(5200, 1150, 100)).toBe(50);
  expect(p.delayFor(5300, 1400, 100)).toBe(0); // a little late: sent at once, the clock stays
  expect(p.delayFor(5400, 1400, 100)).toBe(0);
  expect(p.delayFor(5500, 1400, 100)).toBe(100);
});

test('far behind, or a jump in the timestamps, restarts the clock instead of bursting or stalling', () => {
  const behind = new Pacer();
  behind.delayFor(0, 0, 100);
  expect(behind.delayFor(100, 5000, 100)).toBe(0); // decoding fell 4.9 s behind
  expect(behind.delayFor(200, 5000, 100)).toBe(100); // paced again from there
  const jump = new Pacer();
  jump.delayFor(0, 0, 100);
  expect(jump.delayFor(60_000, 100, 100)).toBe(0); // one minute ahead in the media at once
  expect(jump.delayFor(60_100, 100, 100)).toBe(100);
});

test('a new pass over the media starts its own clock', () => {
  const p = new Pacer();
  p.delayFor(0, 0, 100);
  p.delayFor(7900, 7900, 100);
  p.restart();
  expect(p.delayFor(0, 8000, 100)).toBe(0);
  expect(p.delayFor(100, 8000, 100)).toBe(100);
});
