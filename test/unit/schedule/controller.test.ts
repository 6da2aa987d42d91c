import * as SunCalc from 'suncalc';
import { scheduledJobs as jobs } from 'node-schedule';
import { Schedule, ScheduleController, type ScheduleState } from '../../../src/schedule';
import { expectNoJobsLeft, useFakeScheduleClock } from '../../support/schedule-clock';

// Days pass in milliseconds. Every test stops its controller; the clock's check says which did not.
useFakeScheduleClock();

const t = (iso: string) => Date.parse(iso);

/** Time moves to `iso`, each job running at its own time on the way. */
const clock = {
  advanceTo: (iso: string | number) => jest.advanceTimersByTime((typeof iso === 'number' ? iso : t(iso)) - Date.now()),
  advance: (ms: number) => jest.advanceTimersByTime(ms),
  /** A wall-clock jump (NTP step): the date changes, pending timers keep their delays. */
  jumpTo: (at: number) => jest.setSystemTime(at),
  get pending() {
    return jest.getTimerCount();
  },
};

/** A controller starting at `startIso`, recording each change as [ISO time, active, mode]. */
function setup(schedule: Schedule, startIso: string) {
  jest.setSystemTime(t(startIso));
  const ctl = new ScheduleController({ schedule });
  const changes: Array<[string, boolean, string]> = [];
  const states: ScheduleState[] = [];
  ctl.on('change', (s) => {
    changes.push([new Date().toISOString(), s.active, s.mode]);
    states.push(s);
  });
  return { clock, ctl, changes, states };
}

// Weekday evenings into the next morning, Berlin time (November: UTC+1). 2026-11-23 is a Monday.
const workNights = Schedule.parse([{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '18:00', to: '07:30' }], {
  timezone: 'Europe/Berlin',
});

describe('ScheduleController', () => {
  test('detection pauses and resumes at window edges across midnight and the weekend', () => {
    const { clock, ctl, changes } = setup(workNights, '2026-11-23T11:00:00Z');
    expect(ctl.start()).toEqual({
      active: false,
      mode: 'auto',
      reason: 'window',
      nextChange: new Date('2026-11-23T17:00:00Z'),
    });
    clock.advanceTo('2026-12-01T00:00:00Z');
    expect(changes).toEqual([
      ['2026-11-23T17:00:00.000Z', true, 'auto'],
      ['2026-11-24T06:30:00.000Z', false, 'auto'],
      ['2026-11-24T17:00:00.000Z', true, 'auto'],
      ['2026-11-25T06:30:00.000Z', false, 'auto'],
      ['2026-11-25T17:00:00.000Z', true, 'auto'],
      ['2026-11-26T06:30:00.000Z', false, 'auto'],
      ['2026-11-26T17:00:00.000Z', true, 'auto'],
      ['2026-11-27T06:30:00.000Z', false, 'auto'],
      ['2026-11-27T17:00:00.000Z', true, 'auto'], // Friday evening …
      ['2026-11-28T06:30:00.000Z', false, 'auto'], // … into Saturday morning, then a quiet weekend
      ['2026-11-30T17:00:00.000Z', true, 'auto'],
    ]);
    ctl.stop();
    expect(clock.pending).toBe(0);
  });

  test('a change carries the next edge', () => {
    const { clock, ctl, states } = setup(workNights, '2026-11-23T11:00:00Z');
    ctl.start();
    clock.advanceTo('2026-11-23T17:00:00Z');
    expect(states).toEqual([{ active: true, mode: 'auto', reason: 'window', nextChange: new Date('2026-11-24T06:30:00Z') }]);
    ctl.stop();
  });

  test('an override holds until the next window edge, then the windows rule again', () => {
    const { clock, ctl, changes, states } = setup(workNights, '2026-11-23T11:00:00Z');
    ctl.start();
    expect(ctl.override('on')).toMatchObject({ active: true, mode: 'on', reason: 'override' });
    clock.advanceTo('2026-11-23T16:59:00Z');
    expect(ctl.active).toBe(true);
    clock.advanceTo('2026-11-24T07:00:00Z');
    expect(changes).toEqual([
      ['2026-11-23T11:00:00.000Z', true, 'on'],
      ['2026-11-23T17:00:00.000Z', true, 'auto'], // the window opened: override over, still active
      ['2026-11-24T06:30:00.000Z', false, 'auto'],
    ]);
    expect(states[1].reason).toBe('window');

    // Off during the evening window: paused until the window closes in the morning, then auto.
    clock.advanceTo('2026-11-24T19:00:00Z');
    changes.length = 0;
    ctl.override('off');
    clock.advanceTo('2026-11-25T18:00:00Z');
    expect(changes).toEqual([
      ['2026-11-24T19:00:00.000Z', false, 'off'],
      ['2026-11-25T06:30:00.000Z', false, 'auto'],
      ['2026-11-25T17:00:00.000Z', true, 'auto'],
    ]);
    ctl.stop();
  });

  test('override auto cancels at once', () => {
    const { ctl, changes } = setup(workNights, '2026-11-23T11:00:00Z');
    ctl.start();
    ctl.override('on');
    expect(ctl.override('auto')).toMatchObject({ active: false, mode: 'auto', reason: 'window' });
    expect(changes.map((c) => c[2])).toEqual(['on', 'auto']);
    ctl.stop();
  });

  test('with no windows an override holds until cancelled', () => {
    const { clock, ctl, changes } = setup(Schedule.always('UTC'), '2026-11-23T11:00:00Z');
    expect(ctl.start().active).toBe(true);
    ctl.override('off');
    clock.advance(2 * 86_400_000);
    expect(ctl.state).toMatchObject({ active: false, mode: 'off', nextChange: null });
    ctl.override('auto');
    expect(changes).toEqual([
      ['2026-11-23T11:00:00.000Z', false, 'off'],
      ['2026-11-25T11:00:00.000Z', true, 'auto'],
    ]);
    ctl.stop();
  });

  test('a wall-clock jump is noticed within a minute', () => {
    const { clock, ctl, changes } = setup(workNights, '2026-11-23T11:00:00Z');
    ctl.start();
    clock.jumpTo(t('2026-11-23T20:00:00Z')); // NTP sync after boot: hours pass at once
    clock.advance(60_000);
    expect(changes).toHaveLength(1);
    expect(changes[0][1]).toBe(true);
    expect(t(changes[0][0])).toBeLessThanOrEqual(t('2026-11-23T20:01:00Z'));
    ctl.stop();
  });

  test('far from any edge one job is pending, and stop leaves none', () => {
    const weekly = Schedule.parse([{ days: ['sun'], from: '00:00', to: '00:01' }], { timezone: 'UTC' });
    const { clock, ctl, changes } = setup(weekly, '2026-11-23T11:00:00Z');
    ctl.start();
    clock.advance(3 * 86_400_000);
    expect(clock.pending).toBe(1);
    // Four days to the next edge, yet the job runs within a minute: a clock jump is seen that soon.
    const [job] = Object.values(jobs);
    expect(job.nextInvocation()!.getTime() - Date.now()).toBeLessThanOrEqual(60_000);
    expect(changes).toEqual([]);
    ctl.stop();
    expect(clock.pending).toBe(0);
  });

  test('a throwing listener does not stop the schedule', () => {
    const { clock, ctl, changes } = setup(workNights, '2026-11-23T11:00:00Z');
    ctl.prependListener('change', () => {
      throw new Error('listener bug');
    });
    ctl.start();
    clock.advanceTo('2026-11-24T12:00:00Z');
    expect(changes.map((c) => c[1])).toEqual([true, false]);
    ctl.stop();
  });

  test('setSchedule applies a reloaded schedule at once', () => {
    const { ctl, changes } = setup(workNights, '2026-11-23T11:00:00Z');
    ctl.start();
    const state = ctl.setSchedule(Schedule.parse([{ from: '11:00', to: '13:00' }], { timezone: 'Europe/Berlin' }));
    expect(state).toMatchObject({ active: true, nextChange: new Date('2026-11-23T12:00:00Z') });
    expect(changes).toEqual([['2026-11-23T11:00:00.000Z', true, 'auto']]);
    ctl.stop();
  });

  test('through the spring-forward night, and on sun-relative edges', () => {
    const night = Schedule.parse([{ from: '22:00', to: '06:00' }], { timezone: 'Europe/Berlin' });
    const dst = setup(night, '2026-03-28T12:00:00Z');
    dst.ctl.start();
    dst.clock.advanceTo('2026-03-29T12:00:00Z');
    expect(dst.changes).toEqual([
      ['2026-03-28T21:00:00.000Z', true, 'auto'], // 22:00 CET
      ['2026-03-29T04:00:00.000Z', false, 'auto'], // 06:00 CEST, one hour of night fewer
    ]);
    dst.ctl.stop();

    const location = { lat: 52.52, lon: 13.405 };
    const dusk = Schedule.parse([{ from: 'sunset', to: '23:00' }], { timezone: 'Europe/Berlin', location });
    const sun = setup(dusk, '2026-06-21T12:00:00Z');
    sun.ctl.start();
    sun.clock.advanceTo('2026-06-22T00:00:00Z');
    const sunset = SunCalc.getTimes(new Date('2026-06-21T10:00:00Z'), location.lat, location.lon).sunset as Date;
    expect(sun.changes).toEqual([
      [sunset.toISOString(), true, 'auto'],
      ['2026-06-21T21:00:00.000Z', false, 'auto'],
    ]);
    sun.ctl.stop();
  });

  test('the real clock works and stop leaves no job that holds the process', () => {
    jest.useRealTimers();
    const ctl = new ScheduleController({ schedule: Schedule.always() });
    expect(ctl.start()).toMatchObject({ active: true, mode: 'auto', nextChange: null });
    ctl.stop();
    expectNoJobsLeft();
  });

  test('a week of cron windows through the spring-forward night, in Berlin time', () => {
    // Weeknights 22:00 for 8 hours, and Saturday 09:00 for 90 minutes. 2026-03-23 is a Monday; on
    // Sunday 2026-03-29 Berlin moves from CET (UTC+1) to CEST (UTC+2).
    const schedule = Schedule.parse(
      [
        { cron: '0 22 * * mon-fri', duration: '8h' },
        { cron: '0 9 * * sat', duration: '90m' },
      ],
      { timezone: 'Europe/Berlin' },
    );
    const { clock, ctl, changes } = setup(schedule, '2026-03-23T12:00:00Z');
    expect(ctl.start()).toMatchObject({ active: false, nextChange: new Date('2026-03-23T21:00:00Z') });
    clock.advanceTo('2026-03-31T12:00:00Z');
    expect(changes).toEqual([
      ['2026-03-23T21:00:00.000Z', true, 'auto'], // Monday 22:00 CET
      ['2026-03-24T05:00:00.000Z', false, 'auto'], // 8 hours later
      ['2026-03-24T21:00:00.000Z', true, 'auto'],
      ['2026-03-25T05:00:00.000Z', false, 'auto'],
      ['2026-03-25T21:00:00.000Z', true, 'auto'],
      ['2026-03-26T05:00:00.000Z', false, 'auto'],
      ['2026-03-26T21:00:00.000Z', true, 'auto'],
      ['2026-03-27T05:00:00.000Z', false, 'auto'],
      ['2026-03-27T21:00:00.000Z', true, 'auto'], // Friday night into Saturday
      ['2026-03-28T05:00:00.000Z', false, 'auto'],
      ['2026-03-28T08:00:00.000Z', true, 'auto'], // Saturday 09:00 CET
      ['2026-03-28T09:30:00.000Z', false, 'auto'],
      ['2026-03-30T20:00:00.000Z', true, 'auto'], // Monday 22:00 CEST: one hour earlier in UTC
      ['2026-03-31T04:00:00.000Z', false, 'auto'],
    ]);
    ctl.stop();
  });

  test('a cron window across the spring-forward night lasts its hours, ending an hour later on the wall clock', () => {
    const schedule = Schedule.parse([{ cron: '0 22 * * *', duration: '8h' }], { timezone: 'Europe/Berlin' });
    const { clock, ctl, changes } = setup(schedule, '2026-03-28T12:00:00Z');
    ctl.start();
    clock.advanceTo('2026-03-29T12:00:00Z');
    expect(changes).toEqual([
      ['2026-03-28T21:00:00.000Z', true, 'auto'], // 22:00 CET
      ['2026-03-29T05:00:00.000Z', false, 'auto'], // 07:00 CEST: 8 hours, one of them skipped by the clock
    ]);
    ctl.stop();
  });
});
