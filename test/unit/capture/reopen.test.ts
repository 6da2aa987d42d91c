import { ReopenSchedule, type ReopenTrigger } from '../../../src/capture/reopen';
import { Backoff } from '../../../src/util/backoff';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

function setup(present: Set<string> = new Set(), initialMs = 1000) {
  const fired: ReopenTrigger[] = [];
  const schedule = new ReopenSchedule(
    new Backoff({ initialMs, maxMs: Math.max(8000, initialMs), factor: 2, jitter: 0 }),
    100,
    (t) => fired.push(t),
    async (p) => present.has(p),
  );
  return { schedule, fired, present };
}

/** Advances fake time and lets the presence checks' promises settle. */
async function advance(ms: number): Promise<void> {
  await jest.advanceTimersByTimeAsync(ms);
}

test('reopens after the backoff delay, growing with each failure until steady', async () => {
  const { schedule, fired } = setup();
  expect(schedule.schedule()).toBe(1000);
  await advance(999);
  expect(fired).toEqual([]);
  await advance(1);
  expect(fired).toEqual([{ by: 'delay' }]);
  expect([schedule.schedule(), schedule.schedule(), schedule.schedule()]).toEqual([2000, 4000, 8000]);
  expect(schedule.failures).toBe(4);
  schedule.steady();
  expect(schedule.failures).toBe(0);
  expect(schedule.schedule()).toBe(1000);
});

test('a missing device that reappears is reopened at once, long before the delay', async () => {
  const { schedule, fired, present } = setup();
  schedule.schedule({ path: '/dev/video0', missingNow: true });
  await advance(300);
  expect(fired).toEqual([]);
  present.add('/dev/video0');
  await advance(100);
  expect(fired).toEqual([{ by: 'reappeared', path: '/dev/video0' }]);
  // One attempt only: the delay timer went with it.
  await advance(5000);
  expect(fired).toHaveLength(1);
});

test('a file present all along triggers nothing (the backoff decides); one that goes and comes back does', async () => {
  const { schedule, fired, present } = setup(new Set(['/v.avi']), 60_000);
  schedule.schedule({ path: '/v.avi', missingNow: false });
  await advance(5000);
  expect(fired).toEqual([]);
  present.delete('/v.avi');
  await advance(100);
  expect(fired).toEqual([]);
  present.add('/v.avi');
  await advance(100);
  expect(fired).toEqual([{ by: 'reappeared', path: '/v.avi' }]);
});

test('cancel stops both the delay and the watch; a new schedule replaces the pending one', async () => {
  const { schedule, fired, present } = setup();
  schedule.schedule({ path: '/dev/video0', missingNow: true });
  schedule.cancel();
  present.add('/dev/video0');
  await advance(10_000);
  expect(fired).toEqual([]);
  schedule.schedule(); // 2000
  schedule.schedule(); // 4000, replacing it
  await advance(3999);
  expect(fired).toEqual([]);
  await advance(1);
  expect(fired).toEqual([{ by: 'delay' }]);
});
