/**
 * A private MQTT broker for the pipeline run, so that publishing is real network I/O and never
 * touches a broker someone else uses: Mosquitto on a free local port when it is installed (out of
 * process, like production), else the embedded aedes broker (in this process, MQTT 3.1.1 only —
 * its CPU time then counts as the daemon's).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedBroker } from '../mqtt/broker';
import { freePort, tcpAnswers } from '../net';
import { type Logger } from '../log';

export interface BenchBroker {
  kind: 'mosquitto' | 'embedded';
  url: string;
  protocolVersion: 4 | 5;
  /** Broker process id, to leave it out of the CPU counted for the daemon. */
  pid?: number;
  stop(): Promise<void>;
}

function hasMosquitto(): boolean {
  const r = spawnSync('mosquitto', ['-h'], { stdio: 'ignore' });
  return !r.error;
}

async function startMosquitto(): Promise<BenchBroker> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-bench-mosquitto-'));
  const port = await freePort();
  const lines = [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest stderr', 'log_type error'];
  // As root mosquitto drops to user "mosquitto", which cannot read our private temp dir.
  if (process.getuid?.() === 0) lines.push('user root');
  const conf = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(conf, `${lines.join('\n')}\n`);
  const child = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (!(await tcpAnswers('127.0.0.1', port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`mosquitto did not start on port ${port}: ${stderr.trim() || 'no output'}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { kind: 'mosquitto', url: `mqtt://127.0.0.1:${port}`, protocolVersion: 5, pid: child.pid, stop };
}

export async function startBenchBroker(logger: Logger): Promise<BenchBroker> {
  if (hasMosquitto()) return startMosquitto();
  const b = await startEmbeddedBroker({ host: '127.0.0.1', port: 0 }, logger);
  return { kind: 'embedded', url: b.url, protocolVersion: 4, stop: () => b.close() };
}
