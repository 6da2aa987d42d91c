import * as SunCalc from 'suncalc';
import { type CronWindow, type GeoLocation, type ParsedSchedule, type ScheduleParseOptions, type ScheduleWindow, type TimeSpec, parseSchedule } from './parse';
import { wallClock, weekdayOf, zonedInstant } from './zoned-time';

/** A half-open span of time `[start, end)`, epoch ms. */
export interface ActiveInterval {
  start: number;
  end: number;
}

/** Days looked at around an instant: a window may start up to two days before it (late `to`, sun offsets). */
const LOOK_BACK_DAYS = 2;
const DAY_MS = 86_400_000;
/** A window opens at least once a week unless the sun never rises or sets (polar day/night). */
const LOOK_AHEAD_DAYS = 9;

/**
 * When a camera should detect: the union of its windows, evaluated in the schedule's time zone.
 * A window starts on each of its weekdays at `from` and lasts until the first `to` after that;
 * no windows means always active. Sun-relative edges use suncalc for the configured location; a
 * window is skipped on a day where its sun event does not happen (polar day or night). A cron
 * window starts each time its expression fires (in the schedule's time zone) and lasts its duration.
 *
 * @example
 * const schedule = Schedule.parse(
 *   [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '18:00', to: '07:30' },
 *    { days: ['sat', 'sun'], from: 'sunset-00:30', to: 'sunrise+00:30' }],
 *   { timezone: 'Europe/Berlin', location: { lat: 52.52, lon: 13.40 }, path: 'cameras.front.schedule' });
 * schedule.isActive(new Date());   // → boolean
 * schedule.nextChange(new Date()); // → Date of the next edge, or null when it never changes
 */
export class Schedule {
  readonly windows: readonly ScheduleWindow[];
  readonly timeZone: string;
  readonly location?: GeoLocation;
  private readonly sunCache = new Map<number, SunCalc.SunTimes>();
  private readonly cronCache = new Map<CronWindow, Map<number, number[]>>();
  /** Days before an instant where a window covering it may have started (long cron durations). */
  private readonly lookBackDays: number;

  constructor(parsed: ParsedSchedule) {
    this.windows = parsed.windows;
    this.timeZone = parsed.timeZone;
    this.location = parsed.location;
    const longest = Math.max(0, ...parsed.windows.map((w) => (w.kind === 'cron' ? w.durationMinutes : 0)));
    this.lookBackDays = Math.max(LOOK_BACK_DAYS, Math.ceil(longest / (24 * 60)) + 1);
  }

  /** Parses config entries (see `parseSchedule`). @throws ScheduleConfigError listing every problem. */
  static parse(entries: unknown, options: ScheduleParseOptions = {}): Schedule {
    return new Schedule(parseSchedule(entries, options));
  }

  /** A schedule with no windows: always active. */
  static always(timeZone?: string): Schedule {
    return Schedule.parse(undefined, { timezone: timeZone });
  }

  /** No windows configured: detection never pauses. */
  get isAlways(): boolean {
    return this.windows.length === 0;
  }

  isActive(at: Date | number): boolean {
    if (this.isAlways) return true;
    const ts = +at;
    const today = wallClock(ts, this.timeZone).civilDay;
    return this.instances(today - this.lookBackDays, today + 1).some((i) => i.start <= ts && ts < i.end);
  }

  /**
   * The first instant after `after` at which `isActive` flips, or null when it does not flip within
   * the next week or so (always active, or the sun never crosses the horizon at this location).
   * Edges are absolute instants, so DST days need no special care by the caller: a 22:00–06:00
   * window on the spring-forward night simply lasts 7 hours.
   */
  nextChange(after: Date | number): Date | null {
    if (this.isAlways) return null;
    const ts = +after;
    const today = wallClock(ts, this.timeZone).civilDay;
    const lastDay = today + LOOK_AHEAD_DAYS;
    // Edges at or beyond the last day's start may continue into days not looked at: not trusted.
    const horizon = zonedInstant(lastDay, 0, this.timeZone);
    for (const span of this.intervals(today - this.lookBackDays, lastDay)) {
      if (span.end <= ts) continue;
      const edge = span.start > ts ? span.start : span.end;
      return edge < horizon ? new Date(edge) : null;
    }
    return null;
  }

  /** Active spans of windows starting on civil days `firstDay..lastDay`, merged and sorted. */
  intervals(firstDay: number, lastDay: number): ActiveInterval[] {
    const spans = this.instances(firstDay, lastDay).sort((a, b) => a.start - b.start);
    const merged: ActiveInterval[] = [];
    for (const s of spans) {
      const last = merged[merged.length - 1];
      if (last && s.start <= last.end) last.end = Math.max(last.end, s.end);
      else merged.push({ ...s });
    }
    return merged;
  }

  /** Civil day (days since 1970-01-01 on the local calendar) of an instant, in this schedule's zone. */
  civilDayOf(at: Date | number): number {
    return wallClock(+at, this.timeZone).civilDay;
  }

  private instances(firstDay: number, lastDay: number): ActiveInterval[] {
    const out: ActiveInterval[] = [];
    for (let day = firstDay; day <= lastDay; day++) {
      const weekday = weekdayOf(day);
      for (const w of this.windows) {
        if (w.kind === 'cron') continue;
        if (!w.days.includes(weekday)) continue;
        const start = this.resolve(w.from, day);
        if (start === null) continue;
        let end = this.resolve(w.to, day);
        if (end === null || end <= start) end = this.resolve(w.to, day + 1);
        if (end === null || end <= start) continue;
        out.push({ start, end });
      }
    }
    for (const w of this.windows) if (w.kind === 'cron') out.push(...this.cronInstances(w, firstDay, lastDay));
    return out;
  }

  /**
   * The spans of a cron window that start on civil days `firstDay..lastDay`. The fields are matched
   * day by day on the schedule's calendar and each time is placed like a from/to edge (zonedInstant:
   * a skipped time moves past the gap, a repeated one fires the first time), instead of stepping
   * cron-parser through the days: its time-zone iteration costs tens of ms per fire.
   */
  private cronInstances(w: CronWindow, firstDay: number, lastDay: number): ActiveInterval[] {
    const out: ActiveInterval[] = [];
    const duration = w.durationMinutes * 60_000;
    for (let day = firstDay; day <= lastDay; day++) {
      for (const start of this.cronStarts(w, day)) out.push({ start, end: start + duration });
    }
    return out;
  }

  /**
   * When `w` fires on civil day `day`, cached: every evaluation looks at the same dozen days again,
   * and placing each fire in the time zone costs a few Intl calls (every other minute: 720 a day).
   */
  private cronStarts(w: CronWindow, day: number): number[] {
    let byDay = this.cronCache.get(w);
    if (!byDay) {
      byDay = new Map<number, number[]>();
      this.cronCache.set(w, byDay);
    }
    const cached = byDay.get(day);
    if (cached) return cached;
    const f = w.fields;
    const starts: number[] = [];
    const date = new Date(day * DAY_MS);
    const domMatch = f.daysOfMonth.includes(date.getUTCDate());
    const dowMatch = f.weekdays.includes(date.getUTCDay());
    // Vixie cron: with both day fields restricted, either one matching is enough.
    const dayMatch = f.anyDayOfMonth ? dowMatch : f.anyWeekday ? domMatch : domMatch || dowMatch;
    if (f.months.includes(date.getUTCMonth() + 1) && dayMatch) {
      for (const hour of f.hours) for (const minute of f.minutes) starts.push(zonedInstant(day, hour * 60 + minute, this.timeZone));
    }
    if (byDay.size > 64) byDay.clear();
    byDay.set(day, starts);
    return starts;
  }

  /** The instant `spec` denotes on local `day`, or null when the sun event does not happen that day. */
  private resolve(spec: TimeSpec, day: number): number | null {
    if (spec.kind === 'clock') return zonedInstant(day, spec.minute, this.timeZone);
    const event = this.sunTimes(day)[spec.event];
    return event ? event.getTime() + spec.offsetMinutes * 60_000 : null;
  }

  private sunTimes(day: number): SunCalc.SunTimes {
    let t = this.sunCache.get(day);
    if (!t) {
      const loc = this.location as GeoLocation; // the parser refuses sun edges without a location
      // Local noon picks the solar day that belongs to this calendar date.
      t = SunCalc.getTimes(new Date(zonedInstant(day, 12 * 60, this.timeZone)), loc.lat, loc.lon);
      if (this.sunCache.size > 64) this.sunCache.clear();
      this.sunCache.set(day, t);
    }
    return t;
  }
}
