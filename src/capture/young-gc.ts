/**
 * Preloaded into every capture process (child-path.ts starts it with `--expose-gc --require` this
 * file): a scavenge of V8's young generation every `YOUNG_GC_INTERVAL_MS`, or a full collection
 * instead when the ArrayBuffers still alive exceed `FULL_GC_ARRAY_BUFFERS`, and every
 * `FULL_GC_EVERY_TICKS` ticks.
 *
 * Why (issue 17, ≤ 60 MB per additional camera): each frame handed over leaves a dead model-input
 * buffer (270 KB for SSDLite; OpenCV's getData() allocates it with malloc outside V8's heap). Only
 * the collection that finds its JavaScript object dead frees it, and the capture process allocates
 * so few JavaScript objects that its 1 MB young generation fills only every few dozen frames; V8
 * starts a full collection for external memory only past tens of MB. So tens of MB of dead inputs
 * sat in the malloc heap of every capture process. A scavenge of a young generation this small
 * takes well under a millisecond. Inputs that outlive two scavenges (a busy daemon reads the frame
 * pipe late) are promoted, and only a full collection frees those: it runs when they pile up, and
 * every 10 s (the live ones are a few: inputs in the pipe, pinned frames' JPEGs).
 *
 * Measured, `lookout run`, file cameras on vtest.avi at `max_fps: 30`, capture processes after 45 s
 * (docs/performance.md, "Memory"): one camera, private dirty 73 / 69 MB → 45 / 46 MB with the
 * scavenges alone (malloc heap 44 → 19 MB, CPU per frame the same within the noise); two cameras,
 * 76 MB each with the scavenges alone, 48 and 55 MB with the full collection when over 8 MB (a full
 * collection every 5 s: 48 and 50 MB), CPU per frame 5.2 against 5.05 ms at load 6. Those "full
 * collections" were gc({ type: 'major' }), which frees no promoted ArrayBuffer on Node 20
 * (util/collect-garbage.ts): the differences were the scavenges' and the runs' spread.
 */
import { collect, type Gc } from '../util/collect-garbage';

export const YOUNG_GC_INTERVAL_MS = 250;

/**
 * Every this many ticks (10 s) a full collection instead, whatever the ArrayBuffers: model inputs
 * promoted before they died, pinned JPEGs let go, and the old generation's other garbage stay below
 * the threshold yet add up. In a 10-minute bench run with two cameras each capture process grew from
 * 74 to 82 MB (malloc heap 23 → 28, V8 heap 7 → 10) without it; a full collection of this process's
 * few MB of heap takes a few milliseconds.
 */
export const FULL_GC_EVERY_TICKS = 40;

/** Starts the timer when `gc` is exposed (it is not without `--expose-gc`); it never keeps the process alive. */
export function startYoungGc(
  gc: unknown = (globalThis as { gc?: unknown }).gc,
  intervalMs = YOUNG_GC_INTERVAL_MS,
  arrayBuffers?: () => number,
): NodeJS.Timeout | undefined {
  if (typeof gc !== 'function') return undefined;
  const fn = gc as Gc;
  let tick = 0;
  return setInterval(() => {
    tick = (tick + 1) % FULL_GC_EVERY_TICKS;
    if (tick === 0) fn();
    else collect(fn, arrayBuffers);
  }, intervalMs).unref();
}

startYoungGc();
