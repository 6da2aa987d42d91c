/**
 * The board's figures (temperatures, throttling, load, memory) for stats and adaptive load. A board
 * that will not say costs that interval or tick, logged, never the daemon.
 */
import type { LookoutConfig } from '../config';
import type { Logger } from '../log';
import { HostStats, type HostSnapshot } from '../system/host-stats';

export interface HostReader {
  read(consequence: string): Promise<HostSnapshot | null>;
}

export class HostMonitor implements HostReader {
  private stats: HostStats;

  constructor(
    c: LookoutConfig,
    private readonly log: Logger,
  ) {
    this.stats = this.build(c);
  }

  /** Thermal and throttling paths are live settings (adaptive.*). */
  reconfigure(c: LookoutConfig): void {
    this.stats = this.build(c);
  }

  async read(consequence: string): Promise<HostSnapshot | null> {
    try {
      return await this.stats.read();
    } catch (e) {
      this.log.warn({ err: e }, `cannot read host figures; ${consequence}`);
      return null;
    }
  }

  private build(c: LookoutConfig): HostStats {
    return new HostStats({
      thermalBasePath: c.adaptive.thermal_glob,
      ...(c.adaptive.throttled_path ? { throttledPath: c.adaptive.throttled_path } : {}),
      logger: this.log.child({ component: 'host' }),
    });
  }
}
