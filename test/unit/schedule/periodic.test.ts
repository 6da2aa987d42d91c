import pino from 'pino';
import { every, type Periodic } from '../../../src/schedule/periodic';
import { expectNoJobsLeft, useFakeScheduleClock } from '../../support/schedule-clock';

const handles: Periodic[] = [];
useFakeScheduleClock({ startIso: '2026-11-23T12:00:03.500Z', stop: () => handles.splice(0).forEach((h) => h.cancel()) });

interface Line {
  level: number;
  msg: string;
  job?: string;
  err?: { message: string };
}

function setup(intervalMs: number, run: () => unknown = () => undefined, runNow = false) {
  const lines: Line[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Line) });
  const times: string[] = [];
  const handle = every(
    intervalMs,
    () => {
      times.push(new Date().toISOString().slice(11));
      return run();
    },
    { name: 'stats', log, runNow },
  );
  handles.push(handle);
  return { handle, times, lines };
}

describe('every', () => {
  it('runs at exact 7 s steps across minute boundaries, where a seconds rule would not', () => {
    const { times } = setup(7000);
    jest.advanceTimersByTime(70_000);
    expect(times).toEqual([
      '12:00:10.500Z',
      '12:00:17.500Z',
      '12:00:24.500Z',
      '12:00:31.500Z',
      '12:00:38.500Z',
      '12:00:45.500Z',
      '12:00:52.500Z',
      '12:00:59.500Z',
      '12:01:06.500Z',
      '12:01:13.500Z',
    ]);
  });

  it('runs every 90 s, a step no cron field can say', () => {
    const { times } = setup(90_000);
    jest.advanceTimersByTime(300_000);
    expect(times).toEqual(['12:01:33.500Z', '12:03:03.500Z', '12:04:33.500Z']);
  });

  it('with runNow, runs in the caller’s turn and then every interval', () => {
    const { times } = setup(30_000, undefined, true);
    expect(times).toEqual(['12:00:03.500Z']);
    jest.advanceTimersByTime(60_000);
    expect(times).toEqual(['12:00:03.500Z', '12:00:33.500Z', '12:01:03.500Z']);
  });

  it('reschedule: the next run is one new interval from now, then every new interval', () => {
    const { handle, times } = setup(30_000);
    jest.advanceTimersByTime(40_000);
    handle.reschedule(5000);
    jest.advanceTimersByTime(10_000);
    expect(times).toEqual(['12:00:33.500Z', '12:00:48.500Z', '12:00:53.500Z']);
  });

  it('cancel: no run after it, and no job is left with node-schedule', () => {
    const { handle, times } = setup(5000);
    jest.advanceTimersByTime(5000);
    handle.cancel();
    jest.advanceTimersByTime(60_000);
    expect(times).toHaveLength(1);
    expectNoJobsLeft();
    handle.reschedule(1000);
    jest.advanceTimersByTime(60_000);
    expect(times).toHaveLength(1);
  });

  it('a run that throws or rejects is logged with the job and the error, and the next runs on time', async () => {
    let n = 0;
    const { times, lines } = setup(5000, () => {
      n += 1;
      if (n === 1) throw new Error('host figures unreadable');
      if (n === 2) return Promise.reject(new Error('publish refused'));
      return undefined;
    });
    await jest.advanceTimersByTimeAsync(15_000);
    expect(times).toEqual(['12:00:08.500Z', '12:00:13.500Z', '12:00:18.500Z']);
    const errors = lines.filter((l) => l.level === 50).map((l) => [l.job, l.err?.message]);
    expect(errors).toEqual([
      ['stats', 'host figures unreadable'],
      ['stats', 'publish refused'],
    ]);
  });

  it('a run still going when the next is due is not started twice at once; the skip is logged', async () => {
    let running = 0;
    let most = 0;
    const pending: Array<() => void> = [];
    const { times, lines } = setup(5000, async () => {
      running += 1;
      most = Math.max(most, running);
      await new Promise<void>((resolve) => pending.push(resolve));
      running -= 1;
    });
    await jest.advanceTimersByTimeAsync(12_000);
    expect(times).toEqual(['12:00:08.500Z']);
    expect(lines.filter((l) => l.level === 40 && l.job === 'stats')).toHaveLength(1);
    pending.shift()!();
    await jest.advanceTimersByTimeAsync(3000);
    expect(times).toEqual(['12:00:08.500Z', '12:00:18.500Z']);
    pending.shift()!();
    await jest.advanceTimersByTimeAsync(0);
    expect(most).toBe(1);
  });

  it('a wall clock stepped forward (NTP on a Pi without RTC) costs one run, not a burst of missed ones', () => {
    const { times } = setup(5000);
    jest.advanceTimersByTime(5000);
    jest.setSystemTime(Date.parse('2026-11-23T13:00:00.000Z'));
    jest.advanceTimersByTime(15_000);
    expect(times).toEqual(['12:00:08.500Z', '13:00:05.000Z', '13:00:10.000Z', '13:00:15.000Z']);
  });

  it('refuses an interval that is not a positive number, saying which job', () => {
    const log = pino({ level: 'silent' });
    expect(() => every(0, () => undefined, { name: 'stats', log })).toThrow('stats: interval must be a positive number of milliseconds, got 0');
    expect(() => every(Number.NaN, () => undefined, { name: 'stats', log })).toThrow(RangeError);
  });
});
