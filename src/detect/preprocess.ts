/**
 * Frame → model input with OpenCV's native calls only (resize, colour conversion, per-channel
 * scaling, channel split): a BGR frame of any size becomes the exact bytes the manifest asks for,
 * in a fresh ArrayBuffer that can be transferred to the inference worker.
 */
import { cvError, loadCv, type Mat } from '../cv';
import type { ManifestInput } from './manifest';
import type { BgrFrame, InputGeometry } from './types';

export interface Preprocessed {
  /** Owned by the caller; transfer it to the worker. */
  data: ArrayBuffer;
  dims: number[];
  geometry: InputGeometry;
}

/** Input dims for a manifest input (batch 1). */
export function inputDims(input: ManifestInput): number[] {
  return input.layout === 'NHWC' ? [1, input.height, input.width, 3] : [1, 3, input.height, input.width];
}

/** Where a frame of w×h lands inside the input under letterbox; integer pixel pads, like OpenCV. */
export function letterboxLayout(
  w: number,
  h: number,
  inW: number,
  inH: number,
): { width: number; height: number; left: number; top: number; geometry: InputGeometry } {
  const scale = Math.min(inW / w, inH / h);
  const width = Math.max(1, Math.min(inW, Math.round(w * scale)));
  const height = Math.max(1, Math.min(inH, Math.round(h * scale)));
  const left = Math.floor((inW - width) / 2);
  const top = Math.floor((inH - height) / 2);
  return {
    width,
    height,
    left,
    top,
    geometry: { offsetX: left / inW, offsetY: top / inH, extentX: width / inW, extentY: height / inH },
  };
}

function bytesOf(buffers: Buffer[]): ArrayBuffer {
  // getData() copies the Mat into a Buffer of its own (not from Node's pool): hand its ArrayBuffer
  // over as is, saving a second copy of the frame.
  if (buffers.length === 1) {
    const b = buffers[0];
    if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer) return b.buffer;
  }
  const total = buffers.reduce((n, b) => n + b.length, 0);
  const out = new Uint8Array(new ArrayBuffer(total));
  let at = 0;
  for (const b of buffers) {
    out.set(b, at);
    at += b.length;
  }
  return out.buffer;
}

/** Wraps a packed BGR frame as a Mat without copying. */
export function frameToMat(frame: BgrFrame): Mat {
  const cv = loadCv();
  const { width, height, data } = frame;
  if (!(width > 0 && height > 0) || data.length !== width * height * 3) {
    throw new Error(`frame of ${width}×${height} needs ${width * height * 3} BGR bytes, got ${data.length}`);
  }
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return new cv.Mat(buf, height, width, cv.CV_8UC3);
}

/** Resizes and converts a BGR Mat (CV_8UC3) as the manifest's input section says. */
export function preprocessMat(src: Mat, input: ManifestInput): Preprocessed {
  const cv = loadCv();
  const { width: inW, height: inH } = input;
  // Mats made here are released as soon as their bytes are out: opencv4nodejs reports every Mat to V8
  // as external memory, and a 30 fps stream of unreleased frame-sized Mats makes V8 run a full
  // mark-compact many times a second (measured: ~10 per second, ~15% of the main thread).
  const made: Mat[] = [];
  const keep = <T extends Mat>(m: T): T => {
    if (m !== src) made.push(m);
    return m;
  };
  try {
    let mat: Mat;
    let geometry: InputGeometry;
    if (input.resize === 'letterbox') {
      const lb = letterboxLayout(src.cols, src.rows, inW, inH);
      const resized = keep(lb.width === src.cols && lb.height === src.rows ? src : src.resize(lb.height, lb.width, 0, 0, cv.INTER_LINEAR));
      const pad = input.pad_value ?? 0;
      mat = keep(resized.copyMakeBorder(lb.top, inH - lb.height - lb.top, lb.left, inW - lb.width - lb.left, cv.BORDER_CONSTANT, new cv.Vec3(pad, pad, pad)));
      geometry = lb.geometry;
    } else {
      mat = keep(src.cols === inW && src.rows === inH ? src : src.resize(inH, inW, 0, 0, cv.INTER_LINEAR));
      geometry = { offsetX: 0, offsetY: 0, extentX: 1, extentY: 1 };
    }
    if (input.channel_order === 'RGB') mat = keep(mat.cvtColor(cv.COLOR_BGR2RGB));
    const dims = inputDims(input);
    const n = input.normalization;
    if (input.dtype === 'uint8') {
      const data = input.layout === 'NHWC' ? bytesOf([mat.getData()]) : bytesOf(mat.splitChannels().map((c) => c.getData()));
      return { data, dims, geometry };
    }
    const mean = n?.mean ?? [0, 0, 0];
    const std = n?.std ?? [1, 1, 1];
    const uniform = mean.every((m) => m === mean[0]) && std.every((s) => s === std[0]);
    if (uniform && input.layout === 'NHWC') {
      return { data: bytesOf([mat.convertTo(cv.CV_32FC3, 1 / std[0], -mean[0] / std[0]).getData()]), dims, geometry };
    }
    const planes = mat.splitChannels().map((c, i) => c.convertTo(cv.CV_32F, 1 / std[i], -mean[i] / std[i]));
    const data = input.layout === 'NCHW' ? bytesOf(planes.map((p) => p.getData())) : bytesOf([new cv.Mat(planes).getData()]);
    return { data, dims, geometry };
  } catch (e) {
    throw cvError(e, `preprocessing a ${src.cols}×${src.rows} frame for a ${inW}×${inH} ${input.layout} ${input.dtype} input`);
  } finally {
    for (const m of made) m.release();
  }
}

/** preprocessMat for a raw BGR frame. */
export function preprocessFrame(frame: BgrFrame, input: ManifestInput): Preprocessed {
  const mat = frameToMat(frame);
  try {
    return preprocessMat(mat, input);
  } finally {
    mat.release();
  }
}
