/**
 * `lookout model build ssdlite_mobilenet_v2_coco_int8` for real (ONNX Runtime's quantizer in the
 * build venv): the pinned bytes from the committed calibration table, the same table again from the
 * calibration frames, and refusals that name the file and both hashes when an input changed.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildModel, modelInfo, verifyModel } from '../../../src/model-tools';
import { projectRoot, sha256File } from '../../../src/model-tools/files';
import { SSDLITE_MOBILENET_V2_COCO_INT8 as INT8 } from '../../../src/model-tools/registry';

const ROOT = projectRoot();
const MODELS = path.join(ROOT, 'models');
const TABLE = path.join(ROOT, INT8.table);

let tmp: string;
let pinned: { sha256: string; provenance: { quantization: Record<string, string> } };

beforeAll(async () => {
  pinned = JSON.parse(await fs.readFile(path.join(MODELS, `${INT8.name}.json`), 'utf8')) as typeof pinned;
});
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'lookout-quant-test-'));
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** A models folder holding the FP32 model (linked) and the int8 manifest, optionally edited. */
async function modelsDir(edit?: (m: typeof pinned) => void): Promise<string> {
  const dir = path.join(tmp, 'models');
  await fs.mkdir(dir);
  for (const f of [`${INT8.from}.json`, `${INT8.from}.onnx`]) await fs.symlink(path.join(MODELS, f), path.join(dir, f));
  const m = JSON.parse(JSON.stringify(pinned)) as typeof pinned;
  edit?.(m);
  await fs.writeFile(path.join(dir, `${INT8.name}.json`), JSON.stringify(m));
  return dir;
}

describe('model build (int8)', () => {
  it('quantizes to the pinned sha256 from the committed table, verifies, and skips a second build', async () => {
    const dir = await modelsDir();
    const r = await buildModel(INT8.name, { modelsDir: dir });
    process.stderr.write(`int8 build from the committed table: ${r.convertMs} ms, ${r.bytes} bytes\n`);
    expect(r).toMatchObject({ built: true, sha256: pinned.sha256 });
    expect(await verifyModel(INT8.name, { modelsDir: dir })).toEqual({ ok: true, path: path.join(dir, `${INT8.name}.onnx`) });
    expect((await fs.readdir(dir)).filter((f) => /tmp/.test(f))).toEqual([]);
    expect((await buildModel(INT8.name, { modelsDir: dir })).built).toBe(false);
  });

  it('measures the same table again from the calibration frames (--recalibrate)', async () => {
    const dir = await modelsDir();
    const table = path.join(tmp, 'table.json');
    await fs.copyFile(TABLE, table);
    const r = await buildModel(INT8.name, { modelsDir: dir, recalibrate: true, calibrationTable: table });
    process.stderr.write(`int8 build with calibration: ${r.convertMs} ms\n`);
    expect(r.sha256).toBe(pinned.sha256);
    expect(await sha256File(table)).toBe(pinned.provenance.quantization.calibration_table_sha256);
  }, 240_000);

  it('refuses a calibration table other than the pinned one, naming it and both hashes', async () => {
    const dir = await modelsDir((m) => {
      m.provenance.quantization.calibration_table_sha256 = 'f'.repeat(64);
    });
    await expect(buildModel(INT8.name, { modelsDir: dir })).rejects.toThrow(
      `calibration table ${TABLE} has sha256 ${pinned.provenance.quantization.calibration_table_sha256} but`,
    );
    expect(await fs.readdir(dir)).not.toContain(`${INT8.name}.onnx`);
  });

  it('refuses when the FP32 model is not the one the int8 model was made from', async () => {
    const dir = await modelsDir((m) => {
      m.provenance.quantization.from_sha256 = '0'.repeat(64);
    });
    await expect(buildModel(INT8.name, { modelsDir: dir })).rejects.toThrow(
      /was made from ssdlite_mobilenet_v2_coco with sha256 0{64}, but that model now has [0-9a-f]{64}/,
    );
  });

  it("model info sees through the QDQ nodes: the int8 model has the FP32 model's multiply-accumulates", async () => {
    const [fp32, int8] = await Promise.all([modelInfo(path.join(MODELS, `${INT8.from}.onnx`)), modelInfo(path.join(MODELS, `${INT8.name}.onnx`))]);
    expect(int8.macs).toBeGreaterThan(0.7e9);
    expect(int8.macs).toBe(fp32.macs);
    expect(int8.opCounts.DequantizeLinear).toBeGreaterThan(0);
  });

  it('names every missing field of a manifest without a quantization record', async () => {
    const dir = await modelsDir((m) => {
      m.provenance.quantization = { from: INT8.from };
    });
    await expect(buildModel(INT8.name, { modelsDir: dir })).rejects.toThrow(
      /from_sha256: must be 64 lowercase hex digits\n {2}provenance\.quantization\.calibration_table_sha256/,
    );
  });
});
