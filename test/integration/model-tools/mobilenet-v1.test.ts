/**
 * The MobileNetV1 builder's ONNX files run in the real ONNX Runtime and compute the network of the
 * definition: checked against a direct evaluation of the same layers (TF SAME padding, depthwise
 * filters one per channel, BN, ReLU6, average pool, FC) written plainly here, with BN folded and kept.
 * Also the CLI paths a user takes: `model info mobilenet_v1:…` and `model build mobilenet_v1:… --out`.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runModelBuildCommand, runModelInfoCommand } from '../../../src/commands/model';
import { silentLogger } from '../../../src/log';
import { buildMobileNetV1, randomWeights, type LayerSpec, type LayerWeights, type WeightSource } from '../../../src/model-tools/mobilenet-v1';
import * as ort from 'onnxruntime-node';

/** Random weights with BN statistics far from identity, so a wrong fold would show. */
function weightsWithBn(): { source: WeightSource; seen: Map<string, LayerWeights> } {
  const base = randomWeights(7);
  let s = 12345;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const seen = new Map<string, LayerWeights>();
  const source: WeightSource = (layer) => {
    const w = base(layer);
    if (w.bn) {
      const c = layer.outChannels;
      const v = (f: () => number) => Float32Array.from({ length: c }, f);
      w.bn = { gamma: v(() => 0.5 + rnd()), beta: v(() => rnd() - 0.5), mean: v(() => (rnd() - 0.5) * 0.4), variance: v(() => 0.5 + rnd()), epsilon: 0.001 };
    }
    seen.set(layer.name, w);
    return w;
  };
  return { source, seen };
}

type Fmap = { c: number; h: number; w: number; d: number[] };

/** TensorFlow's SAME rule, restated here so a padding mistake in the builder cannot hide in both. */
function tfSame(size: number, k: number, stride: number): { pads: [number, number]; out: number } {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + k - size, 0);
  return { pads: [Math.floor(total / 2), total - Math.floor(total / 2)], out };
}

/** One convolution as TF computes it (NCHW here), followed by BN and ReLU6. */
function refConv(x: Fmap, spec: LayerSpec, lw: LayerWeights, k: number, depthwise: boolean): Fmap {
  const ph = tfSame(x.h, k, spec.stride);
  const pw = tfSame(x.w, k, spec.stride);
  const o = spec.outChannels;
  const out = new Array<number>(o * ph.out * pw.out).fill(0);
  const wt = Array.from(lw.weight);
  const cin = depthwise ? 1 : x.c;
  for (let oc = 0; oc < o; oc++) {
    const bn = lw.bn as NonNullable<LayerWeights['bn']>;
    const scale = bn.gamma[oc] / Math.sqrt(bn.variance[oc] + bn.epsilon);
    for (let oy = 0; oy < ph.out; oy++) {
      for (let ox = 0; ox < pw.out; ox++) {
        let acc = 0;
        for (let ic = 0; ic < cin; ic++) {
          const src = depthwise ? oc : ic;
          for (let ky = 0; ky < k; ky++) {
            const iy = oy * spec.stride + ky - ph.pads[0];
            if (iy < 0 || iy >= x.h) continue;
            for (let kx = 0; kx < k; kx++) {
              const ix = ox * spec.stride + kx - pw.pads[0];
              if (ix < 0 || ix >= x.w) continue;
              acc += x.d[(src * x.h + iy) * x.w + ix] * wt[((oc * cin + ic) * k + ky) * k + kx];
            }
          }
        }
        const y = (acc - bn.mean[oc]) * scale + bn.beta[oc];
        out[(oc * ph.out + oy) * pw.out + ox] = Math.min(Math.max(y, 0), 6);
      }
    }
  }
  return { c: o, h: ph.out, w: pw.out, d: out };
}

function reference(input: number[], size: number, layers: LayerSpec[], seen: Map<string, LayerWeights>): number[] {
  let x: Fmap = { c: 3, h: size, w: size, d: input };
  for (const spec of layers) {
    const lw = seen.get(spec.name) as LayerWeights;
    if (spec.kind === 'fc') {
      const pooled = Array.from({ length: x.c }, (_, c) => x.d.slice(c * x.h * x.w, (c + 1) * x.h * x.w).reduce((a, b) => a + b, 0) / (x.h * x.w));
      const w = Array.from(lw.weight);
      return Array.from({ length: spec.outChannels }, (_, o) => pooled.reduce((a, p, i) => a + p * w[o * x.c + i], (lw.bias as Float32Array)[o]));
    }
    x = refConv(x, spec, lw, spec.kind === 'pointwise' ? 1 : 3, spec.kind === 'depthwise');
  }
  return x.d;
}

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'lookout-mnv1-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe.each(['fold', 'keep'] as const)('BN %s', (bn) => {
  // An odd size, so every stride-2 layer meets both SAME cases (even and odd input).
  it('ONNX Runtime computes what the definition says (α 0.25, 37×37, 10 classes)', async () => {
    const size = 37;
    const { source, seen } = weightsWithBn();
    const m = buildMobileNetV1({ alpha: 0.25, size, classes: 10, bn, weights: source });
    expect(m.speedOnly).toBe(false);
    const session = await ort.InferenceSession.create(m.bytes);
    try {
      const input = Array.from({ length: 3 * size * size }, (_, i) => Math.sin(i * 0.37) * 0.9);
      const r = await session.run({ input: new ort.Tensor('float32', Float32Array.from(input), [1, 3, size, size]) });
      const logits = Array.from(r.logits.data as Float32Array);
      const want = reference(input, size, m.graph.layers, seen);
      expect(r.features.dims).toEqual([1, 256, 2, 2]);
      expect(logits).toHaveLength(10);
      const spread = Math.max(...want) - Math.min(...want);
      expect(spread).toBeGreaterThan(0.01);
      for (let i = 0; i < 10; i++) expect(Math.abs(logits[i] - want[i])).toBeLessThan(1e-4 * Math.max(1, Math.abs(want[i])));
    } finally {
      await session.release();
    }
  });
});

describe('from the command line', () => {
  const out: string[] = [];
  beforeEach(() => {
    out.length = 0;
    jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
    jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
  });
  afterEach(() => jest.restoreAllMocks());

  it('model info prints the per-layer table of a variant built in memory', async () => {
    expect(await runModelInfoCommand('mobilenet_v1:alpha=0.5,size=160', { layers: true })).toBe(0);
    const text = out.join('');
    expect(text).toMatch(/MACs: +76,524,800 \(0\.077 G\)/);
    expect(text).toContain('27\tConv\tconv 1x1\t[1,512,5,5]\t[1,512,5,5]\t1x1/1x1/1\t262656\t6553600\tMobilenetV1/Conv2d_13_pointwise');
    expect(await runModelInfoCommand('mobilenet_v1:alpha=-1', {})).toBe(1);
    expect(out.join('')).toMatch(/alpha must be in \(0, 4\]/);
  });

  it('model build writes a variant that ONNX Runtime loads, and says it is untrained', async () => {
    const file = path.join(tmp, 'v.onnx');
    expect(await runModelBuildCommand('mobilenet_v1:alpha=0.25,size=128,classes=0', { out: file }, silentLogger)).toBe(0);
    expect(out.join('')).toMatch(/built .*v\.onnx sha256 [0-9a-f]{64} \(untrained random weights: speed and size only\)/);
    const session = await ort.InferenceSession.create(file);
    try {
      expect(session.outputNames).toEqual(['features']);
      const r = await session.run({ input: new ort.Tensor('float32', new Float32Array(3 * 128 * 128).fill(0.5), [1, 3, 128, 128]) });
      expect(r.features.dims).toEqual([1, 256, 4, 4]);
    } finally {
      await session.release();
    }
  });
});
