/**
 * `lookout bench --model mobilenet_v1:alpha=0.5,size=160`: how fast untrained MobileNetV1 variants
 * run here, next to their mult-adds and parameters: the paper's α × ρ trade-off measured on this
 * machine. The weights are seeded random numbers, so these files detect and classify nothing: the
 * report says "speed only" on every line. `|` lists in the spec (`alpha=1|0.5,size=224|128`) time a
 * grid, one variant after the other, each in a fresh session.
 *
 * Each variant is timed as the bare session of `lookout bench` times a model: `session.run` on the
 * main thread with the daemon's session options, on one input, back to back after a warm-up.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { STRETCH_GEOMETRY } from '../detect/types';
import { modelInfoFromBytes } from '../model-tools/info';
import { buildMobileNetV1, mobileNetV1Name, paperMultAdds, paperParams, parseMobileNetV1Spec, type MobileNetV1Options } from '../model-tools/mobilenet-v1';
import { benchBareSession, type BareRunResult } from './bare-session';
import type { BenchInput } from './input';
import { machineInfo } from './machine';
import { round3 } from './stats';

export interface VariantResult {
  name: string;
  alpha: number;
  size: number;
  separable: boolean;
  classes: number;
  /** Always true: random weights. */
  speed_only: true;
  paper_mult_adds_m: number | null;
  mult_adds_m: number;
  paper_params_m: number | null;
  /** Weights and biases in the file's Conv and Gemm layers. */
  params_m: number;
  file_mb: number;
  bare: BareRunResult;
}

export interface VariantReport {
  report_version: 1;
  kind: 'mobilenet_v1 variants (speed only)';
  generated_at: string;
  machine: ReturnType<typeof machineInfo> & { load_average: number[] };
  threads: number;
  runs: number;
  variants: VariantResult[];
}

/** A fixed pseudo-random input in [-1, 1]: the values do not change the work a CPU does. */
function syntheticInput(size: number): BenchInput {
  const data = new Float32Array(3 * size * size);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 12.9898) * 0.999;
  return { frame: 0, data, dims: [1, 3, size, size], geometry: STRETCH_GEOMETRY };
}

export async function benchMobileNetVariants(
  spec: string,
  o: { threads: number; runs: number; warmup?: number; progress?: (what: string) => void },
): Promise<VariantReport> {
  const variants = parseMobileNetV1Spec(spec);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lookout-mnv1-'));
  const results: VariantResult[] = [];
  const loadAverage = os.loadavg().map(round3);
  try {
    for (const v of variants) {
      const name = mobileNetV1Name(v);
      o.progress?.(`${name} (untrained, speed only): ${o.runs} runs, ${o.threads} thread(s)`);
      const model = buildMobileNetV1(v);
      const file = path.join(dir, `${name}.onnx`);
      await fs.writeFile(file, model.bytes);
      const info = modelInfoFromBytes(model.bytes, file);
      const size = v.size ?? 224;
      const bare = await benchBareSession({ modelPath: file, inputName: 'input', ep: 'cpu', threads: o.threads }, syntheticInput(size), o.runs, o.warmup ?? 5);
      await fs.rm(file, { force: true });
      results.push(
        variantResult(
          v,
          name,
          info.macs,
          info.layers.reduce((a, l) => a + l.params, 0),
          model.bytes.length,
          bare,
        ),
      );
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
  return {
    report_version: 1,
    kind: 'mobilenet_v1 variants (speed only)',
    generated_at: new Date().toISOString(),
    machine: { ...machineInfo(), load_average: loadAverage },
    threads: o.threads,
    runs: o.runs,
    variants: results,
  };
}

function variantResult(v: MobileNetV1Options, name: string, macs: number, params: number, bytes: number, bare: BareRunResult): VariantResult {
  return {
    name,
    alpha: v.alpha ?? 1,
    size: v.size ?? 224,
    separable: v.separable ?? true,
    classes: v.classes ?? 1000,
    speed_only: true,
    paper_mult_adds_m: paperMultAdds(v) ?? null,
    mult_adds_m: round3(macs / 1e6),
    paper_params_m: paperParams(v) ?? null,
    params_m: round3(params / 1e6),
    file_mb: round3(bytes / 1e6),
    bare,
  };
}

export function formatVariantReport(r: VariantReport, jsonPath?: string): string {
  const m = r.machine;
  const lines = [
    `MobileNetV1 variants — UNTRAINED, random weights: SPEED ONLY (they recognise nothing)`,
    `machine: ${m.cpu_model}, ${m.cores} cores, ${m.arch}, ONNX Runtime ${m.onnxruntime}, load ${m.load_average.join(' ')}`,
    `bare session.run, ${r.threads} thread(s), ${r.runs} runs each after a warm-up`,
    '',
    ['variant', 'paper M mult-adds', 'M MACs', 'paper M params', 'M params', 'MB', 'ms p50', 'ms mean', 'fps'].join('\t'),
  ];
  for (const v of r.variants) {
    lines.push(
      [
        `${v.name} (speed only)`,
        v.paper_mult_adds_m ?? '-',
        v.mult_adds_m.toFixed(1),
        v.paper_params_m ?? '-',
        v.params_m.toFixed(2),
        v.file_mb.toFixed(1),
        v.bare.latency_ms.p50.toFixed(2),
        v.bare.latency_ms.mean.toFixed(2),
        v.bare.throughput_fps.toFixed(1),
      ].join('\t'),
    );
  }
  if (jsonPath) lines.push('', `JSON: ${jsonPath}`);
  return lines.join('\n');
}
