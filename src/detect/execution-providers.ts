/**
 * Execution provider choice. onnxruntime-node's `listSupportedBackends()` (1.30) returns entries
 * like `{ name: 'cuda', bundled: false }`: bundled ones (cpu, webgpu on x64) ship in the npm
 * tarball; unbundled ones (cuda, tensorrt) need provider libraries that its install script
 * downloads, which setup skips. So "supported" is not "available": the worker tries each preferred
 * EP in order and falls back, and the automatic preference leaves out unbundled EPs whose provider
 * library is absent, so a CPU-only box does not log two failed attempts at every start.
 */
import fs from 'node:fs';
import path from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { errorMessage } from '../util/errors';

/**
 * Names the folder of an onnxruntime-node package to load instead of the npm one: the way to GPU
 * execution on a Jetson, whose npm binding (linux/arm64) has the CPU EP only. ONNX Runtime built
 * from source with CUDA/TensorRT yields that folder (js/node, with package.json, dist/ and
 * bin/napi-v6/linux/arm64/). See docs/arm64.md.
 */
export const ORT_PATH_ENV = 'LOOKOUT_ONNXRUNTIME_NODE';

export interface OrtBinding {
  /** What require() loads (the package's entry point). */
  main: string;
  /** The package folder (provider libraries live under bin/napi-v6/<platform>/<arch>/). */
  root: string;
  version: string;
  /** true when it came from LOOKOUT_ONNXRUNTIME_NODE. */
  custom: boolean;
}

/** Where onnxruntime-node is loaded from; throws with the variable and path named when a given folder is no onnxruntime-node package. */
export function resolveOrtBinding(env: NodeJS.ProcessEnv = process.env): OrtBinding {
  const given = env[ORT_PATH_ENV]?.trim();
  if (!given) {
    const pkg = require.resolve('onnxruntime-node/package.json');
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the package.json that require.resolve found
    const version = (require(pkg) as { version: string }).version;
    return { main: require.resolve('onnxruntime-node'), root: path.dirname(pkg), version, custom: false };
  }
  const root = path.resolve(path.basename(given) === 'package.json' ? path.dirname(given) : given);
  const pkgFile = path.join(root, 'package.json');
  let pkg: { name?: string; version?: string };
  try {
    pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as typeof pkg;
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no package.json there' : errorMessage(e);
    throw new Error(
      `${ORT_PATH_ENV}=${given}: ${why} (${pkgFile}); it must name the folder of an onnxruntime-node package, e.g. js/node of an ONNX Runtime source build`,
    );
  }
  if (pkg.name !== 'onnxruntime-node') {
    throw new Error(`${ORT_PATH_ENV}=${given}: ${pkgFile} is the package "${pkg.name ?? '(no name)'}", not onnxruntime-node`);
  }
  let main: string;
  try {
    main = require.resolve(root);
  } catch (e) {
    throw new Error(
      `${ORT_PATH_ENV}=${given}: onnxruntime-node ${pkg.version ?? ''} in ${root} has no loadable entry point (${errorMessage(e)}); was it built (npm run build in js/node)?`,
    );
  }
  return { main, root, version: pkg.version ?? 'unknown', custom: true };
}

/** Requires onnxruntime-node from where resolveOrtBinding() says. */
export function loadOrt(binding: OrtBinding = resolveOrtBinding()): typeof Ort {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a path known at run time (LOOKOUT_ORT_PATH or the package)
    return require(binding.main) as typeof Ort;
  } catch (e) {
    const from = binding.custom ? `${ORT_PATH_ENV} (${binding.root})` : `the npm package (${binding.root})`;
    throw new Error(`loading onnxruntime-node ${binding.version} from ${from}: ${errorMessage(e)}`);
  }
}

/** The backends a binding offers (onnxruntime-node before 1.20 has no list: cpu). */
export function listBackends(ort: { listSupportedBackends?: () => SupportedBackend[] }): SupportedBackend[] {
  return ort.listSupportedBackends ? ort.listSupportedBackends() : [{ name: 'cpu', bundled: true }];
}

/** Execution provider names that onnxruntime-node knows on some platform. */
export const KNOWN_EPS = ['tensorrt', 'cuda', 'dml', 'coreml', 'qnn', 'webgpu', 'cpu'] as const;
export type EpName = (typeof KNOWN_EPS)[number];

/** The automatic preference, best first. */
export const AUTO_EPS: readonly EpName[] = ['tensorrt', 'cuda', 'cpu'];

export interface SupportedBackend {
  name: string;
  bundled: boolean;
}

export interface EpPlan {
  /** EPs for the worker to try, in order; always ends with cpu. */
  providers: string[];
  /** EPs left out before trying, with why (logged as warnings when the user asked for them). */
  skipped: Array<{ ep: string; reason: string }>;
  /** true when the preference was automatic (skips are then expected, not worth a warning). */
  auto: boolean;
}

export class UnknownEpError extends Error {
  constructor(readonly ep: string) {
    super(`unknown execution provider "${ep}"; known: ${KNOWN_EPS.join(', ')} (or "auto")`);
    this.name = 'UnknownEpError';
  }
}

function providerLibraryPresent(ep: string, ortRoot: string): boolean {
  const dir = path.join(ortRoot, 'bin', 'napi-v6', process.platform, process.arch);
  return fs.existsSync(path.join(dir, `libonnxruntime_providers_${ep}.so`));
}

/**
 * Turns the configured preference ('auto' or a list) into the EPs to try.
 * @param ortRoot onnxruntime-node's package folder (for the provider-library check)
 */
export function planExecutionProviders(preference: readonly string[] | 'auto' | undefined, supported: readonly SupportedBackend[], ortRoot: string): EpPlan {
  const auto = preference === undefined || preference === 'auto' || (preference.length === 1 && preference[0] === 'auto');
  const wanted = auto ? AUTO_EPS : preference.map((p) => p.trim().toLowerCase());
  for (const ep of wanted) if (!(KNOWN_EPS as readonly string[]).includes(ep)) throw new UnknownEpError(ep);
  const providers: string[] = [];
  const skipped: EpPlan['skipped'] = [];
  for (const ep of wanted) {
    if (providers.includes(ep)) continue;
    const backend = supported.find((b) => b.name === ep);
    if (!backend) {
      skipped.push({ ep, reason: `this onnxruntime-node build for ${process.platform}/${process.arch} does not support it` });
    } else if (!backend.bundled && !providerLibraryPresent(ep, ortRoot)) {
      skipped.push({ ep, reason: `its provider library libonnxruntime_providers_${ep}.so is not installed (ONNX Runtime GPU build needed)` });
    } else {
      providers.push(ep);
    }
  }
  if (!providers.includes('cpu')) providers.push('cpu');
  return { providers, skipped, auto };
}

/** Names of the execution providers this onnxruntime-node build knows (config check lists them). */
export function supportedExecutionProviders(): string[] {
  // Loaded only when a config names providers: the native binding is not needed to check the rest.
  // The binding is the one the daemon will run with, a user's own build included.
  const names = listBackends(loadOrt()).map((b) => b.name);
  return [...new Set(names)];
}
