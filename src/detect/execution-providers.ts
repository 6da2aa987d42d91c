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
export function planExecutionProviders(
  preference: readonly string[] | 'auto' | undefined,
  supported: readonly SupportedBackend[],
  ortRoot: string,
): EpPlan {
  const auto = preference === undefined || preference === 'auto' || (preference.length === 1 && preference[0] === 'auto');
  const wanted = auto ? AUTO_EPS : (preference as readonly string[]).map((p) => p.trim().toLowerCase());
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
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ort = require('onnxruntime-node') as { listSupportedBackends?: () => SupportedBackend[] };
  const names = ort.listSupportedBackends ? ort.listSupportedBackends().map((b) => b.name) : ['cpu'];
  return [...new Set(names)];
}
