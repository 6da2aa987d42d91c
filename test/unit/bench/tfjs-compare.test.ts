import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LoadedManifest } from '../../../src/detect/manifest';
import { loadTfjs, TFJS_PACKAGES, tfjsOriginalName, TfjsMissingError } from '../../../src/bench/tfjs-compare';

const manifest = (name: string, provenance?: object): LoadedManifest => ({ manifest: { name, provenance } }) as unknown as LoadedManifest;

describe('--compare tfjs preconditions', () => {
  test('where tfjs is not installed (a production install), the error names the packages and the command to install them', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-no-tfjs-'));
    try {
      expect(() => loadTfjs(dir)).toThrow(TfjsMissingError);
      expect(() => loadTfjs(dir)).toThrow(`npm install --no-save ${TFJS_PACKAGES.join(' ')}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('in a development checkout, tfjs and the wasm files come from node_modules', () => {
    const t = loadTfjs();
    expect(t.version).toBe('4.22.0');
    expect(fs.existsSync(path.join(t.wasmDir, 'tfjs-backend-wasm-simd.wasm'))).toBe(true);
  });

  test('the TF.js original of the model: itself, or the FP32 model an int8 one was quantized from', () => {
    expect(tfjsOriginalName(manifest('ssdlite_mobilenet_v2_coco'))).toBe('ssdlite_mobilenet_v2_coco');
    expect(tfjsOriginalName(manifest('ssdlite_mobilenet_v2_coco_int8', { quantization: { from: 'ssdlite_mobilenet_v2_coco' } }))).toBe(
      'ssdlite_mobilenet_v2_coco',
    );
    expect(() => tfjsOriginalName(manifest('face_ssd_mobilenet_v1'))).toThrow(/converted from a TF\.js graph.*face_ssd_mobilenet_v1 is not/);
  });
});
