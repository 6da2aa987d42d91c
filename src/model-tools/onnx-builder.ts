/**
 * Collects ONNX nodes and initializers while converting, then serializes them with the `onnx-proto`
 * schema. Kept mutable until `encode()` so the converter can fold scale/bias into a Conv it already
 * emitted. Output bytes depend only on what was added and in which order (no timestamps, no maps
 * iterated in hash order), which keeps the build deterministic.
 */
import { onnx } from 'onnx-proto';
import type { DType, Tensor } from './tensor';

export type AttrValue = number | number[] | string | { floats: number[] } | { float: number };

export interface OnnxNode {
  op: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
}

export interface ValueSpec {
  name: string;
  dtype: DType;
  /** A number for a fixed dim, a string for a named dynamic dim (e.g. 'N'). */
  dims: (number | string)[];
}

const ONNX_DTYPE: Record<DType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int32: onnx.TensorProto.DataType.INT32,
  uint8: onnx.TensorProto.DataType.UINT8,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

export function onnxDtype(d: DType): number {
  return ONNX_DTYPE[d];
}

export class OnnxGraphBuilder {
  readonly nodes: OnnxNode[] = [];
  private readonly initializers = new Map<string, Tensor>();
  private readonly usedNames = new Set<string>();

  /** A tensor name not used yet, derived from `base`. */
  uniqueName(base: string): string {
    let name = base;
    for (let i = 1; this.usedNames.has(name); i++) name = `${base}_${i}`;
    this.usedNames.add(name);
    return name;
  }

  reserveName(name: string): void {
    this.usedNames.add(name);
  }

  addInitializer(base: string, t: Tensor): string {
    const name = this.uniqueName(base);
    this.initializers.set(name, t);
    return name;
  }

  /** Replaces the value of an initializer added earlier (used when folding into a Conv). */
  setInitializer(name: string, t: Tensor): void {
    if (!this.initializers.has(name)) throw new Error(`no initializer named ${name}`);
    this.initializers.set(name, t);
  }

  getInitializer(name: string): Tensor | undefined {
    return this.initializers.get(name);
  }

  addNode(op: string, nameBase: string, inputs: string[], attrs: Record<string, AttrValue> = {}, nOutputs = 1): OnnxNode {
    const name = this.uniqueName(nameBase);
    const outputs = nOutputs === 1 ? [name] : Array.from({ length: nOutputs }, (_, i) => this.uniqueName(`${name}:${i}`));
    const node: OnnxNode = { op, name, inputs, outputs, attrs };
    this.nodes.push(node);
    return node;
  }

  /** Renames a tensor everywhere it appears (so graph outputs carry the contract's names). */
  renameTensor(from: string, to: string): void {
    if (this.initializers.has(from)) throw new Error(`cannot rename initializer ${from}`);
    for (const n of this.nodes) {
      n.inputs = n.inputs.map((x) => (x === from ? to : x));
      n.outputs = n.outputs.map((x) => (x === from ? to : x));
    }
    this.usedNames.add(to);
  }

  /** Drops nodes whose outputs nothing needs, then initializers nothing reads. */
  prune(outputs: string[]): void {
    const needed = new Set(outputs);
    const keep: OnnxNode[] = [];
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const n = this.nodes[i];
      if (n.outputs.some((o) => needed.has(o))) {
        keep.push(n);
        for (const x of n.inputs) if (x) needed.add(x);
      }
    }
    this.nodes.splice(0, this.nodes.length, ...keep.reverse());
    for (const name of [...this.initializers.keys()]) if (!needed.has(name)) this.initializers.delete(name);
  }

  encode(opts: { inputs: ValueSpec[]; outputs: ValueSpec[]; opset: number; graphName: string; producer: string; docString?: string }): Uint8Array {
    const valueInfo = (v: ValueSpec): onnx.IValueInfoProto => ({
      name: v.name,
      type: {
        tensorType: {
          elemType: onnxDtype(v.dtype),
          shape: { dim: v.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
        },
      },
    });
    const graph: onnx.IGraphProto = {
      name: opts.graphName,
      node: this.nodes.map((n) => ({
        name: n.name,
        opType: n.op,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.keys(n.attrs)
          .sort()
          .map((k) => encodeAttr(k, n.attrs[k])),
      })),
      initializer: [...this.initializers.entries()].map(([name, t]) => encodeTensor(name, t)),
      input: opts.inputs.map(valueInfo),
      output: opts.outputs.map(valueInfo),
    };
    const model: onnx.IModelProto = {
      irVersion: 7,
      producerName: opts.producer,
      producerVersion: '1',
      docString: opts.docString ?? '',
      opsetImport: [{ domain: '', version: opts.opset }],
      graph,
    };
    const err = onnx.ModelProto.verify(model);
    if (err) throw new Error(`ONNX model does not match the schema: ${err}`);
    return onnx.ModelProto.encode(model).finish();
  }
}

function encodeAttr(name: string, v: AttrValue): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') return { name, type: T.INT, i: v };
  if (typeof v === 'string') return { name, type: T.STRING, s: Buffer.from(v, 'utf8') };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if ('floats' in v) return { name, type: T.FLOATS, floats: v.floats };
  return { name, type: T.FLOAT, f: v.float };
}

export function encodeTensor(name: string, t: Tensor): onnx.ITensorProto {
  let raw: Uint8Array;
  if (t.dtype === 'float32') {
    raw = new Uint8Array(Float32Array.from(t.data).buffer);
  } else if (t.dtype === 'int64') {
    const b = new BigInt64Array(t.data.length);
    for (let i = 0; i < b.length; i++) b[i] = BigInt(t.data[i]);
    raw = new Uint8Array(b.buffer);
  } else if (t.dtype === 'int32') {
    raw = new Uint8Array(Int32Array.from(t.data).buffer);
  } else {
    raw = Uint8Array.from(t.data);
  }
  return { name, dims: t.shape, dataType: onnxDtype(t.dtype), rawData: raw };
}
