/**
 * How to start the capture process (capture-child). In production this module is compiled in
 * dist/capture and so is the child: plain `node dist/capture/capture-child.js`. Under jest this
 * module runs from src/capture as TypeScript, and so must the child, or a test would exercise a
 * stale build: it runs src/capture/capture-child.ts with src/util/source-loader.js, which compiles the
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

/**
 * V8 limits for a capture process: its JavaScript is a loop and a few small objects a frame, its
 * frames live in OpenCV's memory outside V8's heap. Without them each process reserves young and old
 * generations sized for the machine, which a Pi with four cameras pays four times (issue 17: ≤ 60 MB
 * per additional camera). The old-space limit applies to the built process only: under jest the
 * process compiles TypeScript as it loads, which needs the heap of a compiler.
 */
export const CHILD_V8_FLAGS = ['--max-semi-space-size=1'];
export const CHILD_OLD_SPACE_FLAG = '--max-old-space-size=48';

/**
 * Preloaded before the process's own code: a young-generation collection every 250 ms (and a full
 * one when dead buffers were promoted), so the model input each frame leaves behind (outside V8's
 * heap) is freed within a few frames, not tens of MB later (young-gc.ts says why and how much).
 * `--expose-gc` gives it `gc`.
 */
export const YOUNG_GC = 'young-gc';
export const CHILD_GC_FLAGS = ['--expose-gc'];

/** `dir` and `self` are where this module is and what it is called (overridable for tests). */
export function resolveCaptureChild(dir: string = __dirname, self: string = __filename): CaptureChildEntry {
  const fromSource = path.extname(self) === '.ts';
  const file = path.join(dir, fromSource ? 'capture-child.ts' : 'capture-child.js');
  if (!fs.existsSync(file)) {
    throw new Error(`capture process entry not found: ${file}${fromSource ? '' : ' (run npm run build)'}`);
  }
  const youngGc = path.join(dir, `${YOUNG_GC}${fromSource ? '.ts' : '.js'}`);
  if (!fs.existsSync(youngGc)) throw new Error(`capture process preload not found: ${youngGc}${fromSource ? '' : ' (run npm run build)'}`);
  if (!fromSource) return { file, execArgv: [...CHILD_V8_FLAGS, CHILD_OLD_SPACE_FLAG, ...CHILD_GC_FLAGS, '--require', youngGc] };
  const loader = path.join(dir, '..', 'util', SOURCE_LOADER);
  if (!fs.existsSync(loader)) throw new Error(`capture process loader not found: ${loader}`);
  return { file, execArgv: [...CHILD_V8_FLAGS, ...CHILD_GC_FLAGS, '--require', loader, '--require', youngGc] };
}
