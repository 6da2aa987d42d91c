/**
 * Converter behaviour beyond single ops: input binding that cuts a subgraph off, uint8 inputs,
 * deterministic bytes, SAME-padding geometry, and clear errors on bad input.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { convGeometry, convertTfjsGraph } from '../../../src/model-tools/convert';
import { verifySourceFiles } from '../../../src/model-tools/build';
import { SSDLITE_MOBILENET_V2_COCO } from '../../../src/model-tools/registry';
import { loadGraph, parseModelJson } from '../../../src/model-tools/tfjs-graph';
import { TinyGraph, attr, floatTensor, maxAbsDiff, runOnnx } from './tiny-graph';

describe('convGeometry (TF SAME padding)', () => {
  it.each([
    // in, k, stride → out, padBegin, padEnd
    [300, 3, 2, 150, 0, 1],
    [150, 3, 1, 150, 1, 1],
    [19, 3, 2, 10, 1, 1],
    [10, 3, 2, 5, 0, 1],
    [3, 3, 2, 2, 1, 1],
    [2, 3, 2, 1, 0, 1],
    [8, 1, 2, 4, 0, 0],
  ])('in %i, kernel %i, stride %i → out %i, pads %i/%i', (inSize, k, s, out, pb, pe) => {
    expect(convGeometry(inSize, k, s, 1, 'SAME')).toEqual({ out, padBegin: pb, padEnd: pe });
  });
});

describe('input binding', () => {
  it('binds a uint8 input to an inner tensor, drops what is upstream, keeps the scaling after it', async () => {
    const g = new TinyGraph();
    // Upstream: ops the converter does not know (like the preprocessor while-loop); never reached.
    g.placeholder('raw', [-1, -1, -1, 3], 'int32');
    g.op('loop/TensorArrayV3', 'TensorArrayV3', ['raw']);
    g.op('resized', 'TensorArrayGatherV3', ['loop/TensorArrayV3']);
    g.op('mul', 'Mul', [g.constF('k', [], [2 / 255]), 'resized']);
    g.op('sub', 'Sub', ['mul', g.constF('one', [], [1])]);
    g.op('y', 'Relu6', ['sub']);
    const { bytes } = g.convert({
      inputs: [{ name: 'image', tensor: 'resized', dtype: 'uint8', shape: [null, 2, 2, 3], castTo: 'float32' }],
      outputs: [{ name: 'out', tensor: 'y' }],
    });
    const pixels = Uint8Array.from({ length: 24 }, (_, i) => i * 11);
    const [y] = await runOnnx(bytes, { image: { dtype: 'uint8', shape: [2, 2, 2, 3], data: pixels } }, ['out']);
    expect(y.shape).toEqual([2, 2, 2, 3]);
    const k = Math.fround(2 / 255);
    pixels.forEach((p, i) => expect(y.data[i]).toBeCloseTo(Math.min(Math.max(Math.fround(p * k) - 1, 0), 6), 6));
  });

  it('same graph and options give byte-identical models', () => {
    const make = () => {
      const g = new TinyGraph();
      g.placeholder('x', [1, 8, 8, 3]);
      g.op('c', 'Conv2D', ['x', g.randF('w', [3, 3, 3, 4], 1)], { strides: attr.ints([1, 2, 2, 1]), padding: attr.s('SAME'), data_format: attr.s('NHWC') });
      g.op('y', 'BiasAdd', ['c', g.randF('b', [4], 2)], { data_format: attr.s('NHWC') });
      return g.convert({ inputs: [{ name: 'x', tensor: 'x', dtype: 'float32', shape: [null, 8, 8, 3] }], outputs: [{ name: 'y', tensor: 'y' }] }).bytes;
    };
    expect(Buffer.from(make()).equals(Buffer.from(make()))).toBe(true);
  });

  it('a converted graph runs with batch sizes other than the one it was traced with', async () => {
    const g = new TinyGraph();
    g.placeholder('x', [-1, 4, 4, 2]);
    g.op('y', 'DepthwiseConv2dNative', ['x', g.randF('w', [3, 3, 2, 1], 3)], {
      strides: attr.ints([1, 1, 1, 1]),
      dilations: attr.ints([1, 1, 1, 1]),
      padding: attr.s('SAME'),
      data_format: attr.s('NHWC'),
    });
    const { bytes } = g.convert({ inputs: [{ name: 'x', tensor: 'x', dtype: 'float32', shape: [null, 4, 4, 2] }], outputs: [{ name: 'y', tensor: 'y' }] });
    for (const n of [1, 3]) {
      const x = floatTensor([n, 4, 4, 2], 5 + n);
      const [onnx] = await runOnnx(bytes, { x }, ['y']);
      const [ref] = await g.runTf({ x }, ['y']);
      expect(onnx.shape).toEqual([n, 4, 4, 2]);
      expect(maxAbsDiff(onnx, ref)).toBeLessThan(1e-5);
    }
  });
});

describe('bad input', () => {
  it('an unknown op names the op and the node', () => {
    const g = new TinyGraph();
    g.placeholder('x', [1, 4]);
    g.op('head/weird', 'NonMaxSuppressionV5', ['x']);
    g.op('y', 'Relu6', ['head/weird']);
    expect(() => g.convert({ inputs: [{ name: 'x', tensor: 'x', dtype: 'float32', shape: [1, 4] }], outputs: [{ name: 'y', tensor: 'y' }] })).toThrow(
      "unsupported TensorFlow op 'NonMaxSuppressionV5' at node 'head/weird'",
    );
  });

  it('an unbound Placeholder is named', () => {
    const g = new TinyGraph();
    g.placeholder('x', [1, 4]);
    g.placeholder('other', [1, 4]);
    g.op('y', 'Add', ['x', 'other']);
    expect(() => g.convert({ inputs: [{ name: 'x', tensor: 'x', dtype: 'float32', shape: [1, 4] }], outputs: [{ name: 'y', tensor: 'y' }] })).toThrow(
      "Placeholder 'other' is not bound to an input",
    );
  });

  it('a conv with an unsupported layout names the node', () => {
    const g = new TinyGraph();
    g.placeholder('x', [1, 3, 4, 4]);
    g.op('conv/nchw', 'Conv2D', ['x', g.randF('w', [1, 1, 3, 2], 1)], {
      strides: attr.ints([1, 1, 1, 1]),
      padding: attr.s('SAME'),
      data_format: attr.s('NCHW'),
    });
    expect(() =>
      g.convert({ inputs: [{ name: 'x', tensor: 'x', dtype: 'float32', shape: [1, 3, 4, 4] }], outputs: [{ name: 'y', tensor: 'conv/nchw' }] }),
    ).toThrow("node 'conv/nchw' (Conv2D): data_format NCHW is not supported");
  });

  it('a truncated model.json is reported as such, with the file name', () => {
    const { modelJson } = new TinyGraph().build();
    const text = JSON.stringify(modelJson);
    expect(() => parseModelJson(text.slice(0, text.length - 7), '/x/model.json')).toThrow(/\/x\/model\.json: not valid JSON \(truncated or corrupt\?\)/);
    expect(() => parseModelJson('{"format":"layers-model"}', '/x/model.json')).toThrow(/not a TF\.js graph model/);
  });

  it('a truncated weight shard names the weight and the shard', () => {
    const g = new TinyGraph();
    g.placeholder('x', [1, 4]);
    g.randF('w', [4, 4], 1);
    const { modelJson, shard } = g.build();
    expect(() => loadGraph(modelJson, new Map([['group1-shard1of1', shard.subarray(0, 40)]]))).toThrow(
      /weight w needs bytes 0\.\.64 but shards group1-shard1of1 hold 40 \(truncated\?\)/,
    );
  });

  it('a shard whose hash is wrong is named with expected and actual hashes', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lookout-hash-'));
    try {
      for (const f of Object.keys(SSDLITE_MOBILENET_V2_COCO.files)) await fs.writeFile(path.join(dir, f), `not the real ${f}`);
      await expect(verifySourceFiles(dir, SSDLITE_MOBILENET_V2_COCO)).rejects.toThrow(
        new RegExp(`${path.join(dir, 'model.json')}: sha256 mismatch \\(expected ${SSDLITE_MOBILENET_V2_COCO.files['model.json']}, got [0-9a-f]{64}\\)`),
      );
      await fs.rm(path.join(dir, 'group1-shard3of5'));
      await expect(verifySourceFiles(dir, { ...SSDLITE_MOBILENET_V2_COCO, files: { 'group1-shard3of5': 'x' } })).rejects.toThrow(/group1-shard3of5 is missing/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('convertTfjsGraph refuses an output that does not exist', () => {
    const g = new TinyGraph();
    g.placeholder('x', [1, 4]);
    const { modelJson, shard } = g.build();
    const graph = loadGraph(modelJson, new Map([['group1-shard1of1', shard]]));
    expect(() =>
      convertTfjsGraph(graph, { inputs: [{ name: 'x', tensor: 'x', dtype: 'float32', shape: [1, 4] }], outputs: [{ name: 'y', tensor: 'nope' }] }),
    ).toThrow("graph refers to a node 'nope' that does not exist");
  });
});
