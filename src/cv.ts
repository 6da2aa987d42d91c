/**
 * The one place that loads @u4/opencv4nodejs.
 *
 * Why a wrapper: on require, its loader (@u4/opencv-build) prints info lines to stdout, which is our
 * JSON log stream for journald, so the builder logger is silenced first. And the binding throws
 * plain strings, not Error objects, so callers wrap them with `cvError` to get a message with context
 * and a stack.
 */
import type * as OpenCV from '@u4/opencv4nodejs';
import { errorMessage } from './util/errors';

export type Cv = typeof OpenCV.cv;
export type Mat = OpenCV.Mat;

let loaded: Cv | undefined;

export function loadCv(): Cv {
  if (loaded) return loaded;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded with the binding, only by commands that use OpenCV
    const build = require('@u4/opencv-build') as { Log?: { silence: boolean } };
    if (build.Log) build.Log.silence = true;
  } catch {
    // opencv-build is a dependency of opencv4nodejs; if its layout changes we only lose the silencing.
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the native binding loads on first use, not on import
    const mod = require('@u4/opencv4nodejs') as { cv?: Cv; default?: Cv } & Cv;
    loaded = mod.cv ?? mod.default ?? mod;
  } catch (e) {
    throw cvError(e, 'loading the OpenCV binding (@u4/opencv4nodejs); run scripts/setup.sh to build it');
  }
  return loaded;
}

/** Turns whatever OpenCV threw (often a bare string) into an Error that says what we were doing. */
export function cvError(thrown: unknown, context: string): Error {
  // The cause keeps a thrown Error's stack; errorMessage does not repeat it, the message says it already.
  return new Error(`${context}: ${errorMessage(thrown).trim()}`, thrown instanceof Error ? { cause: thrown } : undefined);
}
