// `lookout bench --model mobilenet_v1:…`: untrained variants are timed in the real ONNX Runtime and
// reported as speed only, with their computed and published costs. Timings are never asserted
// (shared, noisy machines): only that they exist and that the costs are the variants' own.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runBenchCommand } from '../../../src/commands/bench';
import type { VariantReport } from '../../../src/bench/mobilenet-variants';
import { silentLogger } from '../../../src/log';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-bench-mnv1-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

it('times a grid of variants, labels every line speed only, and writes the JSON', async () => {
  const out: string[] = [];
  const err: string[] = [];
  const json = path.join(tmp, 'r.json');
  const rc = await runBenchCommand(
    { model: 'mobilenet_v1:alpha=0.5|0.25,size=96', frames: 5, threads: 1, json, out: (l) => out.push(l), err: (l) => err.push(l) },
    silentLogger,
  );
  expect({ rc, err }).toMatchObject({ rc: 0 });
  const text = out.join('\n');
  expect(text).toMatch(/UNTRAINED, random weights: SPEED ONLY/);
  const rows = text.split('\n').filter((l) => l.startsWith('mobilenet_v1_'));
  expect(rows.map((l) => l.split('\t')[0])).toEqual(['mobilenet_v1_0.5_96 (speed only)', 'mobilenet_v1_0.25_96 (speed only)']);
  const report = JSON.parse(fs.readFileSync(json, 'utf8')) as VariantReport;
  expect(report.threads).toBe(1);
  expect(report.variants.map((v) => [v.alpha, v.size, v.speed_only, v.bare.runs])).toEqual([
    [0.5, 96, true, 5],
    [0.25, 96, true, 5],
  ]);
  // (96/224)² of the 224 figures, plus the unchanged classifier: 0.5 → 27.9 M, 0.25 → 7.7 M.
  expect(report.variants.map((v) => Math.round(v.mult_adds_m))).toEqual([28, 8]);
  expect(report.variants.map((v) => v.paper_mult_adds_m)).toEqual([null, null]);
  for (const v of report.variants) {
    expect(v.bare.latency_ms.p50).toBeGreaterThan(0);
    expect(Number.isFinite(v.bare.throughput_fps)).toBe(true);
  }
});

it('puts the paper figure next to a variant the paper lists, and refuses a bad spec', async () => {
  const out: string[] = [];
  const err: string[] = [];
  const json = path.join(tmp, 'p.json');
  expect(
    await runBenchCommand(
      { model: 'mobilenet_v1:alpha=0.25,size=224', frames: 2, threads: 1, json, out: (l) => out.push(l), err: (l) => err.push(l) },
      silentLogger,
    ),
  ).toBe(0);
  const r = JSON.parse(fs.readFileSync(json, 'utf8')) as VariantReport;
  expect(r.variants[0]).toMatchObject({ paper_mult_adds_m: 41, paper_params_m: 0.5 });
  expect(await runBenchCommand({ model: 'mobilenet_v1:alpha=two', out: (l) => out.push(l), err: (l) => err.push(l) }, silentLogger)).toBe(64);
  expect(err.join('\n')).toMatch(/alpha must be in \(0, 4\]/);
});
