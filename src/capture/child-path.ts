/**
 * How to start the capture process (capture-child). In production this module is compiled in
 * dist/capture and so is the child: plain `node dist/capture/capture-child.js`. Under jest this
 * module runs from src/capture as TypeScript, and so must the child, or a test would exercise a
 * stale build: it runs src/capture/capture-child.ts with source-loader.js, which compiles the
 * TypeScript it requires with the project's own compiler (a dev dependency, never needed in dist).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface CaptureChildEntry {
  /** The file to fork. */
  file: string;
  /** Node options for it. */
  execArgv: string[];
}

export const SOURCE_LOADER = 'source-loader.js';

/** `dir` and `self` are where this module is and what it is called (overridable for tests). */
export function resolveCaptureChild(dir: string = __dirname, self: string = __filename): CaptureChildEntry {
  const fromSource = path.extname(self) === '.ts';
  const file = path.join(dir, fromSource ? 'capture-child.ts' : 'capture-child.js');
  if (!fs.existsSync(file)) {
    throw new Error(`capture process entry not found: ${file}${fromSource ? '' : ' (run npm run build)'}`);
  }
  if (!fromSource) return { file, execArgv: [] };
  const loader = path.join(dir, SOURCE_LOADER);
  if (!fs.existsSync(loader)) throw new Error(`capture process loader not found: ${loader}`);
  return { file, execArgv: ['--require', loader] };
}
