/**
 * Realtime pacing of files and image folders in the capture process: each frame is held until its
 * media time, measured from the first frame of the pass, so a recording plays at the speed it was
 * recorded. Pure arithmetic on the clock it is given, so the rules are testable without waiting.
 */
export class Pacer {
  private anchor: { wall: number; media: number } | undefined;

  /**
   * How long to hold a frame whose media time is `mediaMs`, given the time now. Far behind (slow
   * decoding) or a jump in the timestamps restarts the clock at this frame instead of bursting or
   * stalling; `intervalMs` (one frame at the nominal rate) sets how much jitter is tolerated.
   */
  delayFor(mediaMs: number, now: number, intervalMs: number): number {
    this.anchor ??= { wall: now, media: mediaMs };
    const due = this.anchor.wall + (mediaMs - this.anchor.media);
    if (due < now - 1000 || due > now + 2 * intervalMs + 1000) {
      this.anchor = { wall: now, media: mediaMs };
      return 0;
    }
    return Math.max(0, due - now);
  }

  /** A new pass over the media starts its own clock. */
  restart(): void {
    this.anchor = undefined;
  }
}
