import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { waitFor } from './wait-for';

/**
 * A real unix datagram socket standing in for systemd's notify socket, for tests that set
 * NOTIFY_SOCKET. It is served by a small python3 child (python3 is installed by scripts/setup.sh),
 * so the receiving side does not depend on the unix-dgram package the code under test uses, and it
 * can bind abstract names too.
 */
export interface NotifySocket {
  /** The value for NOTIFY_SOCKET: a filesystem path, or '@name' for an abstract socket. */
  path: string;
  /** Every datagram received so far, in order (one datagram may hold several lines, e.g. "READY=1\nSTATUS=..."). */
  messages: string[];
  /** Datagrams split into single assignments ("READY=1", "STATUS=..."), in order. */
  assignments(): string[];
  /** Resolves when pred(messages) is true; rejects with what was received after timeoutMs. */
  waitFor(pred: (messages: string[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const SERVER = `
import json, os, socket, sys
addr = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(addr.replace('@', '\\0', 1) if addr.startswith('@') else addr)
print('BOUND', flush=True)
while True:
    data = s.recv(65536)
    print(json.dumps(data.decode('utf-8', 'replace')), flush=True)
`;

export async function bindNotifySocket(options: { abstract?: boolean } = {}): Promise<NotifySocket> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lookout-notify-'));
  const address = options.abstract ? `@lookout-test-notify-${process.pid}-${Math.random().toString(36).slice(2)}` : path.join(dir, 'notify.sock');
  const child: ChildProcessWithoutNullStreams = spawn('python3', ['-u', '-c', SERVER, address], { stdio: 'pipe' });
  const messages: string[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  await new Promise<void>((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout });
    let bound = false;
    lines.on('line', (line) => {
      if (!bound) {
        if (line === 'BOUND') {
          bound = true;
          resolve();
        }
        return;
      }
      messages.push(JSON.parse(line) as string);
    });
    child.once('error', (err) => reject(new Error(`notify socket server (python3) failed to start: ${err.message}`)));
    child.once('exit', (code) => {
      if (!bound) reject(new Error(`notify socket server exited with ${code} before binding ${address}: ${stderr.trim()}`));
    });
  });

  return {
    path: address,
    messages,
    assignments: () => messages.flatMap((m) => m.split('\n').filter((l) => l !== '')),
    async waitFor(pred, timeoutMs = 10_000) {
      await waitFor('a notify-socket condition', () => messages, { until: pred, timeoutMs });
    },
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
