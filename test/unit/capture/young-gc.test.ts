// The capture process's collections (src/capture/young-gc.ts).
import { FULL_GC_EVERY_TICKS, startYoungGc } from '../../../src/capture/young-gc';

afterEach(() => jest.useRealTimers());

test('without --expose-gc there is nothing to call and no timer', () => {
  // null, not undefined (which takes the default, globalThis.gc): once any code in this process has
  // set --expose-gc (collect-garbage.ts), every context made later has a global gc.
  expect(startYoungGc(null)).toBeUndefined();
});

test('a scavenge (minor collection) on every tick, on a timer that does not keep the process alive', () => {
  jest.useFakeTimers();
  const gc = jest.fn();
  // ArrayBuffers as this process has them would depend on the tests run before in it.
  const timer = startYoungGc(gc, 250, () => 0);
  expect(timer?.hasRef()).toBe(false);
  jest.advanceTimersByTime(1000);
  expect(gc).toHaveBeenCalledTimes(4);
  expect(gc).toHaveBeenCalledWith({ type: 'minor' });
  clearInterval(timer);
});

test('a full collection every FULL_GC_EVERY_TICKS ticks, even with few ArrayBuffers alive', () => {
  jest.useFakeTimers();
  const gc = jest.fn();
  const timer = startYoungGc(gc, 250, () => 0);
  jest.advanceTimersByTime(250 * FULL_GC_EVERY_TICKS * 2);
  clearInterval(timer);
  // gc() without options is the full collection; the tick numbers it came on, counted from 1.
  const fullOnTicks = gc.mock.calls.flatMap((args: unknown[], i) => (args.length === 0 ? [i + 1] : []));
  expect(fullOnTicks).toEqual([FULL_GC_EVERY_TICKS, 2 * FULL_GC_EVERY_TICKS]);
  expect(gc).toHaveBeenCalledTimes(2 * FULL_GC_EVERY_TICKS);
});
