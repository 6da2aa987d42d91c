/**
 * The one place that loads @u4/opencv4nodejs.
 *
 * Why a wrapper: on require, its loader (@u4/opencv-build) prints info lines to stdout, which is our
 * JSON log stream for journald, so the builder logger is silenced first. And the binding throws
 * plain strings, not Error objects, so callers wrap them with `cvError` to get a message with context
 * and a stack.
 */
import fs from 'node:fs';
import path from 'node:path';
import type * as OpenCV from '@u4/opencv4nodejs';
import { errorMessage } from './util/errors';

export type Cv = typeof OpenCV.cv;
export type Mat = OpenCV.Mat;

let loaded: Cv | undefined;
let threadsOnLoad: number | undefined;

/**
 * OpenCV's thread count, applied when the binding loads (now, if it already has). The daemon's main
 * thread needs OpenCV only in rare paths (a frame handed over with its pixels), so it must not load
 * the binding — 30–50 MB of a Pi's memory — just to set this.
 */
export function setCvThreadsOnLoad(threads: number): void {
  threadsOnLoad = threads;
  if (loaded) applyThreads(loaded, threads);
}

function applyThreads(cv: Cv, threads: number): void {
  (cv as unknown as { setNumThreads?: (n: number) => void }).setNumThreads?.(threads);
}

export function loadCv(): Cv {
  if (loaded) return loaded;
  const chosen = process.env[CV_BINDING_ENV];
  loaded = chosen ? loadChosenBinding(chosen) : (loadBindingDirectly() ?? loadThroughPackage());
  if (threadsOnLoad !== undefined) applyThreads(loaded, threadsOnLoad);
  return loaded;
}

/**
 * The binding without the package's JavaScript loader: that loader builds an OpenCVBuilder (the
 * opencv-build machinery, its logger and colours) only to find the file, and the extras it adds
 * (deprecated calcHist, drawDetection, cascade paths) are unused here. Each capture process saves
 * about 8 MB of private memory and 10 MB of PSS (docs/performance.md). The file is where that loader
 * looks (a Debug build first); null sends the caller to the package's loader, which explains failures.
 */
function loadBindingDirectly(): Cv | null {
  let pkgDir: string;
  try {
    pkgDir = path.resolve(path.dirname(require.resolve('@u4/opencv4nodejs')), '..', '..');
  } catch {
    return null;
  }
  const file = ['Debug', 'Release'].map((kind) => path.join(pkgDir, 'build', kind, 'opencv4nodejs.node')).find((f) => fs.existsSync(f));
  if (!file) return null;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a native binding, loaded on first use
    const binding = require(file) as Record<string, unknown>;
    if (typeof binding.Mat !== 'function' || typeof binding.imencode !== 'function') return null;
    return withPromises(binding) as unknown as Cv;
  } catch {
    return null;
  }
}

/** Names an opencv4nodejs.node to load instead of the package's (a build of one's own, a test). */
export const CV_BINDING_ENV = 'LOOKOUT_OPENCV_BINDING';

/** The binding the user named: no fallback, since loading another one than asked for would hide it. */
function loadChosenBinding(file: string): Cv {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a path known at run time
    return withPromises(require(path.resolve(file)) as Record<string, unknown>) as unknown as Cv;
  } catch (e) {
    throw cvError(e, `loading the OpenCV binding ${CV_BINDING_ENV}=${file}`);
  }
}

function loadThroughPackage(): Cv {
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
    return mod.cv ?? mod.default ?? mod;
  } catch (e) {
    throw cvError(e, 'loading the OpenCV binding (@u4/opencv4nodejs); run scripts/setup.sh to build it');
  }
}

type Callback = (err: unknown, result: unknown) => void;
type NativeFn = (this: unknown, ...args: unknown[]) => unknown;

/**
 * The binding's `...Async` functions and methods take a callback; the typings (and our code) await
 * them. Each is wrapped to return a promise when called without a callback, as the package's loader
 * does.
 */
function withPromises(binding: Record<string, unknown>): Record<string, unknown> {
  const isAsync = (name: string, v: unknown): v is NativeFn => typeof v === 'function' && name.endsWith('Async');
  for (const [name, value] of Object.entries(binding)) {
    if (isAsync(name, value)) binding[name] = promising(value);
    const proto = typeof value === 'function' ? (value.prototype as Record<string, unknown> | undefined) : undefined;
    if (!proto) continue;
    for (const key of Object.keys(proto)) {
      const method = proto[key];
      if (isAsync(key, method)) proto[key] = promising(method);
    }
  }
  return binding;
}

function promising(fn: NativeFn): NativeFn {
  return function (this: unknown, ...args: unknown[]): unknown {
    if (typeof args[args.length - 1] === 'function') return fn.apply(this, args);
    return new Promise((resolve, reject) => {
      // The binding calls back with bare strings; an Error with the same message keeps a stack.
      const done: Callback = (err, result) => (err ? reject(err instanceof Error ? err : new Error(errorMessage(err))) : resolve(result));
      fn.apply(this, [...args, done]);
    });
  };
}

/** Turns whatever OpenCV threw (often a bare string) into an Error that says what we were doing. */
export function cvError(thrown: unknown, context: string): Error {
  // The cause keeps a thrown Error's stack; errorMessage does not repeat it, the message says it already.
  return new Error(`${context}: ${errorMessage(thrown).trim()}`, thrown instanceof Error ? { cause: thrown } : undefined);
}
