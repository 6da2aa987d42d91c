// The capture process's collections (src/capture/young-gc.ts).
import { collect, FULL_GC_ARRAY_BUFFERS, startYoungGc } from '../../../src/capture/young-gc';

afterEach(() => jest.useRealTimers());

test('without --expose-gc there is nothing to call and no timer', () => {
  expect(startYoungGc(undefined)).toBeUndefined();
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

test('a full collection instead only when earlier scavenges left too much in ArrayBuffers (promoted dead inputs)', () => {
  const gc = jest.fn();
  collect(gc, () => FULL_GC_ARRAY_BUFFERS);
  expect(gc.mock.calls).toEqual([[{ type: 'minor' }]]);
  gc.mockClear();
  collect(gc, () => FULL_GC_ARRAY_BUFFERS + 1);
  expect(gc.mock.calls).toEqual([[{ type: 'major' }]]);
});
