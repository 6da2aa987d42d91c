/**
 * Per-camera active windows: when detection runs, with weekdays, time zones, windows across
 * midnight, sunrise/sunset-relative edges, cron windows ({cron, duration}) and a manual override.
 * The controller runs each edge as a node-schedule job.
 *
 * @example
 * import { Schedule, ScheduleController, ScheduleConfigError } from './schedule';
 * let schedule: Schedule;
 * try {
 *   schedule = Schedule.parse(cfg.cameras.front.schedule, {
 *     timezone: cfg.timezone, location: cfg.location, path: 'cameras.front.schedule' });
 * } catch (e) {
 *   if (e instanceof ScheduleConfigError) e.errors.forEach((m) => log.error(m)); // key.path: reason
 *   throw e;
 * }
 * const ctl = new ScheduleController({ schedule, logger });
 * ctl.on('change', ({ active, reason, nextChange }) => { ... });
 * ctl.start();
 */
export { Schedule, type ActiveInterval } from './schedule';
export { ScheduleController, type ScheduleControllerOptions, type ScheduleState, type OverrideMode } from './controller';
export {
  parseSchedule,
  validateSchedule,
  ScheduleConfigError,
  type ScheduleEntryConfig,
  type ScheduleParseOptions,
  type ParsedSchedule,
  type ScheduleWindow,
  type DaysWindow,
  type CronWindow,
  type TimeSpec,
  type GeoLocation,
} from './parse';
export { systemTimeZone, isValidTimeZone } from './zoned-time';
