/**
 * Frame transforms applied in the capture process before a frame is handed over: rotate, then flip,
 * then crop. The crop region is given in the rotated and flipped picture, i.e. the picture as the
 * user sees it. Detections are then normalized to that cropped frame.
 *
 * The capture process applies `transformSteps` with OpenCV (cv-frame.ts); the daemon uses the same
 * arithmetic for sizes and regions, and an integration test checks the pixels against OpenCV's own.
 */

export type Rotation = 0 | 90 | 180 | 270;
export type Flip = 'none' | 'horizontal' | 'vertical' | 'both';

/** A region of interest as fractions of the frame: x, y of the top-left corner, width, height, all 0..1. */
export interface NormalizedRegion {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface TransformSpec {
  /** Clockwise rotation in degrees (default 0). */
  rotate?: Rotation;
  /** Mirror after rotating: horizontal (left-right), vertical (upside down) or both (default none). */
  flip?: Flip;
  /** Keep only this part of the (rotated, flipped) frame. */
  crop?: NormalizedRegion;
}

export interface PixelRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Every problem with a transform spec as `<path>: <reason>`; empty when valid. */
export function validateTransform(t: TransformSpec, at = 'transform'): string[] {
  const errors: string[] = [];
  if (t.rotate !== undefined && ![0, 90, 180, 270].includes(t.rotate)) {
    errors.push(`${at}.rotate: must be 0, 90, 180 or 270 (clockwise), got ${String(t.rotate)}`);
  }
  if (t.flip !== undefined && !['none', 'horizontal', 'vertical', 'both'].includes(t.flip)) {
    errors.push(`${at}.flip: must be none, horizontal, vertical or both, got ${String(t.flip)}`);
  }
  if (t.crop !== undefined) {
    const c = t.crop;
    const fraction = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1;
    for (const k of ['x', 'y', 'width', 'height'] as const) {
      if (!fraction(c[k])) errors.push(`${at}.crop.${k}: must be a fraction 0..1, got ${String(c[k])}`);
    }
    if (errors.length === 0) {
      if (c.width <= 0 || c.height <= 0) errors.push(`${at}.crop: width and height must be > 0`);
      if (c.x + c.width > 1 + 1e-9) errors.push(`${at}.crop: x + width must be ≤ 1 (got ${c.x + c.width})`);
      if (c.y + c.height > 1 + 1e-9) errors.push(`${at}.crop: y + height must be ≤ 1 (got ${c.y + c.height})`);
    }
  }
  return errors;
}

/** Frame size after rotation. */
export function rotatedSize(width: number, height: number, rotate: Rotation = 0): { width: number; height: number } {
  return rotate === 90 || rotate === 270 ? { width: height, height: width } : { width, height };
}

/**
 * The crop in pixels of a frame of the given (already rotated) size. Edges are rounded to the
 * nearest pixel and the result keeps at least one pixel each way inside the frame.
 */
export function cropRect(width: number, height: number, crop: NormalizedRegion): PixelRect {
  const x0 = Math.min(width - 1, Math.max(0, Math.round(crop.x * width)));
  const y0 = Math.min(height - 1, Math.max(0, Math.round(crop.y * height)));
  const x1 = Math.min(width, Math.max(x0 + 1, Math.round((crop.x + crop.width) * width)));
  const y1 = Math.min(height, Math.max(y0 + 1, Math.round((crop.y + crop.height) * height)));
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/** Size of the frame the detector gets from a source frame of width × height. */
export function transformedSize(width: number, height: number, t: TransformSpec = {}): { width: number; height: number } {
  const r = rotatedSize(width, height, t.rotate ?? 0);
  if (!t.crop) return r;
  const c = cropRect(r.width, r.height, t.crop);
  return { width: c.width, height: c.height };
}

/** True when the transform changes nothing (so the capture process can skip it). */
export function isIdentityTransform(t: TransformSpec | undefined): boolean {
  if (!t) return true;
  const fullCrop = !t.crop || (t.crop.x === 0 && t.crop.y === 0 && t.crop.width === 1 && t.crop.height === 1);
  return (t.rotate ?? 0) === 0 && (t.flip ?? 'none') === 'none' && fullCrop;
}

/** One OpenCV operation of a transform, in the order they apply. */
export type TransformStep =
  { op: 'rotate'; degrees: 90 | 180 | 270 } | { op: 'flip'; axis: 'horizontal' | 'vertical' | 'both' } | { op: 'crop'; rect: PixelRect };

/**
 * The operations that turn a width × height frame into the transformed one: rotate, flip, then crop
 * (in the rotated picture). Steps that change nothing are left out, so an identity transform costs
 * the capture process nothing.
 */
export function transformSteps(width: number, height: number, t: TransformSpec = {}): TransformStep[] {
  const steps: TransformStep[] = [];
  const rotate = t.rotate ?? 0;
  if (rotate !== 0) steps.push({ op: 'rotate', degrees: rotate });
  const flip = t.flip ?? 'none';
  if (flip !== 'none') steps.push({ op: 'flip', axis: flip });
  if (t.crop) {
    const size = rotatedSize(width, height, rotate);
    const rect = cropRect(size.width, size.height, t.crop);
    if (rect.x !== 0 || rect.y !== 0 || rect.width !== size.width || rect.height !== size.height) steps.push({ op: 'crop', rect });
  }
  return steps;
}
