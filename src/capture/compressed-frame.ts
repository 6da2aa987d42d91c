/**
 * MJPG frames read still compressed, decoded only as far as they are looked at (issue 17).
 *
 * With motion gating on, most frames of a still scene only need their motion: whether anything moved
 * against the background, on a 120-row gray copy. An MJPG source (most USB and many IP cameras, and
 * the still-scene test video) carries every frame as a JPEG, and a JPEG can be decoded straight to a
 * quarter or an eighth of its size in gray (libjpeg's DCT scaling): on 768×576 that is 0.8 ms against
 * 3.7 ms for FFmpeg's full decode to BGR, which the capture process otherwise paid for every frame of
 * the source. The full frame is decoded only for frames that go on (motion, a due detection).
 *
 * Used for FFmpeg-read MJPG sources with motion on and no transform (rotation, flip and crop are
 * applied to full frames; a gray copy transformed the same way is not worth the second code path).
 */
import type { Cv, Mat } from '../cv';

export class CompressedFrame {
  readonly empty = false;
  /** The packet's bytes, copied out of the Mat once (a moving frame is decoded twice: gray, then whole). */
  private data: Buffer | undefined;

  /** `packet`: the JPEG as OpenCV's FFmpeg backend returns it in raw mode (one row of bytes). */
  constructor(
    readonly packet: Mat,
    readonly cols: number,
    readonly rows: number,
  ) {}

  /** The JPEG's bytes. */
  bytes(): Buffer {
    this.data ??= this.packet.getData();
    return this.data;
  }

  /** The whole frame, 8-bit BGR; throws when the JPEG does not decode. */
  decode(cv: Cv): Mat {
    return decoded(cv.imdecode(this.bytes()), 'the frame');
  }

  /**
   * A gray copy of at least `width` × `height` pixels, decoded at the smallest scale (1/8, 1/4, 1/2)
   * that still covers it; throws when the JPEG does not decode.
   */
  decodeGray(cv: Cv, width: number, height: number): Mat {
    for (const [scale, flag] of [
      [8, cv.IMREAD_REDUCED_GRAYSCALE_8],
      [4, cv.IMREAD_REDUCED_GRAYSCALE_4],
      [2, cv.IMREAD_REDUCED_GRAYSCALE_2],
    ] as const) {
      if (Math.floor(this.cols / scale) >= width && Math.floor(this.rows / scale) >= height) return decoded(cv.imdecode(this.bytes(), flag), 'a gray copy');
    }
    return decoded(cv.imdecode(this.bytes(), cv.IMREAD_GRAYSCALE), 'a gray copy');
  }

  release(): void {
    this.packet.release();
  }
}

function decoded(mat: Mat, what: string): Mat {
  if (mat.empty) throw new Error(`the MJPG packet did not decode to ${what} (libjpeg refused it)`);
  return mat;
}

/**
 * Whether frames of this capture may be read compressed: FFmpeg's backend, an MJPG stream, motion
 * on, no transform, and not switched off with LOOKOUT_MJPEG_COMPRESSED=0 (for a camera whose JPEGs
 * libjpeg refuses while FFmpeg's own decoder copes).
 */
export function mayReadCompressed(o: { api: string; fourcc: string; motion: boolean; transformed: boolean; env?: NodeJS.ProcessEnv }): boolean {
  if ((o.env ?? process.env).LOOKOUT_MJPEG_COMPRESSED === '0') return false;
  return o.api === 'CAP_FFMPEG' && o.fourcc === 'MJPG' && o.motion && !o.transformed;
}
