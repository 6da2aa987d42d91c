/**
 * Preprocessing with real OpenCV on a real image: the bytes handed to the model are checked against
 * OpenCV calls made here step by step (resize → colour → layout/scale), and letterbox bands hold the
 * pad value.
 */
import path from 'node:path';
import { loadCv } from '../../../src/cv';
import type { ManifestInput } from '../../../src/detect/manifest';
import { frameToMat, preprocessMat } from '../../../src/detect/preprocess';

const ROOT = path.join(__dirname, '..', '..', '..');
const base: ManifestInput = {
  name: 'x',
  width: 300,
  height: 300,
  layout: 'NHWC',
  dtype: 'uint8',
  channel_order: 'RGB',
  normalization: null,
  resize: 'stretch',
};

describe('preprocess with OpenCV', () => {
  const cv = loadCv();
  const messi = cv.imread(path.join(ROOT, '.cache', 'testdata', 'messi5.jpg')); // 548×342 BGR

  it('stretch, RGB, uint8 NHWC: the resized image with channels swapped', () => {
    const pre = preprocessMat(messi, base);
    expect(pre.dims).toEqual([1, 300, 300, 3]);
    expect(pre.geometry).toEqual({ offsetX: 0, offsetY: 0, extentX: 1, extentY: 1 });
    const bgr = messi.resize(300, 300, 0, 0, cv.INTER_LINEAR).getData();
    const rgb = new Uint8Array(pre.data);
    expect(rgb.length).toBe(300 * 300 * 3);
    for (const px of [0, 1234, 45_000, 89_999]) {
      expect([rgb[px * 3], rgb[px * 3 + 1], rgb[px * 3 + 2]]).toEqual([bgr[px * 3 + 2], bgr[px * 3 + 1], bgr[px * 3]]);
    }
  });

  it('letterbox pads with the pad value and reports where the image lies', () => {
    const pre = preprocessMat(messi, { ...base, resize: 'letterbox', channel_order: 'BGR', pad_value: 114 });
    // 548×342 → 300×187, top band floor(113/2) = 56 rows
    expect(pre.geometry.offsetX).toBe(0);
    expect(pre.geometry.offsetY).toBeCloseTo(56 / 300, 10);
    expect(pre.geometry.extentY).toBeCloseTo(187 / 300, 10);
    const px = new Uint8Array(pre.data);
    const at = (x: number, y: number) => Array.from(px.slice((y * 300 + x) * 3, (y * 300 + x) * 3 + 3));
    expect(at(150, 0)).toEqual([114, 114, 114]);
    expect(at(150, 55)).toEqual([114, 114, 114]);
    expect(at(150, 299)).toEqual([114, 114, 114]);
    const content = messi.resize(187, 300, 0, 0, cv.INTER_LINEAR).getData();
    expect(at(150, 56 + 100)).toEqual(Array.from(content.slice((100 * 300 + 150) * 3, (100 * 300 + 150) * 3 + 3)));
  });

  it('float32 NCHW with per-channel mean/std: planes of (v - mean) / std', () => {
    const input: ManifestInput = {
      ...base,
      layout: 'NCHW',
      dtype: 'float32',
      normalization: { mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] },
    };
    const pre = preprocessMat(messi, input);
    expect(pre.dims).toEqual([1, 3, 300, 300]);
    const f = new Float32Array(pre.data);
    expect(f.length).toBe(3 * 300 * 300);
    const bgr = messi.resize(300, 300, 0, 0, cv.INTER_LINEAR).getData();
    for (const px of [0, 777, 60_001]) {
      for (let c = 0; c < 3; c++) {
        const v = bgr[px * 3 + (2 - c)]; // channel c of RGB
        expect(f[c * 90_000 + px]).toBeCloseTo((v - input.normalization!.mean[c]) / input.normalization!.std[c], 4);
      }
    }
  });

  it('float32 NHWC with uniform scaling to [-1, 1]', () => {
    const pre = preprocessMat(messi, { ...base, dtype: 'float32', normalization: { mean: [127.5, 127.5, 127.5], std: [127.5, 127.5, 127.5] } });
    const f = new Float32Array(pre.data);
    const rgb = new Uint8Array(preprocessMat(messi, base).data);
    for (const i of [0, 5, 100_000, 269_999]) expect(f[i]).toBeCloseTo((rgb[i] - 127.5) / 127.5, 5);
  });

  it('a raw BGR buffer wraps as the same image', () => {
    const mat = frameToMat({ data: messi.getData(), width: messi.cols, height: messi.rows });
    // Buffer.equals: jest's deep equality on 270 000 elements takes seconds.
    expect(Buffer.from(preprocessMat(mat, base).data).equals(Buffer.from(preprocessMat(messi, base).data))).toBe(true);
  });
});
