/**
 * Makes an ONNX model readable by OpenCV DNN without changing what it computes.
 *
 * OpenCV's ONNX importer lags the ONNX spec: Debian's OpenCV 4.6 refuses opset-11+ Clip (min/max as
 * inputs), opset-13 Squeeze/Unsqueeze (axes as input), Tile, and element-wise ops on 1-D tensors — all
 * of which the default SSDLite graph uses, mostly in its box-decoding tail. When the whole file does
 * not import, the graph is split in two:
 *   - the head: every convolution and everything it depends on (the backbone and the SSD heads, all
 *     but a sliver of the compute), with Clip/Squeeze/Unsqueeze rewritten from their input form to
 *     the equivalent attribute form of older opsets, for OpenCV;
 *   - the tail: the remaining nodes (reshapes, concatenation, anchor decoding, sigmoid), run by ONNX
 *     Runtime on OpenCV's head outputs.
 * The two halves are written next to each other in a temp folder; the original file is untouched.
 */
import fs from 'node:fs';
import path from 'node:path';
import { onnx } from 'onnx-proto';
import type * as Ort from 'onnxruntime-node';
import { benchOrt } from './ort';

/** Node types that carry the compute; the head is these and all their ancestors. */
const COMPUTE_OPS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

export interface SplitModel {
  /** OpenCV's half (the rewritten head). */
  headPath: string;
  /** ORT's half. */
  tailPath: string;
  /** Tensors OpenCV computes and the tail consumes, with their shapes. */
  cut: Array<{ name: string; dims: number[] }>;
  /** Graph inputs the tail reads directly (e.g. the image, for a Shape node). */
  tailGraphInputs: string[];
  headNodes: number;
  totalNodes: number;
  /** Node rewrites done for OpenCV, by op type. */
  rewrites: Record<string, number>;
}

type Long = { toString(): string };
function num(v: number | Long | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : Number(v.toString());
}

function initializerValues(t: onnx.ITensorProto): number[] {
  const n = (t.dims ?? []).reduce<number>((a, d) => a * num(d), 1);
  const raw = t.rawData && t.rawData.length ? new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength) : undefined;
  switch (t.dataType) {
    case onnx.TensorProto.DataType.FLOAT:
      return raw ? Array.from({ length: n }, (_, i) => raw.getFloat32(i * 4, true)) : (t.floatData ?? []).slice();
    case onnx.TensorProto.DataType.INT64:
      return raw ? Array.from({ length: n }, (_, i) => Number(raw.getBigInt64(i * 8, true))) : (t.int64Data ?? []).map(num);
    case onnx.TensorProto.DataType.INT32:
      return raw ? Array.from({ length: n }, (_, i) => raw.getInt32(i * 4, true)) : (t.int32Data ?? []).slice();
    case null:
    case undefined:
    default:
      throw new Error(`initializer ${t.name} has data type ${t.dataType}, not read here`);
  }
}

/**
 * The attribute form of a node whose parameters are constant inputs, for importers that only know
 * the older opsets' form; undefined when the node needs no rewrite or its inputs are not constant.
 */
function attributeForm(n: onnx.INodeProto, inits: Map<string, onnx.ITensorProto>): onnx.NodeProto | undefined {
  const inputs = n.input ?? [];
  const A = onnx.AttributeProto;
  const constant = (name: string | undefined): onnx.ITensorProto | undefined => (name ? inits.get(name) : undefined);
  if (n.opType === 'Clip' && inputs.length > 1) {
    const lo = constant(inputs[1]);
    const hi = constant(inputs[2]);
    if ((inputs[1] && !lo) || (inputs[2] && !hi)) return undefined;
    const attribute: onnx.IAttributeProto[] = [];
    if (lo) attribute.push({ name: 'min', type: A.AttributeType.FLOAT, f: initializerValues(lo)[0] });
    if (hi) attribute.push({ name: 'max', type: A.AttributeType.FLOAT, f: initializerValues(hi)[0] });
    return onnx.NodeProto.create({ ...n, input: [inputs[0]], attribute });
  }
  if ((n.opType === 'Squeeze' || n.opType === 'Unsqueeze') && inputs.length > 1) {
    const axes = constant(inputs[1]);
    if (!axes) return undefined;
    return onnx.NodeProto.create({ ...n, input: [inputs[0]], attribute: [{ name: 'axes', type: A.AttributeType.INTS, ints: initializerValues(axes) }] });
  }
  return undefined;
}

function valueInfo(name: string, elemType: number, dims?: number[]): onnx.ValueInfoProto {
  const tensorType: onnx.TypeProto.ITensor = { elemType };
  if (dims) tensorType.shape = { dim: dims.map((d) => ({ dimValue: d })) };
  return onnx.ValueInfoProto.create({ name, type: { tensorType } });
}

const ELEM_TYPE: Record<string, number> = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float64: 11 };

/**
 * Splits `modelPath` into an OpenCV head and an ORT tail in `dir`. `feeds` is one real input: the
 * head runs once in ORT to learn the cut tensors' shapes and types.
 */
export async function splitForOpenCv(modelPath: string, dir: string, feeds: Record<string, Ort.Tensor>): Promise<SplitModel> {
  const model = onnx.ModelProto.decode(fs.readFileSync(modelPath));
  const graph = model.graph;
  if (!graph) throw new Error(`${modelPath}: no graph`);
  const nodes = graph.node ?? [];
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const producer = new Map<string, onnx.INodeProto>();
  for (const n of nodes) for (const o of n.output ?? []) producer.set(o, n);

  const head = new Set<onnx.INodeProto>();
  const stack = nodes.filter((n) => COMPUTE_OPS.has(n.opType ?? ''));
  while (stack.length) {
    const n = stack.pop()!;
    if (head.has(n)) continue;
    head.add(n);
    for (const i of n.input ?? []) {
      const p = producer.get(i);
      if (p && !head.has(p)) stack.push(p);
    }
  }
  if (head.size === 0) throw new Error(`${modelPath}: no ${[...COMPUTE_OPS].join('/')} nodes to give OpenCV`);
  const headNodes = nodes.filter((n) => head.has(n));
  const tailNodes = nodes.filter((n) => !head.has(n));
  const graphOutputs = (graph.output ?? []).map((o) => o.name ?? '');
  const headOutputs = new Set(headNodes.flatMap((n) => n.output ?? []));
  const tailReads = new Set(tailNodes.flatMap((n) => n.input ?? []));
  const cutNames = [...headOutputs].filter((o) => tailReads.has(o) || graphOutputs.includes(o));
  const graphInputNames = new Set((graph.input ?? []).map((i) => i.name ?? ''));
  const tailGraphInputs = [...graphInputNames].filter((i) => tailReads.has(i));

  const usedBy = (ns: onnx.INodeProto[]): onnx.ITensorProto[] => {
    const used = new Set(ns.flatMap((n) => n.input ?? []));
    return (graph.initializer ?? []).filter((t) => used.has(t.name ?? ''));
  };
  const headInputs = (graph.input ?? []).filter((i) => headNodes.some((n) => (n.input ?? []).includes(i.name ?? '')));
  const encode = (g: onnx.IGraphProto): Uint8Array => onnx.ModelProto.encode(onnx.ModelProto.create({ ...model, graph: onnx.GraphProto.create(g) })).finish();

  // The head as is, in ORT, to learn the shapes and types OpenCV will hand the tail.
  const ort = benchOrt();
  const probe = await ort.InferenceSession.create(
    Buffer.from(encode({ name: 'head', node: headNodes, initializer: usedBy(headNodes), input: headInputs, output: cutNames.map((name) => ({ name })) })),
    { logSeverityLevel: 3 },
  );
  const headFeeds: Record<string, Ort.Tensor> = {};
  for (const i of headInputs) headFeeds[i.name ?? ''] = feeds[i.name ?? ''];
  let probed: Ort.InferenceSession.ReturnType;
  try {
    probed = await probe.run(headFeeds);
  } finally {
    await probe.release();
  }
  const cut = cutNames.map((name) => ({ name, dims: [...probed[name].dims], type: probed[name].type }));

  const rewrites: Record<string, number> = {};
  const cvNodes = headNodes.map((n) => {
    const r = attributeForm(n, inits);
    if (!r) return n;
    rewrites[n.opType ?? ''] = (rewrites[n.opType ?? ''] ?? 0) + 1;
    return r;
  });
  const headPath = path.join(dir, 'opencv-head.onnx');
  fs.writeFileSync(
    headPath,
    encode({
      name: 'opencv-head',
      node: cvNodes,
      initializer: usedBy(headNodes),
      input: headInputs,
      output: cut.map((c) => valueInfo(c.name, ELEM_TYPE[c.type] ?? 1, c.dims)),
    }),
  );
  const tailPath = path.join(dir, 'ort-tail.onnx');
  const tailInputs = [
    ...cut.filter((c) => tailReads.has(c.name)).map((c) => valueInfo(c.name, ELEM_TYPE[c.type] ?? 1, c.dims)),
    ...(graph.input ?? []).filter((i) => tailGraphInputs.includes(i.name ?? '')),
  ];
  fs.writeFileSync(
    tailPath,
    encode({
      name: 'ort-tail',
      node: tailNodes,
      initializer: usedBy(tailNodes),
      input: tailInputs,
      output: (graph.output ?? []).filter((o) => !headOutputs.has(o.name ?? '')),
    }),
  );
  return {
    headPath,
    tailPath,
    cut: cut.map(({ name, dims }) => ({ name, dims })),
    tailGraphInputs,
    headNodes: headNodes.length,
    totalNodes: nodes.length,
    rewrites,
  };
}
