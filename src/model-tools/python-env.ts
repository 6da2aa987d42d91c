/**
 * The Python virtual environment that int8 quantization runs in: build time only (a device runs
 * the resulting .onnx with onnxruntime-node and never needs Python). Created on first use in the
 * git-ignored .cache/, with every package pinned in python/requirements.txt; pip's own settings
 * decide where packages come from (a local mirror on machines without PyPI).
 */
import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { type Logger, silentLogger } from '../log';
import { projectRoot, sha256File } from './files';
import { errorMessage } from '../util/errors';

const execFileP = promisify(execFile);

export interface PythonEnvOptions {
  /** Where the environment lives. Default: <project>/.cache/quantize-venv. */
  venvDir?: string;
  /** The interpreter that creates it. Default: python3 from PATH. */
  python?: string;
}

export function requirementsPath(): string {
  return path.join(projectRoot(), 'src', 'model-tools', 'python', 'requirements.txt');
}

export function quantizeScriptPath(): string {
  return path.join(projectRoot(), 'src', 'model-tools', 'python', 'quantize_int8.py');
}

function lastLines(text: string | undefined, n: number): string {
  return (text ?? '')
    .trim()
    .split('\n')
    .filter((l) => !/^\s*$/.test(l) && !/Retrying \(Retry/.test(l))
    .slice(-n)
    .join(' | ');
}

/**
 * The venv's python, created or brought up to date with requirements.txt. A stamp holding the
 * requirements' sha256 skips pip when nothing changed, so a second build costs nothing here.
 */
export async function ensurePythonEnv(opts: PythonEnvOptions = {}, logger: Logger = silentLogger): Promise<string> {
  const venv = path.resolve(opts.venvDir ?? path.join(projectRoot(), '.cache', 'quantize-venv'));
  const py = path.join(venv, 'bin', 'python');
  const stamp = path.join(venv, '.lookout-requirements');
  const reqs = requirementsPath();
  const want = await sha256File(reqs);
  if (existsSync(py) && existsSync(stamp) && (await fs.readFile(stamp, 'utf8')).trim() === want) return py;

  if (!existsSync(py)) {
    const base = opts.python ?? 'python3';
    logger.info({ venv, python: base }, 'creating the Python environment for quantization');
    try {
      await execFileP(base, ['-m', 'venv', venv], { timeout: 5 * 60_000 });
    } catch (e) {
      const err = e as NodeJS.ErrnoException & { stderr?: string };
      await fs.rm(venv, { recursive: true, force: true });
      if (err.code === 'ENOENT') throw new Error(`${base} not found: int8 quantization needs Python 3 (Debian: apt-get install python3 python3-venv)`);
      throw new Error(`${base} -m venv ${venv} failed (Debian: apt-get install python3-venv): ${lastLines(err.stderr || errorMessage(e), 3)}`);
    }
  }
  logger.info({ venv, requirements: reqs }, 'installing the pinned quantization packages with pip');
  try {
    // One retry instead of pip's five: behind a local mirror the default index is unreachable and
    // each package would wait out five back-offs (minutes in all). PIP_RETRIES still wins.
    const retries = process.env.PIP_RETRIES ? [] : ['--retries', '1'];
    await execFileP(py, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...retries, '-r', reqs], {
      timeout: 15 * 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (e) {
    const err = e as { stderr?: string };
    throw new Error(
      `pip install -r ${reqs} into ${venv} failed (pip's settings decide the package index; these pinned versions must be reachable there): ${lastLines(err.stderr || errorMessage(e), 4)}`,
    );
  }
  await fs.writeFile(stamp, `${want}\n`);
  return py;
}
