// The TF.js oracles run the original graphs on tfjs-backend-wasm (XNNPACK kernels compiled to
// WebAssembly): an implementation independent of ONNX Runtime's, as the pure-JS CPU backend is, at
// about a tenth of its time (one SSDLite inference: ~0.9 s against ~10-20 s on a busy 2-core machine).
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/** Switches tfjs to its wasm backend, with the .wasm files from the npm package (no download). */
export async function useTfjsWasm(): Promise<void> {
  const dist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  setWasmPaths(`${dist}${path.sep}`);
  if (!(await tf.setBackend('wasm'))) throw new Error(`tfjs could not start its wasm backend from ${dist}`);
  await tf.ready();
}
