/**
 * What "stuck" means for a capture process, decided from its reports and the clock alone, so every
 * rule is testable without a process to freeze. The camera feeds it the process's messages and asks
 * at each tick; a verdict means: kill the process and reopen the source.
 *
 *   - not streaming yet: no first frame within `openTimeoutMs` of starting it (open or first read hung);
 *   - no 'alive' report for longer than `readTimeoutMs`: its event loop is stuck in a native call;
 *   - a read running longer than `readTimeoutMs` by its own reports: the source stopped delivering.
 */
export interface WatchdogOptions {
  openTimeoutMs: number;
  readTimeoutMs: number;
  /** How often the process reports; a few missed reports mean it is not running. */
  aliveIntervalMs: number;
  /** How often check() is called, ms. */
  tickMs: number;
}

export class CaptureWatchdog {
  private lastCheckAt: number;
  private lastAliveAt: number;
  private readingMs = -1;
  private readingReportedAt: number;
  private streaming = false;

  constructor(
    private readonly o: WatchdogOptions,
    private readonly startedAt: number,
  ) {
    this.lastCheckAt = startedAt;
    this.lastAliveAt = startedAt;
    this.readingReportedAt = startedAt;
  }

  /** The check interval for a read timeout: often enough to catch it within about a quarter of it. */
  static tickFor(readTimeoutMs: number): number {
    return Math.max(20, Math.min(250, Math.floor(readTimeoutMs / 4)));
  }

  /** Any message from the process shows that its event loop runs. */
  heard(now: number): void {
    this.lastAliveAt = now;
  }

  /** An 'alive' report: how long its current read has been running (-1: none). */
  reading(readingMs: number, now: number): void {
    this.lastAliveAt = now;
    this.readingMs = readingMs;
    this.readingReportedAt = now;
  }

  /** The first frame arrived: from now on reads are judged, not the open. */
  streamingSince(): void {
    this.streaming = true;
  }

  /** Why the process counts as stuck now, or undefined. */
  check(now: number): string | undefined {
    const late = now - this.lastCheckAt > Math.max(1000, 4 * this.o.tickMs);
    this.lastCheckAt = now;
    // This process itself was blocked: the capture process's reports are still queued, unread.
    // Judge it on the next tick, after they have been read.
    if (late) return undefined;
    if (!this.streaming) {
      return now - this.startedAt > this.o.openTimeoutMs ? `no frame within ${this.o.openTimeoutMs} ms of opening (open or first read hung)` : undefined;
    }
    const silent = now - this.lastAliveAt;
    const reading = this.readingMs >= 0 ? this.readingMs + (now - this.readingReportedAt) : -1;
    // A process that has missed several reports is not reading slowly, it is not running: its read
    // time is only extrapolated from the last report, so wait for the unresponsive verdict instead.
    const reporting = silent <= 3 * this.o.aliveIntervalMs;
    if (silent > this.o.readTimeoutMs) return `capture process unresponsive for ${silent} ms (stuck in a native call)`;
    if (reading > this.o.readTimeoutMs && reporting) return `a read has not returned for ${reading} ms (read timeout ${this.o.readTimeoutMs} ms)`;
    return undefined;
  }
}
