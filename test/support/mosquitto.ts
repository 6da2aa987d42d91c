// Real Mosquitto brokers for tests: each on a free port with its own generated config in a temp dir,
// optionally with a password file and/or TLS, killable (SIGTERM or SIGKILL) and restartable on the same
// port. Call stop() in afterAll/afterEach; any broker still running when the process exits is killed.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, tcpAnswers } from '../../src/net';

export interface MosquittoTls {
  /** PEM files of the server side. */
  ca: string;
  cert: string;
  key: string;
}

export interface MosquittoOptions {
  /** user → password; when given, anonymous access is off and a password file is written. */
  users?: Record<string, string>;
  /** TLS listener instead of plain TCP. */
  tls?: MosquittoTls;
  /** More mosquitto.conf lines. */
  extraConfig?: string[];
  /** Port to use; default a free one. */
  port?: number;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export { freePort };

export class Mosquitto {
  private child: ChildProcess | null = null;
  private output = '';
  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly confPath: string,
    readonly tls: boolean,
  ) {}

  /** mqtt://127.0.0.1:<port> (mqtts:// with TLS). */
  get url(): string {
    return `${this.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${this.port}`;
  }

  /** What the broker logged so far (for failure messages). */
  get log(): string {
    return this.output;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  static async start(options: MosquittoOptions = {}): Promise<Mosquitto> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-mosquitto-'));
    const port = options.port ?? (await freePort());
    const lines = [`listener ${port} 127.0.0.1`, 'persistence false', 'log_dest stderr', 'log_type error', 'log_type warning', 'log_type notice'];
    if (typeof process.getuid === 'function' && process.getuid() === 0) {
      // As root mosquitto drops to user "mosquitto", which cannot read files in our private temp dir.
      lines.push('user root');
    }
    if (options.users) {
      const passwd = path.join(dir, 'passwd');
      let first = true;
      for (const [user, password] of Object.entries(options.users)) {
        execFileSync('mosquitto_passwd', [...(first ? ['-c'] : []), '-b', passwd, user, password], { stdio: 'pipe' });
        first = false;
      }
      lines.push('allow_anonymous false', `password_file ${passwd}`);
    } else {
      lines.push('allow_anonymous true');
    }
    if (options.tls) {
      lines.push(`cafile ${options.tls.ca}`, `certfile ${options.tls.cert}`, `keyfile ${options.tls.key}`);
    }
    lines.push(...(options.extraConfig ?? []));
    const confPath = path.join(dir, 'mosquitto.conf');
    fs.writeFileSync(confPath, lines.join('\n') + '\n');
    const broker = new Mosquitto(port, dir, confPath, options.tls !== undefined);
    await broker.launch();
    return broker;
  }

  private async launch(): Promise<void> {
    const child = spawn('mosquitto', ['-c', this.confPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    running.add(child);
    const collect = (chunk: Buffer): void => {
      this.output += chunk.toString();
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.once('exit', () => running.delete(child));
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`mosquitto exited at start (code ${child.exitCode}): ${this.output}`);
      }
      if (await tcpAnswers('127.0.0.1', this.port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    throw new Error(`mosquitto did not accept connections on port ${this.port} within 15 s: ${this.output}`);
  }

  /** Kills the broker (SIGKILL: no goodbye to clients; its in-memory sessions are lost) and waits for it. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  /** Starts it again on the same port with the same config. */
  async restart(): Promise<void> {
    await this.kill('SIGTERM');
    await this.launch();
  }

  /** Stops the broker and removes its temp dir. */
  async stop(): Promise<void> {
    await this.kill('SIGTERM');
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface TestCa {
  dir: string;
  caCert: string;
  caKey: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

/** A fresh CA (EC P-256) in `dir`, for TLS tests. */
export function createTestCa(dir: string, name = 'Lookout Test CA'): TestCa {
  fs.mkdirSync(dir, { recursive: true });
  const caKey = path.join(dir, 'ca.key');
  const caCert = path.join(dir, 'ca.crt');
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', caKey], dir);
  openssl(['req', '-x509', '-new', '-key', caKey, '-sha256', '-days', '2', '-subj', `/CN=${name}`, '-out', caCert], dir);
  return { dir, caCert, caKey };
}

/** A server certificate for 127.0.0.1 / localhost signed by `ca`. */
export function createServerCert(ca: TestCa, name = 'server'): { cert: string; key: string } {
  const key = path.join(ca.dir, `${name}.key`);
  const csr = path.join(ca.dir, `${name}.csr`);
  const cert = path.join(ca.dir, `${name}.crt`);
  const ext = path.join(ca.dir, `${name}.ext`);
  fs.writeFileSync(
    ext,
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n',
  );
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key], ca.dir);
  openssl(['req', '-new', '-key', key, '-subj', '/CN=127.0.0.1', '-out', csr], ca.dir);
  openssl(
    ['x509', '-req', '-in', csr, '-CA', ca.caCert, '-CAkey', ca.caKey, '-CAcreateserial', '-days', '2', '-sha256', '-extfile', ext, '-out', cert],
    ca.dir,
  );
  return { cert, key };
}
