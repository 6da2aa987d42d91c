/**
 * One camera: a capture process (capture-child.js) that reads frames, the newest-frame hand-over to
 * the detector, and the watchdog that kills a stuck capture process and reopens the source with
 * backoff, forever. Nothing a camera does may crash the daemon, block its event loop, or touch
 * another camera: each camera has its own process, timers and state here.
 *
 * Frame hand-over: the consumer calls `nextFrame()`. In `newest` delivery the request goes to the
 * capture process, which keeps reading all the time and answers with the newest frame it has (or the
 * next one), so the detector always works on a fresh frame and never waits for a queue to drain;
 * frames that were captured but never handed over are counted as dropped (from the gaps in the
 * capture sequence numbers). In `lossless` delivery the capture process reads the next frame only
 * when asked and one frame is fetched ahead, so every frame of a file arrives, in order.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import { promises as fsp } from 'node:fs';
import type { Readable } from 'node:stream';
import { type Logger, silentLogger } from '../log';
import { Backoff, type BackoffOptions, backoffOptions } from '../util/backoff';
import { type CaptureChildEntry, resolveCaptureChild } from './child-path';
import { FrameStreamParser } from './frame-stream';
import { diagnoseGstPipeline } from './gst-diagnose';
import { type DeliveryMode, type PreparedOpen, prepareOpen, SourceUnavailableError } from './open-plan';
import { asChildMessage, type ChildMessage, type FrameRecord, frameRecordProblem, type OpenedMessage, type ParentMessage, unhandledKind } from './protocol';
import { describeSource, type SourceSpec, validateSourceSpec } from './source-spec';
import { LineTail, stderrReason } from './stderr-reason';
import { type TransformSpec, validateTransform } from './transform';

export interface CaptureOptions {
  /** Camera name: in every frame, status and log line. */
  camera: string;
  source: SourceSpec;
  /** Rotate, flip, crop before the frame is handed over. */
  transform?: TransformSpec;
  /** Most frames per second handed to the consumer (the detection FPS cap); 0 or unset: no cap. */
  maxFps?: number;
  /** `newest` (default; cameras) or `lossless` (every frame in order; files for `lookout detect`, tests). */
  delivery?: DeliveryMode;
  /** A read that takes longer than this counts as stuck: the capture process is killed and the source reopened (default 5000). */
  readTimeoutMs?: number;
  /** Time from starting the capture process to its first frame, opening included (default 15000; RTSP may need it). */
  openTimeoutMs?: number;
  /** Empty reads in a row that mean the stream is gone (default 10). */
  emptyReadLimit?: number;
  /** Reconnect delays; plus `stableAfterMs`: streaming this long resets the delay to `initialMs` (default 10000). */
  backoff?: Partial<BackoffOptions> & { stableAfterMs?: number };
  /** While waiting to retry a missing device or file, how often to look for it to reappear (default 500 ms). */
  presencePollMs?: number;
  /** How long stop() lets the capture process close the source before SIGKILL (default 1000 ms). */
  stopGraceMs?: number;
  /** How often the capture process reports in (default 250 ms). */
  aliveIntervalMs?: number;
}

/** One captured frame, after transforms. */
export interface Frame {
  camera: string;
  /** Increases by one per captured frame over the camera's lifetime (also across reconnects); gaps are drops. */
  seq: number;
  /** Epoch ms when the read returned (paced files: when the frame became due). */
  ts: number;
  /** How long the read (grab and decode) took, ms. */
  captureMs: number;
  width: number;
  height: number;
  /** H × W × 3 bytes, BGR, rows contiguous. */
  data: Buffer;
  /** Files and folders: position in the media, ms. */
  positionMs?: number;
  /** Files and folders: which pass over a looping source, from 0. */
  loop?: number;
}

/**
 * `starting`: first open. `streaming`: frames flow. `stalled`: a read hung; the capture process is
 * being killed. `reconnecting`: a source that streamed was lost; reopening with backoff. `error`: an
 * open failed (reason says why); retried with backoff. `ended`: a non-looping file or folder is done.
 * `stopped`: stop() was called (or start() not yet).
 */
export type CaptureState = 'stopped' | 'starting' | 'streaming' | 'stalled' | 'reconnecting' | 'error' | 'ended';

export interface CameraStatus {
  camera: string;
  state: CaptureState;
  /** Why: OpenCV's, GStreamer's or FFmpeg's own words where there are any. */
  reason?: string;
  /** Epoch ms of entering this state. */
  since: number;
  /** Source as text, without passwords. */
  source: string;
  /** Next open attempt in this many ms (error, reconnecting). */
  retryInMs?: number;
  /** Failed or lost attempts since the source last streamed steadily (the backoff step). */
  failures: number;
}

export interface CameraStatusChange extends CameraStatus {
  previous: CaptureState;
}

export interface CaptureStats {
  state: CaptureState;
  /** Frames read from the source. */
  captured: number;
  /** Frames handed to the consumer. */
  delivered: number;
  /** Frames read but never handed over (replaced by a newer one). */
  dropped: number;
  /** Open attempts after the first one. */
  reconnects: number;
  /** Epoch ms when capture was last seen making progress (a frame read), for health checks. */
  lastFrameAt?: number;
}

/** nextFrame() cannot deliver because the camera ended (non-looping file) or was stopped. */
export class CaptureClosedError extends Error {
  constructor(
    readonly camera: string,
    readonly why: 'ended' | 'stopped',
  ) {
    super(why === 'ended' ? `camera ${camera}: the source ended` : `camera ${camera}: capture stopped`);
    this.name = 'CaptureClosedError';
  }
}

type OutcomeKind = 'ended' | 'lost' | 'open-failed' | 'fatal' | 'stalled' | 'crashed' | 'corrupt';

interface Session {
  id: number;
  child: ChildProcess;
  prepared: PreparedOpen;
  spawnedAt: number;
  lastCheckAt: number;
  lastAliveAt: number;
  readingMs: number;
  readingReportedAt: number;
  streaming: boolean;
  /** Highest capture seq reported (alive messages, frames, final message). */
  captured: number;
  /** Seqs up to here are counted as delivered or dropped. */
  accountedSeq: number;
  seqBase: number;
  wantInFlight: boolean;
  outcome?: { kind: OutcomeKind; reason: string };
  stderr: LineTail;
  exited: boolean;
  finalized: boolean;
  timers: NodeJS.Timeout[];
}

interface Waiter {
  resolve: (f: Frame) => void;
  reject: (e: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

const DEFAULTS = {
  readTimeoutMs: 5000,
  openTimeoutMs: 15000,
  emptyReadLimit: 10,
  presencePollMs: 500,
  stopGraceMs: 1000,
  aliveIntervalMs: 250,
  stableAfterMs: 10000,
};

/** Reconnect delays of a camera unless configured (capture.reconnect_* in the config). */
export const CAPTURE_BACKOFF: BackoffOptions = { initialMs: 1000, maxMs: 30000, factor: 2, jitter: 0.2 };

/** How long to wait for a SIGKILLed capture process to go (one stuck in the kernel may never). */
const KILL_WAIT_MS = 2000;

export interface CameraCapture {
  on(event: 'status', listener: (change: CameraStatusChange) => void): this;
  once(event: 'status', listener: (change: CameraStatusChange) => void): this;
  off(event: 'status', listener: (change: CameraStatusChange) => void): this;
}

export class CameraCapture extends EventEmitter {
  private readonly o: CaptureOptions & typeof DEFAULTS;
  private readonly log: Logger;
  private readonly backoff: Backoff;
  private readonly description: string;
  private current: CameraStatus;
  private started = false;
  private stopping = false;
  private stopPromise: Promise<void> | undefined;
  private session: Session | undefined;
  private sessionCount = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private presenceTimer: NodeJS.Timeout | undefined;
  private capTimer: NodeJS.Timeout | undefined;
  private waiters: Waiter[] = [];
  private slot: { frame: Frame; session: Session; childSeq: number } | undefined;
  private lastDeliveredAt = 0;
  private capturedBefore = 0;
  private delivered = 0;
  private dropped = 0;
  private reconnects = 0;
  private lastFrameAt: number | undefined;
  private childEntry: CaptureChildEntry | undefined;

  constructor(options: CaptureOptions, logger: Logger = silentLogger) {
    super();
    const errors = [
      ...(typeof options.camera === 'string' && options.camera !== '' ? [] : ['camera: must be a non-empty name']),
      ...validateSourceSpec(options.source),
      ...(options.transform ? validateTransform(options.transform) : []),
      ...(options.maxFps !== undefined && !(options.maxFps >= 0) ? ['maxFps: must be ≥ 0'] : []),
    ];
    if (errors.length) throw new Error(`camera ${options.camera}: invalid capture options:\n  ${errors.join('\n  ')}`);
    // Explicit `undefined`s (a config mapper passing unset keys) must not override the defaults.
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as CaptureOptions;
    const stable = options.backoff?.stableAfterMs;
    this.o = { ...DEFAULTS, ...given, ...(stable !== undefined ? { stableAfterMs: stable } : {}) };
    this.log = logger;
    const { stableAfterMs: _stable, ...delays } = options.backoff ?? {};
    this.backoff = new Backoff(backoffOptions(CAPTURE_BACKOFF, delays));
    this.description = describeSource(options.source);
    this.current = { camera: options.camera, state: 'stopped', since: Date.now(), source: this.description, failures: 0 };
  }

  get camera(): string {
    return this.o.camera;
  }

  get status(): CameraStatus {
    return { ...this.current };
  }

  /** The pid of the current capture process (diagnostics, tests). */
  get capturePid(): number | undefined {
    return this.session?.exited ? undefined : this.session?.child.pid;
  }

  stats(): CaptureStats {
    return {
      state: this.current.state,
      captured: this.capturedBefore + (this.session?.captured ?? 0),
      delivered: this.delivered,
      dropped: this.dropped,
      reconnects: this.reconnects,
      ...(this.lastFrameAt !== undefined ? { lastFrameAt: this.lastFrameAt } : {}),
    };
  }

  /** Starts capturing in the background; state changes arrive as 'status' events. Once per instance. */
  start(): void {
    if (this.started || this.stopping) return;
    this.started = true;
    this.setState('starting');
    this.attemptSafely();
  }

  /**
   * Stops capture: the capture process gets `stopGraceMs` to close the source, then SIGKILL.
   * Idempotent; bounded in time even when the process is stuck in the kernel. Pending nextFrame()
   * calls reject with CaptureClosedError.
   */
  stop(): Promise<void> {
    if (this.stopPromise) return this.stopPromise;
    this.stopping = true;
    this.clearRetry();
    if (this.capTimer) clearTimeout(this.capTimer);
    this.capTimer = undefined;
    this.rejectWaiters(new CaptureClosedError(this.o.camera, 'stopped'));
    this.slot = undefined;
    const s = this.session;
    this.stopPromise = (async () => {
      if (s && !s.exited) {
        this.sendToChild(s, { t: 'stop' });
        if (!(await this.waitExit(s, this.o.stopGraceMs))) {
          s.child.kill('SIGKILL');
          if (!(await this.waitExit(s, KILL_WAIT_MS))) {
            this.log.warn({ camera: this.o.camera, child_pid: s.child.pid }, 'capture process did not exit after SIGKILL; abandoning it');
          }
        }
      }
      if (s) this.finalizeSession(s);
      this.setState('stopped');
    })();
    return this.stopPromise;
  }

  /**
   * The next frame, honouring maxFps. `newest` delivery: the newest frame at the time of asking (or
   * the next one to be captured). Rejects with CaptureClosedError when the source ended or capture
   * stopped, and with the signal's reason when aborted. While the source is reconnecting the
   * promise simply waits.
   */
  nextFrame(signal?: AbortSignal): Promise<Frame> {
    if (signal?.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
    if (this.stopping) return Promise.reject(new CaptureClosedError(this.o.camera, 'stopped'));
    if (this.current.state === 'ended' && !this.slot) return Promise.reject(new CaptureClosedError(this.o.camera, 'ended'));
    return new Promise<Frame>((resolve, reject) => {
      const w: Waiter = { resolve, reject, ...(signal ? { signal } : {}) };
      if (signal) {
        w.onAbort = () => {
          this.waiters = this.waiters.filter((x) => x !== w);
          reject(signal.reason ?? new Error('aborted'));
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.waiters.push(w);
      this.pump();
    });
  }

  // ---- open attempts and retry ----

  /** attempt() with a last-resort catch: a bug in a retry path must not become an unhandled rejection. */
  private attemptSafely(): void {
    this.attempt().catch((e: unknown) => {
      if (this.stopping) return;
      this.log.error({ camera: this.o.camera, err: e }, 'unexpected error while opening the source');
      this.failAndRetry('error', `internal error while opening: ${e instanceof Error ? e.message : String(e)}`);
    });
  }

  private async attempt(): Promise<void> {
    if (this.stopping) return;
    let prepared: PreparedOpen;
    try {
      prepared = await prepareOpen(this.o.source, {
        camera: this.o.camera,
        delivery: this.o.delivery ?? 'newest',
        ...(this.o.transform ? { transform: this.o.transform } : {}),
        emptyReadLimit: this.o.emptyReadLimit,
        emptyReadDelayMs: 20,
        aliveIntervalMs: this.o.aliveIntervalMs,
      });
      this.childEntry ??= resolveCaptureChild();
    } catch (e) {
      if (this.stopping) return;
      const reason = e instanceof Error ? e.message : String(e);
      this.failAndRetry('error', reason, e instanceof SourceUnavailableError ? e.watchPath : undefined);
      return;
    }
    if (this.stopping) return;
    this.spawn(prepared, this.childEntry);
  }

  private failAndRetry(state: 'error' | 'reconnecting', reason: string, watchPath?: string): void {
    const delay = this.backoff.next();
    this.setState(state, reason, delay);
    this.retryTimer = setTimeout(() => this.retryNow(), delay);
    if (watchPath) {
      this.watchForPresence(watchPath, true);
    } else {
      const p = this.sourcePath();
      // One stat of a local path: whether it is missing right now decides what "reappears" means.
      if (p) this.watchForPresence(p, !fs.existsSync(p));
    }
  }

  /** The file or device path of the source, whose reappearance is worth an immediate retry. */
  private sourcePath(): string | undefined {
    const s = this.o.source;
    if (s.kind === 'file' || s.kind === 'images') return s.path;
    if (s.kind === 'v4l2') return typeof s.device === 'number' || /^\d+$/.test(s.device) ? `/dev/video${Number(s.device)}` : s.device;
    return undefined;
  }

  private retryNow(): void {
    this.clearRetry();
    if (this.stopping) return;
    this.reconnects++;
    this.attemptSafely();
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.presenceTimer) clearInterval(this.presenceTimer);
    this.retryTimer = undefined;
    this.presenceTimer = undefined;
  }

  /**
   * A device node or file that was missing and reappears is retried at once instead of after the
   * backoff (a replugged camera, a restored file). Present all along: the backoff decides.
   */
  private watchForPresence(p: string, missingNow: boolean): void {
    let checking = false;
    let seenMissing = missingNow;
    this.presenceTimer = setInterval(() => {
      if (checking) return;
      checking = true;
      fsp
        .stat(p)
        .then(
          () => {
            if (!this.presenceTimer || !seenMissing) return;
            this.log.info({ camera: this.o.camera, path: p }, 'source reappeared; reopening now');
            this.retryNow();
          },
          () => {
            seenMissing = true;
          },
        )
        .finally(() => {
          checking = false;
        });
    }, this.o.presencePollMs);
  }

  // ---- the capture process ----

  private spawn(prepared: PreparedOpen, entry: CaptureChildEntry): void {
    const now = Date.now();
    let child: ChildProcess;
    try {
      child = fork(entry.file, [], {
        // fd 4 carries frames; the IPC channel (fd 3) only small control messages.
        stdio: ['ignore', 'pipe', 'pipe', 'ipc', 'pipe'],
        env: { ...process.env, ...prepared.env },
        execArgv: entry.execArgv,
        serialization: 'json',
      });
    } catch (e) {
      this.failAndRetry('error', `cannot start the capture process: ${(e as Error).message}`);
      return;
    }
    const s: Session = {
      id: ++this.sessionCount,
      child,
      prepared,
      spawnedAt: now,
      lastCheckAt: now,
      lastAliveAt: now,
      readingMs: -1,
      readingReportedAt: now,
      streaming: false,
      captured: 0,
      accountedSeq: 0,
      seqBase: this.capturedBefore,
      wantInFlight: false,
      stderr: new LineTail(40, (line) => this.log.debug({ camera: this.o.camera, stderr: line }, 'capture process stderr')),
      exited: false,
      finalized: false,
      timers: [],
    };
    this.session = s;
    const log = this.log;
    child.stdout?.on('data', (d: Buffer) => {
      if (log.isLevelEnabled('debug')) log.debug({ camera: this.o.camera, stdout: d.toString().trim() }, 'capture process stdout');
    });
    child.stderr?.on('data', (d: Buffer) => s.stderr.push(d));
    const frames = child.stdio[4] as Readable | null | undefined;
    const parser = new FrameStreamParser(
      (rec) => this.onFrameRecord(s, rec),
      (err) => {
        s.outcome ??= { kind: 'corrupt', reason: err.message };
        this.kill(s);
      },
    );
    frames?.on('data', (chunk: Buffer) => parser.push(chunk));
    frames?.on('error', () => undefined); // EPIPE/ECONNRESET when the process dies: its exit tells the story
    child.on('message', (raw: unknown) => {
      const m = asChildMessage(raw);
      if (m) this.onChildMessage(s, m);
    });
    child.on('error', (e) => {
      s.outcome ??= { kind: 'crashed', reason: `capture process: ${e.message}` };
      if (child.pid === undefined) this.onExit(s, null, null);
    });
    child.on('exit', (code, signal) => this.onExit(s, code, signal));
    this.sendToChild(s, { t: 'start', plan: prepared.plan });
    const tick = Math.max(20, Math.min(250, Math.floor(this.o.readTimeoutMs / 4)));
    s.timers.push(setInterval(() => this.watchdog(s, tick), tick));
    this.log.debug({ camera: this.o.camera, child_pid: child.pid, session: s.id }, 'capture process started');
    this.pump();
  }

  private sendToChild(s: Session, msg: ParentMessage): void {
    if (s.exited || !s.child.connected) return;
    try {
      s.child.send(msg, () => undefined); // with a callback, a closed channel is not an 'error' event
    } catch {
      // the process is going away; its exit is handled
    }
  }

  private watchdog(s: Session, tick: number): void {
    if (s.exited || s.outcome || this.stopping) return;
    const now = Date.now();
    const late = now - s.lastCheckAt > Math.max(1000, 4 * tick);
    s.lastCheckAt = now;
    // This process itself was blocked: the capture process's reports are still queued, unread.
    // Judge it on the next tick, after they have been read.
    if (late) return;
    if (!s.streaming) {
      if (now - s.spawnedAt > this.o.openTimeoutMs) {
        this.stall(s, `no frame within ${this.o.openTimeoutMs} ms of opening (open or first read hung)`);
      }
      return;
    }
    const silent = now - s.lastAliveAt;
    const reading = s.readingMs >= 0 ? s.readingMs + (now - s.readingReportedAt) : -1;
    // A process that has missed several reports is not reading slowly, it is not running: its read
    // time is only extrapolated from the last report, so wait for the unresponsive verdict instead.
    const reporting = silent <= 3 * this.o.aliveIntervalMs;
    if (silent > this.o.readTimeoutMs) {
      this.stall(s, `capture process unresponsive for ${silent} ms (stuck in a native call)`);
    } else if (reading > this.o.readTimeoutMs && reporting) {
      this.stall(s, `a read has not returned for ${reading} ms (read timeout ${this.o.readTimeoutMs} ms)`);
    }
  }

  private stall(s: Session, reason: string): void {
    s.outcome = { kind: 'stalled', reason };
    this.setState('stalled', reason);
    this.kill(s);
  }

  /** SIGKILL, and give up waiting for the exit after a while (a process stuck in the kernel may never go). */
  private kill(s: Session): void {
    if (s.exited) return;
    try {
      s.child.kill('SIGKILL');
    } catch {
      // already gone
    }
    s.timers.push(
      setTimeout(() => {
        if (s.exited) return;
        this.log.warn({ camera: this.o.camera, child_pid: s.child.pid }, 'capture process did not exit after SIGKILL; abandoning it');
        this.onExit(s, null, 'SIGKILL');
      }, KILL_WAIT_MS),
    );
  }

  private waitExit(s: Session, ms: number): Promise<boolean> {
    if (s.exited) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        s.child.off('exit', done);
        resolve(false);
      }, ms);
      const done = (): void => {
        clearTimeout(t);
        resolve(true);
      };
      s.child.once('exit', done);
    });
  }

  private onChildMessage(s: Session, m: ChildMessage): void {
    if (s !== this.session) return;
    const now = Date.now();
    s.lastAliveAt = now;
    switch (m.t) {
      case 'alive':
        if (m.captured > s.captured) {
          s.captured = m.captured;
          this.lastFrameAt = now;
        }
        s.readingMs = m.readingMs;
        s.readingReportedAt = now;
        break;
      case 'opened':
        this.log.info(
          { camera: this.o.camera, width: m.width, height: m.height, fps: m.fps, fourcc: m.fourcc || undefined, frames: m.frameCount || m.images },
          `opened ${this.description}`,
        );
        this.checkNegotiatedMode(m);
        break;
      case 'first-frame':
        this.markStreaming(s);
        break;
      case 'warn':
        this.log.warn({ camera: this.o.camera }, `capture: ${m.message}`);
        break;
      case 'ended':
      case 'lost':
      case 'open-failed':
      case 'fatal':
        if (typeof m.captured === 'number' && m.captured > s.captured) s.captured = m.captured;
        s.outcome ??= { kind: m.t, reason: m.reason || m.t };
        break;
      default:
        unhandledKind(m);
    }
  }

  private checkNegotiatedMode(m: OpenedMessage): void {
    const src = this.o.source;
    if (src.kind !== 'v4l2') return;
    const asked = `${src.width ?? '?'}x${src.height ?? '?'}@${src.fps ?? '?'}${src.fourcc ? ` ${src.fourcc}` : ''}`;
    const got = `${m.width}x${m.height}@${m.fps}${m.fourcc ? ` ${m.fourcc}` : ''}`;
    const differs =
      (src.width !== undefined && src.width !== m.width) ||
      (src.height !== undefined && src.height !== m.height) ||
      (src.fourcc !== undefined && src.fourcc !== m.fourcc);
    if (differs) this.log.warn({ camera: this.o.camera, asked, got }, 'the camera chose another mode than configured');
  }

  private markStreaming(s: Session): void {
    if (s.streaming || s !== this.session) return;
    s.streaming = true;
    this.lastFrameAt = Date.now();
    this.setState('streaming');
    s.timers.push(
      setTimeout(() => {
        if (this.session === s && !s.outcome) this.backoff.reset();
      }, this.o.stableAfterMs),
    );
  }

  private onExit(s: Session, code: number | null, signal: NodeJS.Signals | null): void {
    if (s.exited) return;
    s.exited = true;
    for (const t of s.timers) clearTimeout(t);
    s.timers = [];
    if (this.stopping) return; // stop() finalizes
    // stderr (GStreamer's words for the reason) and the last frame may still be in their pipes:
    // read them to the end, but not forever (a grandchild may hold a pipe open).
    const pipes = [s.child.stderr, s.child.stdio[4] as Readable | null | undefined].filter(
      (p): p is Readable => !!p && !p.readableEnded && !p.destroyed,
    );
    let pending = pipes.length;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(t);
      this.endSession(s, code, signal).catch((e: unknown) => {
        if (this.stopping) return;
        this.log.error({ camera: this.o.camera, err: e }, 'unexpected error after the capture process ended');
        this.failAndRetry('error', `internal error: ${e instanceof Error ? e.message : String(e)}`);
      });
    };
    const t = setTimeout(finish, 1000);
    if (pending === 0) finish();
    for (const p of pipes) {
      p.once('close', () => {
        if (--pending === 0) finish();
      });
    }
  }

  /** Book-keeping common to every way a session ends. */
  private finalizeSession(s: Session): void {
    if (s.finalized) return;
    s.finalized = true;
    s.stderr.flush();
    for (const t of s.timers) clearTimeout(t);
    s.timers = [];
    // Frames read and never handed over are dropped, except the one still waiting in the slot.
    const kept = this.slot?.session === s ? this.slot.childSeq : undefined;
    if (kept !== undefined) {
      this.dropped += Math.max(0, kept - s.accountedSeq - 1) + Math.max(0, s.captured - kept);
      s.accountedSeq = kept - 1;
    } else if (s.captured > s.accountedSeq) {
      this.dropped += s.captured - s.accountedSeq;
      s.accountedSeq = s.captured;
    }
    this.capturedBefore += s.captured;
    if (this.session === s) this.session = undefined;
    try {
      s.child.removeAllListeners('message');
      s.child.stdout?.destroy();
      s.child.stderr?.destroy();
      (s.child.stdio[4] as Readable | null | undefined)?.destroy();
    } catch {
      // closing pipes of a dead process is best effort
    }
  }

  private async endSession(s: Session, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    if (s.finalized || this.stopping) return;
    const outcome = s.outcome ?? {
      kind: 'crashed' as const,
      reason: `capture process exited unexpectedly (${signal ? `signal ${signal}` : `code ${code}`})`,
    };
    const detail = stderrReason(s.stderr.lines);
    const wasStreaming = s.streaming;
    this.finalizeSession(s);
    switch (outcome.kind) {
      case 'ended':
        this.setState('ended', outcome.reason);
        this.pump();
        return;
      case 'stalled':
        this.failAndRetry('reconnecting', outcome.reason);
        return;
      case 'open-failed': {
        let reason = `cannot open ${this.description}: ${detail || outcome.reason}`;
        if (s.prepared.gstPipeline) {
          const diag = await diagnoseGstPipeline(s.prepared.gstPipeline).catch(() => undefined);
          if (diag) reason = `cannot open ${this.description}: ${diag}`;
        }
        if (this.stopping) return;
        this.failAndRetry('error', reason);
        return;
      }
      default: {
        const reason = detail && outcome.kind !== 'lost' ? `${outcome.reason}: ${detail}` : outcome.reason;
        this.failAndRetry(wasStreaming ? 'reconnecting' : 'error', reason);
      }
    }
  }

  // ---- frame hand-over ----

  private onFrameRecord(s: Session, rec: FrameRecord): void {
    if (s !== this.session || s.finalized) return;
    const h = rec.header;
    s.wantInFlight = false;
    if (h.seq > s.captured) s.captured = h.seq;
    this.markStreaming(s);
    const frame: Frame = {
      camera: this.o.camera,
      seq: s.seqBase + h.seq,
      ts: h.ts,
      captureMs: h.captureMs,
      width: h.width,
      height: h.height,
      data: rec.data,
      ...(h.positionMs !== undefined ? { positionMs: h.positionMs } : {}),
      ...(h.loop !== undefined ? { loop: h.loop } : {}),
    };
    const problem = frameRecordProblem(rec);
    if (problem) {
      s.outcome ??= { kind: 'corrupt', reason: problem };
      this.kill(s);
      return;
    }
    if (this.log.isLevelEnabled('debug')) {
      this.log.debug({ camera: this.o.camera, seq: frame.seq, age_ms: Date.now() - h.ts, capture_ms: h.captureMs }, 'frame');
    }
    if (this.o.delivery === 'lossless') {
      this.slot = { frame, session: s, childSeq: h.seq };
    } else {
      const w = this.waiters.shift();
      if (w) this.deliver(w, frame, s, h.seq);
      else {
        // Its consumer gave up (aborted) before it arrived; the next request fetches a newer one.
        this.dropped += h.seq - s.accountedSeq;
        s.accountedSeq = h.seq;
      }
    }
    this.pump();
  }

  private deliver(w: Waiter, frame: Frame, s: Session, childSeq: number): void {
    if (childSeq > s.accountedSeq) {
      this.dropped += childSeq - s.accountedSeq - 1;
      s.accountedSeq = childSeq;
    }
    this.delivered++;
    this.lastDeliveredAt = Date.now();
    if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
    w.resolve(frame);
  }

  /** Moves frames toward waiters: serves the slot, asks the capture process, honours maxFps. */
  private pump(): void {
    if (this.stopping) return;
    const lossless = this.o.delivery === 'lossless';
    const minInterval = this.o.maxFps ? 1000 / this.o.maxFps : 0;
    while (this.waiters.length > 0) {
      const wait = this.lastDeliveredAt + minInterval - Date.now();
      if (wait > 0) {
        if (!this.capTimer) {
          this.capTimer = setTimeout(() => {
            this.capTimer = undefined;
            this.pump();
          }, wait);
        }
        break;
      }
      if (this.slot) {
        const { frame, session, childSeq } = this.slot;
        this.slot = undefined;
        this.deliver(this.waiters.shift() as Waiter, frame, session, childSeq);
        continue;
      }
      if (this.current.state === 'ended' && !this.session) {
        this.rejectWaiters(new CaptureClosedError(this.o.camera, 'ended'));
        return;
      }
      this.request();
      break;
    }
    if (lossless && !this.slot) this.request(); // fetch one ahead so decoding overlaps the consumer
  }

  private request(): void {
    const s = this.session;
    if (!s || s.exited || s.outcome || s.wantInFlight) return;
    s.wantInFlight = true;
    this.sendToChild(s, { t: 'want' });
  }

  private rejectWaiters(e: Error): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) {
      if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
      w.reject(e);
    }
  }

  // ---- status ----

  private setState(state: CaptureState, reason?: string, retryInMs?: number): void {
    const prev = this.current;
    if (prev.state === state && prev.reason === reason) return;
    const next: CameraStatus = {
      camera: this.o.camera,
      state,
      since: Date.now(),
      source: this.description,
      failures: this.backoff.attempts,
      ...(reason !== undefined ? { reason } : {}),
      ...(retryInMs !== undefined ? { retryInMs } : {}),
    };
    this.current = next;
    const fields = { camera: this.o.camera, state, previous: prev.state, reason, retry_in_ms: retryInMs };
    if (state === 'error' || state === 'stalled' || state === 'reconnecting') this.log.warn(fields, `camera ${state}${reason ? `: ${reason}` : ''}`);
    else this.log.info(fields, `camera ${state}`);
    try {
      this.emit('status', { ...next, previous: prev.state } satisfies CameraStatusChange);
    } catch (e) {
      // A listener's bug must not break capture of this or any other camera.
      this.log.error({ camera: this.o.camera, err: e }, "a 'status' listener threw");
    }
  }
}
