import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AdaptiveLoadController, loadSample, type CameraLoad, type LoadSample } from '../../../src/system/adaptive-load';
import { decodeThrottled, HostStats } from '../../../src/system/host-stats';

const calm: CameraLoad = { target_fps: 10, achieved_fps: 10, inference_busy_ratio: 0.4 };

function sample(temp: number | null, cameras: Record<string, CameraLoad> = { front: calm }, throttled = 0): LoadSample {
  return { temp_c: temp, throttled: throttled ? decodeThrottled(throttled) : null, cameras };
}

test('calm board: cap is the camera target, bounded by maxFps', () => {
  const c = new AdaptiveLoadController({ minFps: 1, maxFps: 8 });
  const d = c.update(sample(55, { front: calm, slow: { ...calm, target_fps: 2 } }));
  expect(d.cameras.front).toMatchObject({ fps_cap: 8, reason: 'ok', pressure: 'none' });
  expect(d.cameras.slow.fps_cap).toBe(2);
  expect(d.board_pressure).toBe('none');
});

test('thermal pressure lowers every camera step by step down to minFps, with the temperature in the reason', () => {
  const c = new AdaptiveLoadController({ minFps: 2, maxFps: 10, tempHighC: 80, tempOkC: 70, step: 0.2 });
  c.update(sample(60));
  const caps: number[] = [];
  let last: ReturnType<AdaptiveLoadController['update']> | undefined;
  for (let i = 0; i < 10; i++) {
    last = c.update(sample(82.14));
    caps.push(last.cameras.front.fps_cap);
  }
  expect(caps.slice(0, 4)).toEqual([8, 6.4, 5.1, 4.1]);
  expect(caps[caps.length - 1]).toBe(2);
  expect(last!.cameras.front.reason).toBe('thermal: 82.1°C ≥ 80');
  expect(last!.board_pressure).toBe('thermal');
});

test('hysteresis: between tempOkC and tempHighC the cap holds; it rises only after N calm ticks below tempOkC', () => {
  const c = new AdaptiveLoadController({ minFps: 1, maxFps: 10, tempHighC: 80, tempOkC: 70, step: 0.5, raiseAfterTicks: 2 });
  c.update(sample(60));
  expect(c.update(sample(81)).cameras.front.fps_cap).toBe(5);
  // Cooling but not cool enough: hold, no flapping.
  for (const t of [79, 75, 71, 74]) {
    const d = c.update(sample(t));
    expect(d.cameras.front.fps_cap).toBe(5);
    expect(d.cameras.front.reason).toBe(`cooling: ${t.toFixed(1)}°C, waiting for ≤ 70`);
  }
  let d = c.update(sample(69));
  expect(d.cameras.front).toMatchObject({ fps_cap: 5, changed: false, reason: 'calm 1/2 ticks before raising' });
  d = c.update(sample(69));
  expect(d.cameras.front).toMatchObject({ fps_cap: 7.5, changed: true, reason: 'recovering: 5 → 7.5 fps' });
  // Without a new high reading, 75°C no longer holds: the hot state ended at ≤ 70.
  c.update(sample(75));
  d = c.update(sample(75));
  expect(d.cameras.front).toMatchObject({ fps_cap: 10, reason: 'recovered' });
  expect(c.update(sample(75)).cameras.front.reason).toBe('ok');
});

test('under-voltage now lowers; under-voltage that only occurred earlier does not', () => {
  const c = new AdaptiveLoadController({ maxFps: 10 });
  expect(c.update(sample(50, undefined, 0x10000)).cameras.front).toMatchObject({ fps_cap: 10, reason: 'ok' });
  const d = c.update(sample(50, undefined, 0x50005));
  expect(d.cameras.front).toMatchObject({ fps_cap: 8, pressure: 'under-voltage', reason: 'under-voltage' });
  expect(c.update(sample(50, undefined, 0x8)).cameras.front.reason).toBe('firmware: soft temperature limit');
});

test('inference saturation lowers only the saturated camera, and holds until busy ≤ busyLowRatio', () => {
  const c = new AdaptiveLoadController({ maxFps: 10, busyHighRatio: 0.9, busyLowRatio: 0.7, raiseAfterTicks: 1 });
  const busy = { target_fps: 10, achieved_fps: 6, inference_busy_ratio: 0.97 };
  let d = c.update(sample(50, { front: busy, back: calm }));
  expect(d.cameras.front).toMatchObject({ fps_cap: 8, pressure: 'inference', reason: 'inference saturated: busy 97% ≥ 90%' });
  expect(d.cameras.back).toMatchObject({ fps_cap: 10, reason: 'ok' });
  d = c.update(sample(50, { front: { ...busy, inference_busy_ratio: 0.8 }, back: calm }));
  expect(d.cameras.front).toMatchObject({ fps_cap: 8, reason: 'holding: inference busy 80%, waiting for ≤ 70%' });
  d = c.update(sample(50, { front: { ...busy, inference_busy_ratio: 0.5 }, back: calm }));
  expect(d.cameras.front).toMatchObject({ fps_cap: 9.6, reason: 'recovering: 8 → 9.6 fps' });
});

test('no temperature (board without thermal files) is never thermal pressure', () => {
  const c = new AdaptiveLoadController();
  const d = c.update(sample(null));
  expect(d.board_pressure).toBe('none');
  expect(d.cameras.front.fps_cap).toBe(10);
});

test('a lowered target applies at once; removed cameras are forgotten', () => {
  const c = new AdaptiveLoadController({ maxFps: 30 });
  c.update(sample(50));
  expect(c.update(sample(50, { front: { ...calm, target_fps: 4 } })).cameras.front).toMatchObject({ fps_cap: 4, changed: true });
  c.update(sample(50, {}));
  expect(c.capOf('front')).toBeUndefined();
});

test('invalid options are refused with every problem listed', () => {
  expect(() => new AdaptiveLoadController({ minFps: 0, tempOkC: 90, tempHighC: 80, step: 1.5 })).toThrow(
    /minFps must be > 0.*tempOkC \(90\) must be below tempHighC \(80\).*step must be between 0 and 1/,
  );
});

describe('driven by fake thermal and throttle files given by path (as configured)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'lookout-adaptive-'));
    mkdirSync(path.join(dir, 'thermal', 'thermal_zone0'), { recursive: true });
    writeFileSync(path.join(dir, 'thermal', 'thermal_zone0', 'type'), 'cpu-thermal\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const setTemp = (milli: number): void => writeFileSync(path.join(dir, 'thermal', 'thermal_zone0', 'temp'), `${milli}\n`);
  const setThrottled = (hex: string): void => writeFileSync(path.join(dir, 'get_throttled'), `${hex}\n`);

  test('heat lowers, cooling holds then recovers, under-voltage lowers again', async () => {
    const host = new HostStats({ thermalBasePath: path.join(dir, 'thermal'), throttledPath: path.join(dir, 'get_throttled'), vcgencmdPath: null });
    const c = new AdaptiveLoadController({ minFps: 1, maxFps: 10, tempHighC: 80, tempOkC: 70, step: 0.2, raiseAfterTicks: 2 });
    const tick = async () => c.update(loadSample(await host.read(), { front: calm })).cameras.front;

    setTemp(55000);
    setThrottled('0');
    expect(await tick()).toMatchObject({ fps_cap: 10, reason: 'ok' });

    setTemp(84500);
    expect(await tick()).toMatchObject({ fps_cap: 8, reason: 'thermal: 84.5°C ≥ 80' });
    expect(await tick()).toMatchObject({ fps_cap: 6.4 });

    setTemp(76000);
    expect(await tick()).toMatchObject({ fps_cap: 6.4, reason: 'cooling: 76.0°C, waiting for ≤ 70' });

    setTemp(65000);
    const recovering = [await tick(), await tick(), await tick(), await tick()].map((r) => r.fps_cap);
    expect(recovering).toEqual([6.4, 7.7, 7.7, 9.2]);

    setThrottled('0x50005');
    expect(await tick()).toMatchObject({ fps_cap: 7.4, reason: 'under-voltage' });
  });
});
