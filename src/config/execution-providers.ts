/**
 * `config check` refuses an execution provider this onnxruntime-node build does not know (e.g.
 * `xnnpack`, which the node binding lacks): it passed before and then took every camera down at
 * model load. Listed names are checked against the build's own list; `auto` is always fine.
 */
import { supportedExecutionProviders } from '../detect/execution-providers';

export function executionProviderProblems(preference: readonly string[], supported: () => string[] = supportedExecutionProviders): string[] {
  const named = preference.map((p) => p.trim().toLowerCase()).filter((p) => p !== 'auto');
  if (named.length === 0) return [];
  const known = supported();
  return preference
    .map((p, i) => ({ p: p.trim().toLowerCase(), i }))
    .filter(({ p }) => p !== 'auto' && !known.includes(p))
    .map(
      ({ p, i }) =>
        `detector.execution_providers[${i}]: '${p}' is not an execution provider of this onnxruntime-node build (it has: ${known.join(', ')}; or 'auto')`,
    );
}
