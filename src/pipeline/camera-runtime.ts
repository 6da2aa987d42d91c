/**
 * One camera's loop: take the newest frame, wait for the model's turn, detect, name zones, track.
 * Each processed frame is handed to the daemon as a FrameOutcome; the daemon publishes it. The
 * runtime never touches MQTT, so the data flows one way: capture → detect → track → (daemon) publish.
 */
import { EventEmitter } from 'node:events';
import { CameraCapture, CaptureClosedError, type CameraStatusChange, type CaptureOptions, type CaptureStats, type Frame } from '../capture';
import type { FetchedJpeg, JpegOptions } from '../capture/handover';
import type { Detection, Detector, DetectResult, FilterOptions } from '../detect';
import type { Logger } from '../log';
import { Tracker, type TrackFrameResult } from '../track';
import type { CameraSettings } from './camera-settings';
import type { FairGate } from './fair-gate';
import { MotionGate } from './motion-gate';
import { assignZones } from './zones';
import { errorMessage } from '../util/errors';

/** What the loop needs of a camera's capture; the real one is CameraCapture (a child process). */
export interface CaptureSource {
  on(event: 'status', listener: (change: CameraStatusChange) => void): unknown;
  start(): void;
  stop(): Promise<void>;
  /** The newest frame not handed over yet; rejects with CaptureClosedError when the capture closes. */
  nextFrame(signal?: AbortSignal): Promise<Frame>;
  stats(): CaptureStats;
  /** Motion gating: while on, frames without motion come header-only (`skipped`); see CameraCapture. */
  gateOnMotion?(on: boolean): void;
  /** Frames (seqs) that may still be fetched (best frames, the newest): the capture process keeps them. */
  keepFrames?(seqs: Iterable<number>): void;
  /** Frame `seq` as a JPEG from the capture process; rejects with the reason when it is not held. */
  fetchJpeg?(seq: number, options: JpegOptions): Promise<FetchedJpeg>;
}

export type CaptureFactory = (options: CaptureOptions, logger: Logger) => CaptureSource;

export const openCameraCapture: CaptureFactory = (options, logger) => new CameraCapture(options, logger);

/**
 * What the loop needs of a model. With detectPrepared the capture process makes the model input and
 * the main thread never touches a full frame (issue 17); without it frames carry their pixels.
 */
export type FrameDetector = Pick<Detector, 'detect' | 'info'> & Partial<Pick<Detector, 'detectPrepared'>>;

/** What the daemon needs to publish one processed frame. */
export interface FrameOutcome {
  camera: string;
  frame: Frame;
  model: string;
  result: DetectResult;
  tracked: TrackFrameResult;
  /** From the frame's read until the detector was ours, ms (time in the newest-frame slot + queueing). */
  waitMs: number;
  /** performance.now() when detection started, for the frame's total time. */
  startedAt: number;
  /** Frames captured but never processed since the previous processed frame. */
  dropped: number;
}

/** A frame motion gating kept from the model: nothing moved, no track was alive, max_idle_s not passed. */
export interface SkippedFrame {
  camera: string;
  frame: Frame;
  reason: 'no-motion';
  /** Frames captured but never handed over since the previous frame. */
  dropped: number;
}

/** Events of tracks ended without a frame (pause, shutdown). */
export interface TracksEnded {
  camera: string;
  tracked: TrackFrameResult;
}

export interface CameraRuntimeHooks {
  /** Called synchronously for every processed frame (publish here). */
  onFrame(outcome: FrameOutcome): void;
  /**
   * May return when the events' snapshots are out: their frames are fetched from the capture
   * process, so the runtime closes the capture only after that (bounded by the fetch timeout).
   */
  onTracksEnded(ended: TracksEnded): void | Promise<void>;
  onStatus(change: CameraStatusChange): void;
  /** A non-looping file or folder reached its end. */
  onEnded(camera: string): void;
  /** The camera's loop died of a bug; the other cameras go on. */
  onFailed?(camera: string, reason: string): void;
  onInferenceStart?(camera: string): number;
  onInferenceEnd?(token: number): void;
  /** A frame skipped by motion gating (publish its timing with the reason). */
  onSkipped?(skipped: SkippedFrame): void;
  /** The camera's motion state changed (retained `<camera>/motion`). */
  onMotion?(camera: string, moving: boolean): void;
  /** Frames (seqs) whose JPEG may still be wanted besides the newest: the camera's best frames. */
  framesToKeep?(camera: string): Iterable<number>;
}

/** Frames of one camera with the model at once: one computing, one queued in the inference worker. */
export const FRAMES_IN_FLIGHT = 2;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

export class CameraRuntime {
  private capture: CaptureSource | null = null;
  private tracker: Tracker;
  private readonly log: Logger;
  private readonly abort = new AbortController();
  private loopDone: Promise<void> = Promise.resolve();
  private active = true;
  private activeWake = new EventEmitter();
  private fpsCap: number;
  private lastSeq = -1;
  private lastStart = 0;
  private stopped = false;
  private detectionsOn = true;
  /** Motion gating's rules; null when the camera's motion is off. */
  private motionGate: MotionGate | null;
  /** Frames with the model now, oldest first, each settled once published (see submit()). */
  private inFlight: Promise<void>[] = [];
  /** The next frame, asked for while the current one was being detected (see submit()). */
  private prefetched: { capture: CaptureSource; frame: Promise<Frame> } | null = null;
  /** The most recent frame and what was found in it, for on-demand snapshots. */
  latest: { frame: Frame; detections: Detection[] } | null = null;

  constructor(
    private settings: CameraSettings,
    private detector: FrameDetector,
    private readonly gate: FairGate,
    private readonly hooks: CameraRuntimeHooks,
    private readonly baseLog: Logger,
    /** Where track ids start: after the previous runtime's of this camera, so a restart reuses none. */
    firstTrackId = 1,
    private readonly openCapture: CaptureFactory = openCameraCapture,
  ) {
    this.log = baseLog.child({ component: 'camera', camera: settings.name });
    this.tracker = new Tracker(settings.tracker, firstTrackId);
    this.fpsCap = settings.maxFps;
    this.motionGate = settings.motion ? new MotionGate(settings.motion) : null;
  }

  /** Whether something moves now (false when motion gating is off). */
  get motionOn(): boolean {
    return this.motionGate?.moving ?? false;
  }

  get name(): string {
    return this.settings.name;
  }

  get current(): CameraSettings {
    return this.settings;
  }

  get nextTrackId(): number {
    return this.tracker.nextTrackId;
  }

  get captureStats() {
    return this.capture?.stats() ?? null;
  }

  /** Detection as the `detect` command left it (a schedule may still pause the camera). */
  get detectionOn(): boolean {
    return this.detectionsOn;
  }

  get isActive(): boolean {
    return this.active && this.detectionsOn;
  }

  start(): void {
    // A camera that starts outside its schedule window is still opened unless close_when_inactive
    // says otherwise: a missing device shows now, not when the window opens.
    if (this.isActive || !this.settings.closeWhenInactive) this.open();
    this.loopDone = this.loop().catch((e: unknown) => {
      this.log.error({ err: e }, 'camera loop failed; the camera stops, the others go on');
      this.hooks.onFailed?.(this.name, `internal error: ${errorMessage(e)}`);
    });
  }

  /** Live changes: thresholds, labels, zones, masks, tracker tuning, FPS cap. */
  applySettings(next: CameraSettings): void {
    this.settings = next;
    this.tracker.reconfigure(next.tracker);
    this.fpsCap = next.maxFps; // adaptive load caps it again at its next tick if it must
    // Switching motion on or off changes the capture key: that is a new runtime, not this.
    if (next.motion) this.motionGate?.reconfigure(next.motion);
  }

  /** Adaptive load's cap; never above the configured max_fps. */
  setFpsCap(fps: number): void {
    this.fpsCap = Math.min(fps, this.settings.maxFps);
  }

  get fpsCapNow(): number {
    return this.fpsCap;
  }

  setFilters(patch: Partial<FilterOptions>): void {
    this.settings = { ...this.settings, filters: { ...this.settings.filters, ...patch } };
  }

  /** Schedule windows and the `detect` command. Inactive: tracks end, and the capture closes if configured. */
  setActive(active: boolean, why: 'schedule' | 'command'): void {
    if (why === 'command') this.detectionsOn = active;
    else this.active = active;
    const on = this.active && this.detectionsOn;
    if (!on) {
      const snapshotsOut = this.endTracks();
      this.motionStopped();
      if (this.settings.closeWhenInactive && this.capture) {
        const c = this.capture;
        this.capture = null;
        // The end events' snapshots come from this capture's ring: close it once they are out.
        void snapshotsOut.finally(() => c.stop());
      }
    } else if (!this.capture && !this.stopped) {
      this.open();
    }
    this.activeWake.emit('change');
  }

  /** Stops the loop after the frame in flight, ends every track, closes the capture. */
  async stop(): Promise<void> {
    if (this.stopped) return this.loopDone;
    this.stopped = true;
    this.abort.abort(new Error('stopping'));
    this.activeWake.emit('change');
    await this.loopDone;
    // Tracks end while the capture still runs: their end events' snapshots are fetched from its ring.
    await this.endTracks();
    this.motionStopped();
    const capture = this.capture;
    this.capture = null;
    await capture?.stop();
  }

  /** No frames come while paused or stopped: the motion state must not stay ON. */
  private motionStopped(): void {
    if (this.motionGate?.clear()) this.hooks.onMotion?.(this.name, false);
  }

  /** Before every frame request: may the capture answer header-only when nothing moves? */
  private gateNextRequest(capture: CaptureSource): void {
    if (!this.motionGate) return;
    capture.gateOnMotion?.(!this.motionGate.detectionDue(Date.now(), this.tracker.size));
  }

  /** A frame's motion moves the camera's motion state; a skipped frame goes no further. */
  private motionOf(frame: Frame, dropped: number): boolean {
    if (frame.motion && this.motionGate) {
      const changed = this.motionGate.observe(Date.now(), frame.motion.moving);
      if (changed !== undefined) this.hooks.onMotion?.(this.name, changed);
    }
    if (!frame.skipped) return false;
    this.hooks.onSkipped?.({ camera: this.name, frame, reason: frame.skipped, dropped });
    return true;
  }

  /** Ends every track; resolves when the hooks say their events (and snapshots) are out. Never rejects. */
  private endTracks(): Promise<void> {
    const ended = this.tracker.endAll(Date.now());
    if (ended.events.length === 0 && !ended.countsChanged) return Promise.resolve();
    return Promise.resolve(this.hooks.onTracksEnded({ camera: this.name, tracked: ended })).catch(() => undefined);
  }

  private open(): void {
    // The capture adds the camera to its own log lines.
    const options: CaptureOptions = this.detector.detectPrepared ? { ...this.settings.capture, modelInput: this.detector.info.input } : this.settings.capture;
    const capture = this.openCapture(options, this.baseLog.child({ component: 'capture' }));
    capture.on('status', (s) => this.hooks.onStatus(s));
    this.capture = capture;
    this.lastSeq = -1;
    capture.start();
  }

  private async waitUntilActive(): Promise<void> {
    while (!this.stopped && !(this.active && this.detectionsOn && this.capture)) {
      await new Promise<void>((resolve) => this.activeWake.once('change', resolve));
    }
  }

  private async loop(): Promise<void> {
    try {
      await this.takeAndSubmit();
    } finally {
      // Stopping or ended: the frames still with the model are published before the tracks end.
      await Promise.all(this.inFlight);
    }
  }

  private async takeAndSubmit(): Promise<void> {
    const signal = this.abort.signal;
    while (!this.stopped) {
      await this.waitUntilActive();
      if (this.stopped) return;
      const capture = this.capture;
      if (!capture) continue;
      // Adaptive load can cap below the capture's own max_fps: space detections out here.
      const minGap = this.fpsCap > 0 ? 1000 / this.fpsCap : 0;
      const since = performance.now() - this.lastStart;
      if (since < minGap) await sleep(minGap - since, signal);
      // A free place in the pipeline first, so the frame taken next is as fresh as it can be.
      while (this.inFlight.length >= FRAMES_IN_FLIGHT) await this.inFlight[0];
      if (this.stopped) return;
      let frame: Frame;
      try {
        frame = await this.takeFrame(capture, signal);
      } catch (e) {
        if (this.stopped) return;
        if (e instanceof CaptureClosedError) {
          if (capture !== this.capture) continue; // closed on purpose (inactive); a new one opens later
          if (e.why === 'ended') {
            this.log.info('source ended');
            await Promise.all(this.inFlight);
            void this.endTracks();
            this.hooks.onEnded(this.name);
            return;
          }
          continue;
        }
        throw e;
      }
      if (!this.active || !this.detectionsOn) continue;
      const dropped = this.droppedBefore(frame);
      if (this.motionOf(frame, dropped)) continue;
      await this.submit(frame, dropped, signal);
    }
  }

  /** Frames captured but never handed over since the previous frame taken (processed or skipped). */
  private droppedBefore(frame: Frame): number {
    const dropped = this.lastSeq < 0 ? 0 : Math.max(0, frame.seq - this.lastSeq - 1);
    this.lastSeq = frame.seq;
    return dropped;
  }

  /**
   * Frame `seq` (the newest processed one, or a best frame) as a JPEG from the capture process;
   * undefined when it is no longer held (the process restarted, the ring moved on), with the reason logged.
   */
  async fetchFrame(seq: number, options: JpegOptions): Promise<FetchedJpeg | undefined> {
    const capture = this.capture;
    try {
      const latest = this.latest?.frame;
      if (latest?.seq === seq && !latest.jpeg && latest.data) throw new Error('this capture hands over whole frames; encode latest.frame.data instead');
      if (latest?.seq === seq && latest.jpeg) return await latest.jpeg(options);
      if (!capture?.fetchJpeg) throw new Error('the capture is closed');
      return await capture.fetchJpeg(seq, options);
    } catch (e) {
      this.log.debug({ frame: seq, err: e }, 'frame not fetched');
      return undefined;
    }
  }

  /** The frame asked for ahead if it is from this capture, else a new request (which also says what to keep). */
  private takeFrame(capture: CaptureSource, signal: AbortSignal): Promise<Frame> {
    const ahead = this.prefetched;
    this.prefetched = null;
    if (ahead?.capture === capture) return ahead.frame;
    return this.request(capture, signal);
  }

  /** A frame request: it says which frames to keep fetchable and whether it may come header-only. */
  private request(capture: CaptureSource, signal: AbortSignal): Promise<Frame> {
    capture.keepFrames?.(this.framesToKeep());
    this.gateNextRequest(capture);
    return capture.nextFrame(signal);
  }

  /**
   * Asks for the next frame now, while this one is with the inference worker, so the capture process
   * reads and preprocesses it meanwhile (issue 17). Not while adaptive load spaces detections out
   * below max_fps: the frame would wait and be old by its turn (the hand-over's own max_fps cap
   * delays the request itself, so that one is fine).
   */
  private prefetch(capture: CaptureSource, signal: AbortSignal): void {
    if (this.prefetched || this.stopped || capture !== this.capture || this.fpsCap < this.settings.maxFps) return;
    const frame = this.request(capture, signal);
    frame.catch(() => undefined); // taken (and its rejection handled) by the loop's next turn
    this.prefetched = { capture, frame };
  }

  /** Best frames of live tracks and the newest processed frame. */
  private framesToKeep(): number[] {
    const seqs = [...(this.hooks.framesToKeep?.(this.name) ?? [])];
    if (this.latest) seqs.push(this.latest.frame.seq);
    return seqs;
  }

  /**
   * Hands the frame to the model once the camera has the model's turn, and returns: up to
   * FRAMES_IN_FLIGHT frames are with the model at once, so the next input is queued in the inference
   * worker before this one's result comes back (issue 17). Results are tracked and published in frame
   * order (the worker answers in the order it was given, and each frame also waits for the one before).
   */
  private async submit(frame: Frame, dropped: number, signal: AbortSignal): Promise<void> {
    let release: () => void;
    try {
      release = await this.gate.acquire(this.name, signal);
    } catch {
      return; // stopping
    }
    const startedAt = performance.now();
    this.lastStart = startedAt;
    this.motionGate?.detected(Date.now());
    const waitMs = Math.max(0, Date.now() - frame.ts);
    const token = this.hooks.onInferenceStart?.(this.name);
    const detecting = this.detectFrame(frame).finally(() => {
      release();
      if (token !== undefined) this.hooks.onInferenceEnd?.(token);
    });
    const before = this.inFlight.at(-1);
    const done = this.publishInOrder(before, detecting, { frame, dropped, waitMs, startedAt });
    this.inFlight.push(done);
    void done.finally(() => this.inFlight.splice(this.inFlight.indexOf(done), 1));
    // The input is with the inference worker now: let the capture process make the next one meanwhile.
    if (this.capture) this.prefetch(this.capture, signal);
  }

  /** Waits for the frame before (never rejects), then tracks and publishes this one. Never rejects. */
  private async publishInOrder(
    before: Promise<void> | undefined,
    detecting: Promise<DetectResult>,
    f: { frame: Frame; dropped: number; waitMs: number; startedAt: number },
  ): Promise<void> {
    let result: DetectResult;
    try {
      result = await detecting;
    } catch (e) {
      this.log.error({ err: e, frame: f.frame.seq }, 'detection failed on this frame; going on with the next');
      return;
    } finally {
      await before;
    }
    // Detection was switched off (schedule, command) while this frame was with the model: its tracks
    // already ended, and a result now would start new ones that nothing ends.
    if (!this.active || !this.detectionsOn) return;
    const detections = assignZones(result.detections, this.settings.zones, this.settings.requiredZones);
    const tracked = this.tracker.update(f.frame.ts, detections);
    this.motionGate?.tracked(Date.now(), tracked.detections);
    this.latest = { frame: f.frame, detections };
    try {
      this.hooks.onFrame({
        camera: this.name,
        frame: f.frame,
        model: this.detector.info.model,
        result,
        tracked,
        waitMs: f.waitMs,
        startedAt: f.startedAt,
        dropped: f.dropped,
      });
    } catch (e) {
      // A failure while publishing one frame (a bug, a disk error) costs that frame, not the camera.
      this.log.error({ err: e, frame: f.frame.seq }, 'publishing a frame failed; going on with the next');
    }
  }

  /** Async so that a detector that throws at once fails this frame like one that rejects. */
  private async detectFrame(frame: Frame): Promise<DetectResult> {
    const filters = this.settings.filters;
    if (frame.input && this.detector.detectPrepared) {
      const { data, dims, geometry, preprocessMs } = frame.input;
      return this.detector.detectPrepared({ data, dims, geometry }, preprocessMs, filters);
    }
    if (frame.data) return this.detector.detect({ data: frame.data, width: frame.width, height: frame.height }, filters);
    throw new Error(`frame ${frame.seq} carries neither pixels nor a model input`);
  }
}
