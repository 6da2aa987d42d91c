// The README's run command: `lookout run` with no config file. It picks a camera by itself (the first
// V4L2 camera, else the demo video), starts the embedded broker, says what it chose and why, and
// publishes detections that a plain MQTT client sees. Here the embedded broker is put on a free port
// (mode on) so the test never depends on what listens on 1883.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { freePort } from '../../support/mosquitto';
import { REPO_ROOT, assertDaemonBuilt, waitFor } from '../../support/daemon-harness';
import { Recorder } from '../../support/mqtt-recorder';
import { schemaProblems } from '../../../src/mqtt';

test('with no config file: a camera of its own choosing, the embedded broker, detections on MQTT, exit 0 on SIGTERM', async () => {
  assertDaemonBuilt();
  const port = await freePort();
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-zero-state-'));
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  const child = spawn(
    process.execPath,
    [
      path.join(REPO_ROOT, 'bin', 'lookout.js'),
      'run',
      '--set',
      'device.id=zero',
      '--set',
      'mqtt.embedded.mode=on',
      '--set',
      `mqtt.embedded.port=${port}`,
      '--set',
      'http.enabled=false',
      '--set',
      `state_dir=${state}`,
      '--set',
      'log.format=json',
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const context = () => `daemon output:\n${out.split('\n').slice(-30).join('\n')}`;
  let rec: Recorder | undefined;
  try {
    await waitFor('the embedded broker', () => /embedded MQTT broker/.test(out), { timeoutMs: 30_000, context });
    // aedes speaks MQTT 3.1.1 only.
    const r = (rec = await Recorder.connect(`mqtt://127.0.0.1:${port}`, ['lookout/#'], { protocolVersion: 4 }));
    // A red run shows why: the daemon's output and what did arrive.
    await waitFor('detections on MQTT', () => r.all('lookout/zero/+/detections').length > 0, {
      timeoutMs: 60_000,
      context: () => `${context()}\nMQTT:\n${r.summary()}`,
      abortIf: () => (child.exitCode === null ? undefined : `daemon exited (${child.exitCode})`),
    });
    const messages = r.messages;

    const chosen = /"msg":"no cameras configured: ([^"]+)"/.exec(out)?.[1] ?? '';
    expect(chosen).toMatch(/^(found V4L2 camera \/dev\/video\d+|no V4L2 camera found; playing the demo video .*vtest\.avi in a loop)/);
    const camera = chosen.startsWith('found') ? 'camera0' : 'demo';
    const detections = messages.filter((m) => m.topic === `lookout/zero/${camera}/detections`).map((m) => JSON.parse(m.text) as unknown);
    expect(detections.length).toBeGreaterThan(0);
    for (const d of detections) expect(schemaProblems('detections', d)).toBeNull();
    expect(messages.find((m) => m.topic === 'lookout/zero/availability')?.text).toBe('online');

    const t0 = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
  } finally {
    await rec?.close();
    if (child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(state, { recursive: true, force: true });
  }
}, 120_000);
