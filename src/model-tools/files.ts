/** File helpers for the build: hashing, locating the project root, atomic writes. */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../util/errors';

export function sha256Bytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  await new Promise<void>((resolve, reject) => {
    createReadStream(file)
      .on('data', (c) => h.update(c))
      .on('end', () => resolve())
      .on('error', reject);
  });
  return h.digest('hex');
}

/** The folder holding Lookout's package.json (works from src/ under ts-jest and from dist/). */
export function projectRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'lookout') return dir;
      } catch {
        // not ours; keep walking up
      }
    }
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

/**
 * Writes next to the target and renames over it, so a reader (the daemon) sees the old file or the
 * whole new one. `check` runs on the temp file before the rename; if it throws, the temp is removed.
 */
export async function writeFileAtomic(target: string, bytes: Uint8Array, check?: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = `${target}.tmp-${process.pid}-${Date.now()}`;
  try {
    await fs.writeFile(tmp, bytes, { flag: 'wx' });
    if (check) await check(tmp);
    await fs.rename(tmp, target);
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}

/** Throws a clear error unless `dir` exists (or can be created) and is writable. */
export async function ensureWritableDir(dir: string, what: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true });
    await fs.access(dir, fs.constants.W_OK);
    const probe = path.join(dir, `.write-test-${process.pid}`);
    await fs.writeFile(probe, '');
    await fs.rm(probe);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${what} ${dir} is not writable (${code ?? errorMessage(e)})`);
  }
}
