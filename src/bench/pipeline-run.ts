/**
 * The full pipeline, as the daemon runs it: a file camera delivered losslessly and as fast as it
 * decodes (realtime: false), detection, tracking and publishing to a private broker. Nothing is
 * wired here; the bench starts the real Daemon with a generated config and listens to its 'frame'
 * events, which carry the per-frame stage timing it also publishes.
 *
 * The first frames are a warm-up (JIT, caches, the broker connection settling) and are not measured.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import YAML from 'yaml';
import { loadConfig } from '../config';
import { Daemon, type ProcessedFrame } from '../daemon';
import type { Logger } from '../log';
import { startBenchBroker } from './broker';
import { cpuBetween, cpuSnapshot, rssMb, type CpuSnapshot } from './cpu';
import { MemorySampler, summarizeMemory, type MemorySample, type MemorySummary } from './memory-sampler';
import { readPssByKind } from './proc';
import { round3, slope, summarize, type LatencyStats } from './stats';

export const STAGES = ['capture_ms', 'wait_ms', 'preprocess_ms', 'inference_ms', 'postprocess_ms', 'publish_ms', 'total_ms', 'age_ms'] as const;
export type Stage = (typeof STAGES)[number];

/**
 * Frames whose stage timings are kept for the percentiles: the first this many measured. A memory
 * run of 30 minutes at 30 FPS would otherwise keep 430 000 numbers (4 MB with the arrays' slack) in
 * the process whose memory it measures, and report them as the daemon's growth.
 */
export const STAGE_SAMPLES_MAX = 5000;

export interface PipelineOptions {
  source: string;
  model: string;
  threads: number;
  /** Frames to measure after the warm-up (all cameras together). */
  frames: number;
  /** Measure for this long instead of `frames` (a memory run). */
  durationMs?: number;
  /** Cameras on the same source, sharing the model. Default 1. */
  cameras?: number;
  /** The cameras' max_fps. Default 120 (as fast as the machine goes). */
  maxFps?: number;
  /** PSS sampling interval. Default 1000 ms. */
  memorySampleMs?: number;
  warmupFrames: number;
  /** Frames in the source; the file loops when the run needs more. 0: unknown (loops). */
  sourceFrames: number;
  /** No frame for this long fails the run. Default 60 s. */
  stallMs?: number;
  logger: Logger;
}

export interface PipelineResult {
  source: string;
  model: string;
  ep: string;
  threads: number;
  cameras: number;
  max_fps: number;
  broker: 'mosquitto' | 'embedded';
  looped: boolean;
  warmup_frames: number;
  /** Frames measured (fewer than asked when a non-looping file ended first). */
  frames: number;
  wall_s: number;
  fps: number;
  /** 1000 / fps: the time the pipeline spends per frame. */
  frame_ms: number;
  stages_ms: Record<Stage, LatencyStats>;
  /** Frames the daemon reported dropped while measuring (0 expected: a file source is lossless). */
  dropped: number;
  detections_per_frame: number;
  /** Mean preprocess + postprocess + publish, the engine's own work around the model. */
  overhead_ms: number;
  /** overhead_ms / frame_ms. */
  overhead_share: number;
  cpu_ms_per_frame: {
    /** This process: main thread, inference worker, ORT's threads, MQTT client. */
    daemon: number;
    /** Of which the daemon's main thread (event loop); null where /proc is unavailable. */
    main_thread: number | null;
    /** The capture child processes (video decoding), all together; null where /proc is unavailable. */
    capture: number | null;
    total: number;
  };
  /** CPU ms per frame of each capture process alive at the end (per frame of all cameras). */
  capture_processes: Array<{ pid: number; cpu_ms_per_frame: number }>;
  /** CPU cores busy on average: total CPU time / wall time. */
  cpu_cores_busy: number;
  rss_mb: { start: number; after_warmup: number; end: number; peak: number };
  /** Least-squares slope of RSS over the measured frames. */
  rss_growth_mb_per_1000_frames: number;
  /** That slope over 5000 frames, as a share of RSS after warm-up (the target: ≤ 2%). */
  rss_growth_pct_per_5000_frames: number;
  /** [measured frames, RSS MB] every 50 frames: the curve behind the slope (a plateau vs a leak). */
  rss_samples: Array<[number, number]>;
  /** PSS of the daemon and its capture processes (null where /proc has no smaps_rollup). */
  memory: MemorySummary | null;
  /** The samples behind `memory`, warm-up included (t_s < 0). */
  memory_samples: MemorySample[];
  /** Where each process's PSS goes at the end of the run, by kind of mapping (MB), largest first. */
  pss_by_kind: Array<{ pid: number; role: 'daemon' | 'capture'; kinds: Array<{ kind: string; pss_mb: number }> }>;
  /** V8's view of the daemon process at the end: heap used/total and memory held outside it (Mats, buffers), MB. */
  daemon_v8_mb: { heap_used: number; heap_total: number; external: number; array_buffers: number };
}

/** Camera names the bench config uses: bench, bench2, bench3, … */
export function cameraNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => (i === 0 ? 'bench' : `bench${i + 1}`));
}

function configYaml(o: PipelineOptions, brokerUrl: string, protocolVersion: 4 | 5, stateDir: string, loop: boolean): string {
  return YAML.stringify({
    device: { id: 'bench', name: 'Lookout bench' },
    state_dir: stateDir,
    mqtt: { url: brokerUrl, protocol_version: protocolVersion, embedded: { mode: 'off' } },
    homeassistant: { discovery: false },
    http: { enabled: false },
    snapshots: { enabled: false },
    adaptive: { enabled: false },
    stats: { interval_s: 3600 },
    detector: { model: o.model, threads: o.threads },
    cameras: cameraNames(o.cameras ?? 1).map((name) => ({
      name,
      source: { type: 'file', path: path.resolve(o.source), realtime: false, loop },
      max_fps: o.maxFps ?? 120,
      // Every frame through the model: the bench measures the pipeline, not what gating saves.
      motion: { enabled: false },
    })),
  });
}

/** The environment without LOOKOUT_* variables, which would otherwise change the bench's config. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LOOKOUT_')));
}

export async function runPipeline(o: PipelineOptions): Promise<PipelineResult> {
  const timed = o.durationMs !== undefined;
  const want = o.warmupFrames + o.frames;
  const names = new Set(cameraNames(o.cameras ?? 1));
  const loop = timed || names.size > 1 || o.sourceFrames === 0 || want > o.sourceFrames;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-bench-'));
  const broker = await startBenchBroker(o.logger);
  const exclude = new Set<number>(broker.pid ? [broker.pid] : []);
  let daemon: Daemon | undefined;
  try {
    const file = path.join(dir, 'bench.yaml');
    fs.writeFileSync(file, configYaml(o, broker.url, broker.protocolVersion, path.join(dir, 'state'), loop));
    const loaded = loadConfig({ file, env: cleanEnv() });
    const rssStart = rssMb();
    daemon = new Daemon({ loaded, logger: o.logger, mqttUrl: broker.url, protocolVersion: broker.protocolVersion });

    let seen = 0;
    let tWarm = 0;
    let tEnd = 0;
    let cpuWarm: CpuSnapshot | undefined;
    let cpuEnd: CpuSnapshot | undefined;
    let rssWarm = 0;
    let rssPeak = rssStart;
    let dropped = 0;
    let detections = 0;
    let lastFrameAt = performance.now();
    const stageSamples = Object.fromEntries(STAGES.map((s) => [s, [] as number[]])) as Record<Stage, number[]>;
    const rssX: number[] = [];
    const rssY: number[] = [];
    let stall: NodeJS.Timeout | undefined;
    let deadline: NodeJS.Timeout | undefined;
    const ended = new Set<string>();
    const sampler = new MemorySampler(() => Math.max(0, seen - o.warmupFrames), exclude, o.memorySampleMs ?? 1000);
    const finished = new Promise<'done' | 'ended'>((resolve, reject) => {
      stall = setInterval(() => {
        if (performance.now() - lastFrameAt > (o.stallMs ?? 60_000)) {
          clearInterval(stall);
          reject(new Error(`the pipeline delivered no frame for ${Math.round((o.stallMs ?? 60_000) / 1000)} s (after ${seen} frames)`));
        }
      }, 1000);
      const finish = (why: 'done' | 'ended'): void => {
        clearInterval(stall);
        clearTimeout(deadline);
        tEnd = performance.now();
        cpuEnd = cpuSnapshot(exclude);
        resolve(why);
      };
      daemon!.on('frame', (f: ProcessedFrame) => {
        if (tEnd || !names.has(f.camera)) return;
        lastFrameAt = performance.now();
        seen++;
        if (seen === o.warmupFrames) {
          // The warm-up's last frame marks time zero of the measurement.
          tWarm = performance.now();
          cpuWarm = cpuSnapshot(exclude);
          rssWarm = rssMb();
          sampler.mark();
          if (timed) deadline = setTimeout(() => finish('done'), o.durationMs);
          return;
        }
        if (seen < o.warmupFrames) return;
        const measured = seen - o.warmupFrames;
        if (measured <= STAGE_SAMPLES_MAX) for (const s of STAGES) stageSamples[s].push(f.timing[s]);
        dropped += f.timing.dropped;
        detections += f.detections.detections.length;
        if (measured % 50 === 0 || seen === want) {
          const r = rssMb();
          rssPeak = Math.max(rssPeak, r);
          rssX.push(measured);
          rssY.push(r);
        }
        if (!timed && seen >= want) finish('done');
      });
      daemon!.on('camera-ended', (camera: string) => {
        if (names.has(camera)) ended.add(camera);
        if (ended.size === names.size && !tEnd) finish('ended');
      });
    });
    finished.catch(() => undefined); // awaited below; a failed start() must not leave it unhandled
    sampler.start();
    try {
      await daemon.start();
      lastFrameAt = performance.now();
      await finished;
    } finally {
      clearInterval(stall);
      clearTimeout(deadline);
      sampler.stop();
    }
    // Where the PSS goes, read while the daemon and its capture processes still run.
    const last = sampler.samples[sampler.samples.length - 1]?.processes ?? [];
    const pssByKind = last.flatMap((p) => {
      const kinds = readPssByKind(p.pid);
      return kinds ? [{ pid: p.pid, role: p.role, kinds: kinds.map((k) => ({ kind: k.kind, pss_mb: Math.round(k.pss_kb / 102.4) / 10 })) }] : [];
    });
    const v8 = process.memoryUsage();
    const toMb = (b: number): number => Math.round(b / 2 ** 20 / 0.1) / 10;
    const info = daemon.detectorInfos[0];
    const measured = Math.max(0, seen - o.warmupFrames);
    if (measured < 2 || !cpuWarm || !cpuEnd) {
      throw new Error(`${o.source}: only ${seen} frames came through, too few for a warm-up of ${o.warmupFrames} and a measurement`);
    }
    const rssEnd = rssMb();
    const wall = (tEnd - tWarm) / 1000;
    const fps = measured / wall;
    const stages = Object.fromEntries(STAGES.map((s) => [s, summarize(stageSamples[s])])) as Record<Stage, LatencyStats>;
    const overhead = stages.preprocess_ms.mean + stages.postprocess_ms.mean + stages.publish_ms.mean;
    const cpu = cpuBetween(cpuWarm, cpuEnd);
    const totalCpu = cpu.processMs + (cpu.childrenMs ?? 0);
    const growthPer1000 = slope(rssX, rssY) * 1000;
    return {
      source: path.resolve(o.source),
      model: info?.model ?? o.model,
      ep: info?.ep ?? 'unknown',
      threads: info?.threads ?? o.threads,
      cameras: names.size,
      max_fps: o.maxFps ?? 120,
      broker: broker.kind,
      looped: loop,
      warmup_frames: o.warmupFrames,
      frames: measured,
      wall_s: round3(wall),
      fps: round3(fps),
      frame_ms: round3(1000 / fps),
      stages_ms: stages,
      dropped,
      detections_per_frame: round3(detections / measured),
      overhead_ms: round3(overhead),
      overhead_share: round3(overhead / (1000 / fps)),
      cpu_ms_per_frame: {
        daemon: round3(cpu.processMs / measured),
        main_thread: cpu.mainThreadMs === null ? null : round3(cpu.mainThreadMs / measured),
        capture: cpu.childrenMs === null ? null : round3(cpu.childrenMs / measured),
        total: round3(totalCpu / measured),
      },
      capture_processes: [...cpu.byChild].map(([pid, ms]) => ({ pid, cpu_ms_per_frame: round3(ms / measured) })),
      cpu_cores_busy: round3(totalCpu / (wall * 1000)),
      rss_mb: { start: round3(rssStart), after_warmup: round3(rssWarm), end: round3(rssEnd), peak: round3(Math.max(rssPeak, rssEnd)) },
      rss_growth_mb_per_1000_frames: round3(growthPer1000),
      rss_growth_pct_per_5000_frames: round3(rssWarm > 0 ? (growthPer1000 * 5 * 100) / rssWarm : 0),
      rss_samples: rssX.map((x, i) => [x, Math.round(rssY[i] * 10) / 10]),
      memory: summarizeMemory(sampler.samples),
      memory_samples: sampler.samples,
      pss_by_kind: pssByKind,
      daemon_v8_mb: { heap_used: toMb(v8.heapUsed), heap_total: toMb(v8.heapTotal), external: toMb(v8.external), array_buffers: toMb(v8.arrayBuffers) },
    };
  } finally {
    await daemon?.stop().catch((e: unknown) => o.logger.warn({ err: e }, 'bench: daemon stop failed'));
    await broker.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
