// Black-box harness for `lookout run`: writes a YAML config into a temp dir, runs the real daemon as a
// child process (node bin/lookout.js run --config ...), keeps its JSON log lines, records every MQTT
// message under its base topic with a plain mqtt.js subscriber, and sends signals / awaits the exit.
// Nothing here imports the daemon: what a test sees is what a user of the process would see.
//
// Use `daemonTest(name, fn)` instead of `test(...)`: when the test fails, the daemon's log tail and a
// summary of the MQTT traffic are appended to the error, and every daemon it started is stopped.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { IClientOptions } from 'mqtt';
import YAML from 'yaml';
import type { CameraConfig } from '../../src/config/camera-schema';
import { schemaProblems } from '../../src/mqtt/schemas';
import { Recorder, type Msg } from './mqtt-recorder';
import { waitFor } from './wait-for';

export { Recorder, retainedSnapshot, type Msg } from './mqtt-recorder';
export { sleep, waitFor } from './wait-for';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const VTEST = path.join(REPO_ROOT, '.cache', 'testdata', 'vtest.avi');
export const TESTDATA = path.join(REPO_ROOT, '.cache', 'testdata');
const BIN = path.join(REPO_ROOT, 'bin', 'lookout.js');

/** A GStreamer test pattern (the code path CSI cameras take), BGR frames at `fps`. */
export function videotestsrcPipeline(width = 320, height = 240, fps = 10, extra = ''): string {
  return (
    `videotestsrc is-live=true ${extra}! video/x-raw,width=${width},height=${height},framerate=${fps}/1 ` +
    '! videoconvert ! video/x-raw,format=BGR ! appsink drop=true max-buffers=1'
  );
}

/** Fails early, with the command that fixes it, when the daemon cannot run here. */
export function assertDaemonBuilt(): void {
  const need = [
    [path.join(REPO_ROOT, 'dist', 'cli.js'), 'npm run build'],
    [path.join(REPO_ROOT, 'dist', 'commands', 'run.js'), 'npm run build (src/commands/run.ts must exist)'],
    [path.join(REPO_ROOT, 'dist', 'capture', 'capture-child.js'), 'npm run build'],
    [path.join(REPO_ROOT, 'models', 'ssdlite_mobilenet_v2_coco.onnx'), 'node bin/lookout.js model build ssdlite_mobilenet_v2_coco'],
    [VTEST, 'scripts/setup.sh --test'],
  ];
  const missing = need.filter(([p]) => !fs.existsSync(p)).map(([p, fix]) => `${p} (run: ${fix})`);
  if (missing.length) throw new Error(`the daemon cannot run: missing ${missing.join(', ')}`);
}

// --- small utilities ------------------------------------------------------------------------------

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deep merge of plain objects; arrays and scalars of `patch` replace. */
export function merge<T extends Plain>(base: T, patch: Plain): T {
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    out[k] = isPlain(v) && isPlain(out[k]) ? merge(out[k], v) : v;
  }
  return out as T;
}

// --- the daemon ----------------------------------------------------------------------------------

export interface LogLine {
  level?: number;
  lvl?: string;
  msg?: string;
  time?: string;
  component?: string;
  [key: string]: unknown;
}

export interface DaemonOptions {
  /** Broker the daemon connects to (mqtt://127.0.0.1:<port>). */
  mqttUrl: string;
  cameras: CameraConfig[];
  /** Deep-merged over the harness defaults (see `baseConfig`). */
  config?: Plain;
  /** Extra environment for the child (LOOKOUT_*, NOTIFY_SOCKET, ... of the test process are removed). */
  env?: Record<string, string>;
  /** Broker URL for the recorder; default mqttUrl. null: no recorder. */
  recordUrl?: string | null;
  /** Subscriptions of the recorder; default [`<base>/#`]. */
  filters?: string[];
  /** Options of the recorder's client (e.g. a fixed clientId with clean: false). */
  recorderOptions?: IClientOptions;
  /** Device id; default unique per daemon. */
  deviceId?: string;
}

export interface ExitResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Milliseconds from the last signal sent by the harness (or from spawn) to the exit. */
  ms: number;
  /** Date.now() at the exit. */
  at: number;
}

const started: Daemon[] = [];
let idCounter = 0;

/** The harness defaults: JSON logs, no HTTP, no discovery, stats every 2 s, quick MQTT reconnects. */
export function baseConfig(deviceId: string, dir: string, mqttUrl: string, cameras: CameraConfig[]): Plain {
  return {
    device: { id: deviceId, name: `Lookout test ${deviceId}` },
    log: { level: 'info', format: 'json' },
    state_dir: path.join(dir, 'state'),
    mqtt: { url: mqttUrl, reconnect: { initial_ms: 300, max_ms: 2000 } },
    homeassistant: { discovery: false },
    stats: { interval_s: 2 },
    http: { enabled: false },
    cameras,
  };
}

export class Daemon {
  readonly dir: string;
  readonly configPath: string;
  readonly base: string;
  readonly logs: LogLine[] = [];
  /** stdout/stderr lines that are not JSON (crashes, native library chatter). */
  readonly rawLines: string[] = [];
  config: Plain;
  mqtt: Recorder | null = null;
  private child: ChildProcess | null = null;
  private exitResult: ExitResult | null = null;
  private exitPromise: Promise<ExitResult> | null = null;
  private lastSignalAt = 0;
  readonly signalsSent: { signal: NodeJS.Signals; at: number }[] = [];

  private constructor(
    readonly deviceId: string,
    private readonly options: DaemonOptions,
  ) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `lookout-daemon-${deviceId}-`));
    this.configPath = path.join(this.dir, 'lookout.yaml');
    this.base = `lookout/${deviceId}`;
    this.config = merge(baseConfig(deviceId, this.dir, options.mqttUrl, options.cameras), options.config ?? {});
  }

  /** Writes the config, connects the recorder (so nothing is missed), then spawns the daemon. */
  static async start(options: DaemonOptions): Promise<Daemon> {
    assertDaemonBuilt();
    const deviceId = options.deviceId ?? `t${process.pid.toString(36)}${(++idCounter).toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    const d = new Daemon(deviceId, options);
    started.push(d);
    d.writeConfig(d.config);
    const recordUrl = options.recordUrl === undefined ? options.mqttUrl : options.recordUrl;
    if (recordUrl !== null) {
      d.mqtt = await Recorder.connect(recordUrl, options.filters ?? [`${d.base}/#`], options.recorderOptions);
    }
    d.spawn();
    return d;
  }

  /** Writes `config` (a whole config object, or YAML text as is) to the config file. */
  writeConfig(config: Plain | string): void {
    if (typeof config === 'string') {
      fs.writeFileSync(this.configPath, config);
      return;
    }
    this.config = config;
    fs.writeFileSync(this.configPath, YAML.stringify(config));
  }

  /** Deep-merges `patch` into the current config and writes it. */
  editConfig(patch: Plain): void {
    this.writeConfig(merge(this.config, patch));
  }

  private spawn(): void {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (/^(LOOKOUT_|NOTIFY_SOCKET$|WATCHDOG_|JOURNAL_STREAM$|INVOCATION_ID$|LISTEN_)/.test(k)) continue;
      env[k] = v;
    }
    Object.assign(env, this.options.env ?? {});
    const child = spawn(process.execPath, [BIN, 'run', '--config', this.configPath], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.lastSignalAt = Date.now();
    const take = (line: string): void => {
      const t = line.trim();
      if (t === '') return;
      if (t.startsWith('{')) {
        try {
          this.logs.push(JSON.parse(t) as LogLine);
          return;
        } catch {
          // not JSON after all
        }
      }
      this.rawLines.push(t);
    };
    readline.createInterface({ input: child.stdout }).on('line', take);
    readline.createInterface({ input: child.stderr }).on('line', take);
    this.exitPromise = new Promise<ExitResult>((resolve) => {
      child.once('exit', (code, signal) => {
        const at = Date.now();
        this.exitResult = { code, signal, ms: at - this.lastSignalAt, at };
        resolve(this.exitResult);
      });
    });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** True while the process has not exited. */
  get running(): boolean {
    return this.child !== null && this.exitResult === null;
  }

  get exit(): ExitResult | null {
    return this.exitResult;
  }

  signal(sig: NodeJS.Signals): void {
    if (!this.child || !this.running) throw new Error(`cannot send ${sig}: the daemon is not running (exit ${JSON.stringify(this.exitResult)})`);
    this.lastSignalAt = Date.now();
    this.signalsSent.push({ signal: sig, at: this.lastSignalAt });
    this.child.kill(sig);
  }

  /** Resolves with the exit; rejects after `timeoutMs` (the process is left running). */
  async waitExit(timeoutMs = 15_000): Promise<ExitResult> {
    if (!this.exitPromise) throw new Error('daemon was never spawned');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`daemon did not exit within ${timeoutMs} ms${this.diagnostics()}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exitPromise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits for `condition`; fails with the log tail and MQTT summary; fails at once if the daemon exits. */
  async waitFor<T>(what: string, condition: () => T | PromiseLike<T>, timeoutMs = 30_000): Promise<T> {
    return waitFor(what, condition, {
      timeoutMs,
      context: () => this.diagnostics(),
      abortIf: () => (this.running ? undefined : `daemon exited (${JSON.stringify(this.exitResult)})`),
    });
  }

  /** Log lines whose message (or whole JSON text) matches `re`. */
  logsMatching(re: RegExp): LogLine[] {
    return this.logs.filter((l) => re.test(l.msg ?? '') || re.test(JSON.stringify(l)));
  }

  /** Log lines at WARN (40) or above. */
  problems(): LogLine[] {
    return this.logs.filter((l) => (l.level ?? 0) >= 40);
  }

  /** Recorder of the daemon's topics (throws when started without one). */
  get rec(): Recorder {
    if (!this.mqtt) throw new Error('this daemon was started without a recorder');
    return this.mqtt;
  }

  /** `<base>/<suffix>` */
  topic(suffix: string): string {
    return `${this.base}/${suffix}`;
  }

  /**
   * Publishes a command on `<base>/<setTopic>` (e.g. `set`, `front/set`) and resolves with the answer
   * on `<setTopic>/result`, checked against the command-result schema and never retained.
   */
  async command<R = Plain>(setTopic: string, payload: object | string, options: { retain?: boolean; timeoutMs?: number } = {}): Promise<{ r: R; msg: Msg }> {
    const rec = this.rec;
    const resultTopic = this.topic(`${setTopic}/result`);
    const before = rec.count(resultTopic);
    const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
    await rec.publish(this.topic(setTopic), text, { retain: options.retain ?? false });
    await this.waitFor(`an answer on ${resultTopic} to ${text}`, () => rec.count(resultTopic) > before, options.timeoutMs ?? 30_000);
    const msg = rec.last(resultTopic)!;
    const r = JSON.parse(msg.text) as unknown;
    const problems = schemaProblems('command-result', r);
    if (problems) throw new Error(`answer on ${resultTopic} does not match its schema: ${problems}`);
    if (msg.retain) throw new Error(`answer on ${resultTopic} was retained`);
    return { r: r as R, msg };
  }

  /** Log tail and MQTT summary, for failure messages. */
  diagnostics(logLines = 80): string {
    const fmt = (l: LogLine): string => {
      const { level, lvl, msg, time, pid, hostname, component, ...rest } = l;
      void level;
      void pid;
      void hostname;
      const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
      return `  ${String(time ?? '').slice(11, 23)} ${String(lvl ?? level ?? '?').padEnd(5)} ${component ? `[${String(component)}] ` : ''}${msg ?? ''}${extra.length > 400 ? `${extra.slice(0, 400)}…` : extra}`;
    };
    const tail = this.logs.slice(-logLines).map(fmt).join('\n');
    const raw = this.rawLines
      .slice(-30)
      .map((l) => `  ${l.length > 300 ? `${l.slice(0, 300)}…` : l}`)
      .join('\n');
    return (
      `\n--- daemon ${this.deviceId} (pid ${this.pid}, exit ${JSON.stringify(this.exitResult)}, config ${this.configPath}) ---` +
      `\n--- log (last ${Math.min(logLines, this.logs.length)} of ${this.logs.length} lines) ---\n${tail || '  (no JSON log lines)'}` +
      (raw ? `\n--- non-JSON output ---\n${raw}` : '') +
      (this.mqtt ? `\n--- MQTT received (${this.mqtt.messages.length} messages) ---\n${this.mqtt.summary()}` : '')
    );
  }

  /** SIGTERM (SIGKILL after `graceMs`), closes the recorder, removes the temp dir. Idempotent. */
  async stop(graceMs = 8000): Promise<void> {
    if (this.running) {
      this.child!.kill('SIGTERM');
      const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
      await this.exitPromise;
      clearTimeout(timer);
    }
    await this.mqtt?.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

process.on('exit', () => {
  for (const d of started)
    if (d.running && d.pid) {
      try {
        process.kill(d.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
});

/**
 * `test()` for daemon tests: on failure the error carries the diagnostics of every daemon the test
 * started; afterwards they are all stopped (SIGTERM, then SIGKILL) and their temp dirs removed.
 */
export function daemonTest(name: string, fn: () => Promise<void>, timeoutMs?: number): void {
  test(
    name,
    async () => {
      const first = started.length;
      try {
        await fn();
      } catch (e) {
        const mine = started.slice(first);
        const extra = mine.map((d) => d.diagnostics()).join('\n');
        if (e instanceof Error && extra && !e.message.includes('--- daemon ')) {
          e.message += `\n${extra}`;
          if (e.stack)
            e.stack = `${e.message}\n${e.stack
              .split('\n')
              .filter((l) => l.trimStart().startsWith('at '))
              .join('\n')}`;
        }
        throw e;
      } finally {
        for (const d of started.slice(first)) await d.stop();
      }
    },
    timeoutMs,
  );
}

// --- payload helpers -----------------------------------------------------------------------------

export interface EventMsg {
  seq: number;
  type: 'start' | 'update' | 'end';
  camera: string;
  track_id: number;
  label: string;
  frames: number;
  started_at: number;
  updated_at: number;
  ended_at?: number;
  [key: string]: unknown;
}

/** Events of a topic in arrival order with QoS 1 repeats (same seq) dropped. */
export function uniqueEvents(rec: Recorder, topic: string): EventMsg[] {
  const seen = new Set<number>();
  const out: EventMsg[] = [];
  for (const e of rec.json<EventMsg>(topic)) {
    if (seen.has(e.seq)) continue;
    seen.add(e.seq);
    out.push(e);
  }
  return out;
}

/**
 * Problems with the lifecycle of tracks in `events` (sorted by seq): every id starts once, before any
 * update or end; at most one end, after which nothing; with `requireEnd`, every started id has its end.
 */
export function trackLifecycleProblems(events: EventMsg[], requireEnd: boolean): string[] {
  const problems: string[] = [];
  const state = new Map<string, 'started' | 'ended'>();
  for (const e of [...events].sort((a, b) => a.seq - b.seq)) {
    const key = `${e.camera}#${e.track_id}`;
    const s = state.get(key);
    if (e.type === 'start') {
      if (s !== undefined) problems.push(`seq ${e.seq}: second start of track ${key} (was ${s})`);
      state.set(key, 'started');
    } else if (s === undefined) {
      problems.push(`seq ${e.seq}: ${e.type} of track ${key} before its start`);
    } else if (s === 'ended') {
      problems.push(`seq ${e.seq}: ${e.type} of track ${key} after its end`);
    } else if (e.type === 'end') {
      state.set(key, 'ended');
    }
  }
  if (requireEnd) {
    for (const [key, s] of state) if (s !== 'ended') problems.push(`track ${key} started but never ended`);
  }
  return problems;
}

/** Camera config helpers. */
export function fileCamera(name: string, extra: Partial<CameraConfig> & { realtime?: boolean; loop?: boolean; path?: string } = {}): CameraConfig {
  const { realtime = true, loop = false, path: p = VTEST, ...rest } = extra;
  return { name, source: { type: 'file', path: p, realtime, loop }, ...rest };
}
export function gstCamera(name: string, pipeline = videotestsrcPipeline(), extra: Partial<CameraConfig> = {}): CameraConfig {
  return { name, source: { type: 'gstreamer', pipeline }, ...extra };
}
