/**
 * Reads a TF.js graph model (model.json + weight shards) into plain node and weight maps.
 *
 * The JSON is a TensorFlow GraphDef written as protobuf-JSON: attribute values are tagged unions
 * ({type}, {i}, {f}, {b}, {s}, {list}, {shape}), 64-bit ints are strings, dtypes may be enum numbers
 * or names, and strings may be byte arrays or base64. This module hides those variants.
 */
import { type DType, type Tensor, size } from './tensor';
import { errorMessage } from '../util/errors';

export interface TfAttrValue {
  type?: number | string;
  i?: string | number;
  f?: number;
  b?: boolean;
  s?: number[] | string;
  list?: { i?: (string | number)[]; f?: number[]; s?: (number[] | string)[] };
  shape?: { dim?: { size?: string | number }[]; unknownRank?: boolean };
  tensor?: unknown;
}

export interface TfNode {
  name: string;
  op: string;
  input: string[];
  attr: Record<string, TfAttrValue>;
}

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: unknown;
}

export interface TfjsModelJson {
  modelTopology: { node: TfNode[]; versions?: unknown; library?: unknown };
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
}

export interface TfjsGraph {
  nodes: Map<string, TfNode>;
  /** Const node name → its value, read from the weight shards. */
  weights: Map<string, Tensor>;
}

/** Parses and sanity-checks model.json text; `source` names the file in errors. */
export function parseModelJson(text: string, source: string): TfjsModelJson {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: not valid JSON (truncated or corrupt?): ${errorMessage(e)}`);
  }
  const m = json as Partial<TfjsModelJson>;
  if (!m || typeof m !== 'object' || !m.modelTopology || !Array.isArray(m.modelTopology.node)) {
    throw new Error(`${source}: not a TF.js graph model (no modelTopology.node list)`);
  }
  if (!Array.isArray(m.weightsManifest)) {
    throw new Error(`${source}: not a TF.js graph model (no weightsManifest)`);
  }
  for (const n of m.modelTopology.node) {
    if (typeof n?.name !== 'string' || typeof n?.op !== 'string') {
      throw new Error(`${source}: a node without name or op: ${JSON.stringify(n).slice(0, 200)}`);
    }
  }
  return m as TfjsModelJson;
}

/** Shard file names in the order their bytes concatenate. */
export function shardPaths(model: TfjsModelJson): string[] {
  return model.weightsManifest.flatMap((g) => g.paths);
}

const BYTES: Record<string, number> = { float32: 4, int32: 4 };

/**
 * Splits the concatenated shard bytes into named tensors. Each manifest group's weights are laid
 * out back to back across that group's shards.
 */
export function readWeights(model: TfjsModelJson, shards: Map<string, Uint8Array>): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const group of model.weightsManifest) {
    const parts = group.paths.map((p) => {
      const b = shards.get(p);
      if (!b) throw new Error(`weight shard ${p} is missing`);
      return b;
    });
    const total = parts.reduce((a, p) => a + p.length, 0);
    const buf = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      buf.set(p, o);
      o += p.length;
    }
    let offset = 0;
    for (const w of group.weights) {
      if (w.quantization) throw new Error(`weight ${w.name}: quantized weights are not supported`);
      const bytes = BYTES[w.dtype];
      if (!bytes) throw new Error(`weight ${w.name}: dtype ${w.dtype} is not supported`);
      const n = size(w.shape);
      const end = offset + n * bytes;
      if (end > total) {
        throw new Error(`weight ${w.name} needs bytes ${offset}..${end} but shards ${group.paths.join(', ')} hold ${total} (truncated?)`);
      }
      // Copy: the slice must be 4-byte aligned for the typed array view.
      const slice = buf.slice(offset, end);
      const data = w.dtype === 'float32' ? new Float32Array(slice.buffer) : new Int32Array(slice.buffer);
      out.set(w.name, { dtype: w.dtype as DType, shape: [...w.shape], data });
      offset = end;
    }
    if (offset !== total) {
      throw new Error(`shards ${group.paths.join(', ')} hold ${total} bytes but the manifest describes ${offset}`);
    }
  }
  return out;
}

export function loadGraph(model: TfjsModelJson, shards: Map<string, Uint8Array>): TfjsGraph {
  const nodes = new Map<string, TfNode>();
  for (const n of model.modelTopology.node) {
    nodes.set(n.name, { name: n.name, op: n.op, input: n.input ?? [], attr: n.attr ?? {} });
  }
  return { nodes, weights: readWeights(model, shards) };
}

// ---- attribute helpers ----

const TF_DTYPES: Record<string, DType> = {
  '1': 'float32',
  DT_FLOAT: 'float32',
  '3': 'int32',
  DT_INT32: 'int32',
  '4': 'uint8',
  DT_UINT8: 'uint8',
  '9': 'int64',
  DT_INT64: 'int64',
  '10': 'bool',
  DT_BOOL: 'bool',
};

export function tfDtype(v: number | string | undefined, where: string): DType {
  const d = v === undefined ? undefined : TF_DTYPES[String(v)];
  if (!d) throw new Error(`${where}: unsupported TensorFlow dtype ${String(v)}`);
  return d;
}

export function attrString(node: TfNode, key: string): string | undefined {
  const s = node.attr[key]?.s;
  if (s === undefined) return undefined;
  if (typeof s === 'string') return Buffer.from(s, 'base64').toString('utf8');
  return Buffer.from(s).toString('utf8');
}

export function attrInt(node: TfNode, key: string): number | undefined {
  const i = node.attr[key]?.i;
  return i === undefined ? undefined : Number(i);
}

export function attrFloat(node: TfNode, key: string): number | undefined {
  return node.attr[key]?.f;
}

export function attrBool(node: TfNode, key: string): boolean | undefined {
  return node.attr[key]?.b;
}

export function attrInts(node: TfNode, key: string): number[] | undefined {
  const l = node.attr[key]?.list;
  return l ? (l.i ?? []).map(Number) : undefined;
}

/** Splits "node:2" into the node name and output index; "^node" control inputs return undefined. */
export function parseInput(ref: string): { node: string; index: number } | undefined {
  if (ref.startsWith('^')) return undefined;
  const m = /^(.*):(\d+)$/.exec(ref);
  return m ? { node: m[1], index: Number(m[2]) } : { node: ref, index: 0 };
}

export function tensorKey(node: string, index: number): string {
  return index === 0 ? node : `${node}:${index}`;
}
