/**
 * MobileNetV1 (Howard et al. 2017, "MobileNets: Efficient Convolutional Neural Networks for Mobile
 * Vision Applications") written as ONNX from its definition, for any width multiplier α and input
 * size: a 3×3 stride-2 convolution to 32·α channels, 13 depthwise separable blocks (3×3 depthwise
 * conv + BN + ReLU6, 1×1 pointwise conv + BN + ReLU6), global average pooling and an optional
 * fully connected classifier.
 *
 * Depthwise convolutions are ONNX `Conv` with `group` = channels, which is what ONNX Runtime's MLAS
 * has a dedicated kernel for. Padding is TensorFlow's SAME (asymmetric for stride 2 on even sizes:
 * the extra row and column go bottom/right), so TF-trained weights (face-api's SSD backbone) give
 * the same numbers as in TF. Channel counts follow TF-slim: max(⌊c·α⌋, 8).
 *
 * Without trained weights the network is filled with seeded random weights: such a file is for
 * counting (`lookout model info`) and timing (`lookout bench`) only, and its doc string says so.
 */
import { OnnxGraphBuilder, type ValueSpec } from './onnx-builder';
import { makeTensor, type Tensor } from './tensor';

/** Output channels (before α) and stride of the 13 separable blocks, Table 1 of the paper. */
export const MOBILENET_V1_BLOCKS: ReadonlyArray<{ channels: number; stride: number }> = [
  { channels: 64, stride: 1 },
  { channels: 128, stride: 2 },
  { channels: 128, stride: 1 },
  { channels: 256, stride: 2 },
  { channels: 256, stride: 1 },
  { channels: 512, stride: 2 },
  ...Array.from({ length: 5 }, () => ({ channels: 512, stride: 1 })),
  { channels: 1024, stride: 2 },
  { channels: 1024, stride: 1 },
];

export const MOBILENET_V1_STEM_CHANNELS = 32;

/** Batch-norm parameters of one layer, as TF stores them. */
export interface BatchNorm {
  gamma: Float32Array;
  beta: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
  epsilon: number;
}

/** What a layer needs from a weight source: its ONNX-layout weight and BN (or a plain bias). */
export interface LayerWeights {
  /** [out, in/group, kh, kw] (ONNX OIHW). */
  weight: Float32Array;
  bn?: BatchNorm;
  bias?: Float32Array;
}

export interface LayerSpec {
  /** TF-style scope, e.g. `MobilenetV1/Conv2d_3_depthwise`, `MobilenetV1/Logits`. */
  name: string;
  kind: 'conv' | 'depthwise' | 'pointwise' | 'fc';
  /** ONNX weight shape: [out, in/group, kh, kw], or [out, in] for the classifier. */
  weightShape: number[];
  inChannels: number;
  outChannels: number;
  stride: number;
}

export type WeightSource = (layer: LayerSpec) => LayerWeights;

export interface MobileNetV1Options {
  /** Width multiplier α: every layer's channels times α (TF-slim rounding, at least 8). Default 1. */
  alpha?: number;
  /** Input height and width (resolution multiplier ρ = size/224). Default 224. */
  size?: number;
  /** Classifier classes; 0 leaves the classifier out (a backbone for detection heads). Default 1000. */
  classes?: number;
  /** `fold`: BN merged into the conv's weights and bias (what runs fastest); `keep`: BatchNormalization nodes. */
  bn?: 'fold' | 'keep';
  /** false: every separable block becomes one full 3×3 convolution (the paper's Table 4 comparison). */
  separable?: boolean;
  /** Clip(0, 6) as in TF-slim's MobileNetV1 (default), or plain ReLU as in the paper's figure 3. */
  activation?: 'relu6' | 'relu';
  /**
   * Trained weights, or untrained ones for speed and size only: `random` (seeded; the default) or
   * `zeros` (for counting: nothing to compute per value, which matters under Jest, where every typed
   * array element access crosses realms and runs ~50× slower).
   */
  weights?: WeightSource | 'random' | 'zeros';
  /** Seed of the random weights. */
  seed?: number;
  /** Block numbers (1–13; 0 is the stem) whose activations also become graph outputs, named `block_N`. */
  extraOutputs?: number[];
}

export interface MobileNetV1Graph {
  /** Activations after each layer: [0] the stem, [n] separable block n. */
  blocks: string[];
  /** Channels of those activations. */
  channels: number[];
  /** Spatial size [h, w] of those activations. */
  spatial: [number, number][];
  /** Classifier logits, when `classes` > 0. */
  logits?: string;
  layers: LayerSpec[];
}

/** TF-slim's channel rounding for a width multiplier. */
export function mobileNetV1Depth(channels: number, alpha: number): number {
  return Math.max(Math.floor(channels * alpha), 8);
}

/** TF's SAME padding for one spatial axis: [begin, end] and the output size. */
export function samePadding(size: number, kernel: number, stride: number): { pads: [number, number]; out: number } {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  const begin = Math.floor(total / 2);
  return { pads: [begin, total - begin], out };
}

/** mulberry32: small, seeded, and the same on every machine, so two builds give the same file. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * He-uniform weights and identity BN: activations keep roughly the same scale through all layers,
 * so timing runs never drift into denormals or all-zero (clipped) tensors.
 */
export function randomWeights(seed = 1): WeightSource {
  const rnd = prng(seed);
  return (layer) => {
    const n = layer.weightShape.reduce((a, b) => a * b, 1);
    const fanIn = n / layer.outChannels;
    const limit = Math.sqrt(6 / fanIn);
    const weight = new Float32Array(n);
    for (let i = 0; i < n; i++) weight[i] = (rnd() * 2 - 1) * limit;
    if (layer.kind === 'fc') return { weight, bias: new Float32Array(layer.outChannels) };
    const c = layer.outChannels;
    return {
      weight,
      bn: { gamma: new Float32Array(c).fill(1), beta: new Float32Array(c), mean: new Float32Array(c), variance: new Float32Array(c).fill(1), epsilon: 0.001 },
    };
  };
}

/** All-zero weights without BN: the cheapest file with the right shapes. */
export function zeroWeights(): WeightSource {
  return (layer) => ({ weight: new Float32Array(layer.weightShape.reduce((a, b) => a * b, 1)), bias: new Float32Array(layer.outChannels) });
}

function tensor(shape: number[], data: Float32Array): Tensor {
  return makeTensor('float32', shape, data);
}

/**
 * Adds MobileNetV1 to a graph under construction, reading `input` (float32 NCHW, values in [-1, 1]
 * as TF-slim's preprocessing gives). Detection heads attach to `blocks[11]` and `blocks[13]`.
 */
export function addMobileNetV1(b: OnnxGraphBuilder, input: string, opts: MobileNetV1Options = {}): MobileNetV1Graph {
  const alpha = opts.alpha ?? 1;
  const size = opts.size ?? 224;
  const classes = opts.classes ?? 1000;
  const bnMode = opts.bn ?? 'fold';
  const separable = opts.separable ?? true;
  if (!(alpha > 0) || !Number.isFinite(alpha)) throw new Error(`MobileNetV1: alpha must be a positive number (got ${alpha})`);
  if (!Number.isInteger(size) || size < 32) throw new Error(`MobileNetV1: size must be an integer of at least 32 (got ${size})`);
  if (!Number.isInteger(classes) || classes < 0) throw new Error(`MobileNetV1: classes must be a whole number (got ${classes})`);
  const source = opts.weights === 'zeros' ? zeroWeights() : typeof opts.weights === 'function' ? opts.weights : randomWeights(opts.seed ?? 1);
  const layers: LayerSpec[] = [];

  let clipMin: string | undefined;
  let clipMax: string | undefined;
  const activate = (x: string, name: string): string => {
    if (opts.activation === 'relu') return b.addNode('Relu', `${name}/Relu`, [x]).outputs[0];
    clipMin ??= b.addInitializer('relu6_min', makeTensor('float32', [], [0]));
    clipMax ??= b.addInitializer('relu6_max', makeTensor('float32', [], [6]));
    return b.addNode('Clip', `${name}/Relu6`, [x, clipMin, clipMax]).outputs[0];
  };

  let h = size;
  let w = size;
  const conv = (x: string, spec: LayerSpec, kernel: number, group: number): string => {
    layers.push(spec);
    const lw = source(spec);
    const expected = spec.weightShape.reduce((p, q) => p * q, 1);
    if (lw.weight.length !== expected) {
      throw new Error(`${spec.name}: weight has ${lw.weight.length} values, [${spec.weightShape.join(',')}] needs ${expected}`);
    }
    const ph = samePadding(h, kernel, spec.stride);
    const pw = samePadding(w, kernel, spec.stride);
    const c = spec.outChannels;
    let weight = lw.weight;
    let bias = lw.bias;
    if (lw.bn && bnMode === 'fold') {
      // y = γ(conv(x) − μ)/√(σ²+ε) + β: scale each output channel's filter, the rest becomes the bias.
      const per = expected / c;
      weight = new Float32Array(expected);
      bias = new Float32Array(c);
      for (let o = 0; o < c; o++) {
        const s = lw.bn.gamma[o] / Math.sqrt(lw.bn.variance[o] + lw.bn.epsilon);
        for (let i = 0; i < per; i++) weight[o * per + i] = lw.weight[o * per + i] * s;
        bias[o] = lw.bn.beta[o] - lw.bn.mean[o] * s + (lw.bias ? lw.bias[o] * s : 0);
      }
    }
    const inputs = [x, b.addInitializer(`${spec.name}/weights`, tensor(spec.weightShape, weight))];
    if (bias) inputs.push(b.addInitializer(`${spec.name}/bias`, tensor([c], bias)));
    let y = b.addNode('Conv', spec.name, inputs, {
      kernel_shape: [kernel, kernel],
      strides: [spec.stride, spec.stride],
      pads: [ph.pads[0], pw.pads[0], ph.pads[1], pw.pads[1]],
      group,
    }).outputs[0];
    if (lw.bn && bnMode === 'keep') {
      const bnIn = [lw.bn.gamma, lw.bn.beta, lw.bn.mean, lw.bn.variance].map((v, i) =>
        b.addInitializer(`${spec.name}/BatchNorm/${['gamma', 'beta', 'moving_mean', 'moving_variance'][i]}`, tensor([c], v)),
      );
      y = b.addNode('BatchNormalization', `${spec.name}/BatchNorm`, [y, ...bnIn], { epsilon: { float: lw.bn.epsilon } }).outputs[0];
    }
    h = ph.out;
    w = pw.out;
    return activate(y, spec.name);
  };

  const blocks: string[] = [];
  const channels: number[] = [];
  const spatial: [number, number][] = [];
  let c = mobileNetV1Depth(MOBILENET_V1_STEM_CHANNELS, alpha);
  // TF names the stem "Conv2d_0"; face-api's manifest calls its weights Conv2d_0_pointwise.
  let x = conv(input, { name: 'MobilenetV1/Conv2d_0', kind: 'conv', weightShape: [c, 3, 3, 3], inChannels: 3, outChannels: c, stride: 2 }, 3, 1);
  blocks.push(x);
  channels.push(c);
  spatial.push([h, w]);
  MOBILENET_V1_BLOCKS.forEach((blk, i) => {
    const n = i + 1;
    const out = mobileNetV1Depth(blk.channels, alpha);
    if (separable) {
      x = conv(
        x,
        { name: `MobilenetV1/Conv2d_${n}_depthwise`, kind: 'depthwise', weightShape: [c, 1, 3, 3], inChannels: c, outChannels: c, stride: blk.stride },
        3,
        c,
      );
      x = conv(
        x,
        { name: `MobilenetV1/Conv2d_${n}_pointwise`, kind: 'pointwise', weightShape: [out, c, 1, 1], inChannels: c, outChannels: out, stride: 1 },
        1,
        1,
      );
    } else {
      x = conv(x, { name: `MobilenetV1/Conv2d_${n}`, kind: 'conv', weightShape: [out, c, 3, 3], inChannels: c, outChannels: out, stride: blk.stride }, 3, 1);
    }
    c = out;
    blocks.push(x);
    channels.push(c);
    spatial.push([h, w]);
  });

  let logits: string | undefined;
  if (classes > 0) {
    const pooled = b.addNode('GlobalAveragePool', 'MobilenetV1/Logits/AvgPool', [x]).outputs[0];
    const flat = b.addNode('Flatten', 'MobilenetV1/Logits/Flatten', [pooled], { axis: 1 }).outputs[0];
    const spec: LayerSpec = { name: 'MobilenetV1/Logits', kind: 'fc', weightShape: [classes, c], inChannels: c, outChannels: classes, stride: 1 };
    layers.push(spec);
    const lw = source(spec);
    const wName = b.addInitializer('MobilenetV1/Logits/weights', tensor([classes, c], lw.weight));
    const bName = b.addInitializer('MobilenetV1/Logits/bias', tensor([classes], lw.bias ?? new Float32Array(classes)));
    logits = b.addNode('Gemm', 'MobilenetV1/Logits', [flat, wName, bName], { transB: 1 }).outputs[0];
  }
  return { blocks, channels, spatial, logits, layers };
}

export interface MobileNetV1Model {
  bytes: Uint8Array;
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  graph: MobileNetV1Graph;
  /** True when the weights are random: good for counting and timing, not for recognising anything. */
  speedOnly: boolean;
}

/** Short name of a variant, e.g. `mobilenet_v1_0.5_160`, the naming TF's released checkpoints use. */
export function mobileNetV1Name(opts: MobileNetV1Options): string {
  const parts = [`mobilenet_v1_${opts.alpha ?? 1}_${opts.size ?? 224}`];
  if (opts.separable === false) parts.push('fullconv');
  if ((opts.classes ?? 1000) === 0) parts.push('backbone');
  if (opts.bn === 'keep') parts.push('bn');
  return parts.join('_');
}

/**
 * The whole network as an ONNX file: input `input` float32 [N,3,size,size]; outputs `logits` [N,classes]
 * (with a classifier), `features` (the last block's activations, [N,1024·α,⌈size/32⌉,⌈size/32⌉]) and any
 * `block_N` asked for.
 */
export function buildMobileNetV1(opts: MobileNetV1Options = {}): MobileNetV1Model {
  const b = new OnnxGraphBuilder();
  b.reserveName('input');
  const g = addMobileNetV1(b, 'input', opts);
  const outputs: ValueSpec[] = [];
  const last = g.blocks.length - 1;
  const featureDims = (i: number): (number | string)[] => ['N', g.channels[i], ...g.spatial[i]];
  b.renameTensor(g.blocks[last], 'features');
  g.blocks[last] = 'features';
  if (g.logits) {
    b.renameTensor(g.logits, 'logits');
    g.logits = 'logits';
    outputs.push({ name: 'logits', dtype: 'float32', dims: ['N', opts.classes ?? 1000] });
  }
  outputs.push({ name: 'features', dtype: 'float32', dims: featureDims(last) });
  for (const n of [...new Set(opts.extraOutputs ?? [])].sort((p, q) => p - q)) {
    if (!Number.isInteger(n) || n < 0 || n >= last) throw new Error(`MobileNetV1: extra output block ${n} is not one of 0…${last - 1}`);
    b.renameTensor(g.blocks[n], `block_${n}`);
    g.blocks[n] = `block_${n}`;
    outputs.push({ name: `block_${n}`, dtype: 'float32', dims: featureDims(n) });
  }
  const size = opts.size ?? 224;
  const inputs: ValueSpec[] = [{ name: 'input', dtype: 'float32', dims: ['N', 3, size, size] }];
  const speedOnly = typeof opts.weights !== 'function';
  const bytes = b.encode({
    inputs,
    outputs,
    opset: 13,
    graphName: mobileNetV1Name(opts),
    producer: 'lookout mobilenet-v1',
    docString:
      `MobileNetV1 alpha=${opts.alpha ?? 1} size=${size}${opts.separable === false ? ' with full 3x3 convolutions' : ''}, built from its definition by Lookout. ` +
      (speedOnly ? `UNTRAINED: ${opts.weights === 'zeros' ? 'zero' : 'seeded random'} weights, for speed and size measurements only.` : 'Trained weights.'),
  });
  return { bytes, inputs, outputs, graph: g, speedOnly };
}

const SPEC_KEYS: Record<string, (o: MobileNetV1Options, v: string) => void> = {
  alpha: (o, v) => (o.alpha = Number(v)),
  size: (o, v) => (o.size = Number(v)),
  classes: (o, v) => (o.classes = Number(v)),
  bn: (o, v) => {
    if (v !== 'fold' && v !== 'keep') throw new Error(`bn is fold or keep (got ${v})`);
    o.bn = v;
  },
  separable: (o, v) => (o.separable = !['0', 'false', 'no'].includes(v)),
  activation: (o, v) => {
    if (v !== 'relu6' && v !== 'relu') throw new Error(`activation is relu6 or relu (got ${v})`);
    o.activation = v;
  },
  seed: (o, v) => (o.seed = Number(v)),
  weights: (o, v) => {
    if (v !== 'random' && v !== 'zeros') throw new Error(`weights is random or zeros (got ${v})`);
    o.weights = v;
  },
};

/** True for `mobilenet_v1` and `mobilenet_v1:…` (a variant spec rather than a model name or file). */
export function isMobileNetV1Spec(s: string): boolean {
  return s === 'mobilenet_v1' || s.startsWith('mobilenet_v1:');
}

/**
 * Parses `mobilenet_v1:alpha=0.5,size=160[,classes=0][,bn=keep][,separable=0]`. A value may list
 * several choices with `|` (`alpha=1|0.5,size=224|128`): the result is every combination, in order.
 */
export function parseMobileNetV1Spec(spec: string): MobileNetV1Options[] {
  if (!isMobileNetV1Spec(spec)) throw new Error(`'${spec}' is not a mobilenet_v1 spec (mobilenet_v1:alpha=0.5,size=160)`);
  const body = spec.slice('mobilenet_v1'.length).replace(/^:/, '');
  let variants: MobileNetV1Options[] = [{}];
  for (const part of body ? body.split(',') : []) {
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    const set = SPEC_KEYS[key.trim()];
    if (eq < 0 || !set) throw new Error(`mobilenet_v1: '${part}' is not key=value with key one of ${Object.keys(SPEC_KEYS).join(', ')}`);
    const choices = part
      .slice(eq + 1)
      .split('|')
      .map((v) => v.trim());
    variants = variants.flatMap((v) =>
      choices.map((c) => {
        const o = { ...v };
        set(o, c);
        return o;
      }),
    );
  }
  for (const v of variants) {
    if (v.alpha !== undefined && !(v.alpha > 0 && v.alpha <= 4)) throw new Error(`mobilenet_v1: alpha must be in (0, 4] (got ${v.alpha})`);
    if (v.size !== undefined && !(Number.isInteger(v.size) && v.size >= 32 && v.size <= 2048))
      throw new Error(`mobilenet_v1: size must be an integer in 32…2048 (got ${v.size})`);
    if (v.classes !== undefined && !(Number.isInteger(v.classes) && v.classes >= 0))
      throw new Error(`mobilenet_v1: classes must be a whole number (got ${v.classes})`);
    if (v.seed !== undefined && !Number.isInteger(v.seed)) throw new Error(`mobilenet_v1: seed must be an integer (got ${v.seed})`);
  }
  return variants;
}

/**
 * The paper's mult-adds (millions) for the variants it lists (Tables 6 and 7, and Table 4's full
 * convolution MobileNet), so reports can put the computed count next to the published one.
 */
export function paperMultAdds(opts: MobileNetV1Options): number | undefined {
  const a = opts.alpha ?? 1;
  const s = opts.size ?? 224;
  if ((opts.classes ?? 1000) !== 1000) return undefined;
  if (opts.separable === false) return a === 1 && s === 224 ? 4866 : undefined;
  const table: Record<string, number> = { '1_224': 569, '0.75_224': 325, '0.5_224': 149, '0.25_224': 41, '1_192': 418, '1_160': 290, '1_128': 186 };
  return table[`${a}_${s}`];
}

/** The paper's parameter counts (millions) for the variants it lists. */
export function paperParams(opts: MobileNetV1Options): number | undefined {
  const a = opts.alpha ?? 1;
  const s = opts.size ?? 224;
  if ((opts.classes ?? 1000) !== 1000) return undefined;
  if (opts.separable === false) return a === 1 && s === 224 ? 29.3 : undefined;
  if (a === 1 && [224, 192, 160, 128].includes(s)) return 4.2;
  const table: Record<string, number> = { '0.75': 2.6, '0.5': 1.3, '0.25': 0.5 };
  return s === 224 ? table[String(a)] : undefined;
}
