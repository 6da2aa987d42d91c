/**
 * Runs one bench-child job in a fresh Node process and returns its result. From dist/ the child is
 * the compiled bench-child.js; from the TypeScript sources (tests) it is bench-child.ts, compiled as
 * it loads by the capture process's source loader.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { daemonEnv } from '../system/malloc-tuning';
import type { BenchChildJob, BenchChildReply } from './bench-child';

export function benchChildEntry(dir: string = __dirname, self: string = __filename): { file: string; execArgv: string[] } {
  if (path.extname(self) !== '.ts') return { file: path.join(dir, 'bench-child.js'), execArgv: [] };
  return { file: path.join(dir, 'bench-child.ts'), execArgv: ['--require', path.join(dir, '..', 'util', 'source-loader.js')] };
}

export function runInChild<T>(job: BenchChildJob, what: string): Promise<T> {
  const entry = benchChildEntry();
  if (!fs.existsSync(entry.file)) return Promise.reject(new Error(`${what}: ${entry.file} is missing (npm run build)`));
  return new Promise<T>((resolve, reject) => {
    // The daemon it measures runs with the malloc settings and V8 flags (NODE_OPTIONS) the systemd
    // unit gives the service.
    const child = fork(entry.file, [], {
      execArgv: entry.execArgv,
      env: daemonEnv(),
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    let stderr = '';
    let reply: BenchChildReply | undefined;
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    child.once('message', (m: BenchChildReply) => (reply = m));
    child.once('error', (e) => reject(new Error(`${what}: the measuring process failed to start: ${e.message}`)));
    child.once('exit', (code, signal) => {
      if (reply?.ok) resolve(reply.result as T);
      else if (reply) reject(new Error(`${what}: ${reply.error}`));
      else reject(new Error(`${what}: the measuring process exited (${signal ?? `code ${code}`}) without a result${stderr ? `: ${stderr.trim()}` : ''}`));
    });
    child.send(job);
  });
}
