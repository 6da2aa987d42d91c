/**
 * Where capture-child.js is. It is plain JavaScript that tsc (no allowJs) does not copy to dist/, so
 * from dist/capture we look next to ourselves first (for a build step that copies it) and then at
 * the source tree (<root>/src/capture), which ships with the repository.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const CHILD_FILE = 'capture-child.js';

export function captureChildCandidates(dir: string = __dirname): string[] {
  return [path.join(dir, CHILD_FILE), path.join(dir, '..', '..', 'src', 'capture', CHILD_FILE)];
}

export function resolveCaptureChild(dir: string = __dirname): string {
  const candidates = captureChildCandidates(dir);
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new Error(`capture process entry ${CHILD_FILE} not found (looked at ${candidates.join(', ')})`);
  return found;
}
