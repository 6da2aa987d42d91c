/**
 * One running capture process, seen from the daemon: starts it (capture-child, see child-path.ts)
 * with a frame pipe on fd 4 beside the IPC channel, checks what comes back against protocol.ts, keeps
 * the tail of its stderr (where GStreamer, V4L2 and FFmpeg say why something failed), and kills it
 * in a way that is bounded in time even when it is stuck in the kernel. What a message or an exit
 * means for the camera is decided by camera-capture.ts.
 */
import { type ChildProcess, fork } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { Logger } from '../log';
import type { CaptureChildEntry } from './child-path';
import { FrameStreamParser } from './frame-stream';
import type { PreparedOpen } from './open-plan';
import { asChildMessage, type ChildMessage, type FrameRecord, type ParentMessage } from './protocol';
import { LineTail } from './stderr-reason';
import { captureEnv } from '../system/malloc-tuning';

/** How long to wait for a SIGKILLed capture process to go (one stuck in the kernel may never). */
export const KILL_WAIT_MS = 2000;
/** After the exit, how long stderr and the frame pipe may take to reach their end (a grandchild may hold them open). */
const DRAIN_MS = 1000;

export interface CaptureProcessHandlers {
  message(m: ChildMessage): void;
  frame(rec: FrameRecord): void;
  /** It broke the protocol (`corrupt`: the frame stream) or could not run (`crashed`); a corrupt one is being killed. */
  failed(kind: 'corrupt' | 'crashed', reason: string): void;
  /** It is gone, and its stderr and frames are read to the end. Called once. */
  ended(code: number | null, signal: NodeJS.Signals | null): void;
}

export class CaptureProcess {
  private readonly child: ChildProcess;
  private readonly stderrTail: LineTail;
  private killTimer: NodeJS.Timeout | undefined;
  private exitedFlag = false;
  private endedFlag = false;

  /** Starts the process and sends it the plan. Throws when it cannot be started at all. */
  constructor(
    entry: CaptureChildEntry,
    prepared: PreparedOpen,
    private readonly handlers: CaptureProcessHandlers,
    private readonly log: Logger,
    private readonly logFields: Record<string, unknown> = {},
  ) {
    this.child = fork(entry.file, [], {
      // fd 4 carries frames; the IPC channel (fd 3) only small control messages.
      stdio: ['ignore', 'pipe', 'pipe', 'ipc', 'pipe'],
      // glibc malloc settings (src/system/malloc-tuning.ts): with two cameras, 89 and 82 MB PSS per
      // capture process became 73 and 74 MB with the arena limit alone.
      env: { ...captureEnv(), ...prepared.env },
      execArgv: entry.execArgv,
      serialization: 'json',
    });
    const child = this.child;
    this.stderrTail = new LineTail(40, (line) => log.debug({ ...logFields, stderr: line }, 'capture process stderr'));
    child.stdout?.on('data', (d: Buffer) => {
      // The OpenCV binding prints to stdout when loaded; worth seeing only when debugging.
      if (log.isLevelEnabled('debug')) log.debug({ ...logFields, stdout: d.toString().trim() }, 'capture process stdout');
    });
    child.stderr?.on('data', (d: Buffer) => this.stderrTail.push(d));
    const parser = new FrameStreamParser(
      (rec) => handlers.frame(rec),
      (err) => {
        handlers.failed('corrupt', err.message);
        this.kill();
      },
    );
    const frames = this.framePipe();
    frames?.on('data', (chunk: Buffer) => parser.push(chunk));
    frames?.on('error', () => undefined); // EPIPE/ECONNRESET when the process dies: its exit tells the story
    child.on('message', (raw: unknown) => {
      const m = asChildMessage(raw);
      if (m) handlers.message(m);
      else log.debug({ ...logFields, message: raw }, 'capture process sent something that is not a protocol message; ignored');
    });
    child.on('error', (e) => {
      handlers.failed('crashed', `capture process: ${e.message}`);
      if (child.pid === undefined) this.onExit(null, null);
    });
    child.on('exit', (code, signal) => this.onExit(code, signal));
    this.send({ t: 'start', plan: prepared.plan });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** It exited (or was given up on after SIGKILL). */
  get exited(): boolean {
    return this.exitedFlag;
  }

  /** The last lines it wrote to stderr. */
  get stderrLines(): readonly string[] {
    return this.stderrTail.lines;
  }

  send(msg: ParentMessage): void {
    if (this.exitedFlag || !this.child.connected) return;
    try {
      this.child.send(msg, () => undefined); // with a callback, a closed channel is not an 'error' event
    } catch {
      // the process is going away; its exit is handled
    }
  }

  /** SIGKILL, and give up waiting for the exit after a while (a process stuck in the kernel may never go). */
  kill(): void {
    if (this.exitedFlag) return;
    try {
      this.child.kill('SIGKILL');
    } catch {
      // already gone
    }
    this.killTimer ??= setTimeout(() => {
      if (this.exitedFlag) return;
      this.log.warn({ ...this.logFields, child_pid: this.child.pid }, 'capture process did not exit after SIGKILL; abandoning it');
      this.onExit(null, 'SIGKILL');
    }, KILL_WAIT_MS);
  }

  /** True once it exited, false if it has not within `ms`. */
  waitExit(ms: number): Promise<boolean> {
    if (this.exitedFlag) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.child.off('exit', done);
        resolve(false);
      }, ms);
      const done = (): void => {
        clearTimeout(t);
        resolve(true);
      };
      this.child.once('exit', done);
    });
  }

  /** Stops listening and closes its pipes; nothing more is reported. */
  close(): void {
    this.endedFlag = true;
    this.stderrTail.flush();
    if (this.killTimer) clearTimeout(this.killTimer);
    try {
      this.child.removeAllListeners('message');
      this.child.stdout?.destroy();
      this.child.stderr?.destroy();
      this.framePipe()?.destroy();
    } catch {
      // closing pipes of a dead process is best effort
    }
  }

  private framePipe(): Readable | undefined {
    return (this.child.stdio[4] as Readable | null | undefined) ?? undefined;
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exitedFlag) return;
    this.exitedFlag = true;
    if (this.killTimer) clearTimeout(this.killTimer);
    // stderr (GStreamer's words for the reason) and the last frame may still be in their pipes:
    // read them to the end, but not forever.
    const pipes = [this.child.stderr, this.framePipe()].filter((p): p is Readable => !!p && !p.readableEnded && !p.destroyed);
    let pending = pipes.length;
    let drained = false;
    const finish = (): void => {
      if (drained) return;
      drained = true;
      clearTimeout(t);
      if (this.endedFlag) return;
      this.endedFlag = true;
      this.handlers.ended(code, signal);
    };
    const t = setTimeout(finish, DRAIN_MS);
    if (pending === 0) finish();
    for (const p of pipes) {
      p.once('close', () => {
        if (--pending === 0) finish();
      });
    }
  }
}
