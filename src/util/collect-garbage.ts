/**
 * Collections asked for by hand, where a process or thread makes more garbage outside V8's heap than
 * inside it: dead ArrayBuffers (frames, model inputs and outputs) hold malloc memory that only the
 * collection which finds their JavaScript object dead gives back, and V8 schedules collections by
 * its own heap's growth, not by what the buffers hold. Used by the capture process's timer
 * (capture/young-gc.ts) and after every run in the inference worker (detect/inference-worker.ts).
 */
import v8 from 'node:v8';
import vm from 'node:vm';

export type Gc = (options?: { type?: 'minor' | 'major' }) => void;

/**
 * Live ArrayBuffers past which a full collection replaces the scavenge: buffers that outlived two
 * scavenges were promoted to the old generation, and only a full collection frees those.
 */
export const FULL_GC_ARRAY_BUFFERS = 8 * 1024 * 1024;

/**
 * A scavenge, or a full collection when the collections before left too much in ArrayBuffers (read
 * before collecting: V8 sweeps ArrayBuffers concurrently, so the count lags a collection).
 *
 * The full one is `gc()` without options: on Node 20 (V8 11.3), `gc({ type: 'major' })` runs a
 * synchronous mark-compact that leaves promoted dead ArrayBuffers allocated (95 MB of them stayed,
 * through three calls; `gc()` freed them at once), so a capture process serving snapshots held up
 * to 40 MB of dead JPEGs and ran a useless full collection every tick while over the threshold.
 */
export function collect(gc: Gc, arrayBuffers: () => number = () => process.memoryUsage().arrayBuffers): void {
  if (arrayBuffers() > FULL_GC_ARRAY_BUFFERS) gc();
  else gc({ type: 'minor' });
}

/**
 * This isolate's gc(): the global one under `--expose-gc`, else one from a new context after setting
 * the flag (V8 binds gc() to a context when the context is made; the function collects the whole
 * isolate). The flag is process-wide, and only contexts made later get the global.
 */
export function exposedGc(): Gc {
  const global = (globalThis as { gc?: unknown }).gc;
  if (typeof global === 'function') return global as Gc;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as Gc;
}
