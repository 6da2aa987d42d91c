/**
 * What systemd is told (Type=notify): READY=1 through the ready gate, RELOADING=1 around reloads,
 * STATUS= lines for `systemctl status` (at most every 5 s), STOPPING=1, and watchdog pings that go out
 * only while frames really flow (PipelineProgress decides). Without a notifier (not under systemd,
 * the bench, tests) every call is a no-op except the gate's bookkeeping.
 */
import type { Logger } from '../log';
import { ReadyGate } from '../pipeline/ready-gate';
import type { PipelineProgress } from '../system/progress';
import type { SystemdNotifier } from '../system/sd-notify';
import { WatchdogPinger } from '../system/watchdog';
import type { Camera } from './camera';

/** What the daemon says to systemd (SystemdNotifier; a double in tests). */
export type ServiceNotifier = Pick<SystemdNotifier, 'ready' | 'reloading' | 'status' | 'stopping' | 'watchdog' | 'watchdogIntervalMs'>;

/** READY=1 goes out this long after start even if no camera streams yet (systemd's start timeout is 180 s). */
export const READY_BOUND_MS = 30_000;
const STATUS_EVERY_MS = 5000;

export interface ServiceOptions {
  notifier: ServiceNotifier | undefined;
  log: Logger;
  progress: PipelineProgress;
  cameras(): Iterable<Camera>;
  now(): number;
}

export class Service {
  readonly gate: ReadyGate;
  private pinger: WatchdogPinger | null = null;
  private lastStatusAt = 0;

  constructor(private readonly o: ServiceOptions) {
    this.gate = new ReadyGate(o.notifier, (why) => o.log.info({ why }, 'ready'));
  }

  status(text: string): void {
    this.o.notifier?.status(text);
  }

  /** The watchdog starts pinging, and READY=1 goes out by the bound at the latest. */
  start(): void {
    const notifier = this.o.notifier;
    if (notifier?.watchdogIntervalMs) {
      this.pinger = new WatchdogPinger({ notifier, progress: () => this.o.progress.check(), logger: this.o.log.child({ component: 'watchdog' }) });
      this.pinger.start();
    }
    this.gate.arm(READY_BOUND_MS);
  }

  /** After each published frame: the cameras' rates on STATUS=, throttled. */
  framePublished(): void {
    if (!this.o.notifier) return;
    const now = this.o.now();
    if (now - this.lastStatusAt < STATUS_EVERY_MS) return;
    this.lastStatusAt = now;
    this.o.notifier.status([...this.o.cameras()].map((cam) => cam.figures.statusLine(cam.name, now)).join('; '));
  }

  /** STOPPING=1; nothing more is said, and the pings stop (the stop itself must not look stuck for long). */
  stop(reason: string): void {
    this.o.notifier?.stopping(`shutting down: ${reason}`);
    this.gate.close();
    this.pinger?.stop();
  }
}
