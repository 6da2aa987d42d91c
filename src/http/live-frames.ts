/**
 * The live picture: a JPEG of a camera's newest processed frame, encoded only when the page asks for
 * one, and at most `fps` times a second per camera however many pages ask. With nobody watching no
 * frame is ever encoded; the frames themselves come from the daemon (LiveFrameSource), which fetches
 * them the way the snapshot command does.
 */

/** What the daemon gives the page of each camera's frames. */
export interface LiveFrameSource {
  /** Sequence number of the camera's newest processed frame; null while it has none. */
  latestSeq(camera: string): number | null;
  /** JPEG of frame `seq` of the camera, or null when that frame is no longer held. */
  jpeg(camera: string, seq: number, quality: number): Promise<Buffer | null>;
}

export interface LiveJpeg {
  seq: number;
  jpeg: Buffer;
}

interface Slot {
  last: LiveJpeg | null;
  encodedAt: number;
  pending: Promise<LiveJpeg | null> | null;
}

export class LiveFrames {
  private readonly slots = new Map<string, Slot>();
  /** JPEGs encoded since start: what the page costs (docs/ui.md). */
  encoded = 0;

  constructor(
    private readonly source: LiveFrameSource,
    private readonly settings: () => { fps: number; quality: number },
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The newest JPEG of the camera not older than 1/fps, encoding it if needed; null without frames. */
  async get(camera: string): Promise<LiveJpeg | null> {
    let slot = this.slots.get(camera);
    if (!slot) {
      slot = { last: null, encodedAt: -Infinity, pending: null };
      this.slots.set(camera, slot);
    }
    if (slot.pending) return slot.pending;
    const seq = this.source.latestSeq(camera);
    if (seq === null) return slot.last;
    const { fps, quality } = this.settings();
    if (slot.last && (slot.last.seq === seq || this.now() - slot.encodedAt < 1000 / fps)) return slot.last;
    const s = slot;
    s.encodedAt = this.now();
    s.pending = this.source
      .jpeg(camera, seq, quality)
      .then((jpeg) => {
        if (jpeg) {
          this.encoded++;
          s.last = { seq, jpeg };
        }
        return s.last;
      })
      // The frame may be gone already (its capture process restarted): the previous picture stays.
      .catch(() => s.last)
      .finally(() => (s.pending = null));
    return s.pending;
  }

  /** A camera removed by a reload. */
  forget(camera: string): void {
    this.slots.delete(camera);
  }
}
