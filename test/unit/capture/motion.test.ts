// Motion on synthetic gray frames: a still picture is no motion, a square that moves is, a square
// that moves only under a mask is not, and a region smaller than min_area does not count.
import { MotionDetector, motionSize, type MotionSpec } from '../../../src/capture/motion';

const W = 160;
const H = 120;

/** A mid-gray frame with a bright square of `size` pixels at (x, y). */
function frame(square?: { x: number; y: number; size: number }): Uint8Array {
  const f = new Uint8Array(W * H).fill(100);
  if (square) {
    for (let y = square.y; y < Math.min(H, square.y + square.size); y++) {
      for (let x = square.x; x < Math.min(W, square.x + square.size); x++) f[y * W + x] = 220;
    }
  }
  return f;
}

const spec = (over: Partial<MotionSpec> = {}): MotionSpec => ({ threshold: 25, minArea: 0.001, masks: [], ...over });

test('a still picture is no motion; a moving square is, with its region; stopping ends it', () => {
  const m = new MotionDetector(W, H, spec());
  expect(m.update(frame()).moving).toBe(false); // learns the background
  for (let i = 0; i < 5; i++) expect(m.update(frame()).moving).toBe(false);
  const moved = m.update(frame({ x: 40, y: 30, size: 20 }));
  expect(moved.moving).toBe(true);
  expect(moved.regions).toHaveLength(1);
  const [x0, y0, x1, y1] = moved.regions[0];
  // The square is at 0.25..0.375 × 0.25..0.417; dilation adds a pixel around it.
  expect(x0).toBeCloseTo(39 / W, 2);
  expect(y0).toBeCloseTo(29 / H, 2);
  expect(x1).toBeCloseTo(61 / W, 2);
  expect(y1).toBeCloseTo(51 / H, 2);
  expect(moved.area).toBeGreaterThan((20 * 20) / (W * H));
  // It keeps moving: motion on every step.
  for (let x = 45; x < 100; x += 5) expect(m.update(frame({ x, y: 30, size: 20 })).moving).toBe(true);
  // It stays where it is: the background takes it in and motion ends.
  let still = 0;
  for (let i = 0; i < 200 && m.update(frame({ x: 95, y: 30, size: 20 })).moving; i++) still++;
  expect(still).toBeLessThan(200);
  expect(m.update(frame({ x: 95, y: 30, size: 20 })).moving).toBe(false);
});

test('motion only inside a mask is no motion; the same motion outside it is', () => {
  const masked = new MotionDetector(
    W,
    H,
    spec({
      masks: [
        [
          [0, 0],
          [0.5, 0],
          [0.5, 1],
          [0, 1],
        ],
      ],
    }),
  );
  masked.update(frame());
  for (let x = 10; x < 50; x += 5) expect(masked.update(frame({ x, y: 50, size: 20 })).moving).toBe(false);
  const right = masked.update(frame({ x: 110, y: 50, size: 20 }));
  expect(right.moving).toBe(true);
  expect(right.regions[0][0]).toBeGreaterThanOrEqual(0.5);
});

test('a change smaller than min_area does not count', () => {
  const m = new MotionDetector(W, H, spec({ minArea: 0.01 })); // 192 pixels
  m.update(frame());
  expect(m.update(frame({ x: 10, y: 10, size: 4 })).moving).toBe(false); // 36 pixels dilated
  expect(m.update(frame({ x: 60, y: 60, size: 20 })).moving).toBe(true);
});

test('one changed pixel counts once min_area is no more than the nine pixels its dilation covers', () => {
  const nine = new MotionDetector(W, H, spec({ minArea: 9 / (W * H) }));
  nine.update(frame());
  expect(nine.update(frame({ x: 80, y: 60, size: 1 })).moving).toBe(true);
  const ten = new MotionDetector(W, H, spec({ minArea: 10 / (W * H) }));
  ten.update(frame());
  expect(ten.update(frame({ x: 80, y: 60, size: 1 })).moving).toBe(false);
});

test('a change below the threshold is not motion', () => {
  const m = new MotionDetector(W, H, spec({ threshold: 150 }));
  m.update(frame());
  expect(m.update(frame({ x: 40, y: 30, size: 20 })).moving).toBe(false); // 120 gray levels
});

test('the whole picture changing (lights on) is motion once, then the new picture is the background', () => {
  const m = new MotionDetector(W, H, spec());
  m.update(frame());
  const bright = new Uint8Array(W * H).fill(200);
  expect(m.update(bright).moving).toBe(true);
  expect(m.update(bright).moving).toBe(false);
});

test('the copy keeps the aspect and is at most 120 rows', () => {
  expect(motionSize(768, 576)).toEqual({ width: 160, height: 120 });
  expect(motionSize(1920, 1080)).toEqual({ width: 213, height: 120 });
  expect(motionSize(64, 48)).toEqual({ width: 64, height: 48 });
});
