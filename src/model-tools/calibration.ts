/**
 * Calibration frames for int8 quantization, made by the detector's own preprocessing (resize,
 * colour order, layout from the FP32 manifest) so the ranges are measured on exactly the bytes the
 * model sees at run time. Written back to back as raw model inputs for the Python side to read.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { cvError, loadCv, type Mat } from '../cv';
import type { ManifestInput } from '../detect/manifest';
import { preprocessMat } from '../detect/preprocess';
import { sha256Bytes } from './files';
import type { CalibrationSet } from './registry';

export interface CalibrationData {
  /** Frames in file order: `vtest.avi#14` for video frames (0-based), plain names for photos. */
  frames: string[];
  bytes: Buffer;
  sha256: string;
}

/** The frame indices of the set's video, in order. */
export function calibrationVideoFrames(set: CalibrationSet): number[] {
  return Array.from({ length: set.video.count }, (_, i) => i * set.video.step);
}

function toInput(mat: Mat, input: ManifestInput): Buffer {
  if (input.dtype !== 'uint8') throw new Error(`calibration frames are made for uint8 inputs; this model's input is ${input.dtype}`);
  return Buffer.from(preprocessMat(mat, input).data);
}

/** Reads the set's frames from `dataDir`; every missing file or short video is named. */
export function makeCalibrationData(set: CalibrationSet, input: ManifestInput, dataDir: string): CalibrationData {
  const missing = [set.video.file, ...set.images].filter((f) => !existsSync(path.join(dataDir, f)));
  if (missing.length) {
    throw new Error(`calibration files missing from ${dataDir}: ${missing.join(', ')} (scripts/fetch-testdata.sh installs them)`);
  }
  const cv = loadCv();
  const parts: Buffer[] = [];
  const frames: string[] = [];
  const wanted = new Set(calibrationVideoFrames(set));
  const last = Math.max(...wanted);
  const video = path.join(dataDir, set.video.file);
  let cap;
  try {
    cap = new cv.VideoCapture(video);
  } catch (e) {
    throw cvError(e, `opening calibration video ${video}`);
  }
  try {
    for (let i = 0; i <= last; i++) {
      const mat = cap.read();
      if (mat.empty) throw new Error(`${video} ends after ${i} frames; the calibration set needs frame ${last}`);
      if (wanted.has(i)) {
        parts.push(toInput(mat, input));
        frames.push(`${set.video.file}#${i}`);
      }
    }
  } finally {
    cap.release();
  }
  for (const name of set.images) {
    const file = path.join(dataDir, name);
    let mat: Mat;
    try {
      mat = cv.imread(file);
    } catch (e) {
      throw cvError(e, `reading calibration image ${file}`);
    }
    if (mat.empty) throw new Error(`${file}: not an image OpenCV can decode`);
    parts.push(toInput(mat, input));
    frames.push(name);
  }
  const bytes = Buffer.concat(parts);
  return { frames, bytes, sha256: sha256Bytes(bytes) };
}
