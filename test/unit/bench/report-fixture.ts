/** A bench report with made-up figures, shaped as `lookout bench` writes it, for the renderers' tests. */
import type { MemorySample } from '../../../src/bench/memory-sampler';
import { summarizeMemory } from '../../../src/bench/memory-sampler';
import { STAGES, type PipelineResult } from '../../../src/bench/pipeline-run';
import type { BenchReport } from '../../../src/bench/report';
import { evaluateTargets, memoryIncrement } from '../../../src/bench/report';
import type { LatencyStats } from '../../../src/bench/stats';
import type { BareRunResult } from '../../../src/bench/bare-session';

export const lat = (mean: number, n = 100): LatencyStats => ({ n, mean, p50: mean, p95: mean * 1.3, p99: mean * 1.5, min: mean * 0.8, max: mean * 2 });

export function samples(cameras: number, daemon: (t: number) => number, capture = 80): MemorySample[] {
  return Array.from({ length: 12 }, (_, i) => ({
    t_s: i * 10 - 10,
    frames: Math.max(0, i * 300 - 300),
    processes: [
      { pid: 1000, role: 'daemon' as const, pss_mb: daemon(i * 10), private_dirty_mb: daemon(i * 10) * 0.8, rss_mb: daemon(i * 10) + 100 },
      ...Array.from({ length: cameras }, (_, c) => ({
        pid: 2000 + c,
        role: 'capture' as const,
        pss_mb: capture,
        private_dirty_mb: capture * 0.7,
        rss_mb: capture + 90,
      })),
    ],
  }));
}

export function pipeline(cameras = 1, daemon: (t: number) => number = () => 270): PipelineResult {
  const memory_samples = samples(cameras, daemon);
  return {
    source: '/x/vtest.avi',
    model: 'ssdlite_mobilenet_v2_coco',
    ep: 'cpu',
    threads: 1,
    cameras,
    max_fps: 120,
    broker: 'embedded',
    looped: false,
    warmup_frames: 50,
    frames: 3000,
    wall_s: 100,
    fps: 30,
    frame_ms: 33.333,
    stages_ms: Object.fromEntries(STAGES.map((s, i) => [s, lat(i + 1)])) as PipelineResult['stages_ms'],
    dropped: 0,
    detections_per_frame: 7,
    overhead_ms: 1.4,
    overhead_share: 0.042,
    cpu_ms_per_frame: { daemon: 26, main_thread: 9, capture: 7, total: 33 },
    capture_processes: Array.from({ length: cameras }, (_, c) => ({ pid: 2000 + c, cpu_ms_per_frame: 7 / cameras })),
    cpu_cores_busy: 1.1,
    rss_mb: { start: 240, after_warmup: 360, end: 370, peak: 372 },
    rss_growth_mb_per_1000_frames: 0.5,
    rss_growth_pct_per_5000_frames: 0.7,
    rss_samples: [
      [50, 360],
      [100, 362],
    ],
    memory: summarizeMemory(memory_samples),
    memory_samples,
    pss_by_kind: [{ pid: 1000, role: 'daemon', kinds: [{ kind: 'anonymous (V8 heap, malloc arenas, thread stacks)', pss_mb: 140 }] }],
    daemon_v8_mb: { heap_used: 40, heap_total: 70, external: 8, array_buffers: 9 },
  };
}

const bare = (threads: number, fps: number): BareRunResult => ({
  threads,
  ep: 'cpu',
  runs: 100,
  latency_ms: lat(1000 / fps),
  throughput_fps: fps,
  cpu_ms_per_run: 14 * threads,
  load_ms: 200,
});

export function report(memoryRuns: PipelineResult[] = []): BenchReport {
  const p = pipeline();
  const base = { efficiency: 0.4, pipeline: p, opencv: null, int8: null, tfjs: null, memory_runs: memoryRuns };
  return {
    report_version: 1,
    generated_at: '2026-12-03T03:00:00.000Z',
    machine: {
      cpu_model: 'Test CPU <fast> & cheap',
      cores: 2,
      arch: 'x64',
      platform: 'linux',
      kernel: '6.1',
      memory_mb: 4096,
      node: 'v20',
      onnxruntime: '1.30.0',
      opencv: '4.6.0',
      ep: 'cpu',
      load_average: [0.1, 0.2, 0.3],
    },
    model: { name: 'ssdlite_mobilenet_v2_coco', path: '/x/m.onnx', input: '300×300 NHWC uint8' },
    source: { path: '/x/vtest.avi', width: 768, height: 576, frames: 795 },
    settings: {
      threads: 1,
      pipeline_frames: 3000,
      warmup_frames: 50,
      bare_runs: 100,
      detector_frames: 100,
      opencv_runs: null,
      tfjs_runs: null,
      scan_runs: 100,
      memory_minutes: memoryRuns.length ? 1 : null,
      memory_cameras: memoryRuns.map((r) => r.cameras),
    },
    bare: bare(1, 75),
    detector: {
      model: 'ssdlite_mobilenet_v2_coco',
      ep: 'cpu',
      threads: 1,
      frames: 100,
      width: 768,
      height: 576,
      preprocess_ms: { mean: 1, p50: 1, p95: 1 },
      inference_ms: { mean: 14, p50: 14, p95: 15 },
      postprocess_ms: { mean: 0.5, p50: 0.5, p95: 0.6 },
      transfer_ms: { mean: 1, p50: 1, p95: 1 },
      overhead_ratio: 0.1,
    },
    pipeline: p,
    efficiency: 0.4,
    opencv: null,
    int8: null,
    tfjs: null,
    ort_memory: null,
    memory_runs: memoryRuns,
    memory_increment_mb_per_camera: memoryIncrement(memoryRuns),
    threads_scan: [bare(1, 75), bare(2, 92)],
    targets: evaluateTargets(base),
  };
}
