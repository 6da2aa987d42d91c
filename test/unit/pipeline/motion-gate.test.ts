// The daemon's motion gating rules: detection whatever moves while tracks are alive and at least
// every max_idle_s; the motion state turns ON at once and OFF only after off_delay_s of stillness.
import { MotionGate } from '../../../src/pipeline/motion-gate';

const gate = () => new MotionGate({ maxIdleMs: 30_000, offDelayMs: 5_000 });

test('the first frame is detected; then a static scene only every max_idle_s', () => {
  const g = gate();
  expect(g.detectionDue(1000, 0)).toBe(true);
  g.detected(1000);
  expect(g.detectionDue(1200, 0)).toBe(false);
  expect(g.detectionDue(30_999, 0)).toBe(false);
  expect(g.detectionDue(31_000, 0)).toBe(true);
  g.detected(31_000);
  expect(g.detectionDue(31_200, 0)).toBe(false);
});

test('while a track is alive every frame is detected, motion or not', () => {
  const g = gate();
  g.detected(1000);
  expect(g.detectionDue(1100, 1)).toBe(true);
  g.detected(1100);
  expect(g.detectionDue(1200, 2)).toBe(true);
  expect(g.detectionDue(1300, 0)).toBe(false);
});

test('motion turns ON at once and OFF after off_delay of stillness; repeats are no news', () => {
  const g = gate();
  expect(g.observe(0, false)).toBeUndefined();
  expect(g.observe(100, true)).toBe(true);
  expect(g.moving).toBe(true);
  expect(g.observe(200, true)).toBeUndefined();
  expect(g.observe(5100, false)).toBeUndefined(); // 4.9 s still
  expect(g.observe(5200, false)).toBe(false);
  expect(g.moving).toBe(false);
  expect(g.observe(5300, false)).toBeUndefined();
});

test('a track that stays put for 10 s is stationary: it no longer keeps the model running; one that moves or goes missing does', () => {
  const g = gate();
  const parked = { track_id: 7, box: [0.5, 0.5, 0.7, 0.7] as [number, number, number, number] };
  g.detected(0);
  g.tracked(0, [parked]);
  expect(g.detectionDue(100, 1)).toBe(true);
  g.detected(9_000);
  g.tracked(9_000, [{ ...parked, box: [0.501, 0.5, 0.701, 0.7] }]); // jitter is not movement
  expect(g.detectionDue(9_900, 1)).toBe(true);
  expect(g.detectionDue(10_000, 1)).toBe(false); // stationary: only max_idle_s keeps it in view
  expect(g.detectionDue(39_000, 1)).toBe(true); // max_idle_s after the last detection
  g.detected(39_000);
  g.tracked(39_000, [{ ...parked, box: [0.55, 0.5, 0.75, 0.7] }]); // it moves off
  expect(g.detectionDue(39_100, 1)).toBe(true);
  g.detected(49_100);
  g.tracked(49_100, []); // not found: found again or ended, either way by detections
  expect(g.detectionDue(60_000, 1)).toBe(true);
});

test('two parked cars whose track ids swap, or a track started again on a parked car, are not movement', () => {
  const g = gate();
  const left = [0.1, 0.5, 0.4, 0.8] as [number, number, number, number];
  const right = [0.3, 0.5, 0.6, 0.8] as [number, number, number, number];
  g.detected(0);
  g.tracked(0, [
    { track_id: 1, box: left },
    { track_id: 2, box: right },
  ]);
  g.detected(10_000);
  g.tracked(10_000, [
    { track_id: 1, box: left },
    { track_id: 2, box: right },
  ]);
  expect(g.detectionDue(10_100, 2)).toBe(false); // both stationary
  g.detected(40_000); // max_idle_s: the tracker swaps the ids of the overlapping cars
  g.tracked(40_000, [
    { track_id: 1, box: right },
    { track_id: 2, box: left },
  ]);
  expect(g.detectionDue(40_100, 2)).toBe(false);
  g.detected(70_000); // a new id on the left car (its track ended and started again)
  g.tracked(70_000, [
    { track_id: 1, box: right },
    { track_id: 3, box: left },
  ]);
  expect(g.detectionDue(70_100, 2)).toBe(false);
  g.detected(100_000); // something new where nothing was: followed
  g.tracked(100_000, [
    { track_id: 1, box: right },
    { track_id: 3, box: left },
    { track_id: 4, box: [0.7, 0.1, 0.9, 0.4] },
  ]);
  expect(g.detectionDue(100_100, 3)).toBe(true);
});
