// A static-shape ONNX graph under construction: named values with known shapes, raw node emission,
// constants as initializers, and the tape of differentiable ops that autodiff.ts walks backwards.
// Op semantics (forward + backward rules) live in ops.ts; this file knows nothing about them.

import { encodeModel, type AttrValue, type NodeData, type OnnxDType, type TensorData } from './proto';

export type FloatType = 'float32' | 'float64';
export type DType = FloatType | 'int64' | 'bool';

/** A tensor in the graph. Shapes are always static. */
export interface Value {
  readonly g: Graph;
  readonly id: number;
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/** One recorded application of an op-table rule (possibly several ONNX nodes). */
export interface TapeEntry {
  op: string;
  inputs: Value[];
  /** Outputs; rules may append saved intermediates after the public outputs. */
  outputs: Value[];
  attrs: Record<string, unknown>;
}

export type Attrs = Record<string, AttrValue>;

export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

function rawBytes(dtype: DType, data: ArrayLike<number>): Uint8Array {
  switch (dtype) {
    case 'float32':
      return new Uint8Array(Float32Array.from(data).buffer);
    case 'float64':
      return new Uint8Array(Float64Array.from(data).buffer);
    case 'int64':
      return new Uint8Array(BigInt64Array.from(Array.from(data, (x) => BigInt(x))).buffer);
    case 'bool':
      return Uint8Array.from(data, (x) => (x ? 1 : 0));
  }
}

export class Graph {
  readonly nodes: NodeData[] = [];
  readonly initializers: TensorData[] = [];
  readonly inputs: Value[] = [];
  readonly outputs: { value: Value; name: string }[] = [];
  readonly tape: TapeEntry[] = [];
  /** Whether op applications are recorded on the tape (off inside composite rows and backward). */
  recording = true;
  private nextId = 0;
  private consts = new Map<string, Value>();
  private usedNames = new Set<string>();
  private shapes = new Map<string, readonly number[]>();

  /** `float` is the element type of every float tensor in this build (float32 to run, float64 to check). */
  constructor(readonly float: FloatType = 'float32', readonly name = 'clsrl') {}

  private value(shape: readonly number[], dtype: DType, name?: string): Value {
    const id = this.nextId++;
    const n = name ?? `v${id}`;
    if (this.usedNames.has(n)) throw new Error(`duplicate value name '${n}' in graph ${this.name}`);
    this.usedNames.add(n);
    this.shapes.set(n, [...shape]);
    return { g: this, id, name: n, shape: [...shape], dtype };
  }

  /** A graph input (float inputs default to the build's float type). */
  input(name: string, shape: readonly number[], dtype: DType = this.float): Value {
    const v = this.value(shape, dtype, name);
    this.inputs.push(v);
    return v;
  }

  /** A constant tensor (cached by content for small constants). */
  constant(data: ArrayLike<number>, shape: readonly number[], dtype: DType = this.float): Value {
    if (data.length !== numel(shape)) throw new Error(`constant has ${data.length} elements, shape [${shape}]`);
    const key = data.length <= 16 ? `${dtype}|${shape.join(',')}|${Array.from(data).join(',')}` : '';
    const hit = key ? this.consts.get(key) : undefined;
    if (hit) return hit;
    const v = this.value(shape, dtype);
    this.initializers.push({ name: v.name, dtype: dtype as OnnxDType, dims: [...shape], raw: rawBytes(dtype, data) });
    if (key) this.consts.set(key, v);
    return v;
  }

  /** A float scalar of the build's float type (broadcasts against anything). */
  scalar(x: number): Value {
    return this.constant([x], [], this.float);
  }

  /** int64 1-D constant (shapes, axes, starts/ends). */
  ints(xs: readonly number[]): Value {
    return this.constant(xs, [xs.length], 'int64');
  }

  /** Emits one raw ONNX node; the caller states the output shapes (static shape tracking). */
  node(opType: string, inputs: (Value | null)[], attrs: Attrs, outs: { shape: readonly number[]; dtype: DType }[]): Value[] {
    const outputs = outs.map((o) => this.value(o.shape, o.dtype));
    this.nodes.push({
      opType,
      name: `n${this.nodes.length}_${opType}`,
      inputs: inputs.map((i) => (i ? i.name : '')),
      outputs: outputs.map((o) => o.name),
      attrs,
    });
    return outputs;
  }

  /** Marks `v` as a graph output under `name` (an Identity node gives it the public name). */
  output(v: Value, name: string): void {
    const [o] = this.node('Identity', [v], {}, [{ shape: v.shape, dtype: v.dtype }]);
    this.renameLast(o, name);
    this.outputs.push({ value: o, name });
  }

  private renameLast(o: Value, name: string): void {
    if (this.usedNames.has(name)) throw new Error(`duplicate output name '${name}'`);
    this.usedNames.add(name);
    const node = this.nodes[this.nodes.length - 1];
    node.outputs[0] = name;
    this.shapes.set(name, o.shape);
    (o as { name: string }).name = name;
  }

  /** Multiply-add work of the graph's MatMul and Gemm nodes, in FLOP (2 per multiply-add). */
  matmulFlops(): number {
    let total = 0;
    for (const n of this.nodes) {
      if (n.opType !== 'MatMul' && n.opType !== 'Gemm') continue;
      const out = this.shapes.get(n.outputs[0]);
      const a = this.shapes.get(n.inputs[0]);
      if (!out || !a) continue;
      const transA = n.opType === 'Gemm' && n.attrs.transA?.kind === 'int' && n.attrs.transA.v === 1;
      const k = transA ? a[a.length - 2] : a[a.length - 1];
      total += 2 * numel(out) * k;
    }
    return total;
  }

  /** Serialised ModelProto bytes, ready for InferenceSession.create. */
  toModel(): Uint8Array {
    return encodeModel({
      name: this.name,
      nodes: this.nodes,
      initializers: this.initializers,
      inputs: this.inputs.map((v) => ({ name: v.name, dtype: v.dtype as OnnxDType, dims: [...v.shape] })),
      outputs: this.outputs.map(({ value, name }) => ({ name, dtype: value.dtype as OnnxDType, dims: [...value.shape] })),
    });
  }
}
