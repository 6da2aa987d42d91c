/**
 * TensorFlow StridedSlice index semantics, and the host-side gather/stack/concat used to fold
 * constant inputs.
 */
import { type Tensor, size, strides } from './tensor';

export interface SliceMasks {
  begin: number;
  end: number;
  shrink: number;
  newAxis: number;
  ellipsis: number;
}

export interface AxisSlice {
  /** Input axis this entry reads. */
  axis: number;
  start: number;
  step: number;
  /** Number of elements taken. */
  length: number;
  /** Whether the axis disappears from the output (shrink_axis_mask). */
  shrink: boolean;
}

export interface SliceSpec {
  axes: AxisSlice[];
  /** Output positions (after shrink) where new_axis_mask inserts a 1. */
  newAxes: number[];
  outShape: number[];
}

/** Resolves begin/end/strides with masks against `shape` exactly like tf.strided_slice. */
export function stridedSliceSpec(
  shape: readonly number[],
  begin: readonly number[],
  end: readonly number[],
  stride: readonly number[],
  masks: SliceMasks,
  where: string,
): SliceSpec {
  if (masks.ellipsis !== 0) throw new Error(`${where}: StridedSlice with ellipsis_mask is not supported`);
  const axes: AxisSlice[] = [];
  const newAxes: number[] = [];
  const outShape: number[] = [];
  let axis = 0;
  for (let i = 0; i < begin.length; i++) {
    const bit = 1 << i;
    if (masks.newAxis & bit) {
      newAxes.push(outShape.length);
      outShape.push(1);
      continue;
    }
    if (axis >= shape.length) throw new Error(`${where}: slice has more entries than the input has axes`);
    const dim = shape[axis];
    const s = stride[i] ?? 1;
    if (s === 0) throw new Error(`${where}: stride 0`);
    if (masks.shrink & bit) {
      let b = begin[i];
      if (b < 0) b += dim;
      if (b < 0 || b >= dim) throw new Error(`${where}: index ${begin[i]} out of range for dim ${dim}`);
      axes.push({ axis, start: b, step: 1, length: 1, shrink: true });
    } else {
      const clampLo = s > 0 ? 0 : -1;
      const clampHi = s > 0 ? dim : dim - 1;
      let b: number;
      if (masks.begin & bit) b = s > 0 ? 0 : dim - 1;
      else {
        b = begin[i] < 0 ? begin[i] + dim : begin[i];
        b = Math.min(Math.max(b, clampLo), clampHi);
      }
      let e: number;
      if (masks.end & bit) e = s > 0 ? dim : -1;
      else {
        e = end[i] < 0 ? end[i] + dim : end[i];
        e = Math.min(Math.max(e, clampLo), clampHi);
      }
      const length = Math.max(0, Math.ceil((e - b) / s));
      axes.push({ axis, start: b, step: s, length, shrink: false });
      outShape.push(length);
    }
    axis++;
  }
  for (; axis < shape.length; axis++) {
    axes.push({ axis, start: 0, step: 1, length: shape[axis], shrink: false });
    outShape.push(shape[axis]);
  }
  return { axes, newAxes, outShape };
}

/** Applies a resolved slice to a host tensor. */
export function applySlice(t: Tensor, spec: SliceSpec): Tensor {
  const inStrides = strides(t.shape);
  const lens = spec.axes.map((a) => a.length);
  const n = size(lens);
  const out = t.dtype === 'float32' ? new Float32Array(n) : new Int32Array(n);
  const idx = new Array<number>(lens.length).fill(0);
  for (let o = 0; o < n; o++) {
    let src = 0;
    for (let d = 0; d < lens.length; d++) {
      const a = spec.axes[d];
      src += (a.start + idx[d] * a.step) * inStrides[a.axis];
    }
    out[o] = t.data[src];
    for (let d = lens.length - 1; d >= 0; d--) {
      if (++idx[d] < lens[d]) break;
      idx[d] = 0;
    }
  }
  return { dtype: t.dtype, shape: spec.outShape, data: out };
}

/** tf.concat over host tensors. */
export function concatTensors(ts: Tensor[], axis: number): Tensor {
  const rank = ts[0].shape.length;
  const outer = size(ts[0].shape.slice(0, axis));
  const inner = size(ts[0].shape.slice(axis + 1));
  const outShape = [...ts[0].shape];
  outShape[axis] = ts.reduce((a, t) => a + t.shape[axis], 0);
  for (const t of ts) {
    if (t.shape.length !== rank) throw new Error('concat of tensors with different ranks');
  }
  const n = size(outShape);
  const out = ts[0].dtype === 'float32' ? new Float32Array(n) : new Int32Array(n);
  let o = 0;
  for (let i = 0; i < outer; i++) {
    for (const t of ts) {
      const chunk = t.shape[axis] * inner;
      out.set(t.data.subarray(i * chunk, (i + 1) * chunk), o);
      o += chunk;
    }
  }
  return { dtype: ts[0].dtype, shape: outShape, data: out };
}

/** tf.stack over host tensors of equal shape. */
export function stackTensors(ts: Tensor[], axis: number): Tensor {
  const expanded = ts.map((t) => {
    const shape = [...t.shape];
    shape.splice(axis, 0, 1);
    return { ...t, shape };
  });
  return concatTensors(expanded, axis);
}
