// The `motion` block of a camera: bad settings are refused by config check with the key that is
// wrong; the defaults are what docs/performance.md promises (on for a camera, off for a batch file).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type ConfigError, loadConfig } from '../../../src/config';
import { cameraSettings } from '../../../src/pipeline/camera-settings';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-motion-config-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function problems(motion: unknown): string[] {
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(file, JSON.stringify({ cameras: [{ name: 'porch', source: { type: 'v4l2', device: 0 }, motion }] }));
  try {
    loadConfig({ file, env: {} });
    return [];
  } catch (e) {
    return (e as ConfigError).problems;
  }
}

test('bad motion settings name their key', () => {
  expect(problems({ min_area: 2 })).toEqual([expect.stringMatching(/^cameras\[0\]\.motion\.min_area: /)]);
  expect(problems({ threshold: 0 })).toEqual([expect.stringMatching(/^cameras\[0\]\.motion\.threshold: /)]);
  expect(problems({ threshold: 12.5 })).toEqual([expect.stringMatching(/^cameras\[0\]\.motion\.threshold: /)]);
  expect(problems({ max_idle_s: 0 })).toEqual([expect.stringMatching(/^cameras\[0\]\.motion\.max_idle_s: /)]);
  expect(problems({ off_delay_s: -1 })).toEqual([expect.stringMatching(/^cameras\[0\]\.motion\.off_delay_s: /)]);
  expect(problems({ sensitivity: 3 })).toEqual(['cameras[0].motion.sensitivity: unknown key']);
  expect(
    problems({
      masks: [
        [
          [0, 0],
          [1.5, 0],
          [1, 1],
        ],
      ],
    }),
  ).toEqual([expect.stringMatching(/^cameras\[0\]\.motion\.masks\[0\]\[1\]\[0\]: /)]);
  expect(
    problems({
      masks: [
        [
          [0, 0],
          [1, 0],
        ],
      ],
    }),
  ).toEqual([expect.stringMatching(/^cameras\[0\]\.motion\.masks\[0\]: /)]);
  expect(
    problems({
      enabled: true,
      threshold: 30,
      min_area: 0.01,
      max_idle_s: 10,
      off_delay_s: 0,
      masks: [
        [
          [0, 0],
          [1, 0],
          [1, 0.2],
        ],
      ],
    }),
  ).toEqual([]);
});

test('motion is on for a camera and off for a file read as fast as possible, unless configured', () => {
  const config = loadConfig({ env: {} }).config;
  const camera = cameraSettings({ name: 'a', source: { type: 'v4l2', device: 0 } }, config);
  expect(camera.motion).toEqual({ spec: { threshold: 25, minArea: 0.001, masks: [] }, maxIdleMs: 30_000, offDelayMs: 5_000 });
  expect(camera.capture.motion).toEqual(camera.motion?.spec);
  expect(cameraSettings({ name: 'a', source: { type: 'file', path: 'x.avi' } }, config).motion).not.toBeNull();
  const batch = cameraSettings({ name: 'a', source: { type: 'file', path: 'x.avi', realtime: false } }, config);
  expect(batch.motion).toBeNull();
  expect(batch.capture.motion).toBeUndefined();
  expect(cameraSettings({ name: 'a', source: { type: 'file', path: 'x.avi', realtime: false }, motion: { enabled: true } }, config).motion).not.toBeNull();
  expect(cameraSettings({ name: 'a', source: { type: 'v4l2', device: 0 }, motion: { enabled: false } }, config).motion).toBeNull();
});
