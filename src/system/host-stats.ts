import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Logger, silentLogger } from '../log';

/**
 * Host health for base/stats and for the adaptive load controller: CPU temperature from the kernel's
 * thermal zones (Raspberry Pi, Jetson, most x86), the Raspberry Pi firmware's throttled and
 * under-voltage flags, load, memory, uptime and CPU. Everything a board lacks is null: a machine
 * without thermal files is normal (VMs, containers), so that is logged once at debug, not warned.
 */

export interface HostStatsOptions {
  /** Folder holding thermal_zone*\/{type,temp}. Default '/sys/class/thermal'. */
  thermalBasePath?: string;
  /**
   * Raspberry Pi firmware throttled flags as a file holding a hex number ("50005", "0x50005" or
   * "throttled=0x50005"). Default: the first of DEFAULT_THROTTLED_PATHS that exists; null disables.
   */
  throttledPath?: string | null;
  /**
   * `vcgencmd` binary, used only when no throttled file exists. Default 'vcgencmd' (from PATH);
   * null disables. Note: the hardened unit's DevicePolicy=closed hides /dev/vchiq, so under
   * systemd the sysfs file is what works.
   */
  vcgencmdPath?: string | null;
  /** Board name file (device tree). Default '/sys/firmware/devicetree/base/model'; null disables. */
  boardModelPath?: string | null;
  /**
   * Thermal zone types that are not the CPU and report nonsense for our purpose (Jetson's PMIC-Die
   * reads a constant 100 °C). Matched case-insensitively.
   */
  ignoreZoneTypes?: string[];
  logger?: Logger;
}

/** Raspberry Pi firmware flags (`vcgencmd get_throttled`), decoded. */
export interface ThrottledFlags {
  /** The raw bit field, e.g. 0x50005. */
  raw: number;
  under_voltage_now: boolean;
  freq_capped_now: boolean;
  throttled_now: boolean;
  soft_temp_limit_now: boolean;
  under_voltage_occurred: boolean;
  freq_capped_occurred: boolean;
  throttled_occurred: boolean;
  soft_temp_limit_occurred: boolean;
}

export interface ThermalZoneReading {
  /** e.g. 'thermal_zone0' */
  zone: string;
  /** e.g. 'cpu-thermal' (Pi), 'CPU-therm' (Jetson Nano), 'x86_pkg_temp' */
  type: string;
  temp_c: number;
}

/** One snapshot; field names follow the MQTT payload style (snake_case). */
export interface HostSnapshot {
  /** The CPU zone's temperature, or the hottest plausible zone when none is named CPU; null without thermal files. */
  cpu_temp_c: number | null;
  thermal_zones: ThermalZoneReading[];
  /** null on boards without Raspberry Pi firmware. */
  throttled: ThrottledFlags | null;
  load_avg: [number, number, number];
  rss_bytes: number;
  heap_used_bytes: number;
  heap_total_bytes: number;
  system_mem_total_bytes: number;
  system_mem_free_bytes: number;
  process_uptime_s: number;
  system_uptime_s: number;
  cpu_model: string;
  cpu_cores: number;
  /** e.g. 'Raspberry Pi 4 Model B Rev 1.4'; null where the device tree has no model. */
  board: string | null;
}

export const DEFAULT_THERMAL_BASE = '/sys/class/thermal';
/** Where Raspberry Pi kernels expose the firmware's get_throttled (Pi 0–4, then Pi 5's soc name). */
export const DEFAULT_THROTTLED_PATHS = [
  '/sys/devices/platform/soc/soc:firmware/get_throttled',
  '/sys/devices/platform/soc@107c000000/soc@107c000000:firmware/get_throttled',
];
const DEFAULT_IGNORED_ZONES = ['pmic-die'];
const CPU_ZONE = /cpu|soc|x86_pkg_temp|k10temp|coretemp|tj-thermal/i;

/** Parses "0x50005", "50005" or "throttled=0x50005" as hex; null when it is not a number. */
export function parseThrottled(text: string): number | null {
  const m = /^(?:throttled=)?\s*(0x)?([0-9a-f]+)\s*$/i.exec(text.trim());
  if (!m) return null;
  const value = parseInt(m[2], 16);
  return Number.isFinite(value) ? value : null;
}

/** Decodes the bit field documented for `vcgencmd get_throttled`. */
export function decodeThrottled(raw: number): ThrottledFlags {
  const bit = (n: number): boolean => (raw & (1 << n)) !== 0;
  return {
    raw,
    under_voltage_now: bit(0),
    freq_capped_now: bit(1),
    throttled_now: bit(2),
    soft_temp_limit_now: bit(3),
    under_voltage_occurred: bit(16),
    freq_capped_occurred: bit(17),
    throttled_occurred: bit(18),
    soft_temp_limit_occurred: bit(19),
  };
}

/** Plausible readings only: a zone that reads -273 or 200 °C is a driver placeholder, not the CPU. */
function plausible(tempC: number): boolean {
  return Number.isFinite(tempC) && tempC > -40 && tempC < 150;
}

export class HostStats {
  private readonly thermalBase: string;
  private readonly throttledPath: string | null | undefined;
  private readonly vcgencmdPath: string | null;
  private readonly boardModelPath: string | null;
  private readonly ignoredZones: Set<string>;
  private readonly logger: Logger;
  private readonly noted = new Set<string>();
  private resolvedThrottledPath: string | null | undefined;
  private vcgencmdWorks = true;
  private board: string | null | undefined;

  constructor(options: HostStatsOptions = {}) {
    this.thermalBase = options.thermalBasePath ?? DEFAULT_THERMAL_BASE;
    this.throttledPath = options.throttledPath;
    this.vcgencmdPath = options.vcgencmdPath === undefined ? 'vcgencmd' : options.vcgencmdPath;
    this.boardModelPath = options.boardModelPath === undefined ? '/sys/firmware/devicetree/base/model' : options.boardModelPath;
    this.ignoredZones = new Set((options.ignoreZoneTypes ?? DEFAULT_IGNORED_ZONES).map((t) => t.toLowerCase()));
    this.logger = options.logger ?? silentLogger;
  }

  /** Reads everything; never rejects (each missing source becomes null). */
  async read(): Promise<HostSnapshot> {
    const [zones, throttled, board] = await Promise.all([this.readThermalZones(), this.readThrottled(), this.readBoard()]);
    const mem = process.memoryUsage();
    const cpus = os.cpus();
    const load = os.loadavg();
    return {
      cpu_temp_c: HostStats.cpuTemperature(zones, this.ignoredZones),
      thermal_zones: zones,
      throttled,
      load_avg: [round2(load[0]), round2(load[1]), round2(load[2])],
      rss_bytes: mem.rss,
      heap_used_bytes: mem.heapUsed,
      heap_total_bytes: mem.heapTotal,
      system_mem_total_bytes: os.totalmem(),
      system_mem_free_bytes: os.freemem(),
      process_uptime_s: Math.round(process.uptime()),
      system_uptime_s: Math.round(os.uptime()),
      cpu_model: cpus[0]?.model?.trim() || os.machine(),
      cpu_cores: os.availableParallelism(),
      board,
    };
  }

  /** Picks the CPU zone; else the hottest plausible, non-ignored zone. */
  static cpuTemperature(zones: ThermalZoneReading[], ignored: Set<string> = new Set(DEFAULT_IGNORED_ZONES)): number | null {
    const usable = zones.filter((z) => !ignored.has(z.type.toLowerCase()) && plausible(z.temp_c));
    if (usable.length === 0) return null;
    const cpu = usable.filter((z) => CPU_ZONE.test(z.type));
    const pool = cpu.length > 0 ? cpu : usable;
    return Math.max(...pool.map((z) => z.temp_c));
  }

  /** All thermal zones that read (millidegrees → °C, one decimal). [] when there are none. */
  async readThermalZones(): Promise<ThermalZoneReading[]> {
    let entries: string[];
    try {
      entries = (await fs.readdir(this.thermalBase)).filter((e) => e.startsWith('thermal_zone')).sort(byZoneNumber);
    } catch (err) {
      this.noteOnce('thermal-dir', { path: this.thermalBase, err }, 'no thermal zones on this machine; CPU temperature will be null');
      return [];
    }
    if (entries.length === 0) {
      this.noteOnce('thermal-empty', { path: this.thermalBase }, 'no thermal zones on this machine; CPU temperature will be null');
    }
    const readings = await Promise.all(
      entries.map(async (zone): Promise<ThermalZoneReading | null> => {
        const dir = path.join(this.thermalBase, zone);
        try {
          const [type, temp] = await Promise.all([fs.readFile(path.join(dir, 'type'), 'utf8').catch(() => zone), fs.readFile(path.join(dir, 'temp'), 'utf8')]);
          const milli = Number(temp.trim());
          if (!Number.isFinite(milli) || temp.trim() === '') throw new Error(`not a number: '${temp.trim()}'`);
          return { zone, type: type.trim(), temp_c: Math.round(milli / 100) / 10 };
        } catch (err) {
          // Some zones (disabled sensors, powered-down GPU on Jetson) fail to read: skip them quietly.
          this.noteOnce(`zone:${zone}`, { path: dir, err }, 'thermal zone unreadable; skipped');
          return null;
        }
      }),
    );
    return readings.filter((r): r is ThermalZoneReading => r !== null);
  }

  /** Raspberry Pi throttled flags from sysfs, else from vcgencmd; null elsewhere. */
  async readThrottled(): Promise<ThrottledFlags | null> {
    const file = await this.findThrottledPath();
    if (file) {
      try {
        const raw = parseThrottled(await fs.readFile(file, 'utf8'));
        if (raw !== null) return decodeThrottled(raw);
        this.noteOnce('throttled-parse', { path: file }, 'throttled file does not hold a hex number; ignored');
      } catch (err) {
        this.noteOnce('throttled-read', { path: file, err }, 'throttled file unreadable');
      }
      return null;
    }
    if (this.vcgencmdPath && this.vcgencmdWorks) return this.readVcgencmd(this.vcgencmdPath);
    return null;
  }

  private async findThrottledPath(): Promise<string | null> {
    if (this.resolvedThrottledPath !== undefined) return this.resolvedThrottledPath;
    if (this.throttledPath === null) return (this.resolvedThrottledPath = null);
    const candidates = this.throttledPath ? [this.throttledPath] : DEFAULT_THROTTLED_PATHS;
    for (const candidate of candidates) {
      try {
        await fs.access(candidate);
        return (this.resolvedThrottledPath = candidate);
      } catch {
        // try the next one
      }
    }
    if (this.throttledPath) {
      // A configured path that is missing right now may appear later (tests, late module load): retry next time.
      this.noteOnce('throttled-missing', { path: this.throttledPath }, 'configured throttled file does not exist');
      return null;
    }
    return (this.resolvedThrottledPath = null);
  }

  private readVcgencmd(bin: string): Promise<ThrottledFlags | null> {
    return new Promise((resolve) => {
      try {
        execFile(bin, ['get_throttled'], { timeout: 3000 }, (err, stdout) => {
          const raw = err ? null : parseThrottled(String(stdout));
          if (raw === null) {
            // Not a Pi, or /dev/vchiq is not reachable: stop spawning it every interval.
            this.vcgencmdWorks = false;
            this.noteOnce(
              'vcgencmd',
              { bin, err: err ?? `unexpected output '${String(stdout).trim()}'` },
              'vcgencmd get_throttled unavailable; throttled flags will be null',
            );
            resolve(null);
          } else {
            resolve(decodeThrottled(raw));
          }
        });
      } catch (err) {
        this.vcgencmdWorks = false;
        this.noteOnce('vcgencmd', { bin, err }, 'vcgencmd get_throttled unavailable');
        resolve(null);
      }
    });
  }

  private async readBoard(): Promise<string | null> {
    if (this.board !== undefined) return this.board;
    if (!this.boardModelPath) return (this.board = null);
    try {
      // Device-tree strings end in NUL.
      const text = (await fs.readFile(this.boardModelPath, 'utf8')).replace(/\0/g, '').trim();
      this.board = text || null;
    } catch {
      this.board = null;
    }
    return this.board;
  }

  private noteOnce(key: string, fields: object, msg: string): void {
    if (this.noted.has(key)) return;
    this.noted.add(key);
    this.logger.debug(fields, msg);
  }
}

function byZoneNumber(a: string, b: string): number {
  return Number(a.replace(/\D/g, '')) - Number(b.replace(/\D/g, ''));
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
