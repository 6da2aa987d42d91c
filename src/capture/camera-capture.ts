/**
 * One camera: opens its source in a capture process (capture-process.ts, capture-child.ts), hands
 * frames to the detector (handover.ts), and when the process gets stuck (watchdog.ts) or the source
 * fails or goes away, kills it and opens the source again with backoff (reopen.ts), forever. This
 * file is the camera's state machine and the wiring of those parts. Nothing a camera does may crash
 * the daemon, block its event loop, or touch another camera: each camera has its own process,
 * timers and state here.
 */
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import { type Logger, silentLogger } from '../log';
import { Backoff, type BackoffOptions, backoffOptions } from '../util/backoff';
import { errorMessage } from '../util/errors';
import { type CaptureChildEntry, resolveCaptureChild } from './child-path';
import { CaptureProcess, KILL_WAIT_MS } from './capture-process';
import type { ManifestInput } from '../detect/manifest';
import type { MotionBox, MotionSpec } from './motion';
import { diagnoseGstPipeline } from './gst-diagnose';
import { CaptureClosedError, type FetchedJpeg, type Frame, FrameHandover, FrameLedger, type JpegOptions } from './handover';
import { type DeliveryMode, type PreparedOpen, prepareOpen, SourceUnavailableError } from './open-plan';
import { type ChildMessage, type FinalKind, type FrameRecord, frameRecordProblem, type OpenedMessage, unhandledKind } from './protocol';
import { type PresenceWatch, ReopenSchedule, type ReopenTrigger } from './reopen';
import { describeSource, type SourceSpec, validateSourceSpec } from './source-spec';
import { stderrReason } from './stderr-reason';
import { type TransformSpec, validateTransform } from './transform';
import { CaptureWatchdog } from './watchdog';

export { CaptureClosedError, type Frame } from './handover';

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
  /** Compute motion in the capture process; with gateOnMotion(true) frames without it come header-only. */
  motion?: MotionSpec;
  /**
   * Hand over this model input (made in the capture process) instead of the frame; the frame stays
   * in the process's ring and is fetched as a JPEG by Frame.jpeg(). Unset: frames carry their pixels.
   */
  modelInput?: ManifestInput;
  /** How long a frame fetch (Frame.jpeg) may take before it is given up (default 5000 ms). */
  fetchTimeoutMs?: number;
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

/** How a session ended: the process's own final word, or what the daemon saw. */
type OutcomeKind = FinalKind | 'stalled' | 'crashed' | 'corrupt';

/** One capture process and what the camera knows about it. */
interface Session {
  id: number;
  proc: CaptureProcess;
  prepared: PreparedOpen;
  watchdog: CaptureWatchdog;
  ledger: FrameLedger;
  streaming: boolean;
  wantInFlight: boolean;
  /** Frame fetches waiting for their answer, by request id. */
  fetches: Map<number, PendingFetch>;
  /** Why it ended or is being ended; the first reason wins. */
  outcome?: { kind: OutcomeKind; reason: string };
  finalized: boolean;
  timers: NodeJS.Timeout[];
}

interface PendingFetch {
  resolve(f: FetchedJpeg): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

const DEFAULTS = {
  fetchTimeoutMs: 5000,
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

/** What a CameraCapture emits: its state changes, nothing else. */
export interface CameraCaptureEvents {
  status: [change: CameraStatusChange];
}

export class CameraCapture extends EventEmitter<CameraCaptureEvents> {
  private readonly o: CaptureOptions & typeof DEFAULTS;
  private readonly log: Logger;
  private readonly reopen: ReopenSchedule;
  private readonly handover: FrameHandover;
  private readonly description: string;
  private current: CameraStatus;
  private started = false;
  private stopping = false;
  private stopPromise: Promise<void> | undefined;
  private session: Session | undefined;
  private sessionCount = 0;
  private capturedBefore = 0;
  private reconnects = 0;
  private lastFrameAt: number | undefined;
  private childEntry: CaptureChildEntry | undefined;
  /** Frames asked for now may come header-only when nothing moved (motion gating). */
  private onlyIfMoving = false;
  /** Camera seqs the consumer may still fetch (Frame.jpeg); the capture process keeps them in its ring. */
  private keepSeqs: number[] = [];
  private fetchIds = 0;

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
    const { stableAfterMs, ...delays } = options.backoff ?? {};
    this.o = { ...DEFAULTS, ...given, ...(stableAfterMs !== undefined ? { stableAfterMs } : {}) };
    this.log = logger;
    this.reopen = new ReopenSchedule(new Backoff(backoffOptions(CAPTURE_BACKOFF, delays)), this.o.presencePollMs, (t) => this.reopenNow(t));
    this.handover = new FrameHandover(
      this.o.camera,
      { delivery: this.o.delivery ?? 'newest', ...(this.o.maxFps !== undefined ? { maxFps: this.o.maxFps } : {}) },
      { request: () => this.request(), exhausted: () => this.current.state === 'ended' && !this.session },
    );
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
    return this.session?.proc.exited ? undefined : this.session?.proc.pid;
  }

  stats(): CaptureStats {
    return {
      state: this.current.state,
      captured: this.capturedBefore + (this.session?.ledger.captured ?? 0),
      delivered: this.handover.delivered,
      dropped: this.handover.dropped,
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
    this.reopen.cancel();
    this.handover.close(new CaptureClosedError(this.o.camera, 'stopped'));
    const s = this.session;
    this.stopPromise = (async () => {
      if (s && !s.proc.exited) {
        s.proc.send({ t: 'stop' });
        if (!(await s.proc.waitExit(this.o.stopGraceMs))) {
          s.proc.kill();
          if (!(await s.proc.waitExit(KILL_WAIT_MS))) {
            this.log.warn({ camera: this.o.camera, child_pid: s.proc.pid }, 'capture process did not exit after SIGKILL; abandoning it');
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
    return this.handover.next(signal);
  }

  /**
   * Motion gating (options.motion set): while on, a frame in which nothing moved arrives as a
   * header-only Frame with `skipped: 'no-motion'`. Applies to the requests made from now on.
   */
  gateOnMotion(on: boolean): void {
    this.onlyIfMoving = on && this.o.motion !== undefined;
  }

  // ---- open attempts and retry ----

  /** attempt() with a last-resort catch: a bug in a retry path must not become an unhandled rejection. */
  private attemptSafely(): void {
    this.attempt().catch((e: unknown) => {
      if (this.stopping) return;
      this.log.error({ camera: this.o.camera, err: e }, 'unexpected error while opening the source');
      this.failAndRetry('error', `internal error while opening: ${errorMessage(e)}`);
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
        ...(this.o.motion ? { motion: this.o.motion } : {}),
        ...(this.o.modelInput ? { modelInput: this.o.modelInput } : {}),
      });
      this.childEntry ??= resolveCaptureChild();
    } catch (e) {
      if (this.stopping) return;
      const reason = errorMessage(e);
      const watchPath = e instanceof SourceUnavailableError ? e.watchPath : undefined;
      this.failAndRetry(this.failedOpenState(), reason, watchPath ? { path: watchPath, missingNow: true } : undefined);
      return;
    }
    if (this.stopping) return;
    this.spawn(prepared, this.childEntry);
  }

  /**
   * A failed reopen of a source that streamed and was lost stays `reconnecting`: a rebooting IP camera
   * refuses connections for a while, and `error` would call it broken (and mark its Home Assistant
   * entities unavailable) while Lookout keeps reopening it. A source that never streamed is `error`.
   */
  private failedOpenState(): 'error' | 'reconnecting' {
    return this.current.state === 'reconnecting' ? 'reconnecting' : 'error';
  }

  private failAndRetry(state: 'error' | 'reconnecting', reason: string, watch?: PresenceWatch): void {
    const p = watch ? undefined : this.sourcePath();
    // One stat of a local path: whether it is missing right now decides what "reappears" means.
    const delay = this.reopen.schedule(watch ?? (p ? { path: p, missingNow: !fs.existsSync(p) } : undefined));
    this.setState(state, reason, delay);
  }

  /** The file or device path of the source, whose reappearance is worth an immediate retry. */
  private sourcePath(): string | undefined {
    const s = this.o.source;
    if (s.kind === 'file' || s.kind === 'images') return s.path;
    if (s.kind === 'v4l2') return typeof s.device === 'number' || /^\d+$/.test(s.device) ? `/dev/video${Number(s.device)}` : s.device;
    return undefined;
  }

  private reopenNow(trigger: ReopenTrigger): void {
    if (this.stopping) return;
    if (trigger.by === 'reappeared') this.log.info({ camera: this.o.camera, path: trigger.path }, 'source reappeared; reopening now');
    this.reconnects++;
    this.attemptSafely();
  }

  // ---- the capture process ----

  private spawn(prepared: PreparedOpen, entry: CaptureChildEntry): void {
    const tickMs = CaptureWatchdog.tickFor(this.o.readTimeoutMs);
    // The process reports only through events, which arrive after `s` below is assigned.
    let s: Session;
    let proc: CaptureProcess;
    try {
      proc = new CaptureProcess(
        entry,
        prepared,
        {
          message: (m) => this.onChildMessage(s, m),
          frame: (rec) => this.onFrameRecord(s, rec),
          failed: (kind, reason) => {
            s.outcome ??= { kind, reason };
          },
          ended: (code, signal) => this.onEnded(s, code, signal),
        },
        this.log,
        { camera: this.o.camera },
      );
    } catch (e) {
      this.failAndRetry('error', `cannot start the capture process: ${errorMessage(e)}`);
      return;
    }
    s = {
      id: ++this.sessionCount,
      proc,
      prepared,
      watchdog: new CaptureWatchdog(
        { openTimeoutMs: this.o.openTimeoutMs, readTimeoutMs: this.o.readTimeoutMs, aliveIntervalMs: this.o.aliveIntervalMs, tickMs },
        Date.now(),
      ),
      ledger: new FrameLedger(this.capturedBefore),
      streaming: false,
      wantInFlight: false,
      fetches: new Map(),
      finalized: false,
      timers: [setInterval(() => this.checkStuck(s), tickMs)],
    };
    this.session = s;
    this.log.debug({ camera: this.o.camera, child_pid: proc.pid, session: s.id }, 'capture process started');
    this.handover.pump();
  }

  private checkStuck(s: Session): void {
    if (s.proc.exited || s.outcome || this.stopping) return;
    const verdict = s.watchdog.check(Date.now());
    if (verdict === undefined) return;
    s.outcome = { kind: 'stalled', reason: verdict };
    this.setState('stalled', verdict);
    s.proc.kill();
  }

  private onChildMessage(s: Session, m: ChildMessage): void {
    if (s !== this.session) return;
    const now = Date.now();
    s.watchdog.heard(now);
    switch (m.t) {
      case 'alive':
        if (s.ledger.read(m.captured)) this.lastFrameAt = now;
        s.watchdog.reading(m.readingMs, now);
        break;
      case 'opened':
        this.log.info(
          {
            camera: this.o.camera,
            width: m.width,
            height: m.height,
            fps: m.fps,
            fourcc: m.fourcc || undefined,
            frames: m.frameCount || m.images,
            ...(m.compressed ? { decode: 'mjpeg-on-demand' } : {}),
          },
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
        if (typeof m.captured === 'number') s.ledger.read(m.captured);
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
    s.watchdog.streamingSince();
    this.lastFrameAt = Date.now();
    this.setState('streaming');
    s.timers.push(
      setTimeout(() => {
        if (this.session === s && !s.outcome && !s.proc.exited) this.reopen.steady();
      }, this.o.stableAfterMs),
    );
  }

  /** Book-keeping common to every way a session ends. */
  private finalizeSession(s: Session): void {
    if (s.finalized) return;
    s.finalized = true;
    for (const t of s.timers) clearTimeout(t);
    s.timers = [];
    this.handover.settle(s.ledger);
    for (const f of s.fetches.values()) {
      clearTimeout(f.timer);
      f.reject(new Error(`camera ${this.o.camera}: the capture process holding the frame ended (${s.outcome?.reason ?? 'stopped'})`));
    }
    s.fetches.clear();
    this.capturedBefore += s.ledger.captured;
    if (this.session === s) this.session = undefined;
    s.proc.close();
  }

  private onEnded(s: Session, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.stopping) return; // stop() finalizes
    this.endSession(s, code, signal).catch((e: unknown) => {
      if (this.stopping) return;
      this.log.error({ camera: this.o.camera, err: e }, 'unexpected error after the capture process ended');
      this.failAndRetry('error', `internal error: ${errorMessage(e)}`);
    });
  }

  private async endSession(s: Session, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    if (s.finalized || this.stopping) return;
    const outcome = s.outcome ?? {
      kind: 'crashed' as const,
      reason: `capture process exited unexpectedly (${signal ? `signal ${signal}` : `code ${code}`})`,
    };
    const detail = stderrReason(s.proc.stderrLines);
    const wasStreaming = s.streaming;
    this.finalizeSession(s);
    switch (outcome.kind) {
      case 'ended':
        this.setState('ended', outcome.reason);
        this.handover.pump();
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
        this.failAndRetry(this.failedOpenState(), reason);
        return;
      }
      case 'crashed':
      case 'corrupt':
      case 'fatal':
      case 'lost': {
        const reason = detail && outcome.kind !== 'lost' ? `${outcome.reason}: ${detail}` : outcome.reason;
        this.failAndRetry(wasStreaming ? 'reconnecting' : 'error', reason);
      }
    }
  }

  // ---- frames ----

  private onFrameRecord(s: Session, rec: FrameRecord): void {
    if (s !== this.session || s.finalized) return;
    const h = rec.header;
    // The answer to a fetch goes past the hand-over: it is not the frame asked for by 'want'.
    if (h.reply !== undefined) {
      this.onFetched(s, rec);
      return;
    }
    s.wantInFlight = false;
    s.ledger.read(h.seq);
    this.markStreaming(s);
    const problem = frameRecordProblem(rec);
    if (problem) {
      s.outcome ??= { kind: 'corrupt', reason: problem };
      s.proc.kill();
      return;
    }
    const seq = s.ledger.seqBase + h.seq;
    if (this.log.isLevelEnabled('debug')) {
      this.log.debug({ camera: this.o.camera, seq, age_ms: Date.now() - h.ts, capture_ms: h.captureMs }, 'frame');
    }
    const frame: Frame = {
      camera: this.o.camera,
      seq,
      ts: h.ts,
      captureMs: h.captureMs,
      width: h.width,
      height: h.height,
      // A model input: the frame stays in the capture process's ring, fetched by jpeg(). A skipped frame has no data.
      ...(h.input
        ? { input: { ...h.input, data: ownArrayBuffer(rec.data) }, jpeg: (o: JpegOptions) => this.fetchFrame(s, h.seq, o) }
        : h.skipped === undefined
          ? { data: rec.data }
          : {}),
      ...(h.positionMs !== undefined ? { positionMs: h.positionMs } : {}),
      ...(h.loop !== undefined ? { loop: h.loop } : {}),
      ...(h.motion !== undefined ? { motion: h.motion } : {}),
      ...(h.skipped !== undefined ? { skipped: h.skipped } : {}),
    };
    this.handover.offer(frame, s.ledger, h.seq);
  }

  /** Asks the current capture process for a frame (the hand-over calls this when it needs one). */
  private request(): void {
    const s = this.session;
    if (!s || s.proc.exited || s.outcome || s.wantInFlight) return;
    s.wantInFlight = true;
    const keep = this.keepSeqs.filter((seq) => seq > s.ledger.seqBase).map((seq) => seq - s.ledger.seqBase);
    s.proc.send({ t: 'want', keep, ...(this.onlyIfMoving ? { onlyIfMoving: true } : {}) });
  }

  /**
   * The frames (camera seqs) the consumer may still fetch with Frame.jpeg(): a track's best frame,
   * the newest processed one. Sent with the next request; frames not in it leave the ring as it moves on.
   */
  keepFrames(seqs: Iterable<number>): void {
    this.keepSeqs = [...seqs];
  }

  /**
   * Frame `seq` (a camera seq, as in Frame.seq) as a JPEG from the capture process's ring. Rejects
   * with the reason when the process that read it is gone, the ring no longer holds it, or it does
   * not come within fetchTimeoutMs. For frames handed over with a model input (options.modelInput).
   */
  fetchJpeg(seq: number, options: JpegOptions): Promise<FetchedJpeg> {
    const s = this.session;
    if (!s || seq <= s.ledger.seqBase) return Promise.reject(new Error(`camera ${this.o.camera}: frame ${seq} is gone with the capture process that read it`));
    return this.fetchFrame(s, seq - s.ledger.seqBase, options);
  }

  /** Frame `childSeq` of session `s` as a JPEG, from the ring of the process that read it. */
  private fetchFrame(s: Session, childSeq: number, o: JpegOptions): Promise<FetchedJpeg> {
    const seq = s.ledger.seqBase + childSeq;
    if (s.finalized || s.proc.exited || s !== this.session) {
      return Promise.reject(new Error(`camera ${this.o.camera}: frame ${seq} is gone with the capture process that read it`));
    }
    const id = ++this.fetchIds;
    return new Promise<FetchedJpeg>((resolve, reject) => {
      const timer = setTimeout(() => {
        s.fetches.delete(id);
        reject(new Error(`camera ${this.o.camera}: frame ${seq} did not come from the capture process within ${this.o.fetchTimeoutMs} ms`));
      }, this.o.fetchTimeoutMs);
      s.fetches.set(id, { resolve, reject, timer });
      s.proc.send({
        t: 'fetch',
        id,
        seq: childSeq,
        quality: o.quality,
        ...(o.annotate && o.annotate.length > 0
          ? { annotate: o.annotate.map((d) => ({ label: d.label, class_id: d.class_id, score: d.score, box: d.box })) }
          : {}),
        ...(o.motion && o.motion.length > 0 ? { motion: o.motion.map((b): MotionBox => [b[0], b[1], b[2], b[3]]) } : {}),
      });
    });
  }

  private onFetched(s: Session, rec: FrameRecord): void {
    const h = rec.header;
    const f = s.fetches.get(h.reply as number);
    if (!f) return; // timed out meanwhile
    s.fetches.delete(h.reply as number);
    clearTimeout(f.timer);
    if (h.missing !== undefined || rec.data.length === 0) {
      f.reject(new Error(`camera ${this.o.camera}: ${h.missing ?? `frame ${s.ledger.seqBase + h.seq} came back empty`}`));
    } else {
      f.resolve({ jpeg: rec.data, width: h.width, height: h.height });
    }
  }

  // ---- status ----

  private setState(state: CaptureState, reason?: string, retryInMs?: number): void {
    const prev = this.current;
    // A repeated failure with the same reason is news when its retry delay changed: the status must
    // say the delay that applies now, not the first one (backoff grows from 1 s to 30 s).
    const repeat = prev.state === state && prev.reason === reason;
    if (repeat && prev.retryInMs === retryInMs) return;
    const next: CameraStatus = {
      camera: this.o.camera,
      state,
      since: repeat ? prev.since : Date.now(),
      source: this.description,
      failures: this.reopen.failures,
      ...(reason !== undefined ? { reason } : {}),
      ...(retryInMs !== undefined ? { retryInMs } : {}),
    };
    this.current = next;
    const fields = { camera: this.o.camera, state, previous: prev.state, reason, retry_in_ms: retryInMs };
    if (repeat) this.log.debug(fields, `camera still ${state}`);
    else if (state === 'error' || state === 'stalled' || state === 'reconnecting') this.log.warn(fields, `camera ${state}${reason ? `: ${reason}` : ''}`);
    else this.log.info(fields, `camera ${state}`);
    try {
      this.emit('status', { ...next, previous: prev.state } satisfies CameraStatusChange);
    } catch (e) {
      // A listener's bug must not break capture of this or any other camera.
      this.log.error({ camera: this.o.camera, err: e }, "a 'status' listener threw");
    }
  }
}

/** The bytes as an ArrayBuffer of their own (transferable to the inference worker), copied only when they share one. */
function ownArrayBuffer(b: Buffer): ArrayBuffer {
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer) return b.buffer;
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}
