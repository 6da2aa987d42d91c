/**
 * `lookout model info FILE`: what an ONNX model takes and gives, what it is made of, and what it
 * costs. Shapes are inferred for a batch of one image (named dims become 1); multiply-accumulates
 * are counted for Conv, Gemm and MatMul, the layers that dominate CPU time.
 */
import { promises as fs } from 'node:fs';
import { onnx } from 'onnx-proto';
import { sha256Bytes } from './files';
import { errorMessage } from '../util/errors';

export interface TensorInfo {
  name: string;
  dtype: string;
  /** Numbers for fixed dims, names (e.g. 'N') for dynamic ones. */
  shape: (number | string)[];
}

export interface LayerInfo {
  name: string;
  op: string;
  inputShape?: number[];
  outputShape?: number[];
  kernel?: number[];
  strides?: number[];
  group?: number;
  /**
   * What the layer is in the MobileNet paper's terms: `conv KxK` (full), `dw KxK` (depthwise: one
   * filter per channel), `conv 1x1` (pointwise), `fc` (Gemm/MatMul).
   */
  type: string;
  params: number;
  /** Multiply-accumulates for one image; undefined when a shape could not be inferred. */
  macs?: number;
}

export interface ModelInfo {
  file: string;
  bytes: number;
  sha256: string;
  irVersion: number;
  opsets: Record<string, number>;
  producer: string;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  nodeCount: number;
  opCounts: Record<string, number>;
  parameters: number;
  /** Sum over `layers` with known shapes. */
  macs: number;
  layers: LayerInfo[];
}

const DTYPE_NAMES: Record<number, string> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  16: 'bfloat16',
};

function num(v: number | Long | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : Number(v.toString());
}

type Long = { toString(): string };

function tensorInfo(v: onnx.IValueInfoProto): TensorInfo {
  const tt = v.type?.tensorType;
  return {
    name: v.name ?? '',
    dtype: DTYPE_NAMES[tt?.elemType ?? 0] ?? `type${tt?.elemType}`,
    shape: (tt?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : d.dimValue !== undefined && d.dimValue !== null ? num(d.dimValue) : '?')),
  };
}

/** Integer contents of an initializer (for shape inputs). */
function intValues(t: onnx.ITensorProto): number[] | undefined {
  const n = (t.dims ?? []).reduce<number>((a, d) => a * num(d), 1);
  if (n > 64) return undefined;
  if (t.dataType === onnx.TensorProto.DataType.INT64) {
    if (t.rawData && t.rawData.length) {
      const dv = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
      return Array.from({ length: n }, (_, i) => Number(dv.getBigInt64(i * 8, true)));
    }
    return (t.int64Data ?? []).map(num);
  }
  if (t.dataType === onnx.TensorProto.DataType.INT32) {
    if (t.rawData && t.rawData.length) {
      const dv = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
      return Array.from({ length: n }, (_, i) => dv.getInt32(i * 4, true));
    }
    return t.int32Data ?? [];
  }
  return undefined;
}

function attrs(node: onnx.INodeProto): Record<string, onnx.IAttributeProto> {
  const out: Record<string, onnx.IAttributeProto> = {};
  for (const a of node.attribute ?? []) out[a.name ?? ''] = a;
  return out;
}

const prod = (s: number[]): number => s.reduce((a, b) => a * b, 1);

function broadcast(a: number[], b: number[]): number[] {
  const r = Math.max(a.length, b.length);
  return Array.from({ length: r }, (_, i) => {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    return x === 1 ? y : x;
  });
}

const SAME_SHAPE_OPS = new Set([
  'Relu',
  'Clip',
  'Sigmoid',
  'Exp',
  'Tanh',
  'Cast',
  'Identity',
  'Softmax',
  'LeakyRelu',
  'BatchNormalization',
  'Dropout',
  'HardSigmoid',
  'HardSwish',
  'Log',
  'Neg',
  'Sqrt',
  'Abs',
  'Floor',
  'Ceil',
  'PRelu',
  'Elu',
  'Selu',
  // A QDQ (int8) model feeds every Conv through these; without them its MACs would read 0.
  'QuantizeLinear',
  'DequantizeLinear',
]);
const BROADCAST_OPS = new Set(['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Sum', 'Pow', 'Mean', 'Equal', 'Less', 'Greater']);

/** Reads an ONNX file and summarizes it. */
export async function modelInfo(file: string): Promise<ModelInfo> {
  return modelInfoFromBytes(new Uint8Array(await fs.readFile(file)), file);
}

function convType(kernel: number[] | undefined, group: number, w: number[] | undefined): string {
  const k = kernel ? kernel.join('x') : '?';
  if (group > 1 && w && w[1] === 1) return `dw ${k}`;
  return `conv ${k}`;
}

/** The same summary for model bytes in memory (a model built on the fly); `file` only labels it. */
export function modelInfoFromBytes(bytes: Uint8Array, file: string): ModelInfo {
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new Error(`${file} is not an ONNX model: ${errorMessage(e)}`);
  }
  const graph = model.graph;
  if (!graph) throw new Error(`${file} is not an ONNX model (no graph)`);
  const inits = new Map<string, onnx.ITensorProto>();
  for (const t of graph.initializer ?? []) inits.set(t.name ?? '', t);

  const shapes = new Map<string, number[]>();
  const values = new Map<string, number[]>();
  for (const [name, t] of inits) {
    shapes.set(name, (t.dims ?? []).map(num));
    const v = intValues(t);
    if (v) values.set(name, v);
  }
  const inputs = (graph.input ?? []).filter((v) => !inits.has(v.name ?? '')).map(tensorInfo);
  for (const i of inputs)
    shapes.set(
      i.name,
      i.shape.map((d) => (typeof d === 'number' ? d : 1)),
    );

  const opCounts: Record<string, number> = {};
  const layers: LayerInfo[] = [];
  for (const node of graph.node ?? []) {
    const op = node.opType ?? '';
    opCounts[op] = (opCounts[op] ?? 0) + 1;
    const ins = (node.input ?? []).map((n) => (n ? shapes.get(n) : undefined));
    const vals = (node.input ?? []).map((n) => (n ? values.get(n) : undefined));
    const a = attrs(node);
    const out = node.output?.[0] ?? '';
    const ints = (k: string): number[] | undefined => a[k]?.ints?.map(num);
    const int = (k: string, d: number): number => (a[k] ? num(a[k].i) : d);
    const x = ins[0];
    let outShape: number[] | undefined;
    let outValue: number[] | undefined;
    if (SAME_SHAPE_OPS.has(op)) {
      outShape = x;
      if (op === 'Cast' || op === 'Identity') outValue = vals[0];
    } else if (BROADCAST_OPS.has(op)) {
      if (ins.every((s) => s)) outShape = (ins as number[][]).reduce(broadcast);
      if (vals.every((v) => v) && (op === 'Mul' || op === 'Add') && vals.length === 2) {
        const [p, q] = vals as number[][];
        const n = Math.max(p.length, q.length);
        outValue = Array.from({ length: n }, (_, i) => {
          const u = p[p.length === 1 ? 0 : i];
          const w = q[q.length === 1 ? 0 : i];
          return op === 'Mul' ? u * w : u + w;
        });
      }
    } else if (op === 'Conv' || op === 'MaxPool' || op === 'AveragePool') {
      const w = ins[1];
      const kernel = ints('kernel_shape') ?? (w ? w.slice(2) : undefined);
      if (x && kernel) {
        const nsp = x.length - 2;
        const st = ints('strides') ?? new Array<number>(nsp).fill(1);
        const dl = ints('dilations') ?? new Array<number>(nsp).fill(1);
        const pads = ints('pads') ?? new Array<number>(2 * nsp).fill(0);
        const autoPad = a.auto_pad?.s ? Buffer.from(a.auto_pad.s).toString() : 'NOTSET';
        const spatial = x.slice(2).map((d, i) => {
          if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return Math.ceil(d / st[i]);
          const eff = (kernel[i] - 1) * dl[i] + 1;
          return Math.floor((d + pads[i] + pads[i + nsp] - eff) / st[i]) + 1;
        });
        outShape = [x[0], op === 'Conv' && w ? w[0] : x[1], ...spatial];
      }
      if (op === 'Conv') {
        const group = int('group', 1);
        const params = (node.input ?? []).slice(1).reduce((acc, n) => acc + (n && shapes.get(n) ? prod(shapes.get(n) as number[]) : 0), 0);
        const macs = outShape && w ? prod(outShape) * prod(w.slice(1)) : undefined;
        layers.push({
          name: node.name ?? out,
          op,
          type: convType(kernel, group, w),
          inputShape: x,
          outputShape: outShape,
          kernel,
          strides: ints('strides'),
          group,
          params,
          macs,
        });
      }
    } else if (op === 'GlobalAveragePool' || op === 'GlobalMaxPool') {
      if (x) outShape = [x[0], x[1], ...x.slice(2).map(() => 1)];
    } else if (op === 'Gemm') {
      const [sa, sb] = [ins[0], ins[1]];
      if (sa && sb) {
        const [m, k] = int('transA', 0) ? [sa[1], sa[0]] : sa;
        const n = int('transB', 0) ? sb[0] : sb[1];
        outShape = [m, n];
        const params = (node.input ?? []).slice(1).reduce((acc, nm) => acc + (nm && inits.has(nm) ? prod(shapes.get(nm) as number[]) : 0), 0);
        layers.push({ name: node.name ?? out, op, type: 'fc', inputShape: sa, outputShape: outShape, params, macs: m * n * k });
      } else layers.push({ name: node.name ?? out, op, type: 'fc', params: 0 });
    } else if (op === 'MatMul') {
      const [sa, sb] = [ins[0], ins[1]];
      if (sa && sb) {
        const k = sa[sa.length - 1];
        const batch = broadcast(sa.slice(0, -2), sb.slice(0, -2));
        outShape = [...batch, ...(sa.length > 1 ? [sa[sa.length - 2]] : []), ...(sb.length > 1 ? [sb[sb.length - 1]] : [])];
        const params = (node.input ?? []).slice(1).reduce((acc, nm) => acc + (nm && inits.has(nm) ? prod(shapes.get(nm) as number[]) : 0), 0);
        layers.push({ name: node.name ?? out, op, type: 'fc', inputShape: sa, outputShape: outShape, params, macs: prod(outShape) * k });
      } else layers.push({ name: node.name ?? out, op, type: 'fc', params: 0 });
    } else if (op === 'Transpose') {
      if (x) {
        const perm = ints('perm') ?? x.map((_, i) => x.length - 1 - i);
        outShape = perm.map((p) => x[p]);
      }
    } else if (op === 'Reshape') {
      const target = vals[1];
      if (x && target) {
        const t = target.map((d, i) => (d === 0 ? x[i] : d));
        const known = prod(t.filter((d) => d !== -1));
        outShape = t.map((d) => (d === -1 ? prod(x) / known : d));
      }
    } else if (op === 'Flatten') {
      if (x) {
        const ax = int('axis', 1);
        outShape = [prod(x.slice(0, ax)), prod(x.slice(ax))];
      }
    } else if (op === 'Concat') {
      if (ins.every((s) => s)) {
        const ss = ins as number[][];
        const ax = (int('axis', 0) + ss[0].length) % ss[0].length;
        outShape = [...ss[0]];
        outShape[ax] = ss.reduce((acc, s) => acc + s[ax], 0);
      }
      if (vals.every((v) => v)) outValue = (vals as number[][]).flat();
    } else if (op === 'Squeeze' || op === 'Unsqueeze') {
      const axes = vals[1] ?? ints('axes');
      if (x && axes) {
        if (op === 'Squeeze') {
          const r = x.length;
          const norm = axes.map((v) => (v + r) % r);
          outShape = x.filter((_, i) => !norm.includes(i));
        } else {
          const r = x.length + axes.length;
          const norm = axes.map((v) => (v + r) % r).sort((p, q) => p - q);
          outShape = [...x];
          for (const ax of norm) outShape.splice(ax, 0, 1);
        }
      }
      outValue = vals[0];
    } else if (op === 'Slice') {
      const [starts, ends] = [vals[1], vals[2]];
      if (x && starts && ends) {
        const axes = vals[3] ?? starts.map((_, i) => i);
        const steps = vals[4] ?? starts.map(() => 1);
        outShape = [...x];
        axes.forEach((axRaw, i) => {
          const ax = (axRaw + x.length) % x.length;
          const d = x[ax];
          const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
          const s = steps[i];
          const b = clamp(starts[i] < 0 ? starts[i] + d : starts[i], s > 0 ? 0 : -1, s > 0 ? d : d - 1);
          const e = clamp(ends[i] < 0 ? ends[i] + d : ends[i], s > 0 ? 0 : -1, s > 0 ? d : d - 1);
          (outShape as number[])[ax] = Math.max(0, Math.ceil((e - b) / s));
        });
        if (vals[0] && x.length === 1 && axes.length === 1 && steps[0] === 1) {
          outValue = vals[0].slice(Math.max(0, starts[0]), Math.min(vals[0].length, ends[0]));
        }
      }
    } else if (op === 'Gather') {
      const idx = ins[1];
      if (x && idx) {
        const ax = (int('axis', 0) + x.length) % x.length;
        outShape = [...x.slice(0, ax), ...idx, ...x.slice(ax + 1)];
        if (vals[0] && vals[1] && x.length === 1) outValue = vals[1].map((i) => (vals[0] as number[])[i]);
      }
    } else if (op === 'Shape') {
      if (x) {
        outShape = [x.length];
        outValue = [...x];
      }
    } else if (op === 'Tile') {
      if (x && vals[1]) outShape = x.map((d, i) => d * (vals[1] as number[])[i]);
    } else if (op === 'Expand') {
      if (x && vals[1]) outShape = broadcast(x, vals[1]);
    }
    if (outShape) shapes.set(out, outShape);
    if (outValue) values.set(out, outValue);
  }

  let parameters = 0;
  for (const t of inits.values()) parameters += prod((t.dims ?? []).map(num));
  const opsets: Record<string, number> = {};
  for (const o of model.opsetImport ?? []) opsets[o.domain || 'ai.onnx'] = num(o.version);
  return {
    file,
    bytes: bytes.length,
    sha256: sha256Bytes(bytes),
    irVersion: num(model.irVersion),
    opsets,
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    inputs,
    outputs: (graph.output ?? []).map(tensorInfo),
    nodeCount: (graph.node ?? []).length,
    opCounts,
    parameters,
    macs: layers.reduce((acc, l) => acc + (l.macs ?? 0), 0),
    layers,
  };
}

const shapeText = (s?: (number | string)[]): string => (s ? `[${s.join(',')}]` : '?');

function human(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(3)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

export interface TypeShare {
  type: string;
  layers: number;
  macs: number;
  params: number;
  /** Shares of the layers' totals (Conv/Gemm/MatMul only: the MobileNet paper's Table 2 split). */
  macsShare: number;
  paramsShare: number;
}

/** MACs and parameters by layer type, largest MAC share first. */
export function sharesByType(info: ModelInfo): TypeShare[] {
  const by = new Map<string, TypeShare>();
  for (const l of info.layers) {
    const t = by.get(l.type) ?? { type: l.type, layers: 0, macs: 0, params: 0, macsShare: 0, paramsShare: 0 };
    t.layers++;
    t.macs += l.macs ?? 0;
    t.params += l.params;
    by.set(l.type, t);
  }
  const macs = info.layers.reduce((a, l) => a + (l.macs ?? 0), 0);
  const params = info.layers.reduce((a, l) => a + l.params, 0);
  const out = [...by.values()];
  for (const t of out) {
    t.macsShare = macs ? t.macs / macs : 0;
    t.paramsShare = params ? t.params / params : 0;
  }
  return out.sort((p, q) => q.macs - p.macs || p.type.localeCompare(q.type));
}

/** Plain-text report; with `layers`, one line per Conv/Gemm/MatMul. */
export function formatModelInfo(info: ModelInfo, layers = false): string {
  const lines: string[] = [];
  lines.push(`model:      ${info.file} (${(info.bytes / 1048576).toFixed(1)} MiB, sha256 ${info.sha256})`);
  lines.push(
    `format:     ONNX IR ${info.irVersion}, opset ${Object.entries(info.opsets)
      .map(([d, v]) => `${d} ${v}`)
      .join(', ')}; producer ${info.producer || '?'}`,
  );
  lines.push('inputs:');
  for (const t of info.inputs) lines.push(`  ${t.name}  ${t.dtype}  ${shapeText(t.shape)}`);
  lines.push('outputs:');
  for (const t of info.outputs) lines.push(`  ${t.name}  ${t.dtype}  ${shapeText(t.shape)}`);
  const ops = Object.entries(info.opCounts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  lines.push(`ops:        ${info.nodeCount} nodes: ${ops.map(([o, c]) => `${o} ${c}`).join(', ')}`);
  lines.push(`parameters: ${info.parameters.toLocaleString('en-US')} (${human(info.parameters)})`);
  const unknown = info.layers.filter((l) => l.macs === undefined).length;
  lines.push(
    `MACs:       ${info.macs.toLocaleString('en-US')} (${(info.macs / 1e9).toFixed(3)} G) multiply-accumulates per image in ${info.layers.length} Conv/Gemm/MatMul layers` +
      (unknown ? ` (${unknown} with unknown shapes not counted)` : ''),
  );
  if (info.layers.length) {
    const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;
    lines.push(
      `by type:    ${sharesByType(info)
        .map((t) => `${t.type} ×${t.layers}: ${pct(t.macsShare)} of MACs, ${pct(t.paramsShare)} of params`)
        .join('; ')}`,
    );
  }
  if (layers) {
    lines.push('');
    lines.push(['#', 'op', 'type', 'input', 'output', 'kernel/stride/group', 'params', 'MACs', 'name'].join('\t'));
    info.layers.forEach((l, i) => {
      const geo = l.kernel ? `${l.kernel.join('x')}/${(l.strides ?? [1]).join('x')}/${l.group ?? 1}` : '-';
      lines.push([i + 1, l.op, l.type, shapeText(l.inputShape), shapeText(l.outputShape), geo, l.params, l.macs ?? '?', l.name].join('\t'));
    });
    const lp = info.layers.reduce((a, l) => a + l.params, 0);
    lines.push(
      ['', 'total', '', '', '', '', lp, info.macs, `(${(info.macs / 1e6).toFixed(1)} M MACs, ${(lp / 1e6).toFixed(3)} M params in these layers)`].join('\t'),
    );
  }
  return lines.join('\n');
}
