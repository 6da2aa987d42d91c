import { EventEmitter } from 'node:events';
import { type Job, scheduleJob } from 'node-schedule';
import { type Logger, silentLogger } from '../log';
import { Schedule } from './schedule';

export type OverrideMode = 'on' | 'off' | 'auto';

/** What the controller decided; published retained by the daemon (JSON-serializable). */
export interface ScheduleState {
  /** Detection should run. */
  active: boolean;
  /** `auto` follows the windows; `on`/`off` is a manual override. */
  mode: OverrideMode;
  /** Why `active` has its value: the windows, or an override. */
  reason: 'window' | 'override';
  /** Next window edge (when an override also ends), or null when the windows never change. */
  nextChange: Date | null;
}

export interface ScheduleControllerOptions {
  schedule: Schedule;
  logger?: Logger;
  /**
   * Longest wait between two evaluations (ms). Bounds the damage of a wall-clock jump (NTP sync on a
   * Pi without RTC): the next edge is known, but a clock that jumps past it is only seen when a job
   * runs. Default 60000.
   */
  recheckMs?: number;
}

export interface ScheduleControllerEvents {
  change: [state: ScheduleState];
}

/**
 * Drives one camera's detection on/off from its schedule, with a manual override that holds until
 * the next window edge and then returns to `auto`.
 *
 * `Schedule` computes the next edge (time zones, DST, sunrise/sunset, cron windows); the controller
 * hands it to node-schedule as a one-off job, re-armed at least every `recheckMs`. node-schedule
 * reads `Date` and sets timers, so jest's fake timers drive it (`jest.useFakeTimers()`,
 * `jest.setSystemTime`, `jest.advanceTimersByTime`): a week passes in milliseconds in the tests.
 *
 * @example
 * const ctl = new ScheduleController({ schedule, logger: log.child({ component: 'schedule', camera }) });
 * ctl.on('change', (s) => (s.active ? resumeDetection() : pauseDetection()));
 * const initial = ctl.start();           // current state; 'change' fires on every later change
 * ctl.override('off');                   // MQTT command; holds until the next window edge
 * ctl.setSchedule(newSchedule);          // config reload
 * ctl.stop();
 */
export class ScheduleController extends EventEmitter<ScheduleControllerEvents> {
  private schedule: Schedule;
  private readonly log: Logger;
  private readonly recheckMs: number;
  private job: Job | undefined = undefined;
  private running = false;
  private overrideMode: 'on' | 'off' | undefined;
  /** The override ends at this instant (the window edge after it was set); null = never. */
  private overrideUntil: number | null = null;
  private current: ScheduleState;
  private cache: { schedule: Schedule; from: number; until: number; active: boolean; nextChange: Date | null } | undefined;

  constructor(options: ScheduleControllerOptions) {
    super();
    this.schedule = options.schedule;
    this.log = options.logger ?? silentLogger;
    this.recheckMs = Math.min(Math.max(options.recheckMs ?? 60_000, 1), 2 ** 31 - 1);
    this.current = this.compute(Date.now());
  }

  /** The state as of the last evaluation. */
  get state(): ScheduleState {
    return { ...this.current };
  }

  get active(): boolean {
    return this.current.active;
  }

  /** Evaluates now, arms the timer and returns the current state (no 'change' for it). */
  start(): ScheduleState {
    this.running = true;
    this.current = this.compute(Date.now());
    this.arm();
    this.log.info({ ...this.current }, 'schedule started');
    return this.state;
  }

  stop(): void {
    this.running = false;
    this.disarm();
  }

  /**
   * `on`/`off` forces detection until the next window edge, then the windows rule again; `auto`
   * cancels an override now. Emits 'change' if the state changes; returns the new state.
   */
  override(mode: OverrideMode): ScheduleState {
    const now = Date.now();
    if (mode === 'auto') {
      this.overrideMode = undefined;
      this.overrideUntil = null;
    } else {
      this.overrideMode = mode;
      this.overrideUntil = this.schedule.nextChange(now)?.getTime() ?? null;
    }
    this.log.info({ mode, until: this.overrideUntil === null ? null : new Date(this.overrideUntil) }, 'schedule override');
    this.evaluate();
    return this.state;
  }

  /** Swaps in a reloaded schedule; a running override now ends at the new schedule's next edge. */
  setSchedule(schedule: Schedule): ScheduleState {
    this.schedule = schedule;
    if (this.overrideMode) this.overrideUntil = schedule.nextChange(Date.now())?.getTime() ?? null;
    this.evaluate();
    return this.state;
  }

  private compute(now: number): ScheduleState {
    if (this.overrideMode && this.overrideUntil !== null && now >= this.overrideUntil) {
      this.log.info({ mode: this.overrideMode }, 'schedule override ended at window edge');
      this.overrideMode = undefined;
      this.overrideUntil = null;
    }
    const { active, nextChange } = this.windowState(now);
    if (this.overrideMode) {
      return { active: this.overrideMode === 'on', mode: this.overrideMode, reason: 'override', nextChange };
    }
    return { active, mode: 'auto', reason: 'window', nextChange };
  }

  /**
   * The windows' verdict at `now`. Between the instant it was computed and its next edge it cannot
   * change, so the minutely re-checks cost nothing unless the clock left that span (jump, edge).
   */
  private windowState(now: number): { active: boolean; nextChange: Date | null } {
    const c = this.cache;
    if (c && c.schedule === this.schedule && now >= c.from && now < c.until) return c;
    const active = this.schedule.isActive(now);
    const nextChange = this.schedule.nextChange(now);
    // "No change in sight" is only known for the days looked at (seasons move polar sun windows).
    const until = nextChange?.getTime() ?? now + 86_400_000;
    this.cache = { schedule: this.schedule, from: now, until, active, nextChange };
    return this.cache;
  }

  private evaluate(): void {
    const before = this.current;
    this.current = this.compute(Date.now());
    if (this.running) this.arm();
    const s = this.current;
    if (s.active === before.active && s.mode === before.mode && s.reason === before.reason) return;
    this.log.info({ ...s }, s.active ? 'schedule: detection active' : 'schedule: detection paused');
    // Each listener on its own: one that throws must not keep the others from pausing detection.
    for (const listener of this.rawListeners('change')) {
      try {
        listener(this.state);
      } catch (err) {
        this.log.error({ err }, 'schedule change listener threw');
      }
    }
  }

  private arm(): void {
    const now = Date.now();
    const edges = [this.current.nextChange?.getTime(), this.overrideUntil ?? undefined].filter((t): t is number => t !== undefined);
    this.runAt(now + Math.min(this.recheckMs, ...edges.map((t) => t - now)));
  }

  /** One node-schedule job at `at` (or just ahead of now: it refuses a date in the past). */
  private runAt(at: number): void {
    this.disarm();
    const when = new Date(Math.max(at, Date.now() + 1));
    const job = scheduleJob(when, () => this.tick());
    if (job) this.job = job;
    else setImmediate(() => this.tick()); // the millisecond passed while scheduling
  }

  private disarm(): void {
    this.job?.cancel();
    this.job = undefined;
  }

  private tick(): void {
    this.job = undefined;
    if (!this.running) return;
    try {
      this.evaluate();
    } catch (err) {
      this.log.error({ err }, 'schedule evaluation failed; retrying');
      if (this.running && this.job === undefined) this.runAt(Date.now() + this.recheckMs);
    }
  }
}
