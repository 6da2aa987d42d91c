import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkConfigText, loadConfig, ConfigError, editCameraTuning, type CameraTuning } from '../../../src/config';

const EXAMPLE = path.join(__dirname, '..', '..', '..', 'config', 'lookout.example.yaml');
const example = fs.readFileSync(EXAMPLE, 'utf8');

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-check-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const camera = 'cameras:\n  - name: a\n    source: {type: file, path: /x}\n';

describe('checkConfigText: what `lookout config check` says, before anything is written', () => {
  test('the example file has no problems, and the file on disk is not read', () => {
    expect(checkConfigText(example, path.join(dir, 'not-written-yet.yaml'), { env: {} })).toEqual([]);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  test('a bad polygon from the page is refused with its key path', () => {
    const edited = editCameraTuning(example, 'driveway', {
      zones: [
        {
          name: 'driveway',
          polygon: [
            [0.1, 0.5],
            [0.9, 0.5],
            [0.9, 1],
          ],
        },
        {
          name: 'yard',
          polygon: [
            [0.1, 0.1],
            [1.5, 0.1],
          ],
        },
      ],
    });
    expect(checkConfigText(edited, '/etc/lookout/config.yaml', { env: {} })).toEqual([
      { path: 'cameras[0].zones[1].polygon', message: 'must NOT have fewer than 3 items' },
      { path: 'cameras[0].zones[1].polygon[1][0]', message: 'must be <= 1' },
    ]);
  });

  test('a request body of the wrong shape is written as sent and named by the validator, not a crash in the editor', () => {
    const body = JSON.parse('{"zones": [{"polygon": [[0.1, "x"], [0.5, 0.1], [0.5, 0.5]], "name": "yard"}], "min_scores": {"person": "high"}}') as CameraTuning;
    const edited = editCameraTuning(example, 'driveway', body);
    expect(checkConfigText(edited, '/etc/lookout/config.yaml', { env: {} })).toEqual([
      { path: 'cameras[0].objects.min_scores.person', message: 'must be number' },
      { path: 'cameras[0].zones[0].polygon[0][1]', message: 'must be number' },
    ]);
  });

  test('motion masks the page draws land where the loader reads them', () => {
    const edited = editCameraTuning(example, 'driveway', {
      motion_masks: [
        [
          [0, 0],
          [1, 0],
          [1, 0.08],
        ],
      ],
    });
    expect(checkConfigText(edited, '/etc/lookout/config.yaml', { env: {} })).toEqual([]);
    const bad = editCameraTuning(example, 'driveway', {
      motion_masks: [
        [
          [0, 0],
          [1, 0],
        ],
      ],
    });
    expect(checkConfigText(bad, '/etc/lookout/config.yaml', { env: {} })).toEqual([
      { path: 'cameras[0].motion.masks[0]', message: 'must NOT have fewer than 3 items' },
    ]);
  });

  test('the same problems as loadConfig, with paths apart', () => {
    const text = `mqtt:\n  keepalive_s: fast\n  bogus: 1\nlog: {level: loud}\n${camera}`;
    const file = path.join(dir, 'c.yaml');
    fs.writeFileSync(file, text);
    let lines: string[] = [];
    try {
      loadConfig({ file, env: {} });
    } catch (e) {
      lines = (e as ConfigError).problems;
    }
    const problems = checkConfigText(text, file, { env: {} });
    expect(problems.map((p) => `${p.path}: ${p.message}`)).toEqual(lines);
    expect(problems).toEqual([
      { path: 'mqtt.keepalive_s', message: 'must be a number, not the string "fast"' },
      { path: 'mqtt.bogus', message: 'unknown key' },
      { path: 'log.level', message: 'must be one of the possible values: ["fatal","error","warn","info","debug","trace","silent"]: value was "loud"' },
    ]);
  });

  test('text that is not YAML is one problem naming the file', () => {
    const [p] = checkConfigText('cameras: [\n', '/etc/lookout/config.yaml', { env: {} });
    expect(p.path).toBe('/etc/lookout/config.yaml');
    expect(p.message).toMatch(/^malformed YAML: /);
  });
});

describe('the loader on values convict used to coerce or crash on', () => {
  const problems = (text: string) => checkConfigText(text, path.join(dir, 'c.yaml'), { env: {} });

  test('a section with every key commented out is an empty section', () => {
    expect(problems(`mqtt:\n  # url: mqtt://x\n${camera}`)).toEqual([]);
  });

  test('a section given a value is named, not a crash', () => {
    expect(problems(`mqtt: 5\n${camera}`)).toEqual([
      { path: 'mqtt', message: expect.stringMatching(/^must be a section of keys \(url, base_topic, .*\), not the number 5$/) as string },
    ]);
  });

  test('a string where a list belongs is refused, not fed to JSON.parse', () => {
    expect(problems(`objects: {track: person}\n${camera}`)).toEqual([{ path: 'objects.track', message: 'must be a list, not the string "person"' }]);
  });

  test('a mapping where the camera list belongs', () => {
    expect(problems('cameras: {a: 1}\n')).toEqual([{ path: 'cameras', message: 'must be a list, not a mapping' }]);
  });

  test('a number where a string belongs', () => {
    expect(problems(`device: {name: 5}\n${camera}`)).toEqual([{ path: 'device.name', message: 'must be a string, not the number 5' }]);
  });

  test('the environment is still read as text and checked after', () => {
    expect(checkConfigText(camera, path.join(dir, 'c.yaml'), { env: { LOOKOUT_THREADS: '-2' } })).toEqual([
      { path: 'detector.threads', message: 'must be a positive integer: value was -2' },
    ]);
  });
});
