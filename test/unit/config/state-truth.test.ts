// Config checks behind issue 12: names that would share Home Assistant ids, execution providers this
// build lacks, tracker values the tracker refuses, a device name unique per device, and a hash that
// changes with everything that changes the running config.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configHash, ConfigError, loadConfig } from '../../../src/config';
import { collisionProblems } from '../../../src/config/collisions';
import { executionProviderProblems } from '../../../src/config/execution-providers';
import { loadWithDefaults } from '../../../src/commands/run';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-config-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function problemsOf(text: string): string[] {
  const file = path.join(dir, 'c.yaml');
  fs.writeFileSync(file, text);
  try {
    loadConfig({ file, env: {} });
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

const cam = (name: string, extra = '') => `  - name: ${name}\n    source: {type: file, path: /tmp/x.avi}\n${extra}`;

describe('config check: names that would collide', () => {
  test('camera names differing only in case or -/_ are refused, both named', () => {
    const problems = problemsOf(`cameras:\n${cam('Front_Door')}${cam('front-door')}${cam('back')}`);
    expect(problems).toEqual([
      "cameras[1].name: camera name 'front-door' collides with cameras[0].name 'Front_Door' (names that differ only in case or '-'/'_' share Home Assistant ids)",
    ]);
  });

  test('zone names on one camera and tracked labels collide the same way; the same zone name on two cameras is fine', () => {
    const zones = (a: string, b: string) =>
      `    zones:\n      - {name: ${a}, polygon: [[0,0],[1,0],[1,1]]}\n      - {name: ${b}, polygon: [[0,0],[1,0],[1,1]]}\n`;
    const problems = problemsOf(`objects:\n  track: [person, Person, car]\ncameras:\n${cam('a', zones('Drive', 'drive'))}${cam('b', zones('drive', 'gate'))}`);
    expect(problems.some((p) => p.startsWith("objects.track[1]: label 'Person' collides with objects.track[0] 'person'"))).toBe(true);
    expect(problems.some((p) => p.startsWith("cameras[0].zones[1].name: zone name 'drive' collides with cameras[0].zones[0].name 'Drive'"))).toBe(true);
    expect(problems.filter((p) => p.startsWith('cameras[1]'))).toEqual([]);
  });

  test('distinct names pass', () => {
    const c = loadConfig({ env: {} }).config;
    c.cameras = [
      { name: 'front', source: { type: 'file', path: '/x' } },
      { name: 'front2', source: { type: 'file', path: '/x' } },
    ];
    expect(collisionProblems(c)).toEqual([]);
  });
});

describe('config check: execution providers', () => {
  test('a name this build lacks is refused with the list it has', () => {
    expect(executionProviderProblems(['xnnpack', 'cpu'], () => ['cpu', 'webgpu'])).toEqual([
      "detector.execution_providers[0]: 'xnnpack' is not an execution provider of this onnxruntime-node build (it has: cpu, webgpu; or 'auto')",
    ]);
    expect(
      executionProviderProblems(['auto'], () => {
        throw new Error('not loaded for auto');
      }),
    ).toEqual([]);
    expect(executionProviderProblems(['CPU'], () => ['cpu'])).toEqual([]);
  });

  test('through config check, with the real onnxruntime-node list', () => {
    const problems = problemsOf(`detector:\n  execution_providers: [xnnpack]\ncameras:\n${cam('front')}`);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^detector\.execution_providers\[0\]: 'xnnpack' is not an execution provider of this onnxruntime-node build \(it has: .*cpu/);
  });
});

describe('config check: values the parts would refuse later', () => {
  test('tracker.min_hits and max_missed of 0 are refused here, not at camera start', () => {
    const problems = problemsOf(`tracker:\n  min_hits: 0\n  max_missed: 0\ncameras:\n${cam('front')}`);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^tracker\.min_hits: must be an integer of at least 1/),
        expect.stringMatching(/^tracker\.max_missed: must be an integer of at least 1/),
      ]),
    );
  });
});

describe('derived values', () => {
  test('the device name defaults to one per device', () => {
    expect(loadConfig({ env: { LOOKOUT_DEVICE_ID: 'pi4' } }).config.device.name).toBe('Lookout pi4');
    expect(loadConfig({ env: {}, overrides: ['device.name=Porch'] }).config.device.name).toBe('Porch');
  });

  test('the hash follows a change made after loading (zero-setup camera, --log-level)', () => {
    const loaded = loadConfig({ env: {} });
    expect(configHash(loaded.config)).toBe(loaded.hash);
    loaded.config.log.level = 'debug';
    expect(configHash(loaded.config)).not.toBe(loaded.hash);
  });
});

describe('lookout run: the published hash names what runs', () => {
  const demo = { camera: { name: 'demo', source: { type: 'file' as const, path: '/demo.avi', loop: true } }, why: 'demo video' };

  test('--log-level and the zero-setup camera change the hash', () => {
    const plain = loadConfig({ env: {}, overrides: [] });
    const withCamera = loadWithDefaults({ overrides: [] }, () => demo).loaded;
    expect(withCamera.config.cameras.map((c) => c.name)).toEqual(['demo']);
    expect(withCamera.hash).not.toBe(plain.hash);
    expect(withCamera.hash).toBe(configHash(withCamera.config));
    const debug = loadWithDefaults({ overrides: [], logLevel: 'debug' }, () => demo).loaded;
    expect(debug.hash).not.toBe(withCamera.hash);
  });
});
