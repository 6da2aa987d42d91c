import type { Frame } from '../capture';
import { loadCv } from '../cv';
import { annotate, type Detection } from '../detect';

export interface EncodeOptions {
  annotate: boolean;
  quality: number;
}

/** JPEG of a captured frame, optionally with the detections drawn. */
export function encodeSnapshot(frame: Pick<Frame, 'data' | 'width' | 'height'>, detections: readonly Detection[], options: EncodeOptions): Buffer {
  const cv = loadCv();
  const mat = new cv.Mat(frame.data, frame.height, frame.width, cv.CV_8UC3);
  const image = options.annotate && detections.length > 0 ? annotate(mat, detections) : mat;
  return cv.imencode('.jpg', image, [cv.IMWRITE_JPEG_QUALITY, Math.round(options.quality)]);
}

/**
 * The same JPEG, encoded on libuv's thread pool: a full-resolution encode takes tens of ms on a Pi,
 * time every camera's next frame used to wait for. The frame-sized Mats are released at once (OpenCV
 * reports them to V8 as external memory, which would otherwise pile up until a GC).
 */
export async function encodeSnapshotAsync(
  frame: Pick<Frame, 'data' | 'width' | 'height'>,
  detections: readonly Detection[],
  options: EncodeOptions,
): Promise<Buffer> {
  const cv = loadCv();
  const mat = new cv.Mat(frame.data, frame.height, frame.width, cv.CV_8UC3);
  const image = options.annotate && detections.length > 0 ? annotate(mat, detections) : mat;
  try {
    return await cv.imencodeAsync('.jpg', image, [cv.IMWRITE_JPEG_QUALITY, Math.round(options.quality)]);
  } finally {
    if (image !== mat) image.release();
    mat.release();
  }
}
