/**
 * The capture process's OpenCV part of motion: the small, blurred grayscale copy motion.ts looks at,
 * and one MotionDetector per frame size (a reopened camera may deliver another size).
 */
import type { Cv, Mat } from '../cv';
import { MotionDetector, type MotionResult, motionSize, type MotionSpec } from './motion';

/** Small gray bytes of a BGR frame; every intermediate Mat is released at once (see cv-frame.ts). */
function smallGray(cv: Cv, bgr: Mat, width: number, height: number): Uint8Array {
  const small = bgr.resize(new cv.Size(width, height), 0, 0, cv.INTER_AREA);
  const gray = small.cvtColor(cv.COLOR_BGR2GRAY);
  small.release();
  // Blur: compression noise and sensor grain are not motion.
  const blurred = gray.gaussianBlur(new cv.Size(5, 5), 0);
  gray.release();
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
    if (!this.detector || this.detector.width !== size.width || this.detector.height !== size.height) {
      this.detector = new MotionDetector(size.width, size.height, this.spec);
    }
    return this.detector.update(smallGray(this.cv, bgr, size.width, size.height));
  }
}
