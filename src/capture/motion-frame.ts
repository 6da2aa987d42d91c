/**
 * The capture process's OpenCV part of motion: the small, blurred grayscale copy motion.ts looks at,
 * and one MotionDetector per frame size (a reopened camera may deliver another size).
 */
import type { Cv, Mat } from '../cv';
import type { CompressedFrame } from './compressed-frame';
import { MotionDetector, type MotionResult, motionSize, type MotionSpec } from './motion';

/**
 * Small gray bytes of a BGR frame; every intermediate Mat is released at once (see cv-frame.ts).
 *
 * The copy is an average over the frame's pixels (noise and compression artefacts must not be
 * motion), made in two cheap steps: bilinear to twice the size, then a 2×2 average (OpenCV's integer
 * INTER_AREA path); each small pixel then averages 16 source pixels. INTER_AREA in one step from
 * 768×576 to 160×120 (a factor of 4.8, OpenCV's generic path) cost 1.7 ms of CPU a frame against
 * 0.3 ms (issue 17: on a still scene it was a quarter of what gating leaves of the capture process).
 */
function smallGray(cv: Cv, bgr: Mat, width: number, height: number): Uint8Array {
  let small: Mat;
  if (bgr.rows > 2 * height && bgr.cols > 2 * width) {
    const twice = bgr.resize(new cv.Size(2 * width, 2 * height), 0, 0, cv.INTER_LINEAR);
    small = twice.resize(new cv.Size(width, height), 0, 0, cv.INTER_AREA);
    twice.release();
  } else {
    small = bgr.resize(new cv.Size(width, height), 0, 0, cv.INTER_AREA);
  }
  const gray = small.cvtColor(cv.COLOR_BGR2GRAY);
  small.release();
  // Blur: compression noise and sensor grain are not motion.
  const blurred = gray.gaussianBlur(new cv.Size(5, 5), 0);
  gray.release();
  const data = blurred.getData();
  blurred.release();
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}

/** The blurred bytes of a gray Mat already at least `width` × `height` (a JPEG decoded at a reduced scale). */
function blurredGray(cv: Cv, gray: Mat, width: number, height: number): Uint8Array {
  const small = gray.cols === width && gray.rows === height ? gray : gray.resize(new cv.Size(width, height), 0, 0, cv.INTER_AREA);
  const blurred = small.gaussianBlur(new cv.Size(5, 5), 0);
  if (small !== gray) small.release();
  const data = blurred.getData();
  blurred.release();
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}

export class FrameMotion {
  private detector: MotionDetector | undefined;

  constructor(
    private readonly cv: Cv,
    private readonly spec: MotionSpec,
  ) {}

  /** Motion in `bgr` (the frame as handed over: after transforms, 8-bit BGR) against the frames before. */
  update(bgr: Mat): MotionResult {
    const size = motionSize(bgr.cols, bgr.rows);
    return this.detectorFor(size).update(smallGray(this.cv, bgr, size.width, size.height));
  }

  /**
   * Motion in a frame still compressed, from a gray copy decoded at a reduced scale (never the whole
   * frame). A camera's frames all come one way or the other, so its background is made of one kind.
   */
  updateCompressed(frame: CompressedFrame): MotionResult {
    const size = motionSize(frame.cols, frame.rows);
    const gray = frame.decodeGray(this.cv, size.width, size.height);
    try {
      return this.detectorFor(size).update(blurredGray(this.cv, gray, size.width, size.height));
    } finally {
      gray.release();
    }
  }

  /** One detector per frame size: a reopened camera may deliver another size. */
  private detectorFor(size: { width: number; height: number }): MotionDetector {
    if (!this.detector || this.detector.width !== size.width || this.detector.height !== size.height) {
      this.detector = new MotionDetector(size.width, size.height, this.spec);
    }
    return this.detector;
  }
}
