// `lookout doctor` as a user runs it (the built CLI), against a real Mosquitto with a password file,
// the real model and real video files: one line per check, the fix for what fails, exit 0 only when
// nothing failed.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectAsync } from 'mqtt';
import { Mosquitto } from '../../support/mosquitto';

const ROOT = path.join(__dirname, '..', '..', '..');
const VTEST = path.join(ROOT, '.cache', 'testdata', 'vtest.avi');

function lookout(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'lookout.js'), ...args], { cwd: ROOT, env: { ...process.env, LOOKOUT_CONFIG: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

let broker: Mosquitto;
let dir: string;
beforeAll(async () => {
  broker = await Mosquitto.start({ users: { lookout: 'right pass', ha: 'ha' } });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-doctor-'));
});
afterAll(async () => {
  await broker.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function writeConfig(name: string, body: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `device: {id: doc-${name.replace(/\W/g, '')}}\nstate_dir: ${path.join(dir, 'state')}\n${body}`);
  return file;
}

test('a working setup passes every check (exit 0) and sees the discovery configs Home Assistant reads', async () => {
  // Something Home Assistant would have on its broker: a retained discovery config under the prefix.
  const ha = await connectAsync(broker.url, { username: 'ha', password: 'ha' });
  await ha.publishAsync('homeassistant/sensor/other/temp/config', '{"name":"t"}', { retain: true, qos: 1 });
  await ha.endAsync();
  const file = writeConfig(
    'good.yaml',
    `mqtt: {url: "${broker.url}", username: lookout, password: "right pass"}\ncameras:\n  - name: porch\n    source: {type: file, path: ${VTEST}}\n`,
  );
  const r = await lookout(['doctor', '--config', file]);
  expect(r.stdout).toMatch(/^ok +model ssdlite_mobilenet_v2_coco: .* verified/m);
  expect(r.stdout).toMatch(/^ok +camera porch: .*first frame 768x576/m);
  expect(r.stdout).toMatch(/^ok +broker: connected to mqtt:\/\/127\.0\.0\.1:\d+ as 'lookout'/m);
  expect(r.stdout).toMatch(/^ok +home assistant: 1 retained discovery configs under 'homeassistant\/'/m);
  expect(r.stdout).toMatch(/^ok +state dir: .* is writable/m);
  expect(r.stdout).not.toMatch(/^FAIL/m);
  expect(r.status).toBe(0);
});

test('a wrong password, a missing video and a missing GStreamer element each fail with their fix (exit 1)', async () => {
  const file = writeConfig(
    'bad.yaml',
    `mqtt: {url: "${broker.url}", username: lookout, password: wrong}\ncameras:\n` +
      `  - name: porch\n    source: {type: file, path: ${VTEST}}\n` +
      `  - name: gone\n    source: {type: file, path: ${path.join(dir, 'missing.avi')}}\n` +
      `  - name: pi\n    source: {type: gstreamer, pipeline: "libcamerasrc ! videoconvert ! appsink"}\n`,
  );
  const r = await lookout(['doctor', '--config', file, '--camera-timeout', '30']);
  expect(r.status).toBe(1);
  // The working camera is still reported as working: one bad part does not hide the others.
  expect(r.stdout).toMatch(/^ok +camera porch:/m);
  expect(r.stdout).toMatch(/^FAIL +camera gone: .*missing\.avi.*\n +fix: check the path in the camera source/m);
  expect(r.stdout).toMatch(/^FAIL +camera pi: GStreamer has no element 'libcamerasrc'.*\n +fix: sudo apt install gstreamer1\.0-libcamera/m);
  expect(r.stdout).toMatch(/^FAIL +broker: .*refused the credentials.*user 'lookout'.*\n +fix: .*mqtt_password/m);
  expect(r.stdout).toMatch(/\d+ checks: \d+ ok, \d+ warnings, 3 failed/);
});

test('an invalid config is one failed check naming the key, not a stack trace', async () => {
  const file = writeConfig('invalid.yaml', 'objects: {min_score: 3}\n');
  const r = await lookout(['doctor', '--config', file]);
  expect(r.status).toBe(1);
  expect(r.stdout).toMatch(/^FAIL +config: .*invalid\.yaml: 1 problem/m);
  expect(r.stdout).toMatch(/objects\.min_score/);
  expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
});

test('lookout cameras says what it found (no V4L2 device on this machine) and exits 0', async () => {
  const r = await lookout(['cameras']);
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^V4L2: \d+ camera node\(s\)/m);
  expect(r.stdout).toMatch(/^libcamera/m);
});
