import type { Frame, MotionBox } from '../capture';
import { loadCv } from '../cv';
import { annotate, type Detection } from '../detect';

export interface EncodeOptions {
  annotate: boolean;
  quality: number;
}

/** A frame with its pixels: packed BGR, as a capture opened without a model input hands it over. */
export interface PixelFrame {
  data: Buffer;
  width: number;
  height: number;
}

/** A frame a snapshot is made of: with its pixels, or with a way to fetch its JPEG (Frame.jpeg). */
export type SnapshotFrame = Pick<Frame, 'width' | 'height'> & Partial<Pick<Frame, 'seq' | 'data' | 'jpeg' | 'motion'>>;

/** JPEG of a captured frame, optionally with the detections drawn. */
export function encodeSnapshot(frame: PixelFrame, detections: readonly Detection[], options: EncodeOptions): Buffer {
  const cv = loadCv();
  const mat = new cv.Mat(frame.data, frame.height, frame.width, cv.CV_8UC3);
  const image = options.annotate && detections.length > 0 ? annotate(mat, detections) : mat;
  return cv.imencode('.jpg', image, [cv.IMWRITE_JPEG_QUALITY, Math.round(options.quality)]);
}

/**
 * The snapshot JPEG of a frame the daemon processed. With the lean hand-over (issue 17) the daemon
 * never holds the pixels: the JPEG is fetched from the capture process's ring, which encodes (and
 * annotates) it there. A frame with its pixels is encoded here, on libuv's thread pool: a
 * full-resolution encode takes tens of ms on a Pi, time every camera's next frame used to wait for.
 * Rejects with the reason when the frame is no longer held (its capture process restarted, say).
 */
export async function encodeSnapshotAsync(frame: SnapshotFrame, detections: readonly Detection[], options: EncodeOptions): Promise<Buffer> {
  // Annotated snapshots also show what moved (motion gating), so masks and min_area can be tuned by eye.
  const motion = options.annotate ? (frame.motion?.regions ?? []) : [];
  if (frame.jpeg) {
    const fetched = await frame.jpeg({
      quality: options.quality,
      ...(options.annotate && detections.length > 0 ? { annotate: detections } : {}),
      ...(motion.length > 0 ? { motion } : {}),
    });
    return fetched.jpeg;
  }
  if (!frame.data) throw new Error(`frame ${frame.seq ?? '?'} has neither pixels nor a way to fetch them`);
  return encodePixelsAsync({ data: frame.data, width: frame.width, height: frame.height }, detections, options, motion);
}

/** The frame-sized Mats are released at once (OpenCV reports them to V8 as external memory, which would otherwise pile up until a GC). */
async function encodePixelsAsync(
  frame: PixelFrame,
  detections: readonly Detection[],
  options: EncodeOptions,
  motion: readonly MotionBox[] = [],
): Promise<Buffer> {
  const cv = loadCv();
  const mat = new cv.Mat(frame.data, frame.height, frame.width, cv.CV_8UC3);
  const image = options.annotate && (detections.length > 0 || motion.length > 0) ? annotate(mat, detections, motion) : mat;
  try {
    return await cv.imencodeAsync('.jpg', image, [cv.IMWRITE_JPEG_QUALITY, Math.round(options.quality)]);
  } finally {
    if (image !== mat) image.release();
    mat.release();
  }
}
