import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, ConfigError, redactConfig, REDACTED } from '../../../src/config';

const EXAMPLE = path.join(__dirname, '..', '..', '..', 'config', 'lookout.example.yaml');

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-config-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

const camera = `cameras:\n  - name: front\n    source: {type: file, path: /tmp/x.avi}\n`;

describe('loadConfig', () => {
  test('the documented example file is valid and keeps its values', () => {
    const { config, file } = loadConfig({ file: EXAMPLE, env: {} });
    expect(file).toBe(EXAMPLE);
    expect(config.device.id).toBe('front-porch');
    expect(config.mqtt.base_topic).toBe('lookout/front-porch');
    expect(config.mqtt.client_id).toBe('lookout-front-porch');
    expect(config.cameras[0].name).toBe('driveway');
    expect(config.cameras[0].objects?.min_scores).toEqual({ person: 0.6 });
  });

  test('embedded defaults need no file and have no cameras', () => {
    const { config } = loadConfig({ env: {} });
    expect(config.cameras).toEqual([]);
    expect(config.objects.min_score).toBe(0.5);
    expect(config.detector.model).toBe('ssdlite_mobilenet_v2_coco');
  });

  test('JSON files work like YAML files', () => {
    const file = write('c.json', JSON.stringify({ device: { id: 'cam1' }, cameras: [{ name: 'a', source: { type: 'file', path: '/x' } }] }));
    expect(loadConfig({ file, env: {} }).config.mqtt.base_topic).toBe('lookout/cam1');
  });

  test('a camera min_score outside [0,1] names the key path', () => {
    const file = write('c.yaml', `cameras:\n  - name: front\n    source: {type: file, path: /x}\n    objects: {min_score: 1.7}\n`);
    expect(problemsOf(() => loadConfig({ file, env: {} }))).toEqual(['cameras[0].objects.min_score: must be <= 1']);
  });

  test('names that would collide with fixed MQTT topics are refused with their key', () => {
    const file = write(
      'c.yaml',
      `objects: {track: [person, events]}\ncameras:\n  - name: stats\n    source: {type: v4l2, device: 0}\n    zones:\n      - {name: status, polygon: [[0, 0], [1, 0], [1, 1]]}\n`,
    );
    const problems = problemsOf(() => loadConfig({ file, env: {} }));
    expect(problems).toEqual([
      expect.stringMatching(/^objects\.track\[1\]: label 'events' is reserved/),
      expect.stringMatching(/^cameras\[0\]\.name: camera name 'stats' is reserved/),
      expect.stringMatching(/^cameras\[0\]\.zones\[0\]\.name: zone 'status' is reserved/),
    ]);
  });

  test('every problem is reported at once', () => {
    const file = write(
      'c.yaml',
      `mqtt:\n  keepalive_s: fast\n  bogus: 1\nobjects:\n  min_score: 2\n` +
        `cameras:\n  - name: a\n    source: {type: v4l2}\n  - name: a\n    source: {type: file, path: /x}\n    colour: red\n`,
    );
    const problems = problemsOf(() => loadConfig({ file, env: {} }));
    expect(problems).toEqual(
      expect.arrayContaining([
        'mqtt.keepalive_s: must be a number, not the string "fast"',
        'mqtt.bogus: unknown key',
        expect.stringMatching(/^objects\.min_score: must be a number within \[0, 1\]/),
        "cameras[0].source.device: required for source type 'v4l2'",
        "cameras[1].name: duplicate camera name 'a' (also cameras[0])",
        'cameras[1].colour: unknown key',
      ]),
    );
    expect(problems).toHaveLength(6);
  });

  test('wrong types are named', () => {
    const file = write('c.yaml', `detector:\n  spinning: "yes please"\n${camera}`);
    expect(problemsOf(() => loadConfig({ file, env: {} }))).toEqual(['detector.spinning: must be a boolean, not the string "yes please"']);
  });

  test('a missing file is named', () => {
    const file = path.join(dir, 'nope.yaml');
    expect(problemsOf(() => loadConfig({ file, env: {} }))).toEqual([`${file}: file not found`]);
  });

  test('malformed YAML names the file and the place', () => {
    const file = write('c.yaml', 'mqtt:\n  url: "mqtt://x\n  port: [1,\n');
    const [problem] = problemsOf(() => loadConfig({ file, env: {} }));
    expect(problem).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: malformed YAML: .*line \\d+`));
  });

  test('duplicate YAML keys are refused, not silently merged', () => {
    const file = write('c.yaml', `log:\n  level: info\nlog:\n  level: debug\n${camera}`);
    expect(problemsOf(() => loadConfig({ file, env: {} }))[0]).toMatch(/malformed YAML: .*[Mm]ap keys must be unique/);
  });

  test('a config file without cameras is refused', () => {
    const file = write('c.yaml', 'log: {level: debug}\n');
    expect(problemsOf(() => loadConfig({ file, env: {} }))).toEqual(['cameras: at least one camera is required in a config file']);
  });

  test('environment variables and --set overrides win over the file, in that order', () => {
    const file = write('c.yaml', `objects: {min_score: 0.4}\nmqtt: {url: "mqtt://file:1883"}\n${camera}`);
    const env = { LOOKOUT_MIN_SCORE: '0.6', LOOKOUT_MQTT_URL: 'mqtt://env:1883' };
    const { config } = loadConfig({ file, env, overrides: ['objects.min_score=0.8', 'detector.execution_providers=[cpu]'] });
    expect(config.objects.min_score).toBe(0.8);
    expect(config.mqtt.url).toBe('mqtt://env:1883');
    expect(config.detector.execution_providers).toEqual(['cpu']);
  });

  test('an override of an unknown key is refused', () => {
    expect(problemsOf(() => loadConfig({ env: {}, overrides: ['objects.min_scoer=0.8'] }))).toEqual(['objects.min_scoer: unknown key (from --set)']);
  });

  test('secrets come from files, systemd credentials or the environment, and are redacted', () => {
    const secret = write('pw', 'hunter2\n');
    const file = write('c.yaml', `mqtt: {url: "mqtt://bob:inurl@broker:1883", password_file: ${secret}}\n${camera}`);
    const { config } = loadConfig({ file, env: {} });
    expect(config.mqtt.password).toBe('hunter2');
    const printed = JSON.stringify(redactConfig(config));
    expect(printed).not.toContain('hunter2');
    expect(printed).not.toContain('inurl');
    expect(redactConfig(config).mqtt.password).toBe(REDACTED);

    const creds = fs.mkdtempSync(path.join(dir, 'creds-'));
    fs.writeFileSync(path.join(creds, 'mqtt_password'), 'fromcred\n');
    expect(loadConfig({ env: { CREDENTIALS_DIRECTORY: creds } }).config.mqtt.password).toBe('fromcred');
    expect(loadConfig({ env: { LOOKOUT_MQTT_PASSWORD: 'fromenv' } }).config.mqtt.password).toBe('fromenv');
  });

  test('an unreadable secret file is named', () => {
    const file = write('c.yaml', `mqtt: {password_file: ${dir}/missing}\n${camera}`);
    expect(problemsOf(() => loadConfig({ file, env: {} }))).toEqual([`mqtt.password_file: cannot read secret file '${dir}/missing': ENOENT`]);
  });

  test('zones: unknown required zone, bad polygon and bad crop are named', () => {
    const file = write(
      'c.yaml',
      `cameras:\n  - name: a\n    source: {type: file, path: /x}\n    zones:\n      - {name: yard, polygon: [[0,0],[1,0]]}\n` +
        `    objects: {required_zones: [drive]}\n    transform: {crop: [0.5, 0, 0.2, 1]}\n`,
    );
    expect(problemsOf(() => loadConfig({ file, env: {} }))).toEqual(
      expect.arrayContaining([
        'cameras[0].zones[0].polygon: must NOT have fewer than 3 items',
        "cameras[0].objects.required_zones[0]: no zone named 'drive' on this camera",
        'cameras[0].transform.crop: must be [xmin, ymin, xmax, ymax] with xmin < xmax and ymin < ymax',
      ]),
    );
  });

  test('camera names must be usable as topic levels', () => {
    const file = write('c.yaml', `cameras:\n  - name: "front/door"\n    source: {type: file, path: /x}\n`);
    expect(problemsOf(() => loadConfig({ file, env: {} }))).toEqual(['cameras[0].name: must be 1-64 letters, digits, _ or - (it becomes an MQTT topic level)']);
  });

  test('schedule windows are checked with the camera path', () => {
    const file = write(
      'c.yaml',
      `cameras:\n  - name: a\n    source: {type: file, path: /x}\n    schedule:\n      - {days: [mon], from: "18:00", to: "sunsett"}\n`,
    );
    const problems = problemsOf(() => loadConfig({ file, env: {} }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^cameras\[0\]\.schedule\[0\]\.to: /);
  });
});
