/** The bench's JSON document, its targets, and the table printed for people. */
import type { BenchDetectResult } from './detector-stage';
import type { BareRunResult } from './bare-session';
import type { Int8Comparison } from './int8-compare';
import type { MemorySummary } from './memory-sampler';
import type { OrtMemoryResult } from './ort-memory';
import type { TfjsComparison } from './tfjs-compare';
import type { MachineInfo } from './machine';
import type { OpenCvResult } from './opencv-dnn';
import { STAGES, type PipelineResult } from './pipeline-run';
import type { LatencyStats } from './stats';

export interface TargetResult {
  name: string;
  /** Human form of the target, e.g. '≥ 0.90'. */
  target: string;
  value: number | null;
  /** null: not measured in this run. */
  pass: boolean | null;
}

export interface BenchReport {
  report_version: 1;
  generated_at: string;
  /** load_average: os.loadavg() when the bench started (1, 5, 15 min); above 0 means others were busy. */
  machine: MachineInfo & { ep: string; load_average: number[] };
  model: { name: string; path: string; input: string };
  source: { path: string; width: number; height: number; frames: number };
  settings: {
    threads: number;
    pipeline_frames: number;
    warmup_frames: number;
    bare_runs: number;
    detector_frames: number;
    opencv_runs: number | null;
    tfjs_runs: number | null;
    scan_runs: number | null;
    /** Length of each memory run; null: none ran. */
    memory_minutes: number | null;
    /** Cameras of each memory run, e.g. [1, 2]. */
    memory_cameras: number[];
  };
  bare: BareRunResult;
  /** Detector façade (worker hop included) from src/bench/detector-stage.ts. */
  detector: BenchDetectResult;
  pipeline: PipelineResult;
  /** Pipeline FPS / bare session.run throughput, same model and threads. */
  efficiency: number;
  opencv: OpenCvResult | null;
  /** FP32 and its int8 variant side by side (--compare int8). */
  int8: Int8Comparison | null;
  /** The original TF.js graph on tfjs-backend-wasm against ORT (--compare tfjs). */
  tfjs: TfjsComparison | null;
  /** ONNX Runtime's memory options, each in a fresh process (--compare ort-memory). */
  ort_memory: OrtMemoryResult[] | null;
  /** Timed pipeline runs at 30 FPS per camera in fresh processes (--memory-minutes, --cameras): 1 camera, then n. */
  memory_runs: PipelineResult[];
  /** (steady PSS with n cameras − with 1) / (n − 1); null without a run of 2 or more cameras. */
  memory_increment_mb_per_camera: number | null;
  threads_scan: BareRunResult[] | null;
  targets: TargetResult[];
}

/** What each camera beyond the first adds to the PSS of all processes, from the memory runs. */
export function memoryIncrement(runs: readonly PipelineResult[]): number | null {
  const one = runs.find((r) => r.cameras === 1)?.memory;
  const many = runs.find((r) => r.cameras > 1);
  if (!one || !many?.memory) return null;
  return Math.round(((many.memory.steady_pss_mb - one.steady_pss_mb) / (many.cameras - 1)) * 10) / 10;
}

/** The memory the one-camera figures come from: the 1-camera memory run, else the main pipeline run. */
export function oneCameraMemory(r: Pick<BenchReport, 'pipeline' | 'memory_runs'>): MemorySummary | null {
  return r.memory_runs.find((m) => m.cameras === 1)?.memory ?? r.pipeline.memory;
}

export function evaluateTargets(r: Pick<BenchReport, 'efficiency' | 'pipeline' | 'opencv' | 'int8' | 'tfjs' | 'memory_runs'>): TargetResult[] {
  const one = oneCameraMemory(r);
  const t = (name: string, target: string, value: number | null, ok: (v: number) => boolean): TargetResult => ({
    name,
    target,
    value,
    pass: value === null ? null : ok(value),
  });
  return [
    t('efficiency (pipeline FPS / bare FPS)', '≥ 0.90', r.efficiency, (v) => v >= 0.9),
    t('preprocess + postprocess + publish, share of frame time', '≤ 10%', r.pipeline.overhead_share, (v) => v <= 0.1),
    t('RSS growth over 5000 frames after warm-up', '≤ 2%', r.pipeline.rss_growth_pct_per_5000_frames, (v) => v <= 2),
    t('ONNX Runtime speed / OpenCV DNN speed', '≥ 1.00', r.opencv?.ort_speedup ?? null, (v) => v >= 1),
    // Set for x86_64 with VNNI at 1 thread (docs/performance.md); ARM's own figure is still to be measured.
    t('int8 speed / FP32 speed, bare session.run', '≥ 1.60', r.int8?.bare_speedup ?? null, (v) => v >= 1.6),
    // Issue 17: what a Pi can afford, PSS of the daemon and its capture processes together.
    t('PSS of daemon + capture, one camera (MB)', '≤ 250', one?.steady_pss_mb ?? null, (v) => v <= 250),
    t('PSS per additional camera (MB)', '≤ 60', memoryIncrement(r.memory_runs), (v) => v <= 60),
  ];
}

const f = (v: number | null | undefined, digits = 2): string => (v === null || v === undefined ? '—' : v.toFixed(digits));

function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

const latRow = (name: string, s: LatencyStats, extra: string[] = []): string[] => [name, f(s.mean), f(s.p50), f(s.p95), f(s.p99), String(s.n), ...extra];

function pct(v: number): string {
  return `${(v * 100).toFixed(1)}%`;
}

function formatMemory(out: string[], title: string, p: PipelineResult): void {
  const m = p.memory;
  if (!m) {
    out.push(`${title}: not measured (no /proc/<pid>/smaps_rollup here)`);
    return;
  }
  out.push(
    `${title}: PSS of all ${m.processes.length} process(es) ${f(m.total_pss_mb.start, 1)} → ${f(m.total_pss_mb.end, 1)} MB (max ${f(m.total_pss_mb.max, 1)}, ` +
      `steady ${f(m.steady_pss_mb, 1)}), private dirty ${f(m.total_private_dirty_mb.end, 1)} MB; growth ${f(m.growth_mb_per_min, 3)} MB/min ` +
      `(${f(m.growth_pct)}% over ${f(m.duration_s / 60, 1)} min, ${m.samples} samples)`,
  );
  out.push(
    ...table(
      ['process', 'pid', 'PSS start', 'PSS end', 'PSS max', 'priv. dirty end', 'CPU ms/frame'],
      m.processes.map((q) => {
        const cpu = q.role === 'daemon' ? p.cpu_ms_per_frame.daemon : p.capture_processes.find((c) => c.pid === q.pid)?.cpu_ms_per_frame;
        return [q.role, String(q.pid), f(q.pss_mb.start, 1), f(q.pss_mb.end, 1), f(q.pss_mb.max, 1), f(q.private_dirty_mb.end, 1), f(cpu)];
      }),
    ).map((l) => `  ${l}`),
  );
  for (const k of p.pss_by_kind) {
    const top = k.kinds.slice(0, 5).map((x) => `${x.kind} ${f(x.pss_mb, 1)}`);
    out.push(`  ${k.role} ${k.pid} PSS by mapping (MB): ${top.join(', ')}`);
  }
  const v = p.daemon_v8_mb;
  out.push(`  daemon V8: heap ${f(v.heap_used, 1)} used of ${f(v.heap_total, 1)} MB; external ${f(v.external, 1)} MB (array buffers ${f(v.array_buffers, 1)})`);
}

export function formatReport(r: BenchReport, jsonPath?: string, drawnPath?: string): string {
  const m = r.machine;
  const p = r.pipeline;
  const out: string[] = [];
  out.push(`Lookout bench — ${r.model.name} (${r.model.input}) on ${r.machine.ep}, ${r.settings.threads} intra-op thread(s)`);
  out.push(`machine: ${m.cpu_model}, ${m.cores} cores, ${m.arch}, ${m.memory_mb} MB; Node ${m.node}, onnxruntime-node ${m.onnxruntime}, OpenCV ${m.opencv}`);
  out.push(`load average at start: ${m.load_average.map((v) => v.toFixed(2)).join(' ')} (other work on the machine skews every figure)`);
  out.push(`source:  ${r.source.path} (${r.source.width}×${r.source.height}, ${r.source.frames} frames)`);
  out.push('');
  out.push('Model alone and engines (ms per frame)');
  const rows: string[][] = [latRow('bare session.run (ORT)', r.bare.latency_ms, [f(r.bare.throughput_fps, 1)])];
  if (r.opencv) {
    rows.push(latRow('ORT, same runs as OpenCV', r.opencv.ort_latency_ms, [f(r.opencv.ort_throughput_fps, 1)]));
    rows.push(latRow(`OpenCV DNN (${r.opencv.mode})`, r.opencv.latency_ms, [f(r.opencv.throughput_fps, 1)]));
    if (r.opencv.tail_ms) rows.push(latRow('  of which ORT tail', r.opencv.tail_ms, ['']));
  }
  out.push(...table(['', 'mean', 'p50', 'p95', 'p99', 'n', 'FPS'], rows));
  if (r.opencv) {
    const a = r.opencv.agreement;
    out.push(
      `OpenCV ${r.opencv.opencv}: ORT is ${f(r.opencv.ort_speedup)}× its speed; detections agree ${pct(a.agreement)} ` +
        `(${a.matched} of ${a.ort_detections + a.opencv_detections} at score ≥ ${a.min_score}, IoU > ${a.iou_threshold}, same label, ${a.frames} frames; max score diff ${f(a.max_score_diff, 3)})`,
    );
    if (r.opencv.mode === 'split') {
      out.push(
        `  OpenCV cannot import the whole file; it runs the convolutional head (${r.opencv.head_nodes} of ${r.opencv.total_nodes} nodes, ` +
          `${
            Object.entries(r.opencv.rewrites)
              .map(([k, v]) => `${v} ${k} in attribute form`)
              .join(', ') || 'no rewrites'
          }), ORT the decoding tail.`,
      );
    }
  }
  if (r.int8) {
    const q = r.int8;
    out.push('');
    out.push(`FP32 vs int8, ${q.threads} thread(s): bare runs interleaved; pipeline runs A B A (${r.model.name} twice, pooled)`);
    const row = (name: string, a: number, b: number, ratio: number, digits = 1): string[] => [name, f(a, digits), f(b, digits), `${f(ratio)}×`];
    out.push(
      ...table(
        ['', q.fp32.model, q.int8.model, 'int8/FP32'],
        [
          row('bare FPS', q.fp32.bare.throughput_fps, q.int8.bare.throughput_fps, q.bare_speedup),
          row('bare ms p50', q.fp32.bare.latency_ms.p50, q.int8.bare.latency_ms.p50, q.fp32.bare.latency_ms.p50 / q.int8.bare.latency_ms.p50, 2),
          row('pipeline FPS', q.fp32.pipeline.fps, q.int8.pipeline.fps, q.pipeline_speedup),
          row(
            'pipeline CPU ms/frame',
            q.fp32.pipeline.cpu_ms_per_frame,
            q.int8.pipeline.cpu_ms_per_frame,
            q.fp32.pipeline.cpu_ms_per_frame / q.int8.pipeline.cpu_ms_per_frame,
            2,
          ),
        ],
      ),
    );
    out.push('  (ratios are speed-ups: above 1 means int8 is faster or cheaper; accuracy: lookout model compare)');
  }
  const d = r.detector;
  out.push(
    `detector (worker hop, ${d.frames} frames): preprocess ${f(d.preprocess_ms.mean)}, inference ${f(d.inference_ms.mean)}, ` +
      `postprocess ${f(d.postprocess_ms.mean)}, transfer ${f(d.transfer_ms.mean)} ms (mean)`,
  );
  out.push('');
  out.push(
    `Full pipeline: capture → detect → track → publish (${p.broker} broker), ${p.frames} frames after ${p.warmup_frames} warm-up${p.looped ? ', file looped' : ''}`,
  );
  out.push(
    ...table(
      ['stage', 'mean', 'p50', 'p95', 'p99', 'n'],
      STAGES.map((s) => latRow(s.replace(/_ms$/, ''), p.stages_ms[s])),
    ),
  );
  out.push(
    `FPS ${f(p.fps, 1)} (${f(p.frame_ms)} ms per frame), efficiency ${f(r.efficiency)} of bare ${f(r.bare.throughput_fps, 1)} FPS; ` +
      `dropped ${p.dropped}; ${f(p.detections_per_frame, 1)} detections per frame`,
  );
  out.push(
    `CPU per frame: ${f(p.cpu_ms_per_frame.total)} ms (daemon process ${f(p.cpu_ms_per_frame.daemon)}, of which main thread ${f(p.cpu_ms_per_frame.main_thread)}; ` +
      `capture process ${f(p.cpu_ms_per_frame.capture)}); ${f(p.cpu_cores_busy)} cores busy on average`,
  );
  formatMemory(out, 'Memory', p);
  out.push(
    `RSS: start ${f(p.rss_mb.start, 1)} MB, after warm-up ${f(p.rss_mb.after_warmup, 1)} MB, end ${f(p.rss_mb.end, 1)} MB, peak ${f(p.rss_mb.peak, 1)} MB; ` +
      `growth ${f(p.rss_growth_mb_per_1000_frames)} MB per 1000 frames (${f(p.rss_growth_pct_per_5000_frames)}% per 5000)`,
  );
  for (const run of r.memory_runs) {
    out.push('');
    formatMemory(
      out,
      `Memory run, ${run.cameras} camera(s) at ${run.max_fps} FPS cap for ${f(run.wall_s / 60, 1)} min (${f(run.fps, 1)} FPS in all; main thread ${f(run.cpu_ms_per_frame.main_thread)} ms CPU/frame)`,
      run,
    );
  }
  if (r.memory_increment_mb_per_camera !== null)
    out.push(`Each camera beyond the first adds ${f(r.memory_increment_mb_per_camera, 1)} MB PSS (steady, all processes)`);
  if (r.tfjs) {
    const t = r.tfjs;
    out.push('');
    out.push(
      `TF.js ${t.tfjs} (wasm backend, SIMD ${t.simd ? 'on' : 'off'}, ${t.threads} thread) vs ONNX Runtime (${t.ort_model}, ${t.threads} thread), ${t.runs} runs each interleaved on ${t.frames} frames`,
    );
    out.push(
      ...table(
        ['', 'mean', 'p50', 'p95', 'p99', 'n', 'FPS'],
        [
          latRow('TF.js graph (tfjs-backend-wasm)', t.tfjs_latency_ms, [f(t.tfjs_throughput_fps, 1)]),
          latRow('ONNX Runtime', t.ort_latency_ms, [f(t.ort_throughput_fps, 1)]),
        ],
      ),
    );
    out.push(`ONNX Runtime / TF.js speed: ${f(t.ort_speedup)}×; max |score difference| ${t.max_score_diff.toExponential(2)}`);
  }
  if (r.ort_memory) {
    out.push('');
    out.push(`ONNX Runtime memory options (each in a fresh process, ${r.ort_memory[0]?.runs ?? 0} runs, ${r.ort_memory[0]?.threads ?? 0} thread(s))`);
    out.push(
      ...table(
        ['variant', 'session PSS MB', 'PSS after runs', 'priv. dirty', 'FPS', 'CPU ms/run'],
        r.ort_memory.map((o) => [
          o.variant,
          f(o.session_pss_mb, 1),
          f(o.pss_mb.after_runs, 1),
          f(o.private_dirty_mb, 1),
          f(o.throughput_fps, 1),
          f(o.cpu_ms_per_run),
        ]),
      ),
    );
  }
  if (r.threads_scan) {
    out.push('');
    out.push('Threads scan (bare session.run)');
    out.push(
      ...table(
        ['threads', 'mean ms', 'p50 ms', 'p95 ms', 'FPS', 'CPU ms/run'],
        r.threads_scan.map((s) => [
          String(s.threads),
          f(s.latency_ms.mean),
          f(s.latency_ms.p50),
          f(s.latency_ms.p95),
          f(s.throughput_fps, 1),
          f(s.cpu_ms_per_run),
        ]),
      ),
    );
  }
  out.push('');
  out.push('Targets (reported, not enforced)');
  for (const t of r.targets) {
    const mark = t.pass === null ? 'N/A ' : t.pass ? 'PASS' : 'MISS';
    const value =
      t.value === null
        ? 'not measured'
        : t.name.includes('share')
          ? pct(t.value)
          : t.name.includes('RSS')
            ? `${f(t.value)}%`
            : f(t.value, t.name.includes('MB') ? 1 : 2);
    out.push(`  ${mark}  ${t.name}: ${value} (target ${t.target})`);
  }
  if (jsonPath) out.push('', `JSON written to ${jsonPath}`);
  if (drawnPath) out.push(`Report drawn to ${drawnPath}`);
  return out.join('\n');
}
