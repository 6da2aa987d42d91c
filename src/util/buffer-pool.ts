/**
 * Reused ArrayBuffers for the model inputs that come from the capture processes. Each frame's input
 * (270 KB for SSDLite) arrived in a new ArrayBuffer, went to the inference worker and was dropped:
 * new external memory every frame, which is what makes V8 run full garbage collections on the
 * daemon's main thread. The frame parser takes its buffers here; the inference worker hands each
 * input back with its result (transferred, not copied), and it is given back for the next frame.
 *
 * Process-wide because the two ends are in different parts (capture, detect) that share nothing
 * else; bounded, so sizes no longer used (a model swapped by a reload) cost at most a few buffers.
 */
export class BufferPool {
  private readonly free = new Map<number, ArrayBuffer[]>();

  constructor(
    /** Only buffers at least this big are worth keeping. */
    readonly minBytes = 64 * 1024,
    private readonly perSize = 4,
    private readonly sizes = 4,
  ) {}

  /** A buffer of exactly `bytes`: a kept one, or a new one. Its contents are whatever was there. */
  take(bytes: number): ArrayBuffer {
    return this.free.get(bytes)?.pop() ?? new ArrayBuffer(bytes);
  }

  /** Keeps `buffer` for a later take of its size. A detached (or small) one is ignored. */
  give(buffer: ArrayBuffer): void {
    const bytes = buffer.byteLength;
    if (bytes < this.minBytes) return;
    let list = this.free.get(bytes);
    if (!list) {
      if (this.free.size >= this.sizes) this.free.delete(this.free.keys().next().value!);
      list = [];
      this.free.set(bytes, list);
    }
    if (list.length < this.perSize && !list.includes(buffer)) list.push(buffer);
  }

  /** Buffers kept now (for tests). */
  get kept(): number {
    let n = 0;
    for (const list of this.free.values()) n += list.length;
    return n;
  }
}

/** The daemon's pool of model-input buffers. */
export const inputBuffers = new BufferPool();
