/**
 * The capture process's OpenCV work on a frame: whatever the source decoded (16-bit, gray, BGRA)
 * becomes the continuous 8-bit BGR the daemon expects, then the transform's steps apply. Only the
 * capture process imports this; the daemon never loads OpenCV for capture.
 */
import type { Cv, Mat } from '../cv';
import { transformSteps, type TransformSpec } from './transform';

const FLIP_CODES = { horizontal: 1, vertical: 0, both: -1 } as const;

/**
 * A new Mat with the frame as the daemon gets it, or `mat` itself when nothing had to change.
 * Intermediate Mats are released at once: OpenCV reports each as V8 external memory, and a few
 * frame-sized ones per frame left to the garbage collector make memory swing by hundreds of MB.
 */
export function toOutputMat(cv: Cv, mat: Mat, t: TransformSpec): Mat {
  let m = mat;
  const replace = (next: Mat): void => {
    if (m !== mat) m.release();
    m = next;
  };
  if (m.depth !== cv.CV_8U) replace(m.convertTo(cv.CV_8U));
  if (m.channels === 1) replace(m.cvtColor(cv.COLOR_GRAY2BGR));
  else if (m.channels === 4) replace(m.cvtColor(cv.COLOR_BGRA2BGR));
  for (const step of transformSteps(m.cols, m.rows, t)) {
    switch (step.op) {
      case 'rotate':
        replace(m.rotate(step.degrees === 90 ? cv.ROTATE_90_CLOCKWISE : step.degrees === 180 ? cv.ROTATE_180 : cv.ROTATE_90_COUNTERCLOCKWISE));
        break;
      case 'flip':
        replace(m.flip(FLIP_CODES[step.axis]));
        break;
      case 'crop': {
        const r = step.rect;
        replace(m.getRegion(new cv.Rect(r.x, r.y, r.width, r.height)).copy());
        break;
      }
    }
  }
  // getData() of a Mat with padded rows would hand over the padding too.
  if (m.step !== m.cols * m.elemSize) replace(m.copy());
  return m;
}

/** The four bytes of a FOURCC code as text ('' when the backend reports none). */
export function fourccText(code: number): string {
  const c = Math.round(code) >>> 0;
  if (c === 0) return '';
  return String.fromCharCode(c & 0xff, (c >>> 8) & 0xff, (c >>> 16) & 0xff, (c >>> 24) & 0xff).replace(/[^\x20-\x7e]/g, '?');
}
