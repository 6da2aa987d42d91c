/** The committed pieces of the int8 build agree with each other before anything runs. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { validateManifest } from '../../../src/detect/manifest';
import { calibrationVideoFrames } from '../../../src/model-tools/calibration';
import { projectRoot } from '../../../src/model-tools/files';
import { nodeOrtVersion, quantizationProvenance } from '../../../src/model-tools/quantize';
import { knownModelNames, QUANTIZED_MODELS } from '../../../src/model-tools/registry';

const ROOT = projectRoot();
const read = (p: string) => fs.readFileSync(path.join(ROOT, p), 'utf8');
const sha = (p: string) =>
  createHash('sha256')
    .update(fs.readFileSync(path.join(ROOT, p)))
    .digest('hex');

describe.each(Object.values(QUANTIZED_MODELS))('$name', (q) => {
  const manifest = JSON.parse(read(`models/${q.name}.json`)) as Record<string, unknown> & { provenance: { precision: string } };
  const fp32 = JSON.parse(read(`models/${q.from}.json`)) as Record<string, unknown>;

  it("is a valid manifest with the FP32 model's input, output and labels", () => {
    expect(() => validateManifest(manifest, q.name)).not.toThrow();
    for (const k of ['input', 'output', 'labels']) expect(manifest[k]).toEqual(fp32[k]);
    expect(manifest.provenance.precision).toBe('int8');
  });

  it('pins the FP32 sha256 and the committed calibration table it was made from', () => {
    const p = quantizationProvenance(manifest as never, q.name);
    expect(p.from).toBe(q.from);
    expect(p.from_sha256).toBe(fp32.sha256);
    expect(sha(q.table)).toBe(p.calibration_table_sha256);
  });

  it('calibrates on the installed test data only, with the frame count the manifest states', () => {
    const installed = read('scripts/fetch-testdata.sh')
      .match(/FILES=\(([^)]*)\)/)![1]
      .split(/\s+/);
    expect(installed).toEqual(expect.arrayContaining([q.calibration.video.file, ...q.calibration.images]));
    const frames = calibrationVideoFrames(q.calibration).length + q.calibration.images.length;
    expect((manifest.provenance as unknown as { quantization: { calibration_frames: number } }).quantization.calibration_frames).toBe(frames);
  });
});

describe('the build environment', () => {
  it('pins onnxruntime to the version of the Node binding that will run the model', () => {
    const pin = read('src/model-tools/python/requirements.txt').match(/^onnxruntime==(\S+)$/m)?.[1];
    expect(pin).toBe(nodeOrtVersion());
  });

  it('pins every package exactly, so the quantized bytes can match a sha256', () => {
    const lines = read('src/model-tools/python/requirements.txt')
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#'));
    expect(lines.length).toBeGreaterThan(2);
    for (const l of lines) expect(l).toMatch(/^[A-Za-z0-9_.-]+==[0-9][^\s]*$/);
  });

  it('lists the int8 model among the names model build accepts', () => {
    expect(knownModelNames()).toEqual(expect.arrayContaining(['ssdlite_mobilenet_v2_coco', 'ssdlite_mobilenet_v2_coco_int8']));
  });
});

describe('calibrationVideoFrames', () => {
  it('is every step-th frame from 0', () => {
    expect(calibrationVideoFrames({ video: { file: 'v.avi', step: 14, count: 4 }, images: [] })).toEqual([0, 14, 28, 42]);
  });
});
