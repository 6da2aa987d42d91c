/**
 * Builds small TF.js graph models in memory and runs them two ways: through the original runtime
 * (@tensorflow/tfjs, pure-JS CPU backend) and, after conversion, through onnxruntime-node.
 */
import * as tf from '@tensorflow/tfjs';
import { type ConvertOptions, convertTfjsGraph } from '../../../src/model-tools/convert';
import { type TfAttrValue, type TfNode, type TfjsModelJson, loadGraph } from '../../../src/model-tools/tfjs-graph';
import * as ort from 'onnxruntime-node';

// Prod mode silences tfjs' "install tfjs-node" banner; the pure-JS CPU backend is the point here.
tf.enableProdMode();
void tf.setBackend('cpu');

export const attr = {
  s: (v: string): TfAttrValue => ({ s: Array.from(Buffer.from(v, 'utf8')) }),
  i: (v: number): TfAttrValue => ({ i: String(v) }),
  f: (v: number): TfAttrValue => ({ f: v }),
  b: (v: boolean): TfAttrValue => ({ b: v }),
  ints: (v: number[]): TfAttrValue => ({ list: { i: v.map(String) } }),
  type: (t: 'float32' | 'int32' | 'uint8'): TfAttrValue => ({ type: { float32: 1, int32: 3, uint8: 4 }[t] }),
};

export interface HostTensor {
  dtype: 'float32' | 'int32' | 'uint8';
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array;
}

/** Deterministic values in [lo, hi) from a small LCG, so failures reproduce. */
export function pseudoRandom(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((s >>> 8) / 16777216) * (hi - lo);
  }
  return out;
}

export function floatTensor(shape: number[], seed: number, lo = -1, hi = 1): HostTensor {
  return {
    dtype: 'float32',
    shape,
    data: pseudoRandom(
      shape.reduce((a, b) => a * b, 1),
      seed,
      lo,
      hi,
    ),
  };
}

export class TinyGraph {
  readonly nodes: TfNode[] = [];
  private readonly weights: { name: string; shape: number[]; dtype: 'float32' | 'int32'; data: Float32Array | Int32Array }[] = [];

  placeholder(name: string, shape: number[], dtype: 'float32' | 'int32' | 'uint8' = 'float32'): string {
    this.nodes.push({
      name,
      op: 'Placeholder',
      input: [],
      attr: { dtype: attr.type(dtype), shape: { shape: { dim: shape.map((d) => ({ size: String(d) })) } } },
    });
    return name;
  }

  constF(name: string, shape: number[], values: ArrayLike<number>): string {
    return this.addConst(name, shape, 'float32', Float32Array.from(values));
  }

  constI(name: string, shape: number[], values: ArrayLike<number>): string {
    return this.addConst(name, shape, 'int32', Int32Array.from(values));
  }

  /** A float constant with deterministic pseudo-random values. */
  randF(name: string, shape: number[], seed: number, lo = -1, hi = 1): string {
    return this.constF(
      name,
      shape,
      pseudoRandom(
        shape.reduce((a, b) => a * b, 1),
        seed,
        lo,
        hi,
      ),
    );
  }

  private addConst(name: string, shape: number[], dtype: 'float32' | 'int32', data: Float32Array | Int32Array): string {
    this.nodes.push({
      name,
      op: 'Const',
      input: [],
      attr: {
        dtype: attr.type(dtype),
        value: { tensor: { dtype: dtype === 'float32' ? 1 : 3, tensorShape: { dim: shape.map((d) => ({ size: String(d) })) } } },
      },
    });
    this.weights.push({ name, shape, dtype, data });
    return name;
  }

  op(name: string, op: string, inputs: string[], attrs: Record<string, TfAttrValue> = {}): string {
    this.nodes.push({ name, op, input: inputs, attr: { T: attr.type('float32'), ...attrs } });
    return name;
  }

  /** model.json object and its single shard. */
  build(): { modelJson: TfjsModelJson; shard: Uint8Array } {
    const total = this.weights.reduce((a, w) => a + w.data.length * 4, 0);
    const shard = new Uint8Array(total);
    let o = 0;
    for (const w of this.weights) {
      shard.set(new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength), o);
      o += w.data.byteLength;
    }
    const modelJson: TfjsModelJson = {
      modelTopology: { node: this.nodes, versions: { producer: 1 }, library: {} },
      weightsManifest: [{ paths: ['group1-shard1of1'], weights: this.weights.map((w) => ({ name: w.name, shape: w.shape, dtype: w.dtype })) }],
    };
    return { modelJson, shard };
  }

  convert(options: ConvertOptions): { bytes: Uint8Array; opCounts: Record<string, number> } {
    const { modelJson, shard } = this.build();
    const g = loadGraph(JSON.parse(JSON.stringify(modelJson)) as TfjsModelJson, new Map([['group1-shard1of1', shard]]));
    return convertTfjsGraph(g, options);
  }

  /** Runs the graph with tfjs; returns the named outputs. */
  async runTf(feeds: Record<string, HostTensor>, outputs: string[]): Promise<HostTensor[]> {
    const { modelJson, shard } = this.build();
    const weightData = shard.buffer.slice(shard.byteOffset, shard.byteOffset + shard.byteLength) as ArrayBuffer;
    const model = await tf.loadGraphModel(
      tf.io.fromMemory({
        modelTopology: modelJson.modelTopology,
        weightSpecs: modelJson.weightsManifest[0].weights as tf.io.WeightsManifestEntry[],
        weightData,
      }),
    );
    const inputs: Record<string, tf.Tensor> = {};
    for (const [k, v] of Object.entries(feeds)) {
      inputs[k] = v.dtype === 'uint8' ? tf.tensor(Int32Array.from(v.data), v.shape, 'int32') : tf.tensor(v.data, v.shape, v.dtype);
    }
    const res = model.execute(inputs, outputs);
    const list = Array.isArray(res) ? res : [res];
    const out = list.map((t) => ({ dtype: 'float32' as const, shape: t.shape, data: Float32Array.from(t.dataSync()) }));
    list.forEach((t) => t.dispose());
    Object.values(inputs).forEach((t) => t.dispose());
    model.dispose();
    return out;
  }
}

/** Runs ONNX model bytes with onnxruntime-node. */
export async function runOnnx(bytes: Uint8Array, feeds: Record<string, HostTensor>, outputs: string[]): Promise<HostTensor[]> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const inputs: Record<string, InstanceType<typeof ort.Tensor>> = {};
    for (const [k, v] of Object.entries(feeds)) inputs[k] = new ort.Tensor(v.dtype, v.data, v.shape);
    const res = await session.run(inputs);
    return outputs.map((name) => {
      const t = res[name];
      if (!t) throw new Error(`ONNX model has no output ${name}`);
      return { dtype: 'float32' as const, shape: [...t.dims], data: Float32Array.from(t.data as Float32Array) };
    });
  } finally {
    await session.release();
  }
}

export function maxAbsDiff(a: HostTensor, b: HostTensor): number {
  if (a.data.length !== b.data.length) throw new Error(`length ${a.data.length} vs ${b.data.length}`);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i]));
  return m;
}

/**
 * Converts `graph` binding each feed as an input of the same name and each output under its TF
 * name, runs both runtimes, and returns both results plus the ONNX op counts.
 */
export async function compare(
  graph: TinyGraph,
  feeds: Record<string, HostTensor>,
  outputs: string[],
  opts: { dynamicBatch?: boolean } = {},
): Promise<{ tf: HostTensor[]; onnx: HostTensor[]; opCounts: Record<string, number>; maxDiff: number }> {
  const { bytes, opCounts } = graph.convert({
    inputs: Object.entries(feeds).map(([name, v]) => ({
      name,
      tensor: name,
      dtype: v.dtype,
      shape: v.shape.map((d, i) => (i === 0 && opts.dynamicBatch ? null : d)),
    })),
    outputs: outputs.map((t) => ({ name: t, tensor: t })),
  });
  const tfOut = await graph.runTf(feeds, outputs);
  const onnxOut = await runOnnx(bytes, feeds, outputs);
  let maxDiff = 0;
  tfOut.forEach((t, i) => {
    expect(onnxOut[i].shape).toEqual(t.shape);
    maxDiff = Math.max(maxDiff, maxAbsDiff(t, onnxOut[i]));
  });
  return { tf: tfOut, onnx: onnxOut, opCounts, maxDiff };
}
