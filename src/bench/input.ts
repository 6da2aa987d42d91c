/**
 * Model inputs made from real frames of the bench source, with the detector's own preprocessing, so
 * the bare session, OpenCV DNN and the daemon all see the same bytes. Only the small preprocessed
 * tensors are kept (270 kB each for 300×300 uint8), not the decoded frames.
 */
import { cvError, loadCv, type Mat } from '../cv';
import type { Manifest } from '../detect/manifest';
import { preprocessMat } from '../detect/preprocess';
import type { InputGeometry } from '../detect/types';

export interface BenchInput {
  /** Index of the frame in the source. */
  frame: number;
  data: Uint8Array | Float32Array;
  dims: number[];
  geometry: InputGeometry;
}

export interface SourceInputs {
  width: number;
  height: number;
  /** Frames in the source (1 for an image); 0 when the container does not say. */
  frameCount: number;
  inputs: BenchInput[];
}

const IMAGE = /\.(jpe?g|png|bmp|webp|tiff?)$/i;

function toInput(mat: Mat, frame: number, manifest: Manifest): BenchInput {
  const pre = preprocessMat(mat, manifest.input);
  const data = manifest.input.dtype === 'float32' ? new Float32Array(pre.data) : new Uint8Array(pre.data);
  return { frame, data, dims: pre.dims, geometry: pre.geometry };
}

/**
 * Preprocessed inputs of `count` frames spread evenly over the source (a scene with people walking
 * in and out gives the agreement check something to agree on, which the first frames alone may not).
 */
export function sourceInputs(source: string, manifest: Manifest, count: number): SourceInputs {
  const cv = loadCv();
  if (IMAGE.test(source)) {
    let mat: Mat;
    try {
      mat = cv.imread(source);
    } catch (e) {
      throw cvError(e, `reading ${source}`);
    }
    if (mat.empty) throw new Error(`${source}: not a readable image`);
    return { width: mat.cols, height: mat.rows, frameCount: 1, inputs: [toInput(mat, 0, manifest)] };
  }
  let cap;
  try {
    cap = new cv.VideoCapture(source);
  } catch (e) {
    throw cvError(e, `opening ${source}`);
  }
  try {
    const frameCount = Math.max(0, Math.round(cap.get(cv.CAP_PROP_FRAME_COUNT)));
    const step = frameCount > count ? Math.floor(frameCount / count) : 1;
    const inputs: BenchInput[] = [];
    let width = 0;
    let height = 0;
    for (let i = 0; inputs.length < count; i++) {
      const mat = cap.read();
      if (mat.empty) break;
      width = mat.cols;
      height = mat.rows;
      if (i % step === 0) inputs.push(toInput(mat, i, manifest));
    }
    if (inputs.length === 0) throw new Error(`${source}: no frames could be read`);
    return { width, height, frameCount, inputs };
  } finally {
    cap.release();
  }
}
