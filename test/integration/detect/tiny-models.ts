/**
 * Small real ONNX models built in the test (with onnx-proto), so the worker, EP choice, manifest
 * checks and the three output formats run through the real ONNX Runtime without the 18 MB model.
 * Each graph takes an image input and emits constant outputs (plus a Cast of the input so the input
 * is really consumed).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onnx } from 'onnx-proto';

type Dtype = 'uint8' | 'float32';

function elemType(d: Dtype): number {
  return d === 'uint8' ? onnx.TensorProto.DataType.UINT8 : onnx.TensorProto.DataType.FLOAT;
}

function valueInfo(name: string, type: number, dims: number[]): onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: type, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
  };
}

export interface ConstOutput {
  name: string;
  dims: number[];
  values: number[];
}

export interface TinyModelSpec {
  input: { name: string; dims: number[]; dtype: Dtype };
  outputs: ConstOutput[];
}

/** Encodes the model; returns the bytes. */
export function buildTinyModel(spec: TinyModelSpec): Uint8Array {
  const nodes: onnx.INodeProto[] = [];
  const outputs: onnx.IValueInfoProto[] = [];
  // The input flows to an extra output so ORT keeps it a real graph input.
  nodes.push({
    opType: 'ReduceMax',
    input: [spec.input.name],
    output: ['input_max'],
    attribute: [{ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 }],
  });
  outputs.push(valueInfo('input_max', elemType(spec.input.dtype), []));
  for (const o of spec.outputs) {
    nodes.push({
      opType: 'Constant',
      output: [o.name],
      attribute: [
        {
          name: 'value',
          type: onnx.AttributeProto.AttributeType.TENSOR,
          t: { dims: o.dims, dataType: onnx.TensorProto.DataType.FLOAT, floatData: o.values },
        },
      ],
    });
    outputs.push(valueInfo(o.name, onnx.TensorProto.DataType.FLOAT, o.dims));
  }
  const model: onnx.IModelProto = {
    irVersion: 7,
    producerName: 'lookout-test',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'tiny',
      node: nodes,
      input: [valueInfo(spec.input.name, elemType(spec.input.dtype), spec.input.dims)],
      output: outputs,
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

/** A temp folder for models and manifests; remove it with `cleanup()`. */
export function tempModelDir(): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-detect-'));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Writes `<name>.onnx` and `<name>.json` into dir; returns the manifest path. */
export function writeModel(dir: string, name: string, spec: TinyModelSpec, manifest: Record<string, unknown>): string {
  fs.writeFileSync(path.join(dir, `${name}.onnx`), buildTinyModel(spec));
  const manifestPath = path.join(dir, `${name}.json`);
  fs.writeFileSync(manifestPath, JSON.stringify({ manifest_version: 1, name, file: `${name}.onnx`, ...manifest }, null, 2));
  return manifestPath;
}
