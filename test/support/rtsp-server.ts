// A real RTSP server for tests (test/support/rtsp-server.py: GStreamer's gst-rtsp-server from Debian
// packages) run as a child process. `start` resolves once the server accepts TCP connections, so a
// camera pointed at `url` finds it there; `stop` kills it (as a crashed or rebooted camera would go)
// and `restart` brings it back on the same port and path.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { freePort, tcpAnswers } from '../../src/net';

const SCRIPT = path.join(__dirname, 'rtsp-server.py');
// The system Python: `python3` on PATH may be a pyenv/venv interpreter without Debian's `gi`.
const PYTHON = '/usr/bin/python3';

// Servers still running when the test process exits (a failed or timed-out test) are killed with it.
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export interface RtspServerOptions {
  /** Default: a free port. */
  port?: number;
  /** Mount path, default `/cam`. */
  path?: string;
  /** A video file to serve (re-encoded to H.264 on the fly); default a moving videotestsrc ball. */
  file?: string;
  width?: number;
  height?: number;
}

export class RtspServer {
  private child: ChildProcess | null = null;
  private readonly output: string[] = [];

  private constructor(
    readonly port: number,
    private readonly options: RtspServerOptions,
  ) {}

  static async start(options: RtspServerOptions = {}): Promise<RtspServer> {
    const server = new RtspServer(options.port ?? (await freePort()), options);
    await server.launch();
    return server;
  }

  /** rtsp://127.0.0.1:<port><path> */
  get url(): string {
    return `rtsp://127.0.0.1:${this.port}${this.options.path ?? '/cam'}`;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The server's last output lines, for failure messages. */
  log(lines = 20): string {
    return this.output.slice(-lines).join('\n');
  }

  private async launch(timeoutMs = 15_000): Promise<void> {
    const args = [SCRIPT, '--port', String(this.port), '--path', this.options.path ?? '/cam'];
    if (this.options.file) args.push('--file', this.options.file);
    if (this.options.width) args.push('--width', String(this.options.width));
    if (this.options.height) args.push('--height', String(this.options.height));
    const child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    live.add(child);
    child.once('exit', () => live.delete(child));
    const keep = (line: string): void => {
      this.output.push(line);
      if (this.output.length > 200) this.output.shift();
    };
    readline.createInterface({ input: child.stdout }).on('line', keep);
    readline.createInterface({ input: child.stderr }).on('line', keep);
    let spawnError: Error | undefined;
    child.once('error', (e) => (spawnError = e));

    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running || spawnError) {
        throw new Error(
          `RTSP server (${PYTHON} ${SCRIPT}) exited before listening on ${this.port}${spawnError ? `: ${spawnError.message}` : ''}\n${this.log()}`,
        );
      }
      if (await tcpAnswers('127.0.0.1', this.port, 500)) return;
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(`RTSP server did not accept connections on 127.0.0.1:${this.port} within ${timeoutMs} ms\n${this.log()}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Kills the server with SIGKILL (no goodbye to clients, like a camera losing power) and awaits its exit. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  /** Starts the server again on the same port and path (after `stop`). */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }
}
