/**
 * systemd's view of the daemon (Type=notify): READY=1 once a camera streams (or a bound passes, or no
 * camera is enabled); a reload is bracketed by RELOADING=1 … READY=1 only after that first READY. A
 * reload finished while the daemon is still coming up must not say READY=1: that skipped the gate and
 * told systemd "started" before any camera streamed.
 */
export interface ReadyNotifier {
  ready(status?: string): void;
  reloading(status?: string): void;
}

export class ReadyGate {
  private sent = false;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly notifier: ReadyNotifier | undefined,
    private readonly onReady: (why: string) => void = () => undefined,
  ) {}

  get isReady(): boolean {
    return this.sent;
  }

  /** READY=1 goes out after `boundMs` even if nothing calls ready() by then. */
  arm(boundMs: number): void {
    if (this.sent || this.closed || this.timer) return;
    this.timer = setTimeout(() => this.ready('no camera streams yet; ready anyway'), boundMs);
    this.timer.unref();
  }

  /** The first call sends READY=1; later ones do nothing. */
  ready(why: string): void {
    if (this.sent || this.closed) return;
    this.sent = true;
    this.clearTimer();
    this.onReady(why);
    this.notifier?.ready(why);
  }

  reloadStarted(status: string): void {
    if (this.sent && !this.closed) this.notifier?.reloading(status);
  }

  reloadFinished(status: string): void {
    if (this.sent && !this.closed) this.notifier?.ready(status);
  }

  /** Stopping: nothing more is said (STOPPING=1 is the daemon's). */
  close(): void {
    this.closed = true;
    this.clearTimer();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
