/**
 * The capture process's ring of full-resolution frames (issue 17): the daemon gets only the model's
 * input, and fetches a full frame by its sequence number when a snapshot needs one (a track's best
 * frame, the snapshot command, the live page). The ring keeps the last `recent` frames handed over,
 * plus any the daemon said it still needs (`keep`, sent with each 'want'): a best frame may be
 * minutes old by the time its track ends.
 *
 * A frame is never released while it is still in use: a fetch leases it (the JPEG is encoded on
 * libuv's thread pool, after the ring may have moved on), and a leased frame that leaves the ring is
 * released when its last lease ends. The slots themselves are a fixed array, reused frame after frame.
 */

/** What the ring needs of a frame (an OpenCV Mat in the capture process, a stand-in in tests). */
export interface Releasable {
  release(): void;
}

export interface FrameLease<M> {
  readonly seq: number;
  readonly frame: M;
  /** Ends this lease; the frame goes once it has left the ring and no lease holds it. Idempotent. */
  end(): void;
}

interface Held<M> {
  seq: number;
  frame: M;
  leases: number;
  /** Left the ring while leased: release when the last lease ends. */
  evicted: boolean;
  /** Pinned and already swapped for its stand-in (onPin), or not to be swapped. */
  settled?: boolean;
}

export class FrameRing<M extends Releasable> {
  /** The last `recent` frames put, oldest first; a fixed array of slots. */
  private readonly slots: Array<Held<M> | undefined>;
  private next = 0;
  /** Frames kept past their slot because the daemon still needs them, by seq. */
  private readonly pinned = new Map<number, Held<M>>();
  private wanted = new Set<number>();
  /** At most this many pinned frames: a daemon that asks for too much cannot exhaust memory. */
  private readonly maxPinned: number;

  /**
   * `onPin`: called for a frame that left the recent slots and is still wanted at the next keep()
   * after that, with no lease on it; it may return a smaller stand-in (the capture process keeps a
   * JPEG instead of 1.3 MB of pixels), which then owns what the frame held. Not at once: with frames
   * in flight the daemon's newest processed frame is often a few frames behind the newest handed
   * over, so it leaves the recent slots just before the next request lets it go, and encoding it
   * then cost the capture process a JPEG a frame (issue 17: 2.2 → 4.4 ms of CPU per frame).
   */
  constructor(
    recent: number,
    maxPinned = 16,
    private readonly onPin?: (frame: M) => M,
  ) {
    if (!(Number.isInteger(recent) && recent >= 1)) throw new Error(`frame ring: recent must be an integer ≥ 1, got ${recent}`);
    this.slots = new Array<Held<M> | undefined>(recent).fill(undefined);
    this.maxPinned = maxPinned;
  }

  /** Frames held now (recent and pinned), for tests and diagnostics. */
  get size(): number {
    return this.slots.filter((s) => s !== undefined).length + this.pinned.size;
  }

  /** Takes ownership of `frame`; the oldest recent frame moves out (kept when pinned, else released unless leased). */
  put(seq: number, frame: M): void {
    const old = this.slots[this.next];
    this.slots[this.next] = { seq, frame, leases: 0, evicted: false };
    this.next = (this.next + 1) % this.slots.length;
    if (old) this.leave(old);
  }

  /** The seqs the daemon still needs beyond the recent ones; pinned frames not in it go. */
  keep(seqs: Iterable<number>): void {
    this.wanted = new Set([...seqs].slice(-this.maxPinned));
    for (const [seq, held] of this.pinned) {
      if (!this.wanted.has(seq)) {
        this.pinned.delete(seq);
        this.drop(held);
      } else if (!held.settled && held.leases === 0) {
        // Still wanted a request later: kept for a while (a best frame), so its stand-in now. A frame
        // being read by a fetch right now stays as it is until a later keep().
        if (this.onPin) held.frame = this.onPin(held.frame);
        held.settled = true;
      }
    }
  }

  /** A lease on frame `seq`, or undefined when the ring no longer holds it. */
  lease(seq: number): FrameLease<M> | undefined {
    const held = this.slots.find((s) => s?.seq === seq) ?? this.pinned.get(seq);
    if (!held) return undefined;
    held.leases++;
    let ended = false;
    return {
      seq,
      frame: held.frame,
      end: () => {
        if (ended) return;
        ended = true;
        held.leases--;
        if (held.evicted && held.leases === 0) held.frame.release();
      },
    };
  }

  /** Releases every frame not leased (the process is ending); leased ones go when their lease ends. */
  clear(): void {
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[i];
      this.slots[i] = undefined;
      if (s) this.drop(s);
    }
    for (const held of this.pinned.values()) this.drop(held);
    this.pinned.clear();
  }

  private leave(held: Held<M>): void {
    if (!this.wanted.has(held.seq) || this.pinned.size >= this.maxPinned) {
      this.drop(held);
      return;
    }
    this.pinned.set(held.seq, held);
  }

  private drop(held: Held<M>): void {
    held.evicted = true;
    if (held.leases === 0) held.frame.release();
  }
}
