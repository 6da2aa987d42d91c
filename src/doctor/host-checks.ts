/** Checks of the machine itself: state folder, disk, temperature and throttling, time zone. */
import fs from 'node:fs';
import path from 'node:path';
import type { LookoutConfig } from '../config';
import { HostStats } from '../system/host-stats';
import { fail, ok, warn, type Check, type CheckResult } from './report';
import { errorMessage } from '../util/errors';

/** Below this the snapshot store cannot keep its configured size (and journald starts to suffer). */
const MIN_FREE_BYTES = 200 * 1024 * 1024;

export function stateDirCheck(config: LookoutConfig): Check {
  const dir = config.state_dir;
  return {
    subject: 'state dir',
    async run() {
      try {
        await fs.promises.mkdir(dir, { recursive: true });
        const probe = path.join(dir, `.doctor-${process.pid}`);
        await fs.promises.writeFile(probe, 'x');
        await fs.promises.rm(probe);
        return ok('state dir', `${dir} is writable`);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? errorMessage(e);
        return fail(
          'state dir',
          `${dir} is not writable (${code})`,
          `run doctor as the service user (sudo -u lookout lookout doctor); the service gets ${dir} from StateDirectory=, or set state_dir`,
        );
      }
    },
  };
}

export function diskCheck(config: LookoutConfig): Check {
  return {
    subject: 'disk',
    async run() {
      // The state dir may not exist yet: look at the nearest folder that does.
      let dir = path.resolve(config.state_dir);
      while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
      const s = await fs.promises.statfs(dir);
      const free = s.bavail * s.bsize;
      const mb = Math.round(free / (1024 * 1024));
      const wanted = config.snapshots.enabled ? config.snapshots.max_mb * 1024 * 1024 : 0;
      if (free < MIN_FREE_BYTES)
        return fail('disk', `${mb} MB free under ${dir}`, 'free some space (journalctl --vacuum-size=100M, old snapshots) or lower snapshots.max_mb');
      if (free < wanted)
        return warn('disk', `${mb} MB free under ${dir}, less than snapshots.max_mb (${config.snapshots.max_mb} MB)`, 'lower snapshots.max_mb or free space');
      return ok('disk', `${mb} MB free under ${dir}`);
    },
  };
}

export function thermalCheck(host = new HostStats()): Check {
  return {
    subject: 'temperature',
    async run() {
      const results: CheckResult[] = [];
      const zones = await host.readThermalZones();
      const hottest = zones.reduce<{ type: string; temp_c: number } | null>((a, z) => (a === null || z.temp_c > a.temp_c ? z : a), null);
      if (!hottest) results.push(ok('temperature', 'no thermal sensors on this machine (a VM?)'));
      else if (hottest.temp_c >= 80)
        results.push(
          warn(
            'temperature',
            `${hottest.temp_c.toFixed(1)}°C (${hottest.type}): the CPU throttles near 80-85°C`,
            'add a heatsink or fan; lower capture.max_fps; adaptive load lowers it by itself',
          ),
        );
      else results.push(ok('temperature', `${hottest.temp_c.toFixed(1)}°C (${hottest.type})`));
      const t = await host.readThrottled();
      if (t === null) results.push(ok('throttling', 'no Raspberry Pi firmware flags here (not a Pi)'));
      else if (t.under_voltage_now || t.throttled_now || t.freq_capped_now) {
        results.push(
          fail(
            'throttling',
            `now: ${describeThrottled(t, 'now')} (0x${t.raw.toString(16)})`,
            t.under_voltage_now ? 'use the official power supply (5 V 3 A for a Pi 4, 5 A for a Pi 5); a thin USB cable drops voltage' : 'cool the board',
          ),
        );
      } else if (t.under_voltage_occurred || t.throttled_occurred || t.freq_capped_occurred) {
        results.push(
          warn(
            'throttling',
            `since boot: ${describeThrottled(t, 'occurred')} (0x${t.raw.toString(16)})`,
            'watch the supply and temperature; the flags clear at reboot',
          ),
        );
      } else results.push(ok('throttling', 'never throttled since boot'));
      return results;
    },
  };
}

function describeThrottled(t: NonNullable<Awaited<ReturnType<HostStats['readThrottled']>>>, when: 'now' | 'occurred'): string {
  const parts = [
    t[`under_voltage_${when}`] ? 'under-voltage' : '',
    t[`throttled_${when}`] ? 'throttled' : '',
    t[`freq_capped_${when}`] ? 'frequency capped' : '',
    t[`soft_temp_limit_${when}`] ? 'soft temperature limit' : '',
  ];
  return parts.filter(Boolean).join(', ');
}

/** Schedules run on wall-clock time; a Pi that still thinks it is in UTC runs them hours off. */
export function timeZoneCheck(config: LookoutConfig, systemZone = Intl.DateTimeFormat().resolvedOptions().timeZone): Check {
  return {
    subject: 'time zone',
    async run() {
      const scheduled = config.cameras.filter((c) => (c.schedule ?? []).length > 0).map((c) => c.name);
      const zone = config.schedule.timezone || systemZone;
      const source = config.schedule.timezone ? 'schedule.timezone' : 'the system zone';
      if (scheduled.length === 0) return ok('time zone', `${zone} (${source}); no camera has a schedule`);
      if (!config.schedule.timezone && (systemZone === 'UTC' || systemZone === 'Etc/UTC')) {
        return warn(
          'time zone',
          `schedules of ${scheduled.join(', ')} run in UTC (the system zone)`,
          'if that is not your local time: sudo timedatectl set-timezone Europe/Berlin (your zone), or set schedule.timezone',
        );
      }
      const sun = config.cameras.some((c) => (c.schedule ?? []).some((w) => JSON.stringify(w).includes('sun')));
      if (sun && (config.schedule.latitude === null || config.schedule.longitude === null)) {
        return fail('time zone', 'a schedule uses sunrise/sunset but schedule.latitude/longitude are not set', 'set schedule.latitude and schedule.longitude');
      }
      return ok('time zone', `${zone} (${source}) for the schedules of ${scheduled.join(', ')}`);
    },
  };
}
