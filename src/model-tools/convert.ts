/**
 * TF.js graph model → ONNX (opset 13), for the ops of TF Object Detection API SSD graphs.
 *
 * How values are carried while converting (see `Val`):
 * - `const`: a host tensor (weights, folded constants). Emitted as an initializer only when a
 *   runtime op reads it.
 * - `sym`: a small int vector/scalar whose elements are numbers or k·N (batch). This is where TF's
 *   Shape → StridedSlice → Pack chains end up, so Reshape targets fold to constants with -1 for N.
 * - `dyn`: a runtime ONNX tensor with its TF (NHWC) logical shape. Rank-4 values produced by Conv
 *   stay physically NCHW (`layout`) until an op that depends on axis order (Reshape, Concat, ...)
 *   needs NHWC; then one Transpose is inserted and cached. Per-channel Mul/Add/BiasAdd/FusedBatchNorm
 *   right after a Conv whose output nothing else reads are folded into that Conv's weights and bias.
 *
 * Inputs are bound to arbitrary TF tensors, which is how the SSD preprocessor while-loop is cut off:
 * the tensor after the loop becomes the graph input and the loop is never reached.
 */
import { type AttrValue, OnnxGraphBuilder, type OnnxNode, type ValueSpec, onnxDtype } from './onnx-builder';
import { type Dim, dimAdd, dimDiv, dimEq, dimMul, dimProduct, dimStr, isStatic, shapeStr, staticShape } from './dims';
import { applySlice, concatTensors, stackTensors, stridedSliceSpec } from './slicing';
import { type DType, type Tensor, binary, broadcastShapes, makeTensor, perChannel, size, toNumbers, transpose, unary, withShape } from './tensor';
import { type TfNode, type TfjsGraph, attrBool, attrFloat, attrInt, attrInts, attrString, parseInput, tensorKey, tfDtype } from './tfjs-graph';
import { errorMessage } from '../util/errors';

export interface InputBinding {
  /** Name of the ONNX graph input. */
  name: string;
  /** TF tensor ("node" or "node:1") this input stands for; nodes upstream of it are dropped. */
  tensor: string;
  /** Element type of the ONNX input. */
  dtype: DType;
  /** NHWC shape; null at axis 0 makes the batch dynamic (named N). */
  shape: (number | null)[];
  /** If the TF tensor has another dtype than the ONNX input, a Cast to this type is inserted. */
  castTo?: DType;
}

export interface OutputBinding {
  /** Name of the ONNX graph output. */
  name: string;
  /** TF tensor that provides it. */
  tensor: string;
  /** Axes to squeeze from the TF tensor (e.g. the box tensor's [N,1917,1,4] → [N,1917,4]). */
  squeeze?: number[];
}

export interface ConvertOptions {
  inputs: InputBinding[];
  outputs: OutputBinding[];
  /** ONNX opset; 13 (the node forms below are written for it). */
  opset?: number;
  graphName?: string;
  docString?: string;
}

export interface ConvertResult {
  bytes: Uint8Array;
  /** Counts of the ONNX ops emitted, for logs and tests. */
  opCounts: Record<string, number>;
  /** Output name → NHWC shape, with N for the batch. */
  outputShapes: Record<string, string>;
}

type Layout = 'NHWC' | 'NCHW';

interface ConvRecord {
  node: OnnxNode;
  weight: string;
  bias?: string;
  outChannels: number;
}

interface ConstVal {
  kind: 'const';
  t: Tensor;
}
interface SymVal {
  kind: 'sym';
  dtype: DType;
  scalar: boolean;
  elems: Dim[];
}
interface DynVal {
  kind: 'dyn';
  name: string;
  dtype: DType;
  shape: Dim[];
  layout: Layout;
  conv?: ConvRecord;
  /** For AddN results: Conv outputs among the summands that only this sum reads (bias can go there). */
  sumOfConvs?: DynVal[];
  /** For ExpandDims results: the value before and the axis, so a matching squeeze is free. */
  expandedFrom?: { value: DynVal; axis: number };
  cache?: { nhwc?: string; nchw?: string };
}
type Val = ConstVal | SymVal | DynVal;

/** Physical axis of each NHWC logical axis when a value is held as NCHW. */
const NCHW_OF_NHWC = [0, 2, 3, 1];
const INT64_MAX = 2 ** 62; // any value ≥ every dim; ONNX Slice clamps
const INT64_MIN = -(2 ** 63);

/** Converts a loaded TF.js graph to ONNX model bytes. */
export function convertTfjsGraph(graph: TfjsGraph, options: ConvertOptions): ConvertResult {
  return new Converter(graph, options).run();
}

class Converter {
  private readonly b = new OnnxGraphBuilder();
  private readonly values = new Map<string, Val>();
  private readonly consumers = new Map<string, number>();
  private readonly inProgress = new Set<string>();
  private readonly constCache = new Map<string, string>();
  private batchSource?: { name: string };
  private batchDimName?: string;

  constructor(
    private readonly g: TfjsGraph,
    private readonly opts: ConvertOptions,
  ) {}

  run(): ConvertResult {
    const opset = this.opts.opset ?? 13;
    if (opset < 13) throw new Error(`opset ${opset} is not supported (need ≥ 13)`);
    // Output names are reserved so no internal tensor takes them before the outputs are renamed.
    for (const o of this.opts.outputs) this.b.reserveName(o.name);
    const inputSpecs = this.bindInputs();
    this.countConsumers();
    const outSpecs: ValueSpec[] = [];
    const outNames: string[] = [];
    const outputShapes: Record<string, string> = {};
    for (const o of this.opts.outputs) {
      let v = this.asDyn(this.get(o.tensor), o.tensor);
      if (o.squeeze && o.squeeze.length) v = this.squeeze(v, o.squeeze, `output ${o.name}`);
      const name = this.nhwc(v);
      const tensorName = this.nameOutput(name, o.name);
      outNames.push(tensorName);
      outSpecs.push({ name: o.name, dtype: v.dtype, dims: v.shape.map((d) => (isStatic(d) ? d : dimStr(d))) });
      outputShapes[o.name] = shapeStr(v.shape);
    }
    this.b.prune(outNames);
    const bytes = this.b.encode({
      inputs: inputSpecs,
      outputs: outSpecs,
      opset,
      graphName: this.opts.graphName ?? 'converted',
      producer: 'lookout-model-tools',
      docString: this.opts.docString,
    });
    const opCounts: Record<string, number> = {};
    for (const n of this.b.nodes) opCounts[n.op] = (opCounts[n.op] ?? 0) + 1;
    return { bytes, opCounts, outputShapes };
  }

  // ---------- graph walking ----------

  private bindInputs(): ValueSpec[] {
    const specs: ValueSpec[] = [];
    for (const inp of this.opts.inputs) {
      this.b.reserveName(inp.name);
      const shape: Dim[] = inp.shape.map((d, i) => {
        if (d !== null) return d;
        if (i !== 0) throw new Error(`input ${inp.name}: only axis 0 (batch) may be dynamic`);
        return { batch: 1 };
      });
      if (inp.shape[0] === null && !this.batchSource) this.batchSource = { name: inp.name };
      let v: DynVal = { kind: 'dyn', name: inp.name, dtype: inp.dtype, shape, layout: 'NHWC' };
      if (inp.castTo && inp.castTo !== inp.dtype) {
        const n = this.b.addNode('Cast', `${inp.name}/cast`, [inp.name], { to: onnxDtype(inp.castTo) });
        v = { ...v, name: n.outputs[0], dtype: inp.castTo };
      }
      const ref = parseInput(inp.tensor);
      if (!ref || !this.g.nodes.has(ref.node)) throw new Error(`input ${inp.name}: no TF node ${inp.tensor}`);
      this.values.set(tensorKey(ref.node, ref.index), v);
      specs.push({ name: inp.name, dtype: inp.dtype, dims: inp.shape.map((d) => (d === null ? 'N' : d)) });
    }
    return specs;
  }

  /** How many reachable TF nodes (and graph outputs) read each tensor; folding needs a sole reader. */
  private countConsumers(): void {
    const seen = new Set<string>();
    const stack: string[] = [];
    for (const o of this.opts.outputs) {
      const r = parseInput(o.tensor);
      if (!r) continue;
      const key = tensorKey(r.node, r.index);
      this.consumers.set(key, (this.consumers.get(key) ?? 0) + 1);
      stack.push(r.node);
    }
    while (stack.length) {
      const name = stack.pop() as string;
      if (seen.has(name)) continue;
      seen.add(name);
      const node = this.g.nodes.get(name);
      if (!node) continue;
      for (const ref of node.input) {
        const r = parseInput(ref);
        if (!r) continue;
        const key = tensorKey(r.node, r.index);
        this.consumers.set(key, (this.consumers.get(key) ?? 0) + 1);
        if (!this.values.has(key)) stack.push(r.node);
      }
    }
  }

  private get(ref: string): Val {
    const r = parseInput(ref);
    if (!r) throw new Error(`control input ${ref} used as data`);
    const key = tensorKey(r.node, r.index);
    const have = this.values.get(key);
    if (have) return have;
    const node = this.g.nodes.get(r.node);
    if (!node) throw new Error(`graph refers to a node '${r.node}' that does not exist`);
    if (this.inProgress.has(node.name)) throw new Error(`cycle through node '${node.name}' (${node.op})`);
    this.inProgress.add(node.name);
    let outs: Val[];
    try {
      outs = this.convertNode(node);
    } catch (e) {
      const msg = errorMessage(e);
      if (msg.includes(`'${node.name}'`) || msg.startsWith('unsupported TensorFlow op')) throw e;
      throw new Error(`node '${node.name}' (${node.op}): ${msg}`);
    } finally {
      this.inProgress.delete(node.name);
    }
    outs.forEach((v, i) => this.values.set(tensorKey(node.name, i), v));
    const v = this.values.get(key);
    if (!v) throw new Error(`node '${node.name}' (${node.op}) has no output ${r.index}`);
    return v;
  }

  private inputs(node: TfNode): string[] {
    return node.input.filter((x) => !x.startsWith('^'));
  }

  private soleReader(ref: string): boolean {
    const r = parseInput(ref);
    return !!r && this.consumers.get(tensorKey(r.node, r.index)) === 1;
  }

  // ---------- value helpers ----------

  private constOf(v: Val, what: string): Tensor {
    if (v.kind === 'const') return v.t;
    if (v.kind === 'sym' && v.elems.every(isStatic)) {
      return makeTensor(v.dtype, v.scalar ? [] : [v.elems.length], v.elems);
    }
    throw new Error(`${what} must be a constant`);
  }

  private constInts(v: Val, what: string): number[] {
    return toNumbers(this.constOf(v, what));
  }

  private initializer(base: string, t: Tensor): string {
    // Small constants are shared by value; weights keep their own names.
    if (t.data.length <= 16) {
      const key = `${t.dtype}|${t.shape.join(',')}|${Array.from(t.data).join(',')}`;
      const have = this.constCache.get(key);
      if (have) return have;
      const name = this.b.addInitializer(base, t);
      this.constCache.set(key, name);
      return name;
    }
    return this.b.addInitializer(base, t);
  }

  private int64(values: number[], base = 'const_i64', scalar = false): string {
    return this.initializer(base, makeTensor('int64', scalar ? [] : [values.length], values));
  }

  private f32Scalar(x: number): string {
    return this.initializer('const_f32', makeTensor('float32', [], [x]));
  }

  /** Any value as a runtime tensor (NHWC logical = physical unless it already is a dyn). */
  private asDyn(v: Val, what: string): DynVal {
    if (v.kind === 'dyn') return v;
    if (v.kind === 'const') {
      return { kind: 'dyn', name: this.initializer(what, v.t), dtype: v.t.dtype, shape: [...v.t.shape], layout: 'NHWC' };
    }
    const name = this.symToInt64(v);
    const cast = this.b.addNode('Cast', `${what}/as_${v.dtype}`, [name], { to: onnxDtype(v.dtype) });
    return { kind: 'dyn', name: cast.outputs[0], dtype: v.dtype, shape: v.scalar ? [] : [v.elems.length], layout: 'NHWC' };
  }

  /** Materializes a shape vector as int64 (a constant unless it depends on N). */
  private symToInt64(v: SymVal | ConstVal, base = 'shape'): string {
    if (v.kind === 'const') return this.int64(toNumbers(v.t), base, v.t.shape.length === 0);
    if (v.elems.every(isStatic)) return this.int64(v.elems, base, v.scalar);
    const parts: string[] = [];
    let run: number[] = [];
    const flush = () => {
      if (run.length) parts.push(this.int64(run, base));
      run = [];
    };
    for (const d of v.elems) {
      if (isStatic(d)) {
        run.push(d);
        continue;
      }
      flush();
      const n = this.batchSize();
      parts.push(d.batch === 1 ? n : this.b.addNode('Mul', `${base}/batch_x${d.batch}`, [n, this.int64([d.batch])]).outputs[0]);
    }
    flush();
    const out = parts.length === 1 ? parts[0] : this.b.addNode('Concat', `${base}/concat`, parts, { axis: 0 }).outputs[0];
    return v.scalar ? this.b.addNode('Squeeze', `${base}/scalar`, [out, this.int64([0])]).outputs[0] : out;
  }

  /** int64 [1] tensor holding the runtime batch size. */
  private batchSize(): string {
    if (this.batchDimName) return this.batchDimName;
    if (!this.batchSource) throw new Error('a shape depends on the batch size but no input has a dynamic batch');
    const shape = this.b.addNode('Shape', 'batch/shape', [this.batchSource.name]);
    const n = this.b.addNode('Slice', 'batch/size', [shape.outputs[0], this.int64([0]), this.int64([1])]);
    this.batchDimName = n.outputs[0];
    return this.batchDimName;
  }

  /** Physical NHWC tensor name of a runtime value. */
  private nhwc(v: DynVal): string {
    if (v.layout === 'NHWC') return v.name;
    v.cache ??= {};
    if (!v.cache.nhwc) {
      v.cache.nhwc = this.b.addNode('Transpose', `${v.name}/to_nhwc`, [v.name], { perm: [0, 2, 3, 1] }).outputs[0];
    }
    return v.cache.nhwc;
  }

  private nchw(v: DynVal): string {
    if (v.shape.length !== 4) throw new Error(`expected a 4-D NHWC tensor, got ${shapeStr(v.shape)}`);
    if (v.layout === 'NCHW') return v.name;
    v.cache ??= {};
    if (!v.cache.nchw) {
      v.cache.nchw = this.b.addNode('Transpose', `${v.name}/to_nchw`, [v.name], { perm: [0, 3, 1, 2] }).outputs[0];
    }
    return v.cache.nchw;
  }

  /** A value as an operand in the given physical layout (constants are rearranged on the host). */
  private operand(v: Val, layout: Layout, what: string): string {
    if (v.kind === 'dyn') return layout === 'NCHW' ? this.nchw(v) : this.nhwc(v);
    const t = v.kind === 'const' ? v.t : this.constOf(v, what);
    if (layout === 'NHWC') return this.initializer(what, t);
    if (t.shape.length > 4) throw new Error(`${what}: cannot broadcast rank ${t.shape.length} against NCHW`);
    const padded = withShape(t, [...new Array<number>(4 - t.shape.length).fill(1), ...t.shape]);
    return this.initializer(what, transpose(padded, [0, 3, 1, 2]));
  }

  private dyn(name: string, dtype: DType, shape: Dim[], layout: Layout = 'NHWC'): DynVal {
    return { kind: 'dyn', name, dtype, shape, layout };
  }

  private axis(a: number, rank: number, what: string): number {
    const ax = a < 0 ? a + rank : a;
    if (ax < 0 || ax >= rank) throw new Error(`${what}: axis ${a} out of range for rank ${rank}`);
    return ax;
  }

  private nameOutput(tensor: string, name: string): string {
    const producer = this.b.nodes.find((n) => n.outputs.includes(tensor));
    const isInput = this.opts.inputs.some((i) => i.name === tensor);
    if (producer && !isInput && tensor !== name && !this.opts.outputs.some((o) => o.name === tensor)) {
      this.b.renameTensor(tensor, name);
      return name;
    }
    if (tensor === name) return name;
    const id = this.b.addNode('Identity', name, [tensor]);
    this.b.renameTensor(id.outputs[0], name);
    return name;
  }

  // ---------- ops ----------

  private convertNode(node: TfNode): Val[] {
    const ins = this.inputs(node);
    switch (node.op) {
      case 'Const':
        return [this.constNode(node)];
      case 'Placeholder':
      case 'PlaceholderWithDefault':
        throw new Error(`Placeholder '${node.name}' is not bound to an input`);
      case 'Identity':
      case 'StopGradient':
      case 'Snapshot':
        return [this.get(ins[0])];
      case 'Cast':
        return [this.cast(node, ins)];
      case 'Add':
      case 'AddV2':
      case 'BiasAdd':
      case 'Sub':
      case 'Mul':
      case 'RealDiv':
      case 'Maximum':
      case 'Minimum':
        return [this.binaryOp(node, ins)];
      case 'AddN':
        return [this.addN(node, ins)];
      case 'Relu6':
      case 'Relu':
      case 'Sigmoid':
      case 'Exp':
      case 'Tanh':
        return [this.unaryOp(node, ins)];
      case 'Conv2D':
      case 'DepthwiseConv2dNative':
        return [this.conv(node, ins)];
      case 'FusedBatchNorm':
      case 'FusedBatchNormV3':
        return [this.fusedBatchNorm(node, ins)];
      case 'Reshape':
        return [this.reshape(node, ins)];
      case 'Shape':
        return [this.shape(node, ins)];
      case 'StridedSlice':
        return [this.stridedSlice(node, ins)];
      case 'Slice':
        return [this.slice(node, ins)];
      case 'Pack':
        return [this.pack(node, ins)];
      case 'Unpack':
        return this.unpack(node, ins);
      case 'ConcatV2':
        return [this.concat(node, ins)];
      case 'Transpose':
        return [this.transposeOp(node, ins)];
      case 'Squeeze':
        return [this.squeezeOp(node, ins)];
      case 'ExpandDims':
        return [this.expandDims(node, ins)];
      case 'Tile':
        return [this.tile(node, ins)];
      default:
        throw new Error(`unsupported TensorFlow op '${node.op}' at node '${node.name}'`);
    }
  }

  private constNode(node: TfNode): Val {
    const w = this.g.weights.get(node.name);
    if (w) return { kind: 'const', t: w };
    const tensor = node.attr.value?.tensor as
      { dtype?: number | string; tensorShape?: { dim?: { size?: string }[] }; floatVal?: number[]; intVal?: number[] } | undefined;
    if (tensor) {
      const dtype = tfDtype(tensor.dtype, `Const ${node.name}`);
      const shape = (tensor.tensorShape?.dim ?? []).map((d) => Number(d.size ?? 0));
      const vals = dtype === 'float32' ? (tensor.floatVal ?? []) : (tensor.intVal ?? []);
      if (vals.length === size(shape)) return { kind: 'const', t: makeTensor(dtype, shape, vals) };
      if (vals.length === 1) return { kind: 'const', t: makeTensor(dtype, shape, new Array(size(shape)).fill(vals[0])) };
    }
    throw new Error(`Const '${node.name}' has no value in the weights manifest`);
  }

  private cast(node: TfNode, ins: string[]): Val {
    const to = tfDtype(node.attr.DstT?.type, `Cast ${node.name}`);
    const x = this.get(ins[0]);
    if (x.kind === 'const') {
      const data = to === 'float32' ? x.t.data : toNumbers(x.t).map((v) => Math.trunc(v));
      return { kind: 'const', t: makeTensor(to, x.t.shape, data) };
    }
    if (x.kind === 'sym' && to !== 'float32') return { ...x, dtype: to };
    const d = this.asDyn(x, node.name);
    const name = d.layout === 'NCHW' ? this.nchw(d) : this.nhwc(d);
    const n = this.b.addNode('Cast', node.name, [name], { to: onnxDtype(to) });
    return { ...this.dyn(n.outputs[0], to, d.shape, d.layout) };
  }

  private binaryOp(node: TfNode, ins: string[]): Val {
    if (node.op === 'BiasAdd') {
      const fmt = attrString(node, 'data_format');
      if (fmt && fmt !== 'NHWC') throw new Error(`data_format ${fmt} is not supported`);
    }
    const a = this.get(ins[0]);
    const c = this.get(ins[1]);
    const fn: Record<string, (x: number, y: number) => number> = {
      Add: (x, y) => x + y,
      AddV2: (x, y) => x + y,
      BiasAdd: (x, y) => x + y,
      Sub: (x, y) => x - y,
      Mul: (x, y) => x * y,
      RealDiv: (x, y) => x / y,
      Maximum: (x, y) => Math.max(x, y),
      Minimum: (x, y) => Math.min(x, y),
    };
    if (a.kind !== 'dyn' && c.kind !== 'dyn') {
      if (a.kind === 'const' && c.kind === 'const') {
        return { kind: 'const', t: binary(a.t, c.t, fn[node.op]) };
      }
      return this.asDynBinary(node, a, c);
    }
    // Fold per-channel scale/shift into the Conv that produced the runtime operand.
    const isAddLike = node.op === 'Add' || node.op === 'AddV2' || node.op === 'BiasAdd';
    if (a.kind === 'dyn' && c.kind === 'const' && (isAddLike || node.op === 'Sub' || node.op === 'Mul') && this.soleReader(ins[0])) {
      const folded = this.foldIntoConv(a, c.t, node.op === 'Mul' ? 'mul' : node.op === 'Sub' ? 'sub' : 'add');
      if (folded) return folded;
    }
    if (c.kind === 'dyn' && a.kind === 'const' && (isAddLike || node.op === 'Mul') && this.soleReader(ins[1])) {
      const folded = this.foldIntoConv(c, a.t, node.op === 'Mul' ? 'mul' : 'add');
      if (folded) return folded;
    }
    // Residual blocks add the projection's bias after the skip sum (grappler's AddOpsRewrite):
    // (conv + skip) + b is folded as (conv with bias b) + skip.
    if (isAddLike) {
      const [sum, k, ref] = a.kind === 'dyn' && c.kind === 'const' ? [a, c.t, ins[0]] : c.kind === 'dyn' && a.kind === 'const' ? [c, a.t, ins[1]] : [];
      if (sum && k && ref && sum.sumOfConvs?.length && this.soleReader(ref)) {
        const target = sum.sumOfConvs[0];
        if (this.foldIntoConv(target, k, 'add')) return { ...sum, sumOfConvs: undefined };
      }
    }
    return this.asDynBinary(node, a, c);
  }

  private asDynBinary(node: TfNode, a: Val, c: Val): DynVal {
    const onnxOp: Record<string, string> = {
      Add: 'Add',
      AddV2: 'Add',
      BiasAdd: 'Add',
      Sub: 'Sub',
      Mul: 'Mul',
      RealDiv: 'Div',
      Maximum: 'Max',
      Minimum: 'Min',
    };
    const da = a.kind === 'dyn' ? a : undefined;
    const dc = c.kind === 'dyn' ? c : undefined;
    const shapeA = da ? da.shape : this.valShape(a);
    const shapeC = dc ? dc.shape : this.valShape(c);
    const shape = broadcastDims(shapeA, shapeC);
    // Stay NCHW when every runtime operand is NCHW and the result is 4-D.
    const layout: Layout = shape.length === 4 && [da, dc].every((d) => !d || d.layout === 'NCHW') && (da || dc) ? 'NCHW' : 'NHWC';
    const dtype = da?.dtype ?? dc?.dtype ?? 'float32';
    const ia = this.operand(a, layout, `${node.name}/a`);
    const ic = this.operand(c, layout, `${node.name}/b`);
    const n = this.b.addNode(onnxOp[node.op], node.name, [ia, ic]);
    return this.dyn(n.outputs[0], dtype, shape, layout);
  }

  private valShape(v: Val): Dim[] {
    if (v.kind === 'const') return [...v.t.shape];
    if (v.kind === 'sym') return v.scalar ? [] : [v.elems.length];
    return v.shape;
  }

  /**
   * y = conv(x)·s + b folded as conv with W·s, bias·s (+b). Returns undefined when `v` is not a
   * Conv output or the constant is not per output channel.
   */
  private foldIntoConv(v: DynVal, k: Tensor, kind: 'mul' | 'add' | 'sub'): DynVal | undefined {
    const conv = v.conv;
    if (!conv || v.layout !== 'NCHW' || (v.cache && (v.cache.nhwc || v.cache.nchw))) return undefined;
    const c = conv.outChannels;
    const per = perChannel(k, c);
    if (!per || broadcastShapes(k.shape, staticShapeOr(v.shape)).length !== 4) return undefined;
    const bias = this.convBias(conv);
    if (kind === 'mul') {
      const w = this.b.getInitializer(conv.weight) as Tensor;
      const perOut = w.data.length / c;
      const nw = new Float32Array(w.data.length);
      for (let o = 0; o < c; o++) for (let j = 0; j < perOut; j++) nw[o * perOut + j] = w.data[o * perOut + j] * per[o];
      this.b.setInitializer(conv.weight, { ...w, data: nw });
      for (let o = 0; o < c; o++) bias[o] = bias[o] * per[o];
    } else {
      for (let o = 0; o < c; o++) bias[o] = kind === 'add' ? bias[o] + per[o] : bias[o] - per[o];
    }
    this.b.setInitializer(conv.bias as string, { dtype: 'float32', shape: [c], data: bias });
    return { ...v, cache: undefined };
  }

  private convBias(conv: ConvRecord): Float32Array {
    if (!conv.bias) {
      conv.bias = this.b.addInitializer(`${conv.node.name}/bias`, { dtype: 'float32', shape: [conv.outChannels], data: new Float32Array(conv.outChannels) });
      conv.node.inputs.push(conv.bias);
    }
    return Float32Array.from((this.b.getInitializer(conv.bias) as Tensor).data);
  }

  private addN(node: TfNode, ins: string[]): Val {
    const vals = ins.map((r) => this.get(r));
    if (vals.every((v) => v.kind === 'const')) {
      return { kind: 'const', t: vals.map((v) => v.t).reduce((x, y) => binary(x, y, (p, q) => p + q)) };
    }
    const dyns = vals.filter((v): v is DynVal => v.kind === 'dyn');
    const shape = vals.map((v) => (v.kind === 'dyn' ? v.shape : this.valShape(v))).reduce(broadcastDims);
    const layout: Layout = shape.length === 4 && dyns.every((d) => d.layout === 'NCHW') ? 'NCHW' : 'NHWC';
    const names = vals.map((v, i) => this.operand(v, layout, `${node.name}/${i}`));
    const n = this.b.addNode('Sum', node.name, names);
    const out = this.dyn(n.outputs[0], dyns[0].dtype, shape, layout);
    const convs = vals.filter(
      (v, i): v is DynVal => v.kind === 'dyn' && !!v.conv && v.layout === layout && this.soleReader(ins[i]) && dimsEqual(v.shape, shape),
    );
    if (convs.length) out.sumOfConvs = convs;
    return out;
  }

  private unaryOp(node: TfNode, ins: string[]): Val {
    const x = this.get(ins[0]);
    const host: Record<string, (v: number) => number> = {
      Relu6: (v) => Math.min(Math.max(v, 0), 6),
      Relu: (v) => Math.max(v, 0),
      Sigmoid: (v) => 1 / (1 + Math.exp(-v)),
      Exp: Math.exp,
      Tanh: Math.tanh,
    };
    if (x.kind === 'const') return { kind: 'const', t: unary(x.t, host[node.op]) };
    const d = this.asDyn(x, node.name);
    const input = d.layout === 'NCHW' ? d.name : this.nhwc(d);
    const n =
      node.op === 'Relu6' ? this.b.addNode('Clip', node.name, [input, this.f32Scalar(0), this.f32Scalar(6)]) : this.b.addNode(node.op, node.name, [input]);
    return this.dyn(n.outputs[0], d.dtype, d.shape, d.layout);
  }

  private conv(node: TfNode, ins: string[]): Val {
    const fmt = attrString(node, 'data_format');
    if (fmt && fmt !== 'NHWC') throw new Error(`data_format ${fmt} is not supported`);
    const x = this.asDyn(this.get(ins[0]), `${node.name}/x`);
    const wv = this.get(ins[1]);
    if (wv.kind !== 'const') throw new Error('filter must be a constant');
    const w = wv.t;
    if (x.shape.length !== 4 || w.shape.length !== 4) throw new Error(`expects 4-D input and filter, got ${shapeStr(x.shape)} and [${w.shape.join(',')}]`);
    const [kh, kw, cin, m] = w.shape;
    const inC = x.shape[3];
    const depthwise = node.op === 'DepthwiseConv2dNative';
    if (!isStatic(inC) || inC !== cin) throw new Error(`input has ${dimStr(inC)} channels, filter expects ${cin}`);
    const st = attrInts(node, 'strides') ?? [1, 1, 1, 1];
    const dl = attrInts(node, 'dilations') ?? [1, 1, 1, 1];
    if (st[0] !== 1 || st[3] !== 1 || dl[0] !== 1 || dl[3] !== 1) throw new Error('strides/dilations on batch or channel axes');
    const padding = attrString(node, 'padding') ?? 'VALID';
    const [h, wd] = staticShape(x.shape.slice(1, 3), `${node.name} spatial dims`);
    const geo = [convGeometry(h, kh, st[1], dl[1], padding), convGeometry(wd, kw, st[2], dl[2], padding)];
    let weight: Tensor;
    let outC: number;
    let group: number;
    if (depthwise) {
      outC = cin * m;
      group = cin;
      weight = withShape(transpose(w, [2, 3, 0, 1]), [outC, 1, kh, kw]);
    } else {
      outC = m;
      group = 1;
      weight = transpose(w, [3, 2, 0, 1]);
    }
    const wName = this.b.addInitializer(`${node.name}/W`, weight);
    const attrs: Record<string, AttrValue> = {
      kernel_shape: [kh, kw],
      strides: [st[1], st[2]],
      dilations: [dl[1], dl[2]],
      pads: [geo[0].padBegin, geo[1].padBegin, geo[0].padEnd, geo[1].padEnd],
      group,
    };
    const n = this.b.addNode('Conv', node.name, [this.nchw(x), wName], attrs);
    const out = this.dyn(n.outputs[0], 'float32', [x.shape[0], geo[0].out, geo[1].out, outC], 'NCHW');
    out.conv = { node: n, weight: wName, outChannels: outC };
    return out;
  }

  private fusedBatchNorm(node: TfNode, ins: string[]): Val {
    if (attrBool(node, 'is_training')) throw new Error('is_training=true is not supported (inference graphs only)');
    const fmt = attrString(node, 'data_format');
    if (fmt && fmt !== 'NHWC') throw new Error(`data_format ${fmt} is not supported`);
    const eps = attrFloat(node, 'epsilon') ?? 1e-4;
    const [gamma, beta, mean, variance] = ins.slice(1, 5).map((r, i) => this.constOf(this.get(r), `FusedBatchNorm input ${i + 1}`));
    const c = gamma.data.length;
    const s = new Float32Array(c);
    const t = new Float32Array(c);
    for (let i = 0; i < c; i++) {
      s[i] = gamma.data[i] / Math.sqrt(variance.data[i] + eps);
      t[i] = beta.data[i] - mean.data[i] * s[i];
    }
    const x = this.get(ins[0]);
    const scale: Tensor = { dtype: 'float32', shape: [c], data: s };
    const shift: Tensor = { dtype: 'float32', shape: [c], data: t };
    if (x.kind === 'dyn' && this.soleReader(ins[0])) {
      const m = this.foldIntoConv(x, scale, 'mul');
      if (m) return this.foldIntoConv(m, shift, 'add') as DynVal;
    }
    const mulNode: TfNode = { name: `${node.name}/scale`, op: 'Mul', input: [], attr: {} };
    const scaled = this.asDynBinary(mulNode, x, { kind: 'const', t: scale });
    return this.asDynBinary({ name: `${node.name}/shift`, op: 'Add', input: [], attr: {} }, scaled, { kind: 'const', t: shift });
  }

  private reshape(node: TfNode, ins: string[]): Val {
    const x = this.get(ins[0]);
    const sv = this.get(ins[1]);
    let target: Dim[];
    if (sv.kind === 'sym') target = sv.elems;
    else target = this.constInts(sv, 'shape');
    const inShape = this.valShape(x);
    const outShape = resolveReshape(inShape, target);
    if (x.kind === 'const') return { kind: 'const', t: withShape(x.t, staticShape(outShape, node.name)) };
    if (x.kind === 'sym') {
      if (outShape.length <= 1) return { ...x, scalar: outShape.length === 0 };
      throw new Error(`reshape of a shape vector to ${shapeStr(outShape)}`);
    }
    const onnxTarget = this.reshapeTarget(target, outShape, node.name);
    const n = this.b.addNode('Reshape', node.name, [this.nhwc(x), onnxTarget]);
    return this.dyn(n.outputs[0], x.dtype, outShape);
  }

  /** An ONNX Reshape shape input: constant with -1 for the one N-dependent dim, else computed. */
  private reshapeTarget(target: Dim[], outShape: Dim[], where: string): string {
    if (target.some((d) => d === 0)) throw new Error(`${where}: reshape target with 0 is not supported`);
    const symbolic = outShape.filter((d) => !isStatic(d)).length;
    if (symbolic === 0) return this.int64(outShape as number[], 'shape');
    if (symbolic === 1)
      return this.int64(
        outShape.map((d) => (isStatic(d) ? d : -1)),
        'shape',
      );
    return this.symToInt64({ kind: 'sym', dtype: 'int64', scalar: false, elems: outShape }, `${where}/shape`);
  }

  private shape(node: TfNode, ins: string[]): Val {
    const outType = node.attr.out_type ? tfDtype(node.attr.out_type.type, node.name) : 'int32';
    const shape = this.valShape(this.get(ins[0]));
    if (shape.every(isStatic)) return { kind: 'const', t: makeTensor(outType, [shape.length], shape) };
    return { kind: 'sym', dtype: outType, scalar: false, elems: shape };
  }

  private stridedSlice(node: TfNode, ins: string[]): Val {
    const x = this.get(ins[0]);
    const begin = this.constInts(this.get(ins[1]), 'begin');
    const end = this.constInts(this.get(ins[2]), 'end');
    const stride = this.constInts(this.get(ins[3]), 'strides');
    const masks = {
      begin: attrInt(node, 'begin_mask') ?? 0,
      end: attrInt(node, 'end_mask') ?? 0,
      shrink: attrInt(node, 'shrink_axis_mask') ?? 0,
      newAxis: attrInt(node, 'new_axis_mask') ?? 0,
      ellipsis: attrInt(node, 'ellipsis_mask') ?? 0,
    };
    if (x.kind === 'const') {
      const spec = stridedSliceSpec(x.t.shape, begin, end, stride, masks, node.name);
      return { kind: 'const', t: applySlice(x.t, spec) };
    }
    if (x.kind === 'sym') {
      if (x.scalar) throw new Error('slicing a scalar');
      const spec = stridedSliceSpec([x.elems.length], begin, end, stride, masks, node.name);
      const a = spec.axes[0];
      const elems = Array.from({ length: a.length }, (_, i) => x.elems[a.start + i * a.step]);
      if (spec.newAxes.length) throw new Error('new_axis_mask on a shape vector');
      return { kind: 'sym', dtype: x.dtype, scalar: a.shrink, elems };
    }
    // Runtime tensor: dims along sliced axes must be static, except an axis taken whole.
    const probe = x.shape.map((d) => (isStatic(d) ? d : INT64_MAX));
    const spec = stridedSliceSpec(probe, begin, end, stride, masks, node.name);
    return this.emitSlice(node.name, x, spec.axes, spec.newAxes);
  }

  private slice(node: TfNode, ins: string[]): Val {
    const x = this.get(ins[0]);
    const begin = this.constInts(this.get(ins[1]), 'begin');
    const sz = this.constInts(this.get(ins[2]), 'size');
    const shape = this.valShape(x);
    const probe = shape.map((d) => (isStatic(d) ? d : INT64_MAX));
    const axes = probe.map((dim, i) => ({
      axis: i,
      start: begin[i],
      step: 1,
      length: sz[i] === -1 ? dim - begin[i] : sz[i],
      shrink: false,
    }));
    if (x.kind === 'const') {
      return { kind: 'const', t: applySlice(x.t, { axes, newAxes: [], outShape: axes.map((a) => a.length) }) };
    }
    if (x.kind === 'sym') {
      const a = axes[0];
      return { kind: 'sym', dtype: x.dtype, scalar: false, elems: x.elems.slice(a.start, a.start + a.length) };
    }
    return this.emitSlice(node.name, x, axes, []);
  }

  private emitSlice(
    name: string,
    x: DynVal,
    axes: { axis: number; start: number; step: number; length: number; shrink: boolean }[],
    newAxes: number[],
  ): DynVal {
    const starts: number[] = [];
    const ends: number[] = [];
    const onnxAxes: number[] = [];
    const steps: number[] = [];
    const outShape: Dim[] = [];
    const shrink: number[] = [];
    for (const a of axes) {
      const dim = x.shape[a.axis];
      const whole = a.start === 0 && a.step === 1 && (isStatic(dim) ? a.length === dim : a.length >= INT64_MAX / 2);
      if (!isStatic(dim) && !whole) throw new Error(`slicing along the batch axis is not supported`);
      if (!whole) {
        starts.push(a.start);
        ends.push(a.step > 0 ? a.start + a.length * a.step : a.start + a.length * a.step);
        onnxAxes.push(a.axis);
        steps.push(a.step);
      }
      if (a.shrink) shrink.push(outShape.length);
      outShape.push(whole ? dim : a.length);
    }
    let cur = this.nhwc(x);
    if (onnxAxes.length) {
      // A negative end would count from the back in ONNX; INT64_MIN is its "before the start".
      const safeEnds = ends.map((e, i) => (steps[i] < 0 && e < 0 ? INT64_MIN : e));
      cur = this.b.addNode('Slice', name, [cur, this.int64(starts), this.int64(safeEnds), this.int64(onnxAxes), this.int64(steps)]).outputs[0];
    }
    let shape = outShape;
    if (shrink.length) {
      cur = this.b.addNode('Squeeze', `${name}/shrink`, [cur, this.int64(shrink)]).outputs[0];
      shape = shape.filter((_, i) => !shrink.includes(i));
    }
    if (newAxes.length) {
      cur = this.b.addNode('Unsqueeze', `${name}/new_axis`, [cur, this.int64(newAxes)]).outputs[0];
      for (const ax of newAxes) shape.splice(ax, 0, 1);
    }
    if (cur === this.nhwc(x)) cur = this.b.addNode('Identity', name, [cur]).outputs[0];
    return this.dyn(cur, x.dtype, shape);
  }

  private pack(node: TfNode, ins: string[]): Val {
    const vals = ins.map((r) => this.get(r));
    const rank = this.valShape(vals[0]).length + 1;
    const axis = this.axis(attrInt(node, 'axis') ?? 0, rank, node.name);
    if (vals.every((v) => v.kind === 'const')) {
      return {
        kind: 'const',
        t: stackTensors(
          vals.map((v) => v.t),
          axis,
        ),
      };
    }
    if (vals.every((v) => v.kind !== 'dyn' && this.valShape(v).length === 0)) {
      const elems = vals.map((v) => (v.kind === 'sym' ? v.elems[0] : (v as ConstVal).t.data[0]));
      const dtype = vals[0].kind === 'sym' ? vals[0].dtype : (vals[0] as ConstVal).t.dtype;
      return { kind: 'sym', dtype, scalar: false, elems };
    }
    const shapes = vals.map((v) => this.valShape(v));
    const parts = vals.map((v, i) => {
      const name = this.operand(v.kind === 'sym' ? this.asDyn(v, `${node.name}/${i}`) : v, 'NHWC', `${node.name}/${i}`);
      return this.b.addNode('Unsqueeze', `${node.name}/expand_${i}`, [name, this.int64([axis])]).outputs[0];
    });
    const n = this.b.addNode('Concat', node.name, parts, { axis });
    const shape = [...shapes[0]];
    shape.splice(axis, 0, vals.length);
    const dtype = vals.find((v): v is DynVal => v.kind === 'dyn')?.dtype ?? 'float32';
    return this.dyn(n.outputs[0], dtype, shape);
  }

  private unpack(node: TfNode, ins: string[]): Val[] {
    const x = this.get(ins[0]);
    const shape = this.valShape(x);
    const axis = this.axis(attrInt(node, 'axis') ?? 0, shape.length, node.name);
    const num = attrInt(node, 'num') ?? (shape[axis] as number);
    if (!isStatic(shape[axis]) || shape[axis] !== num) throw new Error(`unpacking ${num} from axis of size ${dimStr(shape[axis])}`);
    if (x.kind === 'sym') return x.elems.map((e) => ({ kind: 'sym', dtype: x.dtype, scalar: true, elems: [e] }));
    if (x.kind === 'const') {
      return Array.from({ length: num }, (_, i) => {
        const axes = x.t.shape.map((d, a) => ({ axis: a, start: a === axis ? i : 0, step: 1, length: a === axis ? 1 : d, shrink: a === axis }));
        const outShape = x.t.shape.filter((_, a) => a !== axis);
        return { kind: 'const', t: applySlice(x.t, { axes, newAxes: [], outShape }) };
      });
    }
    const outShape = shape.filter((_, a) => a !== axis);
    const src = this.nhwc(x);
    return Array.from({ length: num }, (_, i) => {
      const n = this.b.addNode('Gather', i === 0 ? node.name : `${node.name}:${i}`, [src, this.int64([i], 'index', true)], { axis });
      return this.dyn(n.outputs[0], x.dtype, outShape);
    });
  }

  private concat(node: TfNode, ins: string[]): Val {
    const vals = ins.slice(0, -1).map((r) => this.get(r));
    const shapes = vals.map((v) => this.valShape(v));
    const rank = shapes[0].length;
    const axis = this.axis(this.constInts(this.get(ins[ins.length - 1]), 'axis')[0], rank, node.name);
    if (vals.every((v) => v.kind === 'const')) {
      return {
        kind: 'const',
        t: concatTensors(
          vals.map((v) => v.t),
          axis,
        ),
      };
    }
    if (rank === 1 && vals.every((v) => v.kind !== 'dyn')) {
      const elems = vals.flatMap((v) => (v.kind === 'sym' ? v.elems : toNumbers(v.t)));
      return { kind: 'sym', dtype: 'int32', scalar: false, elems };
    }
    const shape = [...shapes[0]];
    shape[axis] = shapes.map((s) => s[axis]).reduce(dimAdd);
    const dyns = vals.filter((v): v is DynVal => v.kind === 'dyn');
    const layout: Layout = rank === 4 && dyns.every((d) => d.layout === 'NCHW') ? 'NCHW' : 'NHWC';
    const names = vals.map((v, i) => this.operand(v.kind === 'sym' ? this.asDyn(v, `${node.name}/${i}`) : v, layout, `${node.name}/${i}`));
    const n = this.b.addNode('Concat', node.name, names, { axis: layout === 'NCHW' ? NCHW_OF_NHWC[axis] : axis });
    return this.dyn(n.outputs[0], dyns[0].dtype, shape, layout);
  }

  private transposeOp(node: TfNode, ins: string[]): Val {
    const x = this.get(ins[0]);
    const perm = this.constInts(this.get(ins[1]), 'perm');
    if (x.kind === 'const') return { kind: 'const', t: transpose(x.t, perm) };
    const d = this.asDyn(x, node.name);
    const shape = perm.map((p) => d.shape[p]);
    // A value held as NCHW is transposed straight from its physical layout.
    const phys = d.layout === 'NCHW' ? perm.map((p) => NCHW_OF_NHWC[p]) : perm;
    const n = this.b.addNode('Transpose', node.name, [d.name], { perm: phys });
    return this.dyn(n.outputs[0], d.dtype, shape);
  }

  private squeezeOp(node: TfNode, ins: string[]): Val {
    const x = this.get(ins[0]);
    const shape = this.valShape(x);
    const dims = (attrInts(node, 'squeeze_dims') ?? attrInts(node, 'axis') ?? []).map((a) => this.axis(a, shape.length, node.name));
    const axes = dims.length ? dims : shape.flatMap((d, i) => (d === 1 ? [i] : []));
    if (x.kind === 'const')
      return {
        kind: 'const',
        t: withShape(
          x.t,
          x.t.shape.filter((_, i) => !axes.includes(i)),
        ),
      };
    if (x.kind === 'sym') return { ...x, scalar: true };
    return this.squeeze(x, axes, node.name);
  }

  private squeeze(x: DynVal, axes: number[], name: string): DynVal {
    for (const a of axes) if (!dimEq(x.shape[a], 1)) throw new Error(`${name}: cannot squeeze axis ${a} of ${shapeStr(x.shape)}`);
    if (x.expandedFrom && axes.length === 1 && axes[0] === x.expandedFrom.axis) return x.expandedFrom.value;
    const n = this.b.addNode('Squeeze', name, [this.nhwc(x), this.int64(axes)]);
    return this.dyn(
      n.outputs[0],
      x.dtype,
      x.shape.filter((_, i) => !axes.includes(i)),
    );
  }

  private expandDims(node: TfNode, ins: string[]): Val {
    const x = this.get(ins[0]);
    const shape = this.valShape(x);
    const axis = this.axis(this.constInts(this.get(ins[1]), 'dim')[0], shape.length + 1, node.name);
    const outShape = [...shape];
    outShape.splice(axis, 0, 1);
    if (x.kind === 'const') return { kind: 'const', t: withShape(x.t, staticShape(outShape, node.name)) };
    if (x.kind === 'sym') {
      if (!x.scalar) throw new Error('ExpandDims on a shape vector');
      return { ...x, scalar: false };
    }
    const n = this.b.addNode('Unsqueeze', node.name, [this.nhwc(x), this.int64([axis])]);
    const out = this.dyn(n.outputs[0], x.dtype, outShape);
    out.expandedFrom = { value: x, axis };
    return out;
  }

  private tile(node: TfNode, ins: string[]): Val {
    const x = this.get(ins[0]);
    const mv = this.get(ins[1]);
    const mult: Dim[] = mv.kind === 'sym' ? mv.elems : this.constInts(mv, 'multiples');
    const shape = this.valShape(x);
    if (mult.length !== shape.length) throw new Error(`multiples ${shapeStr(mult)} do not fit ${shapeStr(shape)}`);
    const outShape = shape.map((d, i) => dimMul(d, mult[i]));
    const reps = mv.kind === 'sym' ? this.symToInt64(mv, `${node.name}/multiples`) : this.int64(mult as number[], `${node.name}/multiples`);
    const src = this.operand(x.kind === 'sym' ? this.asDyn(x, node.name) : x, 'NHWC', `${node.name}/input`);
    const n = this.b.addNode('Tile', node.name, [src, reps]);
    const dtype = x.kind === 'const' ? x.t.dtype : x.kind === 'dyn' ? x.dtype : 'int32';
    return this.dyn(n.outputs[0], dtype, outShape);
  }
}

function dimsEqual(a: Dim[], b: Dim[]): boolean {
  return a.length === b.length && a.every((d, i) => dimEq(d, b[i]));
}

function staticShapeOr(s: Dim[]): number[] {
  return s.map((d) => (isStatic(d) ? d : 1));
}

function broadcastDims(a: Dim[], b: Dim[]): Dim[] {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (dimEq(da, 1)) out.push(db);
    else if (dimEq(db, 1) || dimEq(da, db)) out.push(da);
    else throw new Error(`shapes ${shapeStr(a)} and ${shapeStr(b)} do not broadcast`);
  }
  return out;
}

/** TF Reshape output shape for a target that may hold one -1 and k·N entries. */
function resolveReshape(inShape: Dim[], target: Dim[]): Dim[] {
  const total = dimProduct(inShape);
  const unknown = target.filter((d) => d === -1).length;
  if (unknown > 1) throw new Error(`reshape target ${shapeStr(target)} has more than one -1`);
  if (unknown === 0) {
    const prod = dimProduct(target);
    if (!dimEq(prod, total)) throw new Error(`cannot reshape ${shapeStr(inShape)} to ${shapeStr(target)}`);
    return [...target];
  }
  const known = dimProduct(target.filter((d) => d !== -1));
  const fill = dimDiv(total, known);
  return target.map((d) => (d === -1 ? fill : d));
}

/** Output size and TF 'SAME'/'VALID' padding (TF puts the odd pixel at the end). */
export function convGeometry(inSize: number, k: number, stride: number, dilation: number, padding: string): { out: number; padBegin: number; padEnd: number } {
  const eff = (k - 1) * dilation + 1;
  if (padding === 'VALID') return { out: Math.floor((inSize - eff) / stride) + 1, padBegin: 0, padEnd: 0 };
  if (padding !== 'SAME') throw new Error(`padding ${padding} is not supported`);
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + eff - inSize, 0);
  const padBegin = Math.floor(total / 2);
  return { out, padBegin, padEnd: total - padBegin };
}
