import type { Frame } from '../capture';
import { loadCv } from '../cv';
import { annotate, type Detection } from '../detect';

/** JPEG of a captured frame, optionally with the detections drawn. */
export function encodeSnapshot(frame: Pick<Frame, 'data' | 'width' | 'height'>, detections: readonly Detection[], options: { annotate: boolean; quality: number }): Buffer {
  const cv = loadCv();
  const mat = new cv.Mat(frame.data, frame.height, frame.width, cv.CV_8UC3);
  const image = options.annotate && detections.length > 0 ? annotate(mat, detections) : mat;
  return cv.imencode('.jpg', image, [cv.IMWRITE_JPEG_QUALITY, Math.round(options.quality)]);
}
