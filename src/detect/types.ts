/** Shapes shared by the detection stages. */

/** [xmin, ymin, xmax, ymax], normalized to the full original frame, each in [0, 1]. */
export type Box = [number, number, number, number];

/** What one stage hands the next before labels and zones are attached. */
export interface Candidate {
  class_id: number;
  score: number;
  box: Box;
}

/** A detection as published: see DESIGN.md, MQTT contract. */
export interface Detection {
  label: string;
  class_id: number;
  score: number;
  box: Box;
  /** Names of the include zones the detection's anchor point lies in. */
  zones: string[];
}

/** A frame as capture delivers it: packed BGR, 3 bytes per pixel, no row padding. */
export interface BgrFrame {
  data: Buffer | Uint8Array;
  width: number;
  height: number;
}

/**
 * Where the original frame lies inside the model input, as fractions of the input size. Stretch
 * resize is offset 0 and extent 1; letterbox leaves bands on two sides.
 */
export interface InputGeometry {
  offsetX: number;
  offsetY: number;
  extentX: number;
  extentY: number;
}

export const STRETCH_GEOMETRY: InputGeometry = { offsetX: 0, offsetY: 0, extentX: 1, extentY: 1 };

/** A tensor as it crosses from the worker: data plus dims, outer realm independent. */
export interface RawTensor {
  data: Float32Array | Int32Array | Uint8Array | BigInt64Array | Float64Array;
  dims: number[];
  type: string;
}
