/**
 * Motion on a small grayscale copy of each frame, in the capture process, so the model runs only
 * when something moves (issue 17). Pure arithmetic on a byte array: the capture process makes the
 * array with OpenCV (motion-frame.ts), tests make it by hand.
 *
 * Why a running average and not OpenCV's MOG2: MOG2 keeps several Gaussians per pixel and costs
 * several times more per pixel; on a 160×120 copy a running average, a threshold, one 3×3 dilation
 * and a connected-component pass cost well under a millisecond on a Pi, and a static camera (the
 * case gating is for) needs no more than "what differs from the recent past". Shadows and slow
 * light changes fold into the average; a sudden change of most of the picture (lights on, the IR
 * filter switching) resets it.
 */
import { pointInPolygon, type Polygon } from '../detect/filters';

/** What the capture process needs to know (from the camera's `motion` config block). */
export interface MotionSpec {
  /** A pixel differing from the background by more than this (0..255 gray levels) has changed. */
  threshold: number;
  /** Smallest changed region that counts, as a fraction of the frame. */
  minArea: number;
  /** Normalized polygons where nothing counts as motion (a tree, a road, a clock). */
  masks: Polygon[];
}

/** A region that moved, as fractions of the frame: [xmin, ymin, xmax, ymax]. */
export type MotionBox = [number, number, number, number];

export interface MotionResult {
  /** At least one region of at least min_area changed. */
  moving: boolean;
  /** Fraction of the frame covered by the regions that count. */
  area: number;
  /** The largest regions that count, largest first (at most MAX_MOTION_REGIONS). */
  regions: MotionBox[];
}

/** Height of the copy motion is computed on; the width follows the frame's aspect. */
const MOTION_HEIGHT = 120;
/** Regions reported per frame: enough to draw, small enough for a frame header. */
const MAX_MOTION_REGIONS = 8;
/** How fast the background follows the picture, per frame looked at. */
const BACKGROUND_RATE = 0.05;
/** A change over this much of the picture is the light, not a thing: the background starts again. */
const RESET_AREA = 0.5;

/** The size of the copy for a frame of `width` × `height`. */
export function motionSize(width: number, height: number): { width: number; height: number } {
  const h = Math.min(MOTION_HEIGHT, height);
  return { width: Math.max(1, Math.round((width * h) / height)), height: h };
}

/** 1 where motion counts, 0 under a mask; pixel centres decide. */
function maskPixels(width: number, height: number, masks: readonly Polygon[]): Uint8Array {
  const allowed = new Uint8Array(width * height).fill(1);
  if (masks.length === 0) return allowed;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p: [number, number] = [(x + 0.5) / width, (y + 0.5) / height];
      if (masks.some((m) => pointInPolygon(p, m))) allowed[y * width + x] = 0;
    }
  }
  return allowed;
}

const NO_MOTION: MotionResult = { moving: false, area: 0, regions: [] };

/** One camera's background and what changed against it; `update` once per frame looked at. */
export class MotionDetector {
  private background: Float32Array | undefined;
  private readonly allowed: Uint8Array;
  private readonly changed: Uint8Array;
  private readonly dilated: Uint8Array;
  private readonly labels: Int32Array;
  private readonly stack: Int32Array;

  constructor(
    readonly width: number,
    readonly height: number,
    private readonly spec: MotionSpec,
  ) {
    const n = width * height;
    this.allowed = maskPixels(width, height, spec.masks);
    this.changed = new Uint8Array(n);
    this.dilated = new Uint8Array(n);
    this.labels = new Int32Array(n);
    this.stack = new Int32Array(n);
  }

  /** Compares `gray` (width × height bytes, rows contiguous) with the background, then learns it. */
  update(gray: Uint8Array): MotionResult {
    const n = this.width * this.height;
    if (gray.length !== n) throw new Error(`motion: expected ${this.width}x${this.height} = ${n} gray bytes, got ${gray.length}`);
    const bg = this.background;
    if (!bg) {
      // The first frame is the background; whether anything moves is known from the second.
      this.background = Float32Array.from(gray);
      return NO_MOTION;
    }
    const { allowed, changed } = this;
    const threshold = this.spec.threshold;
    let changedCount = 0;
    for (let i = 0; i < n; i++) {
      const g = gray[i];
      const b = bg[i];
      const on = allowed[i] === 1 && Math.abs(g - b) > threshold ? 1 : 0;
      changed[i] = on;
      changedCount += on;
      bg[i] = b + BACKGROUND_RATE * (g - b);
    }
    if (changedCount > RESET_AREA * n) {
      this.background = Float32Array.from(gray);
      return { moving: true, area: changedCount / n, regions: [[0, 0, 1, 1]] };
    }
    // A 3×3 dilation makes each changed pixel at most nine: below that, no region can reach min_area
    // (a noisy still scene ends here, without the dilation and region passes).
    if (changedCount === 0 || 9 * changedCount < this.spec.minArea * n) return NO_MOTION;
    this.dilate();
    return this.regions();
  }

  /** 3×3 dilation, so the parts of one moving thing join into one region; never into a mask. */
  private dilate(): void {
    const { width: w, height: h, changed, dilated, allowed } = this;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let on = 0;
        for (let dy = -1; dy <= 1 && !on; dy++) {
          const yy = y + dy;
          if (yy < 0 || yy >= h) continue;
          for (let dx = -1; dx <= 1; dx++) {
            const xx = x + dx;
            if (xx >= 0 && xx < w && changed[yy * w + xx] === 1) {
              on = 1;
              break;
            }
          }
        }
        const i = y * w + x;
        dilated[i] = on & allowed[i];
      }
    }
  }

  /** Connected regions (8-neighbours) of the dilated changes; those of at least min_area count. */
  private regions(): MotionResult {
    const { width: w, height: h, dilated, labels, stack } = this;
    const n = w * h;
    labels.fill(0);
    const found: Array<{ pixels: number; box: MotionBox }> = [];
    let next = 0;
    for (let start = 0; start < n; start++) {
      if (dilated[start] === 0 || labels[start] !== 0) continue;
      next++;
      let top = 0;
      stack[top++] = start;
      labels[start] = next;
      let pixels = 0;
      let x0 = w;
      let y0 = h;
      let x1 = -1;
      let y1 = -1;
      while (top > 0) {
        const i = stack[--top];
        const x = i % w;
        const y = (i - x) / w;
        pixels++;
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
        for (let dy = -1; dy <= 1; dy++) {
          const yy = y + dy;
          if (yy < 0 || yy >= h) continue;
          for (let dx = -1; dx <= 1; dx++) {
            const xx = x + dx;
            if (xx < 0 || xx >= w) continue;
            const j = yy * w + xx;
            if (dilated[j] === 1 && labels[j] === 0) {
              labels[j] = next;
              stack[top++] = j;
            }
          }
        }
      }
      if (pixels / n >= this.spec.minArea) found.push({ pixels, box: [x0 / w, y0 / h, (x1 + 1) / w, (y1 + 1) / h] });
    }
    if (found.length === 0) return NO_MOTION;
    found.sort((a, b) => b.pixels - a.pixels);
    const total = found.reduce((s, r) => s + r.pixels, 0);
    return {
      moving: true,
      area: Math.round((total / n) * 10000) / 10000,
      regions: found.slice(0, MAX_MOTION_REGIONS).map((r) => r.box.map((v) => Math.round(v * 1000) / 1000) as MotionBox),
    };
  }
}
