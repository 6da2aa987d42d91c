import { execFile } from 'node:child_process';
import { type Logger, silentLogger } from '../log';

/**
 * sd_notify(3) for Node: READY / WATCHDOG / STATUS / STOPPING / RELOADING datagrams to systemd.
 *
 * Node has no unix datagram sockets, so this uses the optional native `unix-dgram` package and
 * falls back to spawning the `systemd-notify` binary (which needs `NotifyAccess=all` in the unit,
 * because the message then comes from a child process; on systemd < 246 that path is racy: the
 * child may exit before systemd attributes the message to the service). Abstract sockets
 * (`NOTIFY_SOCKET=@name`) always go through `systemd-notify`: unix-dgram copies the path with
 * strncpy and a fixed address length, which cannot express an abstract name.
 *
 * Without NOTIFY_SOCKET (not started by systemd, or not Type=notify) every call is a no-op.
 * Nothing here throws: a failed notification is logged (once per kind of failure) and dropped.
 */

/** How notifications leave the process. */
export type NotifyTransport = 'unix-dgram' | 'systemd-notify' | 'none';

export interface SystemdNotifierOptions {
  /** Environment to read NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID from. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /**
   * Force a transport. 'auto' (default): unix-dgram when it loads and the socket is a path,
   * else systemd-notify.
   */
  transport?: 'auto' | 'unix-dgram' | 'systemd-notify';
  /** The systemd-notify binary for the fallback. Default: 'systemd-notify' (looked up in PATH). */
  systemdNotifyPath?: string;
  /** This process's pid, compared against WATCHDOG_PID. Default: process.pid. */
  pid?: number;
  /** Loads unix-dgram; tests replace it to simulate a missing native module. */
  loadUnixDgram?: () => UnixDgramModule | undefined;
}

/** The part of unix-dgram this module uses. */
export interface UnixDgramSocket {
  on(event: 'error', listener: (err: Error) => void): unknown;
  send(buf: Buffer, offset: number, length: number, path: string, callback?: (err?: Error) => void): void;
  close(): void;
}
export interface UnixDgramModule {
  createSocket(type: 'unix_dgram'): UnixDgramSocket;
}

function requireUnixDgram(): UnixDgramModule | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- an optional dependency: absent, the fallback is systemd-notify
    return require('unix-dgram') as UnixDgramModule;
  } catch {
    return undefined; // optional dependency: not built on this machine
  }
}

export class SystemdNotifier {
  readonly socketPath: string | undefined;
  readonly transport: NotifyTransport;
  private readonly logger: Logger;
  private readonly env: NodeJS.ProcessEnv;
  private readonly unixDgram: UnixDgramModule | undefined;
  private readonly systemdNotifyPath: string;
  private readonly pid: number;
  private readonly reportedFailures = new Set<string>();
  /** systemd-notify children run one at a time so READY never overtakes STATUS or STOPPING. */
  private spawnQueue: Promise<void> = Promise.resolve();
  private pendingSpawns = 0;

  constructor(logger: Logger = silentLogger, options: SystemdNotifierOptions = {}) {
    this.logger = logger;
    this.env = options.env ?? process.env;
    this.pid = options.pid ?? process.pid;
    this.systemdNotifyPath = options.systemdNotifyPath ?? 'systemd-notify';
    const socket = this.env.NOTIFY_SOCKET;
    this.socketPath = socket && (socket.startsWith('/') || socket.startsWith('@')) ? socket : undefined;
    if (socket && !this.socketPath) {
      logger.warn({ notify_socket: socket }, 'NOTIFY_SOCKET is neither a path nor an abstract name (@...); sd_notify disabled');
    }
    const wanted = options.transport ?? 'auto';
    const dgram = wanted === 'systemd-notify' || !this.socketPath ? undefined : (options.loadUnixDgram ?? requireUnixDgram)();
    if (!this.socketPath) {
      this.transport = 'none';
    } else if (dgram && !this.socketPath.startsWith('@')) {
      this.transport = 'unix-dgram';
      this.unixDgram = dgram;
    } else {
      this.transport = 'systemd-notify';
      const why = this.socketPath.startsWith('@') ? 'abstract NOTIFY_SOCKET' : wanted === 'systemd-notify' ? 'configured' : 'unix-dgram not available';
      logger.info({ notify_socket: this.socketPath, why }, 'sd_notify through the systemd-notify binary (the unit needs NotifyAccess=all)');
    }
    if (this.transport === 'unix-dgram') logger.debug({ notify_socket: this.socketPath }, 'sd_notify through unix-dgram');
  }

  /** True when systemd listens (NOTIFY_SOCKET set and usable). */
  get enabled(): boolean {
    return this.transport !== 'none';
  }

  /**
   * The watchdog timeout systemd set for this process (WatchdogSec=), in ms; undefined when the
   * watchdog is off or WATCHDOG_PID names another process (e.g. a wrapper that spawned us).
   */
  get watchdogTimeoutMs(): number | undefined {
    const usec = Number(this.env.WATCHDOG_USEC);
    if (!Number.isFinite(usec) || usec <= 0) return undefined;
    const pid = this.env.WATCHDOG_PID;
    if (pid !== undefined && pid !== '' && Number(pid) !== this.pid) return undefined;
    return usec / 1000;
  }

  /** How often to send WATCHDOG=1: half the timeout, as sd_watchdog_enabled(3) recommends. */
  get watchdogIntervalMs(): number | undefined {
    const timeout = this.watchdogTimeoutMs;
    return timeout === undefined ? undefined : timeout / 2;
  }

  /** Startup finished (or a reload finished): READY=1, with an optional STATUS= line. */
  ready(status?: string): void {
    this.send(status === undefined ? ['READY=1'] : ['READY=1', `STATUS=${oneLine(status)}`]);
  }

  /** Resets the systemd watchdog timer. Call only when the service really makes progress. */
  watchdog(): void {
    this.send(['WATCHDOG=1']);
  }

  /** Free-form status shown by `systemctl status lookout`. */
  status(text: string): void {
    this.send([`STATUS=${oneLine(text)}`]);
  }

  /** Shutdown began; systemd then waits for the exit instead of treating it as a crash. */
  stopping(status?: string): void {
    this.send(status === undefined ? ['STOPPING=1'] : ['STOPPING=1', `STATUS=${oneLine(status)}`]);
  }

  /**
   * A configuration reload began; call ready() when it finished. MONOTONIC_USEC lets systemd ≥ 253
   * (Type=notify-reload) match the READY=1 that ends the reload.
   */
  reloading(status?: string): void {
    const lines = ['RELOADING=1', `MONOTONIC_USEC=${process.hrtime.bigint() / 1000n}`];
    if (status !== undefined) lines.push(`STATUS=${oneLine(status)}`);
    this.send(lines);
  }

  /** Asks systemd for more time before TimeoutStartSec/TimeoutStopSec expire (EXTEND_TIMEOUT_USEC). */
  extendTimeout(ms: number): void {
    if (!(ms > 0)) return;
    this.send([`EXTEND_TIMEOUT_USEC=${Math.round(ms * 1000)}`]);
  }

  /** Resolves once queued systemd-notify children have exited (for an orderly shutdown). */
  async flush(): Promise<void> {
    await this.spawnQueue;
  }

  private send(lines: string[]): void {
    try {
      if (this.transport === 'unix-dgram') this.sendDgram(lines);
      else if (this.transport === 'systemd-notify') this.sendViaBinary(lines);
    } catch (err) {
      this.reportFailure('send', err);
    }
  }

  private sendDgram(lines: string[]): void {
    const path = this.socketPath as string;
    const message = Buffer.from(lines.join('\n'), 'utf8');
    // One short-lived socket per message: an open unix-dgram socket keeps a libuv poll handle
    // that would hold the event loop open at shutdown.
    const socket = (this.unixDgram as UnixDgramModule).createSocket('unix_dgram');
    socket.on('error', (err) => this.reportFailure('socket', err));
    socket.send(message, 0, message.length, path, (err) => {
      if (err) this.reportFailure('send', err);
    });
    socket.close();
  }

  private sendViaBinary(lines: string[]): void {
    // Bound the queue: if systemd-notify hangs, drop new messages instead of piling up children.
    if (this.pendingSpawns >= 8) {
      this.reportFailure('queue', new Error('8 systemd-notify calls pending; dropping ' + lines[0]));
      return;
    }
    this.pendingSpawns++;
    const env: NodeJS.ProcessEnv = { ...this.env, NOTIFY_SOCKET: this.socketPath };
    // No --pid: that would also send MAINPID=. systemd-notify ≥ 246 follows each message with
    // BARRIER=1 and waits until systemd processed it, which closes the attribution race.
    const args = lines;
    this.spawnQueue = this.spawnQueue.then(
      () =>
        new Promise<void>((resolve) => {
          try {
            execFile(this.systemdNotifyPath, args, { env, timeout: 5000 }, (err, _stdout, stderr) => {
              this.pendingSpawns--;
              if (err) this.reportFailure('systemd-notify', err, String(stderr).trim());
              resolve();
            });
          } catch (err) {
            this.pendingSpawns--;
            this.reportFailure('systemd-notify', err);
            resolve();
          }
        }),
    );
  }

  /** Logs each kind of failure once at warn, then at debug, so a broken socket does not flood the journal. */
  private reportFailure(kind: string, err: unknown, detail?: string): void {
    const code = (err as NodeJS.ErrnoException | undefined)?.code ?? 'error';
    const key = `${kind}:${code}`;
    const fields = {
      notify_socket: this.socketPath,
      transport: this.transport,
      err,
      ...(detail ? { detail } : {}),
    };
    if (this.reportedFailures.has(key)) {
      this.logger.debug(fields, 'sd_notify failed again');
    } else {
      this.reportedFailures.add(key);
      this.logger.warn(fields, `sd_notify failed (${kind}); systemd may not see READY/WATCHDOG from this process`);
    }
  }
}

/** sd_notify messages are newline-separated assignments: a status must stay on one line. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').trim();
}
