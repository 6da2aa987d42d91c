import pino from 'pino';
import { loadConfig } from '../../../src/config';
import { Camera } from '../../../src/daemon/camera';
import { LoadGovernor } from '../../../src/daemon/load-governor';
import type { CameraRuntime } from '../../../src/pipeline/camera-runtime';
import type { HostSnapshot } from '../../../src/system/host-stats';
import { expectNoJobsLeft } from '../../support/schedule-clock';

/** A camera whose loop only records the caps it is given. */
function camera(name: string, maxFps: number) {
  const caps: number[] = [];
  const cam = new Camera(name);
  cam.runtime = { current: { maxFps }, setFpsCap: (fps: number) => void caps.push(fps) } as unknown as CameraRuntime;
  return { cam, caps };
}

function setup(enabled = true, read?: () => Promise<HostSnapshot | null>, more: string[] = []) {
  let temp: number | null = 60;
  const front = camera('front', 10);
  const changes: string[] = [];
  const lines: Array<{ level: number; job?: string; err?: { message: string } }> = [];
  const governor = new LoadGovernor({
    host: { read: read ?? (async () => ({ cpu_temp_c: temp, throttled: null }) as HostSnapshot) },
    log: pino({ level: 'debug' }, { write: (l: string) => void lines.push(JSON.parse(l) as (typeof lines)[number]) }),
    cameras: () => [front.cam],
    now: Date.now,
    onCapChanged: (cam, reason) => void changes.push(`${cam.name}: ${reason}`),
  });
  const c = loadConfig({
    env: {},
    overrides: [`adaptive.enabled=${enabled}`, 'adaptive.temp_high_c=80', 'adaptive.temp_ok_c=70', 'adaptive.min_fps=1', ...more],
  }).config;
  governor.start(c);
  return { governor, front, changes, lines, setTemp: (t: number | null) => (temp = t), config: c };
}

describe('LoadGovernor', () => {
  afterEach(() => {
    jest.useRealTimers();
    // Every test stops its governor.
    expectNoJobsLeft();
  });

  it('a calm board changes nothing; a hot one caps detection and the camera is told why', async () => {
    const t = setup();
    await t.governor.tick();
    expect(t.changes).toEqual([]);
    t.setTemp(85);
    await t.governor.tick();
    await t.governor.tick();
    expect(t.front.caps.at(-1)).toBeLessThan(10);
    expect(t.changes[0]).toMatch(/^front: adaptive load: thermal: 85\.0°C ≥ 80; detection capped at \d+(\.\d)? fps$/);
    t.governor.stop();
  });

  it('once the board cools, three calm ticks raise the cap one step and the camera hears the reason is gone', async () => {
    const t = setup();
    t.setTemp(85);
    await t.governor.tick();
    const capped = t.front.caps.at(-1)!;
    expect(capped).toBeLessThan(10);
    t.setTemp(55);
    await t.governor.tick();
    await t.governor.tick();
    expect(t.front.caps.at(-1)).toBe(capped); // two calm ticks: not yet
    await t.governor.tick();
    expect(t.front.caps.at(-1)).toBeGreaterThan(capped);
    expect(t.changes.at(-1)).toBe('front: null');
    t.governor.stop();
  });

  it('switched off by a reload, every cap goes back to the configured max_fps and ticks change nothing', async () => {
    const t = setup();
    t.setTemp(85);
    await t.governor.tick();
    t.governor.reconfigure({ ...t.config, adaptive: { ...t.config.adaptive, enabled: false } }, true);
    expect(t.front.caps.at(-1)).toBe(10);
    const before = t.front.caps.length;
    await t.governor.tick();
    expect(t.front.caps).toHaveLength(before);
    t.governor.stop();
  });

  it('ticks on its own every 5 s once started, and not after stop', async () => {
    jest.useFakeTimers();
    const t = setup();
    t.setTemp(85);
    const ticks = jest.spyOn(t.governor, 'tick');
    await jest.advanceTimersByTimeAsync(4999);
    expect(ticks).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(10_001);
    expect(ticks).toHaveBeenCalledTimes(3);
    // The ticks on their own did what tick() does: the hot board capped the camera.
    expect(t.changes[0]).toMatch(/^front: adaptive load: thermal/);
    t.governor.stop();
    await jest.advanceTimersByTimeAsync(15_000);
    expect(ticks).toHaveBeenCalledTimes(3);
  });

  it('ticks every adaptive.interval_s when one is set, and a reload with a new one counts from the reload', async () => {
    jest.useFakeTimers();
    const t = setup(true, undefined, ['adaptive.interval_s=1']);
    t.setTemp(85);
    const ticks = jest.spyOn(t.governor, 'tick');
    await jest.advanceTimersByTimeAsync(3000);
    expect(ticks).toHaveBeenCalledTimes(3);
    expect(t.changes[0]).toMatch(/^front: adaptive load: thermal/);
    // Three calm checks of 1 s raise the cap again in 3 s, not 15.
    const capped = t.front.caps.at(-1)!;
    t.setTemp(55);
    await jest.advanceTimersByTimeAsync(3000);
    expect(t.front.caps.at(-1)).toBeGreaterThan(capped);
    expect(t.changes.at(-1)).toBe('front: null');
    await jest.advanceTimersByTimeAsync(500);
    t.governor.reconfigure({ ...t.config, adaptive: { ...t.config.adaptive, interval_s: 10 } }, true);
    await jest.advanceTimersByTimeAsync(9999);
    expect(ticks).toHaveBeenCalledTimes(6);
    await jest.advanceTimersByTimeAsync(1);
    expect(ticks).toHaveBeenCalledTimes(7);
    t.governor.stop();
  });

  it('a tick that fails is logged and the next one runs; a host read that hangs is not started twice', async () => {
    jest.useFakeTimers();
    const reads: Array<(h: HostSnapshot | null) => void> = [];
    let calls = 0;
    const t = setup(true, () => {
      calls += 1;
      if (calls === 1) return Promise.reject(new Error('thermal zone vanished'));
      return new Promise((resolve) => reads.push(resolve));
    });
    await jest.advanceTimersByTimeAsync(5000);
    expect(t.lines.filter((l) => l.level === 50).map((l) => [l.job, l.err?.message])).toEqual([['adaptive load', 'thermal zone vanished']]);
    await jest.advanceTimersByTimeAsync(15_000);
    expect(calls).toBe(2);
    reads.shift()!({ cpu_temp_c: 85, throttled: null } as HostSnapshot);
    await jest.advanceTimersByTimeAsync(5000);
    expect(calls).toBe(3);
    t.governor.stop();
  });
});
