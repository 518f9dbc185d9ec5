// Hand-written protobuf wire encoding for the ONNX messages clsrl emits (ModelProto and what it holds).
// Encoder only: the engine never reads ONNX files back. Field numbers follow onnx/onnx.proto3.

/** ONNX TensorProto.DataType values used here. */
export const ONNX_DTYPE = { float32: 1, int64: 7, bool: 9, float64: 11 } as const;
export type OnnxDType = keyof typeof ONNX_DTYPE;

/** AttributeProto.AttributeType values. */
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

/** Growable byte writer with protobuf primitives. */
class Writer {
  private buf = new Uint8Array(256);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    this.ensure(10);
    while (x >= 0x80n) {
      this.buf[this.len++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.len++] = Number(x);
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  bytes(field: number, data: Uint8Array): void {
    this.tag(field, 2);
    this.varint(data.length);
    this.ensure(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
  }

  string(field: number, s: string): void {
    this.bytes(field, new TextEncoder().encode(s));
  }

  int(field: number, v: number | bigint): void {
    this.tag(field, 0);
    this.varint(v);
  }

  float(field: number, v: number): void {
    this.tag(field, 5);
    this.ensure(4);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.len, 4).setFloat32(0, v, true);
    this.len += 4;
  }

  packedInts(field: number, vs: readonly number[]): void {
    const w = new Writer();
    for (const v of vs) w.varint(v);
    this.bytes(field, w.finish());
  }

  packedFloats(field: number, vs: readonly number[]): void {
    const f = new Float32Array(vs);
    this.bytes(field, new Uint8Array(f.buffer));
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

export interface TensorData {
  name: string;
  dtype: OnnxDType;
  dims: number[];
  /** Little-endian raw bytes of the elements. */
  raw: Uint8Array;
}

export type AttrValue =
  | { kind: 'float'; v: number }
  | { kind: 'int'; v: number }
  | { kind: 'string'; v: string }
  | { kind: 'floats'; v: number[] }
  | { kind: 'ints'; v: number[] }
  | { kind: 'tensor'; v: TensorData };

export interface NodeData {
  opType: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
}

export interface ValueInfoData {
  name: string;
  dtype: OnnxDType;
  dims: number[];
}

export interface GraphData {
  name: string;
  nodes: NodeData[];
  initializers: TensorData[];
  inputs: ValueInfoData[];
  outputs: ValueInfoData[];
}

function tensorProto(t: TensorData): Uint8Array {
  const w = new Writer();
  if (t.dims.length > 0) w.packedInts(1, t.dims);
  w.int(2, ONNX_DTYPE[t.dtype]);
  w.string(8, t.name);
  w.bytes(9, t.raw);
  return w.finish();
}

function attributeProto(name: string, a: AttrValue): Uint8Array {
  const w = new Writer();
  w.string(1, name);
  switch (a.kind) {
    case 'float':
      w.float(2, a.v);
      w.int(20, ATTR.FLOAT);
      break;
    case 'int':
      w.int(3, a.v);
      w.int(20, ATTR.INT);
      break;
    case 'string':
      w.string(4, a.v);
      w.int(20, ATTR.STRING);
      break;
    case 'tensor':
      w.bytes(5, tensorProto(a.v));
      w.int(20, ATTR.TENSOR);
      break;
    case 'floats':
      w.packedFloats(7, a.v);
      w.int(20, ATTR.FLOATS);
      break;
    case 'ints':
      w.packedInts(8, a.v);
      w.int(20, ATTR.INTS);
      break;
  }
  return w.finish();
}

function nodeProto(n: NodeData): Uint8Array {
  const w = new Writer();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name);
  w.string(4, n.opType);
  for (const [k, a] of Object.entries(n.attrs)) w.bytes(5, attributeProto(k, a));
  return w.finish();
}

function valueInfoProto(v: ValueInfoData): Uint8Array {
  const shape = new Writer();
  for (const d of v.dims) {
    const dim = new Writer();
    dim.int(1, d);
    shape.bytes(1, dim.finish());
  }
  const tensorType = new Writer();
  tensorType.int(1, ONNX_DTYPE[v.dtype]);
  tensorType.bytes(2, shape.finish());
  const type = new Writer();
  type.bytes(1, tensorType.finish());
  const w = new Writer();
  w.string(1, v.name);
  w.bytes(2, type.finish());
  return w.finish();
}

function graphProto(g: GraphData): Uint8Array {
  const w = new Writer();
  for (const n of g.nodes) w.bytes(1, nodeProto(n));
  w.string(2, g.name);
  for (const t of g.initializers) w.bytes(5, tensorProto(t));
  for (const i of g.inputs) w.bytes(11, valueInfoProto(i));
  for (const o of g.outputs) w.bytes(12, valueInfoProto(o));
  return w.finish();
}

/** Serialises a whole model: IR version 8, default-domain opset 18. */
export function encodeModel(g: GraphData, opset = 18): Uint8Array {
  const w = new Writer();
  w.int(1, 8); // ir_version
  w.string(2, 'clsrl');
  w.bytes(7, graphProto(g));
  const op = new Writer();
  op.string(1, '');
  op.int(2, opset);
  w.bytes(8, op.finish());
  return w.finish();
}
