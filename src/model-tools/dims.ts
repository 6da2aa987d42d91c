/**
 * Static shapes with one symbolic factor: the batch size N. A dim is a plain number or k·N.
 * The converter folds Shape/StridedSlice/Pack chains over such dims at conversion time, so the
 * ONNX graph keeps the batch dynamic without carrying TF's shape arithmetic.
 */
export type Dim = number | { batch: number };

export function isStatic(d: Dim): d is number {
  return typeof d === 'number';
}

export function dimEq(a: Dim, b: Dim): boolean {
  return typeof a === 'number' ? a === b : typeof b !== 'number' && a.batch === b.batch;
}

export function dimStr(d: Dim): string {
  if (typeof d === 'number') return String(d);
  return d.batch === 1 ? 'N' : `${d.batch}N`;
}

export function shapeStr(s: readonly Dim[]): string {
  return `[${s.map(dimStr).join(',')}]`;
}

/** Split into coefficient and power of N (0 or 1). */
function kn(d: Dim): [number, number] {
  return typeof d === 'number' ? [d, 0] : [d.batch, 1];
}

function fromKn(k: number, n: number, what: string): Dim {
  if (n === 0) return k;
  if (n === 1) return { batch: k };
  throw new Error(`${what}: shape arithmetic needs N^${n}, which is not supported`);
}

export function dimMul(a: Dim, b: Dim): Dim {
  const [ka, na] = kn(a);
  const [kb, nb] = kn(b);
  return fromKn(ka * kb, na + nb, `${dimStr(a)}*${dimStr(b)}`);
}

export function dimAdd(a: Dim, b: Dim): Dim {
  const [ka, na] = kn(a);
  const [kb, nb] = kn(b);
  if (ka === 0) return b;
  if (kb === 0) return a;
  if (na !== nb) throw new Error(`cannot add dims ${dimStr(a)} and ${dimStr(b)}`);
  return fromKn(ka + kb, na, 'add');
}

export function dimDiv(a: Dim, b: Dim): Dim {
  const [ka, na] = kn(a);
  const [kb, nb] = kn(b);
  if (kb === 0 || ka % kb !== 0 || na < nb) {
    throw new Error(`cannot divide dim ${dimStr(a)} by ${dimStr(b)}`);
  }
  return fromKn(ka / kb, na - nb, 'div');
}

export function dimProduct(s: readonly Dim[]): Dim {
  return s.reduce<Dim>((acc, d) => dimMul(acc, d), 1);
}

/** The shape as numbers, or an error naming `what` when a dim depends on N. */
export function staticShape(s: readonly Dim[], what: string): number[] {
  return s.map((d) => {
    if (typeof d !== 'number') throw new Error(`${what}: needs a static shape, got ${shapeStr(s)}`);
    return d;
  });
}
