import { parseExpression } from 'cron-parser';
import { isValidTimeZone, systemTimeZone } from './zoned-time';
import { errorMessage } from '../util/errors';

/** One edge of a window: a wall-clock time, or a sun event shifted by an offset. */
export type TimeSpec =
  | { kind: 'clock'; /** minutes after local midnight, 0..1440 */ minute: number; text: string }
  | { kind: 'sun'; event: 'sunrise' | 'sunset'; /** signed minutes */ offsetMinutes: number; text: string };

/** A parsed window: active from `from` on each listed weekday until the next `to`. */
export interface DaysWindow {
  kind: 'days';
  /** Weekdays the window starts on, 0 = Sunday … 6 = Saturday. */
  days: number[];
  from: TimeSpec;
  to: TimeSpec;
}

/** A parsed cron window: active from each time the cron expression fires, for `durationMinutes`. */
export interface CronWindow {
  kind: 'cron';
  /** Five fields (minute hour day-of-month month day-of-week), in the schedule's time zone. */
  cron: string;
  durationMinutes: number;
  /** The expression's fields as cron-parser expands them. */
  fields: CronFields;
}

/** Which minutes, hours and days a cron expression fires on. */
export interface CronFields {
  minutes: number[];
  hours: number[];
  /** Days of the month, 1..31. */
  daysOfMonth: number[];
  /** 1..12. */
  months: number[];
  /** 0 = Sunday … 6 = Saturday. */
  weekdays: number[];
  /** Day-of-month and day-of-week written as `*`: cron then matches a day when either restricted field does. */
  anyDayOfMonth: boolean;
  anyWeekday: boolean;
}

export type ScheduleWindow = DaysWindow | CronWindow;

/** Observer position for sunrise/sunset edges, in degrees. */
export interface GeoLocation {
  lat: number;
  lon: number;
}

/**
 * A window as written in the config file:
 * ```yaml
 * - days: [mon, tue, wed, thu, fri]   # optional, default every day; also "mon-fri", full names
 *   from: "18:00"                     # HH:MM, or sunrise/sunset with an optional ±HH:MM offset
 *   to: "07:30"                       # earlier than from = ends the next day; "24:00" = midnight
 * - cron: "0 22 * * 1-5"              # starts whenever this fires (schedule time zone) …
 *   duration: 8h                      # … and lasts this long: 90m, 8h, 1h30m; at most 7 days
 * ```
 */
export type ScheduleEntryConfig = { days?: string[] | string; from: string; to: string } | { cron: string; duration: string };

export interface ScheduleParseOptions {
  /** IANA zone the wall-clock times are in, e.g. "Europe/Berlin". Default (also for ""): the system zone. */
  timezone?: string;
  /** Needed only when an edge is relative to sunrise or sunset. */
  location?: GeoLocation;
  /** Config key path used in error messages. Default "schedule". */
  path?: string;
}

export interface ParsedSchedule {
  windows: ScheduleWindow[];
  timeZone: string;
  location?: GeoLocation;
}

/** A schedule that failed validation; `errors` lists every problem as `key.path: reason`. */
export class ScheduleConfigError extends Error {
  constructor(readonly errors: string[]) {
    super(`invalid schedule: ${errors.join('; ')}`);
    this.name = 'ScheduleConfigError';
  }
}

const DAY_NAMES: Record<string, number> = {
  sun: 0,
  sunday: 0,
  mon: 1,
  monday: 1,
  tue: 2,
  tues: 2,
  tuesday: 2,
  wed: 3,
  wednesday: 3,
  thu: 4,
  thur: 4,
  thurs: 4,
  thursday: 4,
  fri: 5,
  friday: 5,
  sat: 6,
  saturday: 6,
};
const ALL_DAYS = [0, 1, 2, 3, 4, 5, 6];
const ENTRY_KEYS = new Set(['days', 'from', 'to']);
const CRON_KEYS = new Set(['cron', 'duration']);
const DURATION = /^(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?$/;
/** A cron window may last up to a week: one that fires weekly can then cover the whole week. */
const MAX_CRON_DURATION_MIN = 7 * 24 * 60;
const CLOCK = /^(\d{1,2}):(\d{2})$/;
const SUN = /^(sunrise|sunset)(?:\s*([+-])\s*(\d{1,2}):(\d{2}))?$/;
const MAX_SUN_OFFSET_MIN = 12 * 60;

function parseTime(raw: unknown, where: string, location: GeoLocation | undefined, errors: string[]): TimeSpec | undefined {
  if (typeof raw !== 'string') {
    errors.push(`${where}: required, a string like "18:00" or "sunset-00:30" (got ${JSON.stringify(raw) ?? 'nothing'})`);
    return undefined;
  }
  const text = raw.trim().toLowerCase();
  const clock = CLOCK.exec(text);
  if (clock) {
    const h = Number(clock[1]);
    const m = Number(clock[2]);
    if (m < 60 && (h < 24 || (h === 24 && m === 0))) return { kind: 'clock', minute: h * 60 + m, text };
    errors.push(`${where}: '${raw}' is not a time of day (00:00 to 24:00)`);
    return undefined;
  }
  const sun = SUN.exec(text);
  if (sun) {
    const offset = sun[2] ? (sun[2] === '-' ? -1 : 1) * (Number(sun[3]) * 60 + Number(sun[4])) : 0;
    if (sun[4] !== undefined && Number(sun[4]) >= 60) {
      errors.push(`${where}: '${raw}' has offset minutes ${sun[4]} (must be 00..59)`);
      return undefined;
    }
    if (Math.abs(offset) > MAX_SUN_OFFSET_MIN) {
      errors.push(`${where}: '${raw}' offset is more than 12:00`);
      return undefined;
    }
    if (!location) {
      errors.push(`${where}: '${raw}' is relative to the sun but no location (lat, lon) is configured`);
      return undefined;
    }
    return { kind: 'sun', event: sun[1] as 'sunrise' | 'sunset', offsetMinutes: offset, text };
  }
  errors.push(`${where}: '${raw}' is not HH:MM or sunrise/sunset±HH:MM`);
  return undefined;
}

function parseDays(raw: unknown, where: string, errors: string[]): number[] | undefined {
  if (raw === undefined) return [...ALL_DAYS];
  const items = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(items) || items.length === 0) {
    errors.push(`${where}: must be a non-empty list of weekdays like [mon, tue] (got ${JSON.stringify(raw)})`);
    return undefined;
  }
  const days = new Set<number>();
  let ok = true;
  items.forEach((item, i) => {
    const text = typeof item === 'string' ? item.trim().toLowerCase() : '';
    const range = /^([a-z]+)\s*-\s*([a-z]+)$/.exec(text);
    if (range && DAY_NAMES[range[1]] !== undefined && DAY_NAMES[range[2]] !== undefined) {
      // A range wraps over the weekend: fri-mon = fri, sat, sun, mon.
      for (let d = DAY_NAMES[range[1]]; ; d = (d + 1) % 7) {
        days.add(d);
        if (d === DAY_NAMES[range[2]]) break;
      }
    } else if (DAY_NAMES[text] !== undefined) {
      days.add(DAY_NAMES[text]);
    } else {
      errors.push(`${where}[${i}]: '${String(item)}' is not a weekday (mon..sun, or a range like mon-fri)`);
      ok = false;
    }
  });
  return ok ? [...days].sort((a, b) => a - b) : undefined;
}

function parseCron(raw: unknown, where: string, timeZone: string, errors: string[]): { cron: string; fields: CronFields } | undefined {
  if (typeof raw !== 'string' || raw.trim() === '') {
    errors.push(`${where}: required, a cron expression like "0 22 * * 1-5" (got ${JSON.stringify(raw) ?? 'nothing'})`);
    return undefined;
  }
  const text = raw.trim().replace(/\s+/g, ' ');
  const fields = text.split(' ').length;
  if (fields !== 5) {
    errors.push(`${where}: '${raw}' has ${fields} field(s); a schedule cron has 5: minute hour day-of-month month day-of-week`);
    return undefined;
  }
  let f: ReturnType<typeof parseExpression>['fields'];
  try {
    f = parseExpression(text, { tz: isValidTimeZone(timeZone) ? timeZone : 'UTC' }).fields;
  } catch (e) {
    errors.push(`${where}: '${raw}' is not a cron expression: ${errorMessage(e)}`);
    return undefined;
  }
  const [, , dom, , dow] = text.split(' ');
  const numbers = (values: readonly unknown[]) => values.every((v) => typeof v === 'number');
  if (/#/.test(dow) || !numbers(f.dayOfMonth) || !numbers(f.dayOfWeek)) {
    errors.push(`${where}: '${raw}' uses L, W or # (last, nearest weekday, nth weekday), which schedules do not take`);
    return undefined;
  }
  const weekdays = [...new Set((f.dayOfWeek as number[]).map((d) => d % 7))].sort((a, b) => a - b);
  return {
    cron: text,
    fields: {
      minutes: [...f.minute],
      hours: [...f.hour],
      daysOfMonth: [...(f.dayOfMonth as number[])],
      months: [...f.month],
      weekdays,
      anyDayOfMonth: dom === '*' || dom === '?',
      anyWeekday: dow === '*' || dow === '?',
    },
  };
}

function parseDuration(raw: unknown, where: string, errors: string[]): number | undefined {
  // A bare number is refused: 8 could mean minutes or hours.
  const text = typeof raw === 'string' ? raw.trim().toLowerCase() : undefined;
  const hm = text === undefined ? null : (DURATION.exec(text) ?? CLOCK.exec(text));
  if (text === undefined || !hm || (hm[1] === undefined && hm[2] === undefined)) {
    errors.push(`${where}: ${JSON.stringify(raw) ?? 'nothing'} is not a duration like 90m, 8h or 1h30m`);
    return undefined;
  }
  const minutes = Number(hm[1] ?? 0) * 60 + Number(hm[2] ?? 0);
  if (minutes < 1 || minutes > MAX_CRON_DURATION_MIN) {
    errors.push(`${where}: '${String(raw)}' must be at least 1 minute and at most 7 days (168h)`);
    return undefined;
  }
  return minutes;
}

/** `{cron, duration}`: every problem of one cron entry, or its window. */
function parseCronEntry(e: Record<string, unknown>, where: string, timeZone: string, errors: string[]): CronWindow | undefined {
  for (const key of Object.keys(e)) {
    if (CRON_KEYS.has(key)) continue;
    errors.push(
      ENTRY_KEYS.has(key)
        ? `${where}: '${key}' does not go with cron (a cron entry takes cron and duration; its fields choose the days)`
        : `${where}: unknown key '${key}' (allowed: cron, duration)`,
    );
  }
  const cron = parseCron(e.cron, `${where}.cron`, timeZone, errors);
  const durationMinutes = parseDuration(e.duration, `${where}.duration`, errors);
  return cron !== undefined && durationMinutes !== undefined ? { kind: 'cron', ...cron, durationMinutes } : undefined;
}

function checkLocation(location: unknown, errors: string[]): GeoLocation | undefined {
  if (location === undefined || location === null) return undefined;
  const l = location as Partial<GeoLocation>;
  let ok = true;
  if (typeof l.lat !== 'number' || !(l.lat >= -90 && l.lat <= 90)) {
    errors.push(`location.lat: ${JSON.stringify(l.lat)} is not a latitude (-90..90)`);
    ok = false;
  }
  if (typeof l.lon !== 'number' || !(l.lon >= -180 && l.lon <= 180)) {
    errors.push(`location.lon: ${JSON.stringify(l.lon)} is not a longitude (-180..180)`);
    ok = false;
  }
  return ok ? { lat: l.lat as number, lon: l.lon as number } : undefined;
}

/**
 * Checks a schedule as read from config and returns every problem (empty when valid). Absent or an
 * empty list means "always active".
 */
export function validateSchedule(entries: unknown, options: ScheduleParseOptions = {}): string[] {
  return parse(entries, options).errors;
}

/**
 * Parses a schedule as read from config.
 * @throws ScheduleConfigError listing every problem, e.g.
 *   `schedule[1].from: 'sunsett' is not HH:MM or sunrise/sunset±HH:MM`
 */
export function parseSchedule(entries: unknown, options: ScheduleParseOptions = {}): ParsedSchedule {
  const { errors, parsed } = parse(entries, options);
  if (errors.length > 0 || !parsed) throw new ScheduleConfigError(errors);
  return parsed;
}

function parse(entries: unknown, options: ScheduleParseOptions): { errors: string[]; parsed?: ParsedSchedule } {
  const path = options.path ?? 'schedule';
  const errors: string[] = [];
  const timeZone = options.timezone || systemTimeZone();
  if (!isValidTimeZone(timeZone)) errors.push(`timezone: '${timeZone}' is not an IANA time zone name (e.g. Europe/Berlin)`);
  const location = checkLocation(options.location, errors);
  const hasLocation = options.location !== undefined && options.location !== null;
  const windows: ScheduleWindow[] = [];
  if (entries === undefined || entries === null || entries === 'always') return finish();
  if (!Array.isArray(entries)) {
    errors.push(`${path}: must be a list of {days, from, to} or {cron, duration} windows (got ${typeof entries})`);
    return finish();
  }
  entries.forEach((entry: unknown, i) => {
    const where = `${path}[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      errors.push(`${where}: must be an object with from, to and optional days, or with cron and duration`);
      return;
    }
    if ('cron' in entry || 'duration' in entry) {
      const w = parseCronEntry(entry, where, timeZone, errors);
      if (w) windows.push(w);
      return;
    }
    for (const key of Object.keys(entry)) {
      if (!ENTRY_KEYS.has(key)) errors.push(`${where}: unknown key '${key}' (allowed: days, from, to; or cron, duration)`);
    }
    const e = entry as Record<string, unknown>;
    // With a bad location its own error is enough; don't also blame every sun edge for it.
    const loc = location ?? (hasLocation ? { lat: 0, lon: 0 } : undefined);
    const days = parseDays(e.days, `${where}.days`, errors);
    const from = parseTime(e.from, `${where}.from`, loc, errors);
    const to = parseTime(e.to, `${where}.to`, loc, errors);
    if (from?.kind === 'clock' && from.minute === 1440) {
      errors.push(`${where}.from: '24:00' is only allowed for 'to'; use "00:00"`);
      return;
    }
    if (days && from && to) windows.push({ kind: 'days', days, from, to });
  });
  return finish();

  function finish(): { errors: string[]; parsed?: ParsedSchedule } {
    return errors.length > 0 ? { errors } : { errors, parsed: { windows, timeZone, location } };
  }
}
