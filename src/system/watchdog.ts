import { type Logger, silentLogger } from '../log';
import { errorMessage } from '../util/errors';

/**
 * The systemd watchdog pinger, gated on real progress: a timer alone would keep pinging while the
 * capture or inference pipeline is wedged, and systemd would never restart it. Each tick asks the
 * daemon's progress() whether frames still move; only then it sends WATCHDOG=1. When progress stops
 * it stops pinging (warning once, and putting the reason into STATUS=), so systemd kills and
 * restarts the service after WatchdogSec.
 */

/** What progress() answers: ok, or why the pipeline is considered stuck. */
export type ProgressVerdict = { ok: true } | { ok: false; reason: string };

/** The notifier calls the pinger needs (SystemdNotifier provides them). */
export interface WatchdogNotifier {
  watchdog(): void;
  status(text: string): void;
  readonly watchdogIntervalMs: number | undefined;
}

/** Timer functions, injectable so tests drive the pinger without waiting. */
export interface WatchdogTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

const realTimers: WatchdogTimers = {
  setInterval: (fn, ms) => {
    const handle = setInterval(fn, ms);
    // The pinger must never be what keeps a finished process alive.
    handle.unref();
    return handle;
  },
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

export interface WatchdogPingerOptions {
  /** Sends WATCHDOG=1 and STATUS=; normally a SystemdNotifier. */
  notifier: WatchdogNotifier;
  /** Whether the pipeline moves; a boolean works too. A throwing callback counts as "stuck". */
  progress: () => ProgressVerdict | boolean;
  /** Ping period in ms. Default: the notifier's watchdogIntervalMs (WATCHDOG_USEC / 2). */
  intervalMs?: number;
  logger?: Logger;
  timers?: WatchdogTimers;
}

export type WatchdogState = 'off' | 'pinging' | 'stalled';

export class WatchdogPinger {
  private readonly options: WatchdogPingerOptions;
  private readonly logger: Logger;
  private readonly timers: WatchdogTimers;
  private handle: unknown = undefined;
  private stalledReason: string | undefined;
  private pings = 0;

  constructor(options: WatchdogPingerOptions) {
    this.options = options;
    this.logger = options.logger ?? silentLogger;
    this.timers = options.timers ?? realTimers;
  }

  /** 'off' until started (or when systemd set no watchdog), then 'pinging' or 'stalled'. */
  get state(): WatchdogState {
    if (this.handle === undefined) return 'off';
    return this.stalledReason === undefined ? 'pinging' : 'stalled';
  }

  /** WATCHDOG=1 messages sent so far. */
  get pingCount(): number {
    return this.pings;
  }

  /**
   * Starts pinging (first check immediately). Returns false, doing nothing, when no watchdog is
   * configured (no WATCHDOG_USEC, or it is meant for another pid).
   */
  start(): boolean {
    if (this.handle !== undefined) return true;
    const interval = this.options.intervalMs ?? this.options.notifier.watchdogIntervalMs;
    if (interval === undefined || !(interval > 0)) {
      this.logger.debug('systemd watchdog not enabled for this process; not pinging');
      return false;
    }
    this.handle = this.timers.setInterval(() => this.tick(), interval);
    this.logger.info({ interval_ms: interval }, 'systemd watchdog pinger started (pings only while frames make progress)');
    this.tick();
    return true;
  }

  stop(): void {
    if (this.handle === undefined) return;
    this.timers.clearInterval(this.handle);
    this.handle = undefined;
    this.stalledReason = undefined;
  }

  /** One check-and-maybe-ping; the timer calls it, tests may too. Never throws. */
  tick(): void {
    const verdict = this.evaluate();
    try {
      if (verdict.ok) {
        if (this.stalledReason !== undefined) {
          this.logger.info({ was: this.stalledReason }, 'pipeline moves again; resuming systemd watchdog pings');
          this.options.notifier.status('running');
          this.stalledReason = undefined;
        }
        this.options.notifier.watchdog();
        this.pings++;
      } else if (this.stalledReason === undefined) {
        this.stalledReason = verdict.reason;
        this.logger.warn({ reason: verdict.reason }, 'pipeline stalled; withholding systemd watchdog pings so systemd restarts the service');
        this.options.notifier.status(`stalled: ${verdict.reason}`);
      }
    } catch (err) {
      this.logger.error({ err }, 'watchdog notification failed');
    }
  }

  private evaluate(): ProgressVerdict {
    try {
      const result = this.options.progress();
      if (result === true) return { ok: true };
      if (result === false) return { ok: false, reason: 'progress check failed' };
      return result;
    } catch (err) {
      return { ok: false, reason: `progress check threw: ${errorMessage(err)}` };
    }
  }
}
