/**
 * For tests of node-schedule jobs. node-schedule reads Date and sets timers, so jest's fake timers
 * move both; and it keeps one job list for the process, where a job a test left behind would fire in
 * the next test.
 */
import { scheduledJobs } from 'node-schedule';

/** Cancels every job still scheduled, and fails the test naming them. */
export function expectNoJobsLeft(): void {
  const left = Object.values(scheduledJobs);
  for (const job of left) job.cancel();
  expect(left.map((j) => j.name)).toEqual([]);
}

/**
 * Every test of the file runs on fake timers (from `startIso` when given); after each, `stop` ends
 * what the test started, and no job may be left.
 */
export function useFakeScheduleClock(o: { startIso?: string; stop?: () => void } = {}): void {
  beforeEach(() => {
    jest.useFakeTimers();
    if (o.startIso) jest.setSystemTime(Date.parse(o.startIso));
  });
  afterEach(() => {
    o.stop?.();
    jest.useRealTimers();
    expectNoJobsLeft();
  });
}
