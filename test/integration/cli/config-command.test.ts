import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..', '..');
const lookout = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(ROOT, 'bin', 'lookout.js'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, LOOKOUT_CONFIG: '' } });

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-cli-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('lookout config (the built CLI, as a user runs it)', () => {
  test('check accepts the documented example', () => {
    const r = lookout('config', 'check', 'config/lookout.example.yaml');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/lookout\.example\.yaml: OK \(1 camera\(s\)\)/);
  });

  test('check refuses min_score 1.7 under a camera with exit 78 and the key path, no stack trace', () => {
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(file, 'cameras:\n  - name: front\n    source: {type: file, path: /x.avi}\n    objects:\n      min_score: 1.7\n');
    const r = lookout('config', 'check', file);
    expect(r.status).toBe(78);
    expect(r.stderr.trim()).toBe('cameras[0].objects.min_score: must be <= 1');
    expect(r.stdout).toBe('');
  });

  test.each([
    ['missing file', null, /nope\.yaml: file not found/],
    ['malformed YAML', 'cameras: [\n', /malformed YAML/],
    ['unknown key', 'colour: red\ncameras: [{name: a, source: {type: file, path: /x}}]\n', /^colour: unknown key$/m],
    [
      'duplicate camera',
      'cameras: [{name: a, source: {type: file, path: /x}}, {name: a, source: {type: file, path: /y}}]\n',
      /cameras\[1\]\.name: duplicate camera name 'a'/,
    ],
    [
      'bad cron window',
      'cameras:\n  - name: a\n    source: {type: file, path: /x}\n    schedule:\n      - {from: "18:00", to: "07:30"}\n      - {cron: "0 22 * * 8", duration: 8h}\n',
      /^cameras\[0\]\.schedule\[1\]\.cron: '0 22 \* \* 8' is not a cron expression/m,
    ],
    [
      'unreadable secret',
      'mqtt: {password_file: /nonexistent/pw}\ncameras: [{name: a, source: {type: file, path: /x}}]\n',
      /mqtt\.password_file: cannot read secret file '\/nonexistent\/pw': ENOENT/,
    ],
  ])('check: %s → exit 78 with the reason', (_name, text, pattern) => {
    const file = path.join(dir, text === null ? 'nope.yaml' : `${_name.replace(/\W/g, '_')}.yaml`);
    if (text !== null) fs.writeFileSync(file, text);
    const r = lookout('config', 'check', file);
    expect(r.status).toBe(78);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/); // no stack trace
  });

  test('print shows the effective config with secrets redacted', () => {
    const file = path.join(dir, 'secret.yaml');
    fs.writeFileSync(file, 'mqtt: {password: s3cret-value, url: "mqtt://u:urlpass@h:1883"}\ncameras: [{name: a, source: {type: file, path: /x}}]\n');
    const r = lookout('config', 'print', '--config', file, '--set', 'objects.min_score=0.65', '--json');
    expect(r.status).toBe(0);
    const printed = JSON.parse(r.stdout) as { objects: { min_score: number }; mqtt: { password: string } };
    expect(printed.objects.min_score).toBe(0.65);
    expect(printed.mqtt.password).toBe('[redacted]');
    expect(r.stdout).not.toContain('s3cret-value');
    expect(r.stdout).not.toContain('urlpass');
  });

  test('--help explains every command and --version prints the version', () => {
    const help = lookout('--help');
    expect(help.status).toBe(0);
    for (const cmd of ['run', 'detect', 'bench', 'config', 'model']) expect(help.stdout).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));
    const version = lookout('--version');
    expect(version.stdout.trim()).toBe((JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  });
});
