// Smoke test of `lookout bench`: a few frames through every measurement (the engines, memory runs
// with 1 and 2 cameras, ORT's memory options, the drawn report), then the JSON must carry every field
// with sane values. Timings are never asserted (shared, noisy machines): only that each figure
// exists, is finite, and is positive where a measurement cannot be zero.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'lookout.js');
const VTEST = path.join(ROOT, '.cache', 'testdata', 'vtest.avi');

function need(): void {
  const missing = [
    [path.join(ROOT, 'dist', 'commands', 'bench.js'), 'npm run build'],
    [path.join(ROOT, 'dist', 'bench', 'bench-child.js'), 'npm run build'],
    [path.join(ROOT, '.cache', 'models', 'coco-ssd', 'model.json'), 'node bin/lookout.js model build ssdlite_mobilenet_v2_coco (caches the TF.js original)'],
    [path.join(ROOT, 'dist', 'daemon.js'), 'npm run build'],
    [path.join(ROOT, 'models', 'ssdlite_mobilenet_v2_coco.onnx'), 'node bin/lookout.js model build ssdlite_mobilenet_v2_coco'],
    [path.join(ROOT, 'models', 'ssdlite_mobilenet_v2_coco_int8.onnx'), 'node bin/lookout.js model build ssdlite_mobilenet_v2_coco_int8'],
  ].filter(([p]) => !fs.existsSync(p));
  if (missing.length) throw new Error(`missing ${missing.map(([p, fix]) => `${p} (run: ${fix})`).join(', ')}`);
}

type Json = Record<string, unknown>;

function positive(obj: Json, key: string, where: string): void {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new Error(`${where}.${key} should be a positive number, got ${JSON.stringify(v)}`);
}

function nonNegative(obj: Json, key: string, where: string): void {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`${where}.${key} should be a number ≥ 0, got ${JSON.stringify(v)}`);
}

function finite(obj: Json, key: string, where: string): void {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${where}.${key} should be a finite number, got ${JSON.stringify(v)}`);
}

function latency(obj: Json, key: string, where: string, n: number): void {
  const s = obj[key] as Json;
  expect(s).toEqual(expect.any(Object));
  for (const k of ['mean', 'p50', 'p95', 'p99', 'min', 'max']) positive(s, k, `${where}.${key}`);
  expect(s.n).toBe(n);
}

function nonNegLatency(obj: Json, key: string, where: string): void {
  const s = obj[key] as Json;
  for (const k of ['mean', 'p50', 'p95', 'p99', 'min', 'max']) nonNegative(s, k, `${where}.${key}`);
  positive(s, 'n', `${where}.${key}`);
}

function bareRun(r: Json, where: string, runs: number): void {
  expect(r.ep).toBe('cpu');
  positive(r, 'threads', where);
  expect(r.runs).toBe(runs);
  latency(r, 'latency_ms', where, runs);
  positive(r, 'throughput_fps', where);
  positive(r, 'cpu_ms_per_run', where);
  positive(r, 'load_ms', where);
}

describe('lookout bench', () => {
  let report: Json;
  let stdout = '';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-bench-test-'));
  const jsonPath = path.join(dir, 'bench.json');
  const htmlPath = path.join(dir, 'bench.html');

  beforeAll(async () => {
    need();
    const args = [
      ...[BIN, 'bench', '--source', VTEST, '--frames', '5', '--threads', '1', '--no-scan'],
      ...['--compare', 'opencv,int8,tfjs,ort-memory', '--memory-minutes', '0.01', '--cameras', '2', '--json', jsonPath, '--report', htmlPath],
    ];
    stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, args, { cwd: ROOT, timeout: 330_000, maxBuffer: 4 << 20 }, (err, out, errOut) => {
        if (err) reject(new Error(`lookout bench failed (${err.message}):\n${errOut}\n${out}`));
        else resolve(out);
      });
    });
    report = JSON.parse(fs.readFileSync(jsonPath, 'utf8')) as Json;
  }, 360_000);

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('prints the table, the targets and where the JSON went', () => {
    expect(stdout).toContain('bare session.run');
    expect(stdout).toContain('Full pipeline');
    expect(stdout).toMatch(/OpenCV DNN/);
    expect(stdout).toMatch(/FP32 vs int8, 1 thread\(s\)/);
    expect(stdout).toMatch(/^bare FPS .*×$/m);
    expect(stdout).toMatch(/(PASS|MISS) {2}efficiency/);
    expect(stdout).toContain(`JSON written to ${jsonPath}`);
    expect(stdout).toContain(`Report drawn to ${htmlPath}`);
    expect(stdout).toMatch(/ONNX Runtime \/ TF\.js speed: [\d.]+×/);
    expect(stdout).toContain('Each camera beyond the first adds');
  });

  test('machine, model, source and settings', () => {
    expect(report.report_version).toBe(1);
    expect(Number.isNaN(Date.parse(report.generated_at as string))).toBe(false);
    const m = report.machine as Json;
    for (const k of ['cpu_model', 'arch', 'platform', 'kernel', 'node', 'onnxruntime', 'opencv', 'ep']) expect(m[k]).toEqual(expect.stringMatching(/\S/));
    positive(m, 'cores', 'machine');
    positive(m, 'memory_mb', 'machine');
    expect(m.ep).toBe('cpu');
    expect(m.load_average).toEqual([expect.any(Number), expect.any(Number), expect.any(Number)]);
    const model = report.model as Json;
    expect(model.name).toBe('ssdlite_mobilenet_v2_coco');
    expect(fs.existsSync(model.path as string)).toBe(true);
    expect(model.input).toMatch(/300×300/);
    expect(report.source).toEqual({ path: VTEST, width: 768, height: 576, frames: 795 });
    expect(report.settings).toEqual({
      threads: 1,
      pipeline_frames: 5,
      warmup_frames: 2,
      bare_runs: 5,
      detector_frames: 5,
      opencv_runs: 5,
      tfjs_runs: 5,
      scan_runs: null,
      memory_minutes: 0.01,
      memory_cameras: [1, 2],
    });
  });

  test('bare session.run and the detector stage', () => {
    bareRun(report.bare as Json, 'bare', 5);
    expect((report.bare as Json).threads).toBe(1);
    const d = report.detector as Json;
    expect(d.frames).toBe(5);
    for (const k of ['preprocess_ms', 'inference_ms', 'postprocess_ms']) for (const s of ['mean', 'p50', 'p95']) positive(d[k] as Json, s, `detector.${k}`);
    for (const s of ['mean', 'p50', 'p95']) nonNegative(d.transfer_ms as Json, s, 'detector.transfer_ms');
    positive(d, 'overhead_ratio', 'detector');
  });

  test('full pipeline', () => {
    const p = report.pipeline as Json;
    expect(p.frames).toBe(5);
    expect(p.warmup_frames).toBe(2);
    expect(p.looped).toBe(false);
    expect(['mosquitto', 'embedded']).toContain(p.broker);
    expect(p.model).toBe('ssdlite_mobilenet_v2_coco');
    expect(p.ep).toBe('cpu');
    expect(p.threads).toBe(1);
    for (const k of ['wall_s', 'fps', 'frame_ms', 'overhead_ms', 'overhead_share', 'cpu_cores_busy']) positive(p, k, 'pipeline');
    nonNegative(p, 'dropped', 'pipeline');
    nonNegative(p, 'detections_per_frame', 'pipeline');
    const stages = p.stages_ms as Json;
    for (const s of ['capture_ms', 'preprocess_ms', 'inference_ms', 'postprocess_ms', 'total_ms', 'age_ms']) latency(stages, s, 'pipeline.stages_ms', 5);
    for (const s of ['wait_ms', 'publish_ms']) nonNegLatency(stages, s, 'pipeline.stages_ms');
    const cpu = p.cpu_ms_per_frame as Json;
    positive(cpu, 'daemon', 'pipeline.cpu_ms_per_frame');
    positive(cpu, 'total', 'pipeline.cpu_ms_per_frame');
    if (process.platform === 'linux') {
      positive(cpu, 'capture', 'pipeline.cpu_ms_per_frame');
      positive(cpu, 'main_thread', 'pipeline.cpu_ms_per_frame');
      expect(cpu.main_thread as number).toBeLessThanOrEqual(cpu.daemon as number);
      const captures = p.capture_processes as Json[];
      expect(captures).toHaveLength(1);
      positive(captures[0], 'pid', 'pipeline.capture_processes[0]');
      positive(captures[0], 'cpu_ms_per_frame', 'pipeline.capture_processes[0]');
    }
    const rss = p.rss_mb as Json;
    for (const k of ['start', 'after_warmup', 'end', 'peak']) positive(rss, k, 'pipeline.rss_mb');
    finite(p, 'rss_growth_mb_per_1000_frames', 'pipeline');
    finite(p, 'rss_growth_pct_per_5000_frames', 'pipeline');
    expect((p.rss_samples as unknown[]).length).toBeGreaterThan(0);
    for (const [frame, mb] of p.rss_samples as Array<[number, number]>) expect(frame > 0 && mb > 0).toBe(true);
    positive(report, 'efficiency', 'report');
  });

  function memoryOf(run: Json, cameras: number, where: string): void {
    expect(run.cameras).toBe(cameras);
    if (process.platform !== 'linux') return;
    const m = run.memory as Json;
    positive(m, 'samples', `${where}.memory`);
    positive(m, 'steady_pss_mb', `${where}.memory`);
    finite(m, 'growth_mb_per_min', `${where}.memory`);
    for (const k of ['start', 'end', 'max']) positive(m.total_pss_mb as Json, k, `${where}.memory.total_pss_mb`);
    const procs = m.processes as Json[];
    expect(procs.map((q) => q.role)).toEqual(['daemon', ...Array<string>(cameras).fill('capture')]);
    // PSS adds up: the total is the sum of the processes at the end.
    const sum = procs.reduce((a, q) => a + ((q.pss_mb as Json).end as number), 0);
    expect(Math.abs(sum - ((m.total_pss_mb as Json).end as number))).toBeLessThan(0.5);
    expect((run.memory_samples as Json[]).some((s) => (s.t_s as number) < 0)).toBe(true); // the warm-up is drawn too
    const kinds = run.pss_by_kind as Json[];
    expect(kinds.map((k) => k.role).sort()).toEqual(['capture', ...Array<string>(cameras - 1).fill('capture'), 'daemon'].sort());
    for (const k of kinds) expect((k.kinds as Json[]).length).toBeGreaterThan(0);
  }

  test('memory: PSS per process in the main run and in the 1- and 2-camera memory runs, and what a camera adds', () => {
    memoryOf(report.pipeline as Json, 1, 'pipeline');
    const runs = report.memory_runs as Json[];
    expect(runs).toHaveLength(2);
    memoryOf(runs[0], 1, 'memory_runs[0]');
    memoryOf(runs[1], 2, 'memory_runs[1]');
    for (const r of runs) expect(r.max_fps).toBe(30);
    // The warm-up follows --frames as the pipeline run's does (at least 2), per camera.
    expect(runs.map((r) => r.warmup_frames)).toEqual([2, 4]);
    if (process.platform === 'linux') finite(report, 'memory_increment_mb_per_camera', 'report');
  });

  test('TF.js on the wasm backend runs the original graph on the same frames and gives the same scores', () => {
    const t = report.tfjs as Json;
    expect(t).toMatchObject({ tfjs: '4.22.0', backend: 'wasm', threads: 1, runs: 5, frames: 5, ort_model: 'ssdlite_mobilenet_v2_coco' });
    latency(t, 'tfjs_latency_ms', 'tfjs', 5);
    latency(t, 'ort_latency_ms', 'tfjs', 5);
    for (const k of ['tfjs_throughput_fps', 'ort_throughput_fps', 'ort_speedup', 'tfjs_load_ms']) positive(t, k, 'tfjs');
    expect(t.ort_speedup).toBeCloseTo((t.ort_throughput_fps as number) / (t.tfjs_throughput_fps as number), 2);
    // The ONNX file is a conversion of this very graph: its scores must match the original's.
    nonNegative(t, 'max_score_diff', 'tfjs');
    expect(t.max_score_diff as number).toBeLessThan(1e-3);
  });

  test("ONNX Runtime's memory options, each measured in a fresh process", () => {
    const variants = report.ort_memory as Json[];
    expect(variants.length).toBeGreaterThanOrEqual(4);
    expect(variants.map((v) => [v.enableCpuMemArena, v.enableMemPattern]).slice(0, 4)).toEqual([
      [true, true],
      [false, true],
      [true, false],
      [false, false],
    ]);
    for (const [i, v] of variants.entries()) {
      expect(v.runs).toBe(5);
      for (const k of ['throughput_fps', 'cpu_ms_per_run']) positive(v, k, `ort_memory[${i}]`);
      if (process.platform === 'linux') positive(v, 'session_pss_mb', `ort_memory[${i}]`);
    }
  });

  test('--report draws a self-contained HTML file with the stage timings and memory curves', () => {
    const html = fs.readFileSync(htmlPath, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('Pipeline stages');
    expect(html).toContain('Memory over time, memory run, 2 camera(s)');
    expect(html).toContain('data-series="PSS, all processes"');
    expect(html).not.toMatch(/<script|<link|src=|href=/i);
  });

  test('OpenCV DNN comparison and detection agreement', () => {
    const o = report.opencv as Json;
    expect(o.opencv).toEqual(expect.stringMatching(/^\d+\.\d+\.\d+$/));
    expect(['whole', 'split']).toContain(o.mode);
    if (o.mode === 'split') {
      expect(o.import_error).toEqual(expect.stringMatching(/\S/));
      positive(o, 'head_nodes', 'opencv');
      expect(o.total_nodes as number).toBeGreaterThan(o.head_nodes as number);
      nonNegLatency(o, 'tail_ms', 'opencv');
    }
    expect(o.threads).toBe(1);
    expect(o.runs).toBe(5);
    for (const k of ['latency_ms', 'forward_ms', 'ort_latency_ms']) latency(o, k, 'opencv', 5);
    for (const k of ['throughput_fps', 'ort_throughput_fps', 'ort_speedup']) positive(o, k, 'opencv');
    const a = o.agreement as Json;
    expect(a.frames).toBe(10);
    for (const k of ['min_score', 'candidate_score', 'iou_threshold']) positive(a, k, 'opencv.agreement');
    // vtest.avi shows people in every sampled frame: both engines must find some.
    positive(a, 'ort_detections', 'opencv.agreement');
    positive(a, 'opencv_detections', 'opencv.agreement');
    positive(a, 'matched', 'opencv.agreement');
    positive(a, 'agreement', 'opencv.agreement');
    expect(a.agreement as number).toBeLessThanOrEqual(1);
    nonNegative(a, 'max_score_diff', 'opencv.agreement');
  });

  test('FP32 and int8 side by side: bare (interleaved) and through the pipeline (A B A), with the speed-ups', () => {
    const q = report.int8 as Json;
    expect(q.threads).toBe(1);
    const fp32 = q.fp32 as Json;
    const int8 = q.int8 as Json;
    expect(fp32.model).toBe('ssdlite_mobilenet_v2_coco');
    expect(int8.model).toBe('ssdlite_mobilenet_v2_coco_int8');
    for (const [side, where] of [
      [fp32, 'int8.fp32'],
      [int8, 'int8.int8'],
    ] as const) {
      bareRun(side.bare as Json, `${where}.bare`, 5);
      for (const k of ['fps', 'frame_ms', 'inference_ms_mean', 'cpu_ms_per_frame']) positive(side.pipeline as Json, k, `${where}.pipeline`);
    }
    // A B A: the bench's own model (FP32) twice, pooled, around one int8 run.
    expect(fp32.pipeline).toMatchObject({ runs: 2, frames: 10 });
    expect(int8.pipeline).toMatchObject({ runs: 1, frames: 5 });
    expect(q.bare_speedup).toBeCloseTo(((int8.bare as Json).throughput_fps as number) / ((fp32.bare as Json).throughput_fps as number), 2);
    expect(q.pipeline_speedup).toBeCloseTo(((int8.pipeline as Json).fps as number) / ((fp32.pipeline as Json).fps as number), 2);
  });

  test('targets are reported with a value and a verdict', () => {
    const targets = report.targets as Json[];
    expect(targets).toHaveLength(7);
    for (const t of targets) {
      expect(t.name).toEqual(expect.stringMatching(/\S/));
      expect(t.target).toEqual(expect.stringMatching(/[≥≤]/));
      finite(t, 'value', `target ${String(t.name)}`);
      expect(typeof t.pass).toBe('boolean');
    }
    expect(report.threads_scan).toBeNull();
  });
});

describe('lookout bench usage errors', () => {
  test('--compare int8 for a model without an int8 variant names the missing manifest (exit 66)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-bench-noint8-'));
    try {
      for (const f of ['ssdlite_mobilenet_v2_coco.json', 'ssdlite_mobilenet_v2_coco.onnx']) fs.symlinkSync(path.join(ROOT, 'models', f), path.join(dir, f));
      const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          [BIN, 'bench', '--model', path.join(dir, 'ssdlite_mobilenet_v2_coco.onnx'), '--compare', 'int8', '--no-scan'],
          { cwd: ROOT, timeout: 30_000 },
          (err, _out, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stderr }),
        );
      });
      expect(r.code).toBe(66);
      expect(r.stderr).toContain(`no manifest ${path.join(dir, 'ssdlite_mobilenet_v2_coco_int8.json')}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an unknown --compare value is refused with exit 64', async () => {
    const code = await new Promise<number>((resolve) => {
      execFile(process.execPath, [BIN, 'bench', '--compare', 'tflite', '--no-scan'], { cwd: ROOT, timeout: 30_000 }, (err) =>
        resolve(err ? ((err as { code?: number }).code ?? -1) : 0),
      );
    });
    expect(code).toBe(64);
  });
});
