/**
 * A minimal host-side tensor for weights and folded constants during conversion.
 * Only what the converter needs: float32 and int32 data, row-major, plus a few shape helpers.
 */
export type DType = 'float32' | 'int32' | 'uint8' | 'int64' | 'bool';

export interface Tensor {
  dtype: DType;
  shape: number[];
  /** Row-major values. int64 is held as float64 (exact to 2^53, plus the ±2^63 sentinels ONNX Slice uses). */
  data: Float32Array | Int32Array | Float64Array;
}

export function size(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function makeTensor(dtype: DType, shape: number[], values: ArrayLike<number>): Tensor {
  const n = size(shape);
  if (values.length !== n) {
    throw new Error(`tensor of shape [${shape.join(',')}] needs ${n} values, got ${values.length}`);
  }
  const data = dtype === 'float32' ? Float32Array.from(values) : dtype === 'int64' ? Float64Array.from(values) : Int32Array.from(values);
  return { dtype, shape: [...shape], data };
}

export function scalarValue(t: Tensor): number {
  if (t.data.length !== 1) throw new Error(`expected a scalar, got shape [${t.shape.join(',')}]`);
  return t.data[0];
}

export function toNumbers(t: Tensor): number[] {
  return Array.from(t.data);
}

/** Row-major strides of a shape. */
export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** out[i0..] = t[i_perm[0]..]: numpy-style transpose. */
export function transpose(t: Tensor, perm: readonly number[]): Tensor {
  if (perm.length !== t.shape.length) {
    throw new Error(`transpose perm [${perm.join(',')}] does not fit rank ${t.shape.length}`);
  }
  const outShape = perm.map((p) => t.shape[p]);
  const inStrides = strides(t.shape);
  const permStrides = perm.map((p) => inStrides[p]);
  const n = size(outShape);
  const out = t.dtype === 'float32' ? new Float32Array(n) : new Int32Array(n);
  const idx = new Array<number>(outShape.length).fill(0);
  let src = 0;
  for (let o = 0; o < n; o++) {
    out[o] = t.data[src];
    for (let d = outShape.length - 1; d >= 0; d--) {
      idx[d]++;
      src += permStrides[d];
      if (idx[d] < outShape[d]) break;
      src -= permStrides[d] * outShape[d];
      idx[d] = 0;
    }
  }
  return { dtype: t.dtype, shape: outShape, data: out };
}

/** Numpy broadcasting of two shapes; throws with both shapes when they do not broadcast. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`shapes [${a.join(',')}] and [${b.join(',')}] do not broadcast`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Elementwise binary op with broadcasting, computed in double and stored in the result dtype. */
export function binary(a: Tensor, b: Tensor, fn: (x: number, y: number) => number): Tensor {
  const shape = broadcastShapes(a.shape, b.shape);
  const n = size(shape);
  const dtype = a.dtype === 'float32' || b.dtype === 'float32' ? 'float32' : a.dtype;
  const out = dtype === 'float32' ? new Float32Array(n) : new Int32Array(n);
  const rank = shape.length;
  const sa = broadcastStrides(a.shape, rank);
  const sb = broadcastStrides(b.shape, rank);
  const idx = new Array<number>(rank).fill(0);
  let ia = 0;
  let ib = 0;
  for (let o = 0; o < n; o++) {
    out[o] = fn(a.data[ia], b.data[ib]);
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      ia += sa[d];
      ib += sb[d];
      if (idx[d] < shape[d]) break;
      ia -= sa[d] * shape[d];
      ib -= sb[d] * shape[d];
      idx[d] = 0;
    }
  }
  return { dtype, shape, data: out };
}

function broadcastStrides(shape: readonly number[], rank: number): number[] {
  const padded = [...new Array<number>(rank - shape.length).fill(1), ...shape];
  const s = strides(padded);
  return padded.map((d, i) => (d === 1 ? 0 : s[i]));
}

export function unary(t: Tensor, fn: (x: number) => number): Tensor {
  const out = t.dtype === 'float32' ? new Float32Array(t.data.length) : new Int32Array(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = fn(t.data[i]);
  return { dtype: t.dtype, shape: [...t.shape], data: out };
}

export function withShape(t: Tensor, shape: number[]): Tensor {
  if (size(shape) !== t.data.length) {
    throw new Error(`cannot reshape [${t.shape.join(',')}] to [${shape.join(',')}]`);
  }
  return { dtype: t.dtype, shape: [...shape], data: t.data };
}

/**
 * Reads a per-channel vector of length c out of a constant that broadcasts against [..., c]
 * (scalar, [c], [1,c], [1,1,1,c], ...). Returns undefined for any other shape.
 */
export function perChannel(t: Tensor, c: number): Float64Array | undefined {
  if (t.dtype !== 'float32') return undefined;
  const nonOne = t.shape.slice(0, -1).every((d) => d === 1);
  if (!nonOne) return undefined;
  const last = t.shape.length === 0 ? 1 : t.shape[t.shape.length - 1];
  if (last !== 1 && last !== c) return undefined;
  const out = new Float64Array(c);
  for (let i = 0; i < c; i++) out[i] = t.data[last === 1 ? 0 : i];
  return out;
}
