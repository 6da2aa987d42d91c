/**
 * `lookout model build <name>_int8`: an int8 model made from the verified FP32 one by ONNX Runtime's
 * own static quantization (python/quantize_int8.py, run in a pinned build-time venv).
 *
 * Reproducible by construction: the activation ranges come from a committed calibration table whose
 * sha256 the manifest pins, and what is left (quant_pre_process, the quantizer's arithmetic) is
 * deterministic, so the file's sha256 is pinned too and `lookout model verify` works as for FP32.
 * `--recalibrate` measures the table again on the calibration frames (.cache/testdata); on this
 * project's x86_64 machines that gives the committed table back bit for bit.
 */
import { execFile } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadManifest } from '../detect/manifest';
import { type Logger, silentLogger } from '../log';
import { type BuildOptions, type BuildResult, buildConvertedModel } from './build';
import { makeCalibrationData } from './calibration';
import { ensureWritableDir, projectRoot, sha256Bytes, sha256File, writeFileAtomic } from './files';
import { manifestPath, type ModelManifest, readManifest } from './manifest';
import { ensurePythonEnv, quantizeScriptPath } from './python-env';
import { type QuantizedModel, quantizedModel } from './registry';
import { errorMessage } from '../util/errors';

const execFileP = promisify(execFile);

/** What an int8 manifest must say about its making; checked before anything runs. */
export interface QuantizationProvenance {
  from: string;
  from_sha256: string;
  calibration_table_sha256: string;
  calibration_data_sha256?: string;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** The manifest's quantization record; every missing or malformed field is named. */
export function quantizationProvenance(m: ModelManifest, where: string): QuantizationProvenance {
  const q = m.provenance?.quantization;
  if (!q || typeof q !== 'object')
    throw new Error(`manifest ${where}: provenance.quantization is missing (an int8 manifest says what it was made from and how)`);
  const problems: string[] = [];
  if (typeof q.from !== 'string' || !q.from) problems.push('provenance.quantization.from: the FP32 model name is missing');
  for (const key of ['from_sha256', 'calibration_table_sha256'] as const) {
    if (typeof q[key] !== 'string' || !HEX64.test(q[key])) problems.push(`provenance.quantization.${key}: must be 64 lowercase hex digits`);
  }
  if (problems.length) throw new Error(`manifest ${where}:\n  ${problems.join('\n  ')}`);
  return q as unknown as QuantizationProvenance;
}

/** The onnxruntime-node version this project runs (package.json pins it exactly). */
export function nodeOrtVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  const v = pkg.dependencies?.['onnxruntime-node'];
  if (!v || !/^\d+\.\d+\.\d+$/.test(v)) throw new Error(`package.json: onnxruntime-node must be pinned to an exact version (got ${String(v)})`);
  return v;
}

interface ScriptReply {
  ok: boolean;
  error?: string;
  onnxruntime?: string;
  calibration_frames?: number | null;
}

async function runQuantizer(py: string, args: string[]): Promise<ScriptReply> {
  let stdout = '';
  let stderr = '';
  try {
    ({ stdout, stderr } = await execFileP(py, [quantizeScriptPath(), ...args], { timeout: 15 * 60_000, maxBuffer: 64 * 1024 * 1024 }));
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    stdout = err.stdout ?? '';
    stderr = err.stderr ?? errorMessage(e);
  }
  const last = stdout.trim().split('\n').pop() ?? '';
  let reply: ScriptReply | undefined;
  try {
    reply = JSON.parse(last) as ScriptReply;
  } catch {
    reply = undefined;
  }
  if (!reply?.ok) {
    const why = reply?.error ?? stderr.trim().split('\n').slice(-4).join(' | ');
    throw new Error(`quantizing failed: ${why}`);
  }
  return reply;
}

/** Builds a quantized model into the models folder; throws with a clear message on any problem. */
export async function buildQuantizedModel(name: string, opts: BuildOptions = {}, logger: Logger = silentLogger): Promise<BuildResult> {
  const q: QuantizedModel | undefined = quantizedModel(name);
  if (!q) throw new Error(`'${name}' is not a quantized model`);
  const root = projectRoot();
  const modelsDir = path.resolve(opts.modelsDir ?? path.join(root, 'models'));
  await ensureWritableDir(modelsDir, 'models folder');
  const manifest = await readManifest(modelsDir, name);
  const where = manifestPath(modelsDir, name);
  const prov = quantizationProvenance(manifest, where);
  if (prov.from !== q.from) throw new Error(`manifest ${where}: provenance.quantization.from is '${prov.from}' but ${name} is made from '${q.from}'`);
  const target = path.join(modelsDir, manifest.file);
  if (!opts.force && !opts.recalibrate && existsSync(target) && (await sha256File(target)) === manifest.sha256) {
    logger.info({ path: target }, 'model present and verified; nothing to do (use --force to rebuild)');
    return { path: target, sha256: manifest.sha256, built: false, bytes: (await fs.stat(target)).size, convertMs: 0 };
  }

  // The FP32 model as the manifest pins it: quantizing any other would give other bytes.
  const fp32 = await buildConvertedModel(q.from, { modelsDir, cacheDir: opts.cacheDir, sourceDir: opts.sourceDir, npm: opts.npm }, logger);
  if (fp32.sha256 !== prov.from_sha256) {
    throw new Error(
      `${where} was made from ${q.from} with sha256 ${prov.from_sha256}, but that model now has ${fp32.sha256}; recalibrate and update the manifest`,
    );
  }
  const table = path.resolve(opts.calibrationTable ?? path.join(root, q.table));
  const py = await ensurePythonEnv({ venvDir: opts.venvDir, python: opts.python }, logger);
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'lookout-quant-'));
  try {
    const out = path.join(tmp, manifest.file);
    const args = ['--fp32', fp32.path, '--out', out, '--expect-onnxruntime', nodeOrtVersion()];
    let newTable: string | undefined;
    if (opts.recalibrate) {
      const { manifest: fp32Manifest } = loadManifest(manifestPath(modelsDir, q.from));
      const dataDir = path.resolve(opts.testdataDir ?? path.join(root, '.cache', 'testdata'));
      const data = makeCalibrationData(q.calibration, fp32Manifest.input, dataDir);
      if (prov.calibration_data_sha256 && data.sha256 !== prov.calibration_data_sha256) {
        // Expected off x86_64: video decoding differs slightly between architectures.
        logger.warn(
          { expected: prov.calibration_data_sha256, got: data.sha256 },
          'calibration frames differ from the ones the committed table was measured on',
        );
      }
      const raw = path.join(tmp, 'calibration.u8');
      await fs.writeFile(raw, data.bytes);
      newTable = path.join(tmp, 'table.json');
      const { width, height } = fp32Manifest.input;
      const shape = fp32Manifest.input.layout === 'NHWC' ? `${height},${width},3` : `3,${height},${width}`;
      args.push('--table', newTable, '--calibration-data', raw, '--input-name', fp32Manifest.input.name, '--frame-shape', shape);
      logger.info({ frames: data.frames.length, sha256: data.sha256 }, 'calibrating on the calibration frames');
    } else {
      if (!existsSync(table)) throw new Error(`calibration table ${table} is missing (it is committed with the project; or build with --recalibrate)`);
      const tableSha = await sha256File(table);
      if (tableSha !== prov.calibration_table_sha256) {
        throw new Error(`calibration table ${table} has sha256 ${tableSha} but ${where} pins ${prov.calibration_table_sha256}`);
      }
      args.push('--table', table);
    }
    const t0 = Date.now();
    const reply = await runQuantizer(py, args);
    const ms = Date.now() - t0;
    const bytes = await fs.readFile(out);
    const sha256 = sha256Bytes(bytes);
    logger.info({ ms, bytes: bytes.length, sha256, onnxruntime: reply.onnxruntime, calibration_frames: reply.calibration_frames }, 'quantized');
    if (newTable) {
      const tableBytes = await fs.readFile(newTable);
      const tableSha = sha256Bytes(tableBytes);
      if (tableSha !== prov.calibration_table_sha256) {
        await writeFileAtomic(table, tableBytes);
        logger.warn(
          { table, sha256: tableSha, was: prov.calibration_table_sha256 },
          'calibration table changed and was rewritten; update the manifest if this is intended',
        );
      } else {
        logger.info({ table, sha256: tableSha }, 'recalibration gave the committed table back');
      }
    }
    if (sha256 !== manifest.sha256) {
      throw new Error(
        `quantized ${name} has sha256 ${sha256} but ${where} pins ${manifest.sha256}; not writing it (quantizer, its packages or the calibration table changed?)`,
      );
    }
    await writeFileAtomic(target, bytes, async (t) => {
      const onDisk = await sha256File(t);
      if (onDisk !== sha256) throw new Error(`${t}: written bytes hash to ${onDisk}, expected ${sha256} (disk problem?)`);
    });
    logger.info({ path: target, sha256 }, 'model written');
    return { path: target, sha256, built: true, bytes: bytes.length, convertMs: ms };
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}
