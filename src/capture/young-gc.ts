/**
 * Preloaded into every capture process (child-path.ts starts it with `--expose-gc --require` this
 * file): a scavenge of V8's young generation every `YOUNG_GC_INTERVAL_MS`.
 *
 * Why (issue 17, ≤ 60 MB per additional camera): each frame handed over leaves a dead model-input
 * buffer (270 KB for SSDLite; OpenCV's getData() allocates it with malloc outside V8's heap). Only
 * the collection that finds its JavaScript object dead frees it, and the capture process allocates
 * so few JavaScript objects that its 1 MB young generation fills only every few dozen frames; V8
 * starts a full collection for external memory only past tens of MB. So tens of MB of dead inputs
 * sat in the malloc heap of every capture process. A scavenge of a young generation this small
 * takes well under a millisecond.
 *
 * Measured, `lookout run`, one file camera on vtest.avi at `max_fps: 30` (about 25 FPS reached),
 * capture process after 45 s: private dirty 73 → 45 MB, malloc heap 44 → 19 MB, CPU 1.75 → 1.80 s
 * per 30 s; a full collection every 2 s instead: 50 MB and 2.10 s (docs/performance.md, "Memory").
 */
export const YOUNG_GC_INTERVAL_MS = 250;

type Gc = (options?: { type?: 'minor' | 'major' }) => void;

/** Starts the timer when `gc` is exposed (it is not without `--expose-gc`); it never keeps the process alive. */
export function startYoungGc(gc: unknown = (globalThis as { gc?: unknown }).gc, intervalMs = YOUNG_GC_INTERVAL_MS): NodeJS.Timeout | undefined {
  if (typeof gc !== 'function') return undefined;
  const collect = gc as Gc;
  return setInterval(() => collect({ type: 'minor' }), intervalMs).unref();
}

startYoungGc();
