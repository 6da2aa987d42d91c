import * as SunCalc from 'suncalc';
import { Schedule, ScheduleConfigError, parseSchedule, validateSchedule } from '../../../src/schedule';

const at = (iso: string) => new Date(iso);
const BERLIN = { lat: 52.52, lon: 13.405 };

describe('schedule parsing', () => {
  test('names the entry index and field of a bad time', () => {
    const errors = validateSchedule(
      [
        { days: ['mon'], from: '18:00', to: '07:30' },
        { days: ['sat'], from: 'sunsett', to: 'sunrise+00:30' },
      ],
      { location: BERLIN, timezone: 'UTC' },
    );
    expect(errors).toEqual(["schedule[1].from: 'sunsett' is not HH:MM or sunrise/sunset±HH:MM"]);
  });

  test('lists every problem at once, under the given key path', () => {
    const errors = validateSchedule(
      [{ days: ['mon', 'funday'], from: '25:00', to: '7:30' }, { from: 'sunset-00:30', to: '06:00', form: 'x' }, { days: [], from: '24:00' }, 'always'],
      { timezone: 'Mars/Olympus', path: 'cameras.front.schedule' },
    );
    expect(errors).toEqual([
      "timezone: 'Mars/Olympus' is not an IANA time zone name (e.g. Europe/Berlin)",
      "cameras.front.schedule[0].days[1]: 'funday' is not a weekday (mon..sun, or a range like mon-fri)",
      "cameras.front.schedule[0].from: '25:00' is not a time of day (00:00 to 24:00)",
      "cameras.front.schedule[1]: unknown key 'form' (allowed: days, from, to; or cron, duration)",
      "cameras.front.schedule[1].from: 'sunset-00:30' is relative to the sun but no location (lat, lon) is configured",
      'cameras.front.schedule[2].days: must be a non-empty list of weekdays like [mon, tue] (got [])',
      'cameras.front.schedule[2].to: required, a string like "18:00" or "sunset-00:30" (got nothing)',
      "cameras.front.schedule[2].from: '24:00' is only allowed for 'to'; use \"00:00\"",
      'cameras.front.schedule[3]: must be an object with from, to and optional days, or with cron and duration',
    ]);
  });

  test('rejects bad locations and offsets', () => {
    expect(validateSchedule([{ from: 'sunrise+13:00', to: '12:00' }], { location: BERLIN })).toEqual([
      "schedule[0].from: 'sunrise+13:00' offset is more than 12:00",
    ]);
    expect(validateSchedule([{ from: 'sunrise', to: '12:00' }], { location: { lat: 95, lon: 0 } })).toEqual(['location.lat: 95 is not a latitude (-90..90)']);
  });

  test('parseSchedule throws a ScheduleConfigError carrying the list', () => {
    let caught: unknown;
    try {
      parseSchedule({ from: '1' });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ScheduleConfigError);
    expect((caught as ScheduleConfigError).errors).toEqual(['schedule: must be a list of {days, from, to} or {cron, duration} windows (got object)']);
  });

  test('accepts day ranges, full names and sun offsets', () => {
    const p = parseSchedule(
      [
        { days: 'fri-mon', from: 'sunset - 00:30', to: 'SUNRISE+01:15' },
        { days: ['Tuesday', 'wed'], from: '00:00', to: '24:00' },
      ],
      { location: BERLIN, timezone: 'Europe/Berlin' },
    );
    expect(p.windows[0]).toMatchObject({
      kind: 'days',
      days: [0, 1, 5, 6],
      from: { kind: 'sun', event: 'sunset', offsetMinutes: -30 },
      to: { kind: 'sun', event: 'sunrise', offsetMinutes: 75 },
    });
    expect(p.windows[1]).toMatchObject({ days: [2, 3], to: { kind: 'clock', minute: 1440 } });
  });

  test('an empty time zone means the system zone', () => {
    expect(parseSchedule([{ from: '08:00', to: '09:00' }], { timezone: '' }).timeZone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
  });

  test('no windows means always active, never changing', () => {
    for (const s of [Schedule.always('UTC'), Schedule.parse([], { timezone: 'UTC' })]) {
      expect(s.isAlways).toBe(true);
      expect(s.isActive(at('2026-11-26T03:00:00Z'))).toBe(true);
      expect(s.nextChange(at('2026-11-26T03:00:00Z'))).toBeNull();
    }
  });
});

describe('schedule windows', () => {
  // 2026-11-23 is a Monday.
  const nightMon = Schedule.parse([{ days: ['mon'], from: '22:00', to: '06:00' }], { timezone: 'UTC' });

  test('a window crossing midnight belongs to the day it starts on', () => {
    expect(nightMon.isActive(at('2026-11-23T21:59:59Z'))).toBe(false);
    expect(nightMon.isActive(at('2026-11-23T22:00:00Z'))).toBe(true);
    expect(nightMon.isActive(at('2026-11-24T05:59:59Z'))).toBe(true);
    expect(nightMon.isActive(at('2026-11-24T06:00:00Z'))).toBe(false);
    expect(nightMon.isActive(at('2026-11-24T23:00:00Z'))).toBe(false); // Tuesday night: not listed
    expect(nightMon.isActive(at('2026-11-23T02:00:00Z'))).toBe(false); // Sunday's night: not listed
  });

  test('nextChange walks the edges, a week ahead when needed', () => {
    expect(nightMon.nextChange(at('2026-11-23T12:00:00Z'))).toEqual(at('2026-11-23T22:00:00Z'));
    expect(nightMon.nextChange(at('2026-11-23T22:00:00Z'))).toEqual(at('2026-11-24T06:00:00Z'));
    expect(nightMon.nextChange(at('2026-11-24T06:00:00Z'))).toEqual(at('2026-11-30T22:00:00Z'));
  });

  test('adjacent and overlapping windows are one active span', () => {
    const s = Schedule.parse(
      [
        { days: ['sat'], from: '00:00', to: '24:00' },
        { days: ['sun'], from: '00:00', to: '12:00' },
        { days: ['sun'], from: '11:00', to: '13:00' },
      ],
      { timezone: 'UTC' },
    );
    expect(s.nextChange(at('2026-11-28T10:00:00Z'))).toEqual(at('2026-11-29T13:00:00Z'));
  });

  test('a window covering every hour of every day never changes', () => {
    const s = Schedule.parse([{ from: '06:00', to: '06:00' }], { timezone: 'UTC' });
    expect(s.isActive(at('2026-11-28T05:00:00Z'))).toBe(true);
    expect(s.nextChange(at('2026-11-28T05:00:00Z'))).toBeNull();
  });

  test('times are wall-clock times of the schedule time zone', () => {
    const berlin = Schedule.parse([{ from: '08:00', to: '09:00' }], { timezone: 'Europe/Berlin' });
    const utc = Schedule.parse([{ from: '08:00', to: '09:00' }], { timezone: 'UTC' });
    // November: Berlin is UTC+1.
    expect(berlin.isActive(at('2026-11-26T07:30:00Z'))).toBe(true);
    expect(utc.isActive(at('2026-11-26T07:30:00Z'))).toBe(false);
    expect(berlin.isActive(at('2026-11-26T08:30:00Z'))).toBe(false);
    expect(utc.isActive(at('2026-11-26T08:30:00Z'))).toBe(true);
    // July: UTC+2.
    expect(berlin.nextChange(at('2026-07-01T00:00:00Z'))).toEqual(at('2026-07-01T06:00:00Z'));
    // The weekday is the local one: 00:30 Monday in Tokyo is still Sunday in UTC.
    const tokyo = Schedule.parse([{ days: ['mon'], from: '00:00', to: '01:00' }], { timezone: 'Asia/Tokyo' });
    expect(tokyo.isActive(at('2026-11-22T15:30:00Z'))).toBe(true);
  });

  test('DST: a night window on the spring-forward and fall-back nights', () => {
    const night = Schedule.parse([{ from: '22:00', to: '06:00' }], { timezone: 'Europe/Berlin' });
    // 2026-03-29: 02:00 CET → 03:00 CEST. 22:00 CET = 21:00Z; 06:00 CEST = 04:00Z (7 hours).
    expect(night.nextChange(at('2026-03-28T20:00:00Z'))).toEqual(at('2026-03-28T21:00:00Z'));
    expect(night.nextChange(at('2026-03-28T21:00:00Z'))).toEqual(at('2026-03-29T04:00:00Z'));
    expect(night.isActive(at('2026-03-29T03:59:59Z'))).toBe(true);
    expect(night.isActive(at('2026-03-29T04:00:00Z'))).toBe(false);
    expect(night.nextChange(at('2026-03-29T04:00:00Z'))).toEqual(at('2026-03-29T20:00:00Z'));
    // 2026-10-25: 03:00 CEST → 02:00 CET. 22:00 CEST = 20:00Z; 06:00 CET = 05:00Z (9 hours).
    expect(night.nextChange(at('2026-10-24T20:00:00Z'))).toEqual(at('2026-10-25T05:00:00Z'));
  });

  test('DST: skipped wall times move past the gap, repeated ones take the first occurrence', () => {
    const gap = Schedule.parse([{ from: '02:30', to: '04:00' }], { timezone: 'Europe/Berlin' });
    expect(gap.nextChange(at('2026-03-29T00:00:00Z'))).toEqual(at('2026-03-29T01:30:00Z')); // 03:30 CEST
    const twice = Schedule.parse([{ from: '02:30', to: '04:00' }], { timezone: 'Europe/Berlin' });
    expect(twice.nextChange(at('2026-10-25T00:00:00Z'))).toEqual(at('2026-10-25T00:30:00Z')); // 02:30 CEST
    expect(twice.nextChange(at('2026-10-25T00:30:00Z'))).toEqual(at('2026-10-25T03:00:00Z')); // 04:00 CET
  });

  test('sunrise/sunset edges match suncalc for the location and date', () => {
    const s = Schedule.parse([{ from: 'sunset-00:30', to: 'sunrise+00:15' }], {
      timezone: 'Europe/Berlin',
      location: BERLIN,
    });
    const sunset = SunCalc.getTimes(at('2026-06-21T10:00:00Z'), BERLIN.lat, BERLIN.lon).sunset as Date;
    const sunrise = SunCalc.getTimes(at('2026-06-22T10:00:00Z'), BERLIN.lat, BERLIN.lon).sunrise as Date;
    const start = sunset.getTime() - 30 * 60_000;
    const end = sunrise.getTime() + 15 * 60_000;
    expect(s.nextChange(at('2026-06-21T10:00:00Z'))).toEqual(new Date(start));
    expect(s.isActive(start - 1)).toBe(false);
    expect(s.isActive(start)).toBe(true);
    expect(s.nextChange(start)).toEqual(new Date(end));
    expect(s.isActive(end)).toBe(false);
    // Sanity: a Berlin midsummer night, in local hours.
    expect(new Date(start).toISOString()).toMatch(/^2026-06-21T19:0\d/);
  });

  test('a sun window is skipped where the sun does not set (polar day)', () => {
    const tromso = Schedule.parse([{ from: 'sunset', to: 'sunrise' }], {
      timezone: 'Europe/Oslo',
      location: { lat: 69.65, lon: 18.96 },
    });
    expect(tromso.isActive(at('2026-06-21T23:00:00Z'))).toBe(false);
    expect(tromso.nextChange(at('2026-06-21T12:00:00Z'))).toBeNull();
    // In November the sun never rises there: sunset is missing too, so the window is skipped as well.
    expect(tromso.isActive(at('2026-12-15T23:00:00Z'))).toBe(false);
  });
});

describe('cron windows', () => {
  test('each problem names its key: the cron, the duration, and keys that do not go with cron', () => {
    const errors = validateSchedule(
      [
        { from: '18:00', to: '07:30' },
        { cron: '0 25 * * *', duration: '8h' },
        { cron: '0 22 * *', duration: '8x' },
        { cron: '0 22 * * 1-5', duration: '8', days: ['mon'] },
        { cron: '0 22 * * *', duration: '169h' },
        { duration: '1h' },
      ],
      { timezone: 'UTC', path: 'cameras[0].schedule' },
    );
    expect(errors).toEqual([
      "cameras[0].schedule[1].cron: '0 25 * * *' is not a cron expression: Constraint error, got value 25 expected range 0-23",
      "cameras[0].schedule[2].cron: '0 22 * *' has 4 field(s); a schedule cron has 5: minute hour day-of-month month day-of-week",
      'cameras[0].schedule[2].duration: "8x" is not a duration like 90m, 8h or 1h30m',
      "cameras[0].schedule[3]: 'days' does not go with cron (a cron entry takes cron and duration; its fields choose the days)",
      'cameras[0].schedule[3].duration: "8" is not a duration like 90m, 8h or 1h30m',
      "cameras[0].schedule[4].duration: '169h' must be at least 1 minute and at most 7 days (168h)",
      'cameras[0].schedule[5].cron: required, a cron expression like "0 22 * * 1-5" (got nothing)',
    ]);
  });

  test('durations read as hours and minutes', () => {
    const minutes = (duration: string) => {
      const w = parseSchedule([{ cron: '0 22 * * *', duration }], { timezone: 'UTC' }).windows[0];
      return w.kind === 'cron' ? w.durationMinutes : undefined;
    };
    expect([minutes('8h'), minutes('90m'), minutes('1h30m'), minutes('1h 30m'), minutes('01:30'), minutes('45min')]).toEqual([480, 90, 90, 90, 90, 45]);
  });

  test('a window starts when the cron fires, in the schedule time zone, and lasts its duration', () => {
    // Weeknights from 22:00 Berlin time (CET, UTC+1 in November) for 8 hours. 2026-11-27 is a Friday.
    const s = Schedule.parse([{ cron: '0 22 * * 1-5', duration: '8h' }], { timezone: 'Europe/Berlin' });
    expect(s.isActive(at('2026-11-27T20:59:59Z'))).toBe(false);
    expect(s.isActive(at('2026-11-27T21:00:00Z'))).toBe(true);
    expect(s.isActive(at('2026-11-28T04:59:59Z'))).toBe(true); // Saturday 05:59 local: Friday's window
    expect(s.nextChange(at('2026-11-27T21:00:00Z'))).toEqual(at('2026-11-28T05:00:00Z'));
    // No window starts on Saturday or Sunday: the next one is Monday evening.
    expect(s.nextChange(at('2026-11-28T05:00:00Z'))).toEqual(at('2026-11-30T21:00:00Z'));
  });

  test('cron and from/to windows together are their union; overlapping windows merge', () => {
    const s = Schedule.parse(
      [
        { from: '20:00', to: '23:00' },
        { cron: '30 22 * * *', duration: '2h' },
      ],
      { timezone: 'UTC' },
    );
    expect(s.nextChange(at('2026-11-23T12:00:00Z'))).toEqual(at('2026-11-23T20:00:00Z'));
    expect(s.nextChange(at('2026-11-23T20:00:00Z'))).toEqual(at('2026-11-24T00:30:00Z'));
  });

  test('day-of-month and day-of-week both given: either matches, as in crontab; L and # are refused', () => {
    // 2026-12-01 is a Tuesday; Mondays in December 2026: 7, 14.
    const s = Schedule.parse([{ cron: '0 12 1 * mon', duration: '1h' }], { timezone: 'UTC' });
    const starts: string[] = [];
    for (let t = at('2026-11-30T13:00:00Z').getTime(); starts.length < 3;) {
      const next = s.nextChange(t) as Date;
      if (s.isActive(next)) starts.push(next.toISOString());
      t = next.getTime();
    }
    expect(starts).toEqual(['2026-12-01T12:00:00.000Z', '2026-12-07T12:00:00.000Z', '2026-12-14T12:00:00.000Z']);
    expect(
      validateSchedule(
        [
          { cron: '0 22 L * *', duration: '1h' },
          { cron: '0 22 * * 1#2', duration: '1h' },
        ],
        { timezone: 'UTC' },
      ),
    ).toEqual([
      "schedule[0].cron: '0 22 L * *' uses L, W or # (last, nearest weekday, nth weekday), which schedules do not take",
      "schedule[1].cron: '0 22 * * 1#2' uses L, W or # (last, nearest weekday, nth weekday), which schedules do not take",
    ]);
  });

  test('a window longer than a day, started days ago, still covers now', () => {
    // Friday 18:00 for the whole weekend.
    const weekend = Schedule.parse([{ cron: '0 18 * * fri', duration: '62h' }], { timezone: 'UTC' });
    expect(weekend.isActive(at('2026-11-30T07:59:00Z'))).toBe(true); // Monday 07:59
    expect(weekend.isActive(at('2026-11-30T08:00:00Z'))).toBe(false);
    expect(weekend.nextChange(at('2026-11-29T12:00:00Z'))).toEqual(at('2026-11-30T08:00:00Z'));
  });
});
