/**
 * Test doubles of the daemon's dependencies (DaemonOptions: link, loadDetector, openCapture, now):
 * an MQTT link that records what it was told, a detector that finds what the test says, captures
 * the test drives frame by frame. Unit tests only; the integration tests use the real parts.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CaptureClosedError, type CaptureOptions, type CaptureState, type Frame } from '../../../src/capture';
import { loadConfig, type LoadedConfig } from '../../../src/config';
import type { DaemonLink, LoadedDetector } from '../../../src/daemon';
import type { Detection, DetectorOptions } from '../../../src/detect';
import type { CommandRequest, CommandResult, StatusPayload } from '../../../src/mqtt';
import type { CommandHandler } from '../../../src/mqtt/link';
import { Topics } from '../../../src/mqtt/topics';
import type { CaptureSource } from '../../../src/pipeline/camera-runtime';

export class FakeLink {
  readonly statuses: { camera: string; state: string; reason: string | null }[] = [];
  readonly events: { camera: string; type: string; track_id: number; label: string }[] = [];
  readonly counts = new Map<string, number>();
  readonly controls = new Map<string, { detect: boolean; minScore: number }>();
  /** Retained motion state per camera (cameras with motion gating on). */
  readonly motion = new Map<string, boolean>();
  readonly forgotten: string[] = [];
  readonly configStates: { ok: boolean; problems: string[]; hash: string }[] = [];
  detections = 0;
  private handler: CommandHandler | null = null;
  readonly topics = new Topics('lookout/test');

  /** The link as the daemon sees it. */
  get asLink(): DaemonLink {
    return this;
  }

  status(camera: string): string | undefined {
    return this.statuses.filter((s) => s.camera === camera).at(-1)?.state;
  }

  lastStatus(camera: string) {
    return this.statuses.filter((s) => s.camera === camera).at(-1);
  }

  /** A command as it would arrive on base/set or base/<camera>/set. */
  async command(command: CommandRequest['command'], camera?: string): Promise<CommandResult> {
    if (!this.handler) throw new Error('no command handler registered');
    return this.handler({ command, ...(camera ? { camera } : {}) });
  }

  // --- the DaemonLink calls ---
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  onCommand(h: CommandHandler): void {
    this.handler = h;
  }
  setDiscovery(): void {}
  setCameras(): void {}
  sweepStale(): string[] {
    return [];
  }
  setStatus(camera: string, s: Omit<StatusPayload, 'v'>): boolean {
    this.statuses.push({ camera, state: s.state, reason: s.reason ?? null });
    return true;
  }
  initCount(camera: string, label: string, zone?: string): boolean {
    const key = `${camera}/${zone ? `${zone}/` : ''}${label}`;
    if (!this.counts.has(key)) this.counts.set(key, 0);
    return true;
  }
  setCount(camera: string, label: string, n: number, zone?: string): boolean {
    this.counts.set(`${camera}/${zone ? `${zone}/` : ''}${label}`, n);
    return true;
  }
  forgetCount(camera: string, label: string, zone?: string): boolean {
    this.counts.delete(`${camera}/${zone ? `${zone}/` : ''}${label}`);
    return true;
  }
  forgetCamera(camera: string): number {
    this.forgotten.push(camera);
    for (const key of [...this.counts.keys()]) if (key.startsWith(`${camera}/`)) this.counts.delete(key);
    return 0;
  }
  setControls(camera: string, c: { detect: boolean; minScore: number }): void {
    this.controls.set(camera, c);
  }
  setMotion(camera: string, moving: boolean): boolean {
    this.motion.set(camera, moving);
    return true;
  }
  forgetMotion(camera: string): boolean {
    return this.motion.delete(camera);
  }
  setConfigState(s: { ok: boolean; problems: string[]; hash: string }): boolean {
    this.configStates.push({ ok: s.ok, problems: s.problems, hash: s.hash });
    return true;
  }
  publishDetections(): boolean {
    this.detections += 1;
    return true;
  }
  publishTiming(): boolean {
    return true;
  }
  publishEvent(camera: string, e: { type: string; track_id: number; label: string }): number {
    this.events.push({ camera, type: e.type, track_id: e.track_id, label: e.label });
    return this.events.length;
  }
  publishSnapshot(): boolean {
    return true;
  }
  publishStats(): boolean {
    return true;
  }
  counters() {
    return { connected: true } as ReturnType<DaemonLink['counters']>;
  }
}

/** Captures the test drives: status changes and frames, one camera each. */
export class FakeCaptures {
  readonly opened: FakeCapture[] = [];

  readonly open = (options: CaptureOptions): CaptureSource => {
    const c = new FakeCapture(options.camera);
    this.opened.push(c);
    return c;
  };

  /** The newest capture of a camera (a restart opens a new one). */
  of(camera: string): FakeCapture {
    const c = this.opened.filter((x) => x.camera === camera).at(-1);
    if (!c) throw new Error(`no capture opened for ${camera}`);
    return c;
  }
}

export class FakeCapture extends EventEmitter {
  state: CaptureState = 'stopped';
  private seq = 0;
  private waiting: { resolve: (f: Frame) => void; reject: (e: Error) => void } | null = null;
  private pending: Frame | null = null;
  stopped = false;

  constructor(readonly camera: string) {
    super();
  }

  /** Reports a capture state, as the capture supervisor does. */
  report(state: CaptureState, reason?: string): void {
    const previous = this.state;
    this.state = state;
    this.emit('status', { camera: this.camera, state, previous, since: Date.now(), source: 'fake', failures: 0, ...(reason ? { reason } : {}) });
  }

  /** Hands one frame over (the newest replaces one not taken yet). */
  frame(): void {
    this.seq += 1;
    const f: Frame = { camera: this.camera, seq: this.seq, ts: Date.now(), captureMs: 1, width: 4, height: 4, data: Buffer.alloc(48) };
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w.resolve(f);
    } else this.pending = f;
  }

  get isWaiting(): boolean {
    return this.waiting !== null;
  }

  start(): void {
    this.report('starting');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.waiting?.reject(new CaptureClosedError(this.camera, 'stopped'));
    this.waiting = null;
    this.report('stopped');
  }

  nextFrame(signal?: AbortSignal): Promise<Frame> {
    if (this.stopped) return Promise.reject(new CaptureClosedError(this.camera, 'stopped'));
    if (this.pending) {
      const f = this.pending;
      this.pending = null;
      return Promise.resolve(f);
    }
    return new Promise<Frame>((resolve, reject) => {
      this.waiting = { resolve, reject };
      signal?.addEventListener('abort', () => reject(new CaptureClosedError(this.camera, 'stopped')), { once: true });
    });
  }

  stats() {
    return { state: this.state, captured: this.seq, delivered: this.seq, dropped: 0, reconnects: 0 };
  }
}

/** A detector that finds what `found` says in every frame; models named in `failing` do not load. */
export class FakeDetectors {
  found: Detection[] = [];
  readonly failing = new Set<string>();
  readonly loaded: string[] = [];
  readonly closed: string[] = [];

  readonly load = async (options: DetectorOptions): Promise<LoadedDetector> => {
    const model = options.model ?? 'default';
    if (this.failing.has(model)) throw new Error(`cannot read ${model}.onnx`);
    this.loaded.push(model);
    return {
      info: { model, ep: 'cpu' } as LoadedDetector['info'],
      detect: async () => ({ detections: this.found.map((d) => ({ ...d })), preprocess_ms: 1, inference_ms: 5, roundtrip_ms: 6, postprocess_ms: 1 }),
      close: async () => void this.closed.push(model),
    };
  };
}

export const person: Detection = { label: 'person', class_id: 1, score: 0.9, box: [0.1, 0.1, 0.5, 0.9], zones: [] };

/** A config as `lookout run --config` would load it, in a temporary folder (state_dir included). */
export function configFile(
  cameras: unknown[],
  extra: Record<string, unknown> = {},
): { loaded: LoadedConfig; write: (cameras: unknown[], extra?: Record<string, unknown>) => void; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-daemon-'));
  const video = path.join(dir, 'video.avi');
  fs.writeFileSync(video, '');
  const file = path.join(dir, 'config.json');
  const write = (cams: unknown[], more: Record<string, unknown> = extra) =>
    fs.writeFileSync(
      file,
      JSON.stringify({
        device: { id: 'test' },
        state_dir: path.join(dir, 'state'),
        http: { enabled: false },
        adaptive: { enabled: false },
        tracker: { min_hits: 1 },
        // Snapshots are the frame publisher's tests' (with an encoder double); here they would load OpenCV.
        snapshots: { enabled: false },
        cameras: cams.map((c) => ({ source: { type: 'file', path: video, loop: true }, ...(c as object) })),
        ...more,
      }),
    );
  write(cameras);
  return { loaded: loadConfig({ file, env: {} }), write, dir };
}

/** Lets the daemon's promise chains and the cameras' loops run until `condition` holds. */
export async function until(what: string, condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2000; i += 1) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`never happened: ${what}`);
}
