/** `model info` on small hand-built ONNX graphs: shapes for one image and MACs per layer kind. */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatModelInfo, modelInfo } from '../../../src/model-tools/info';
import { OnnxGraphBuilder } from '../../../src/model-tools/onnx-builder';
import { makeTensor } from '../../../src/model-tools/tensor';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lookout-info-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

it('counts Conv (incl. grouped), Gemm and MatMul multiply-accumulates for a batch of one', async () => {
  const b = new OnnxGraphBuilder();
  const w1 = b.addInitializer('w1', makeTensor('float32', [8, 3, 3, 3], new Array(216).fill(0.01)));
  const c1 = b.addNode('Conv', 'conv1', ['x', w1], { kernel_shape: [3, 3], strides: [2, 2], pads: [0, 0, 1, 1], group: 1 });
  const wd = b.addInitializer('wd', makeTensor('float32', [8, 1, 3, 3], new Array(72).fill(0.01)));
  const c2 = b.addNode('Conv', 'dw', [c1.outputs[0], wd], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 8 });
  const flat = b.addNode('Reshape', 'flat', [c2.outputs[0], b.addInitializer('shape', makeTensor('int64', [2], [-1, 128]))]);
  const wg = b.addInitializer('wg', makeTensor('float32', [10, 128], new Array(1280).fill(0)));
  const gemm = b.addNode('Gemm', 'fc', [flat.outputs[0], wg], { transB: 1 });
  const wm = b.addInitializer('wm', makeTensor('float32', [10, 4], new Array(40).fill(0)));
  b.addNode('MatMul', 'proj', [gemm.outputs[0], wm]);
  b.renameTensor('proj', 'y');
  const bytes = b.encode({
    inputs: [{ name: 'x', dtype: 'float32', dims: ['N', 3, 8, 8] }],
    outputs: [{ name: 'y', dtype: 'float32', dims: ['N', 4] }],
    opset: 13,
    graphName: 't',
    producer: 'test',
  });
  const file = path.join(dir, 't.onnx');
  await fs.writeFile(file, bytes);
  const info = await modelInfo(file);
  expect(info.layers.map((l) => [l.op, l.outputShape, l.macs])).toEqual([
    ['Conv', [1, 8, 4, 4], 8 * 4 * 4 * 27],
    ['Conv', [1, 8, 4, 4], 8 * 4 * 4 * 9],
    ['Gemm', [1, 10], 1280],
    ['MatMul', [1, 4], 40],
  ]);
  expect(info.macs).toBe(3456 + 1152 + 1280 + 40);
  expect(info.parameters).toBe(216 + 72 + 2 + 1280 + 40);
  expect(info.opCounts).toEqual({ Conv: 2, Reshape: 1, Gemm: 1, MatMul: 1 });
  expect(formatModelInfo(info, true)).toContain('2\tConv\tdw 3x3\t[1,8,4,4]\t[1,8,4,4]\t3x3/1/8\t72\t1152\tdw');
});

it('says which file is not an ONNX model', async () => {
  const file = path.join(dir, 'junk.onnx');
  await fs.writeFile(file, 'definitely not protobuf \xff\xff\xff');
  await expect(modelInfo(file)).rejects.toThrow(/junk\.onnx is not an ONNX model/);
});
