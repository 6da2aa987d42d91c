/**
 * Draws detections onto a BGR Mat: one box per detection, label and score above it; and, when given,
 * the regions that moved (motion gating), thin and in one colour, under the boxes, so a user tuning
 * motion masks and min_area sees what the capture process counted as motion.
 */
import { loadCv, type Mat } from '../cv';
import type { Box, Detection } from './types';

/** A stable, distinct colour per class id (BGR). */
function colourFor(classId: number): [number, number, number] {
  const hue = (classId * 47) % 180; // OpenCV hue range
  const h = hue / 30;
  const x = Math.round(255 * (1 - Math.abs((h % 2) - 1)));
  const rgb: Array<[number, number, number]> = [
    [255, x, 0],
    [x, 255, 0],
    [0, 255, x],
    [0, x, 255],
    [x, 0, 255],
    [255, 0, x],
  ];
  const [r, g, b] = rgb[Math.floor(h) % 6];
  return [b, g, r];
}

/** Motion regions: yellow (BGR), a colour no class gets at full saturation in both green and red. */
const MOTION_COLOUR: [number, number, number] = [0, 230, 255];

/** Returns a copy of the frame with the detections (and the motion regions, when given) drawn. */
export function annotate(
  frame: Mat,
  detections: ReadonlyArray<Pick<Detection, 'label' | 'class_id' | 'score' | 'box'>>,
  /** Regions that moved (capture/motion.ts's MotionBox), as fractions of the frame like detection boxes. */
  motion: readonly Box[] = [],
): Mat {
  const cv = loadCv();
  const out = frame.copy();
  const w = out.cols;
  const h = out.rows;
  const thickness = Math.max(1, Math.round(Math.min(w, h) / 300));
  const fontScale = Math.max(0.4, Math.min(w, h) / 800);
  for (const [x0, y0, x1, y1] of motion) {
    const p0 = new cv.Point2(Math.round(x0 * w), Math.round(y0 * h));
    const p1 = new cv.Point2(Math.min(w - 1, Math.round(x1 * w)), Math.min(h - 1, Math.round(y1 * h)));
    out.drawRectangle(p0, p1, new cv.Vec3(...MOTION_COLOUR), 1, cv.LINE_8);
  }
  for (const d of detections) {
    const [b, g, r] = colourFor(d.class_id);
    const colour = new cv.Vec3(b, g, r);
    const p0 = new cv.Point2(Math.round(d.box[0] * w), Math.round(d.box[1] * h));
    const p1 = new cv.Point2(Math.round(d.box[2] * w), Math.round(d.box[3] * h));
    out.drawRectangle(p0, p1, colour, thickness, cv.LINE_AA);
    const text = `${d.label} ${d.score.toFixed(2)}`;
    const { size, baseLine } = cv.getTextSize(text, cv.FONT_HERSHEY_SIMPLEX, fontScale, thickness);
    const top = Math.max(0, p0.y - size.height - baseLine - 2);
    out.drawRectangle(new cv.Point2(p0.x, top), new cv.Point2(Math.min(w - 1, p0.x + size.width + 4), top + size.height + baseLine + 2), colour, -1);
    out.putText(text, new cv.Point2(p0.x + 2, top + size.height + 1), cv.FONT_HERSHEY_SIMPLEX, fontScale, new cv.Vec3(0, 0, 0), thickness, cv.LINE_AA);
  }
  return out;
}
