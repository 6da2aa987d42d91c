import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeThrottled, HostStats, parseThrottled } from '../../../src/system/host-stats';

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'lookout-hoststats-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

function zone(n: number, type: string | null, temp: string): void {
  const dir = path.join(tmp, 'thermal', `thermal_zone${n}`);
  mkdirSync(dir, { recursive: true });
  if (type !== null) writeFileSync(path.join(dir, 'type'), `${type}\n`);
  writeFileSync(path.join(dir, 'temp'), temp);
}

function stats(extra: ConstructorParameters<typeof HostStats>[0] = {}): HostStats {
  return new HostStats({
    thermalBasePath: path.join(tmp, 'thermal'),
    throttledPath: path.join(tmp, 'get_throttled'),
    vcgencmdPath: null,
    boardModelPath: path.join(tmp, 'model'),
    ...extra,
  });
}

describe('throttled flags', () => {
  test.each([
    ['0x50005', 0x50005],
    ['50005\n', 0x50005],
    ['throttled=0x0\n', 0],
    ['0X80008', 0x80008],
  ])('parses %j', (text, value) => {
    expect(parseThrottled(text)).toBe(value);
  });

  test.each(['', 'throttled=', 'hot', '0xZZ', '12 34'])('rejects %j', (text) => {
    expect(parseThrottled(text)).toBeNull();
  });

  test('decodes the documented bits', () => {
    expect(decodeThrottled(0x50005)).toEqual({
      raw: 0x50005,
      under_voltage_now: true,
      freq_capped_now: false,
      throttled_now: true,
      soft_temp_limit_now: false,
      under_voltage_occurred: true,
      freq_capped_occurred: false,
      throttled_occurred: true,
      soft_temp_limit_occurred: false,
    });
    const soft = decodeThrottled(0x80008);
    expect(soft.soft_temp_limit_now).toBe(true);
    expect(soft.soft_temp_limit_occurred).toBe(true);
    expect(soft.under_voltage_now).toBe(false);
    expect(decodeThrottled(0x20002).freq_capped_now).toBe(true);
  });
});

describe('HostStats.read with fake sysfs files', () => {
  test('a Raspberry Pi: cpu-thermal zone, throttled file, device-tree model', async () => {
    zone(0, 'cpu-thermal', '61835\n');
    writeFileSync(path.join(tmp, 'get_throttled'), '50000\n');
    writeFileSync(path.join(tmp, 'model'), 'Raspberry Pi 4 Model B Rev 1.4\0');
    const s = await stats().read();
    expect(s.cpu_temp_c).toBe(61.8);
    expect(s.thermal_zones).toEqual([{ zone: 'thermal_zone0', type: 'cpu-thermal', temp_c: 61.8 }]);
    expect(s.throttled?.under_voltage_occurred).toBe(true);
    expect(s.throttled?.under_voltage_now).toBe(false);
    expect(s.board).toBe('Raspberry Pi 4 Model B Rev 1.4');
    expect(s.rss_bytes).toBeGreaterThan(0);
    expect(s.heap_used_bytes).toBeGreaterThan(0);
    expect(s.cpu_cores).toBeGreaterThanOrEqual(1);
    expect(s.load_avg).toHaveLength(3);
    expect(typeof s.cpu_model).toBe('string');
    expect(s.process_uptime_s).toBeGreaterThanOrEqual(0);
  });

  test('a Jetson: CPU zone chosen over hotter GPU, PMIC-Die ignored, unreadable zone skipped', async () => {
    zone(0, 'AO-therm', '38500');
    zone(1, 'CPU-therm', '47000');
    zone(2, 'GPU-therm', '52500');
    zone(3, 'PMIC-Die', '100000');
    zone(10, 'thermal-fan-est', 'not-a-number');
    const s = await stats().read();
    expect(s.cpu_temp_c).toBe(47);
    expect(s.thermal_zones.map((z) => z.zone)).toEqual(['thermal_zone0', 'thermal_zone1', 'thermal_zone2', 'thermal_zone3']);
    expect(s.throttled).toBeNull();
    expect(s.board).toBeNull();
  });

  test('without a CPU-named zone the hottest plausible one counts', async () => {
    zone(0, 'acpitz', '45000');
    zone(1, 'iwlwifi_1', '-274000');
    zone(2, null, '52000');
    const s = await stats().read();
    expect(s.cpu_temp_c).toBe(52);
    expect(s.thermal_zones.find((z) => z.zone === 'thermal_zone2')?.type).toBe('thermal_zone2');
  });

  test('a board without thermal or throttled files: nulls, one debug line, no warning', async () => {
    const lines: Array<{ level: string; msg: string }> = [];
    const logger = {
      debug: (_f: object, msg: string) => lines.push({ level: 'debug', msg }),
      info: (_f: object, msg: string) => lines.push({ level: 'info', msg }),
      warn: (_f: object, msg: string) => lines.push({ level: 'warn', msg }),
      error: (_f: object, msg: string) => lines.push({ level: 'error', msg }),
    };
    const h = stats({ logger: logger as never });
    for (let i = 0; i < 3; i++) {
      const s = await h.read();
      expect(s.cpu_temp_c).toBeNull();
      expect(s.thermal_zones).toEqual([]);
      expect(s.throttled).toBeNull();
    }
    expect(lines.filter((l) => l.level !== 'debug')).toEqual([]);
    expect(lines.filter((l) => l.msg.includes('no thermal zones'))).toHaveLength(1);
  });

  test('a throttled file that appears later is picked up', async () => {
    const h = stats();
    expect(await h.readThrottled()).toBeNull();
    writeFileSync(path.join(tmp, 'get_throttled'), '0x4');
    expect((await h.readThrottled())?.throttled_now).toBe(true);
  });

  test('vcgencmd fallback: output parsed; a failing binary is not spawned again', async () => {
    const script = path.join(tmp, 'vcgencmd');
    const counter = path.join(tmp, 'calls');
    writeFileSync(script, `#!/bin/sh\necho "$1" >> ${counter}\necho "throttled=0x50005"\n`, { mode: 0o755 });
    const ok = stats({ throttledPath: null, vcgencmdPath: script });
    expect((await ok.readThrottled())?.under_voltage_now).toBe(true);
    expect(readFileSync(counter, 'utf8')).toBe('get_throttled\n');

    // Not a Pi (or /dev/vchiq hidden): it fails once and is then left alone.
    const failing = path.join(tmp, 'vcgencmd-failing');
    const failCalls = path.join(tmp, 'fail-calls');
    writeFileSync(failing, `#!/bin/sh\necho x >> ${failCalls}\necho "VCHI initialization failed" >&2\nexit 255\n`, { mode: 0o755 });
    const broken = stats({ throttledPath: null, vcgencmdPath: failing });
    expect(await broken.readThrottled()).toBeNull();
    expect(await broken.readThrottled()).toBeNull();
    expect(readFileSync(failCalls, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(await stats({ throttledPath: null, vcgencmdPath: path.join(tmp, 'missing') }).readThrottled()).toBeNull();
  });
});
