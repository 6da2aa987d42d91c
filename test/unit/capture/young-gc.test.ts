// The capture process's young-generation collections (src/capture/young-gc.ts).
import { startYoungGc } from '../../../src/capture/young-gc';

afterEach(() => jest.useRealTimers());

test('without --expose-gc there is nothing to call and no timer', () => {
  expect(startYoungGc(undefined)).toBeUndefined();
});

test('a scavenge (minor collection) on every tick, on a timer that does not keep the process alive', () => {
  jest.useFakeTimers();
  const gc = jest.fn();
  const timer = startYoungGc(gc, 250);
  expect(timer?.hasRef()).toBe(false);
  jest.advanceTimersByTime(1000);
  expect(gc).toHaveBeenCalledTimes(4);
  expect(gc).toHaveBeenCalledWith({ type: 'minor' });
  clearInterval(timer);
});
