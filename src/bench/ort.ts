/**
 * The onnxruntime-node the bench measures: the same one the daemon loads (the npm package, or the
 * build LOOKOUT_ONNXRUNTIME_NODE names, e.g. a CUDA build on a Jetson), so the bare session, the
 * OpenCV comparison and the daemon's worker never run two different bindings in one report.
 */
import type * as Ort from 'onnxruntime-node';
import { loadOrt, type OrtBinding, resolveOrtBinding } from '../detect/execution-providers';

let cached: { binding: OrtBinding; ort: typeof Ort } | undefined;

/** The binding the daemon would load (resolved once per process; throws naming LOOKOUT_ONNXRUNTIME_NODE when it is wrong). */
export function benchOrtBinding(): OrtBinding {
  return (cached ??= load()).binding;
}

/** onnxruntime-node itself, loaded on first use (its native binding is large). */
export function benchOrt(): typeof Ort {
  return (cached ??= load()).ort;
}

function load(): { binding: OrtBinding; ort: typeof Ort } {
  const binding = resolveOrtBinding();
  return { binding, ort: loadOrt(binding) };
}
