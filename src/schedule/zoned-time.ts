/**
 * Wall-clock arithmetic in an IANA time zone with nothing but `Intl.DateTimeFormat`.
 * A "civil day" is a calendar date counted as days since 1970-01-01, independent of any zone.
 */

const MS_PER_DAY = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The system's zone, as Node resolves it (TZ variable, else /etc/localtime). */
export function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** Whether `name` is a time zone this Node's ICU knows. */
export function isValidTimeZone(name: string): boolean {
  try {
    formatter(name);
    return true;
  } catch {
    return false;
  }
}

export interface WallClock {
  civilDay: number;
  /** Minutes since local midnight, with seconds as a fraction. */
  minuteOfDay: number;
}

/** The wall-clock reading of instant `ts` in `timeZone`. */
export function wallClock(ts: number, timeZone: string): WallClock {
  const p: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(ts))) {
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  }
  return {
    civilDay: Math.floor(Date.UTC(p.year, p.month - 1, p.day) / MS_PER_DAY),
    minuteOfDay: p.hour * 60 + p.minute + p.second / 60,
  };
}

/** Zone offset (local minus UTC, ms) in force at instant `ts`. */
export function offsetAt(ts: number, timeZone: string): number {
  const whole = Math.floor(ts / 1000) * 1000;
  const w = wallClock(whole, timeZone);
  return w.civilDay * MS_PER_DAY + Math.round(w.minuteOfDay * 60_000) - whole;
}

/**
 * The instant at which the wall clock in `timeZone` reads `minuteOfDay` on `civilDay` (minute 1440 is
 * the next midnight). A time that occurs twice (clocks go back) maps to its first occurrence; a time
 * skipped by a spring-forward gap maps to the same distance past the gap (02:30 → 03:30).
 */
export function zonedInstant(civilDay: number, minuteOfDay: number, timeZone: string): number {
  const wall = civilDay * MS_PER_DAY + minuteOfDay * 60_000;
  // At most one transition lies within a day of any wall time, so these are the offsets on either side.
  const before = offsetAt(wall - MS_PER_DAY, timeZone);
  const after = offsetAt(wall + MS_PER_DAY, timeZone);
  const valid = [wall - before, wall - after].filter((t, i) => offsetAt(t, timeZone) === (i === 0 ? before : after));
  if (valid.length > 0) return Math.min(...valid);
  return wall - before;
}

/** 0 = Sunday … 6 = Saturday. */
export function weekdayOf(civilDay: number): number {
  return new Date(civilDay * MS_PER_DAY).getUTCDay();
}
