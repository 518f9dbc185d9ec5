// The op table: each differentiable op's forward (ONNX nodes it emits, static output shapes) and its
// backward rule side by side, one gradient per input (null where none flows). Adding an op adds a row;
// autodiff.ts never changes. Broadcast gradients are returned unreduced: the walker reduces them.
// Composite rows (Gelu, LayerNorm) emit several primitive nodes but record one tape entry, so their
// hand-written backward replaces differentiating through the primitives (faster, see onnx-training-notes).

import type { Attrs, DType, Value } from './graph';
import { numel } from './graph';

export interface Rule {
  forward(inputs: Value[], attrs: Record<string, unknown>): Value[];
  backward?(inputs: Value[], outputs: Value[], douts: (Value | null)[], attrs: Record<string, unknown>): (Value | null)[];
}

const norm = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);
const flt = (x: Value): { dtype: DType } => ({ dtype: x.dtype });

export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`cannot broadcast [${a}] with [${b}]`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

function one(x: Value, opType: string, inputs: (Value | null)[], attrs: Attrs, shape: readonly number[], dtype: DType = x.dtype): Value {
  return x.g.node(opType, inputs, attrs, [{ shape, dtype }])[0];
}

const binary = (opType: string): Rule['forward'] => ([a, b]) => [one(a, opType, [a, b], {}, broadcastShape(a.shape, b.shape))];
const unary = (opType: string): Rule['forward'] => ([x]) => [one(x, opType, [x], {}, x.shape)];

function gemmShape(a: Value, b: Value, tA: boolean, tB: boolean): number[] {
  const [m, k] = tA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [k2, n] = tB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  if (a.shape.length !== 2 || b.shape.length !== 2 || k !== k2) throw new Error(`Gemm shapes [${a.shape}]${tA ? 'T' : ''} x [${b.shape}]${tB ? 'T' : ''}`);
  return [m, n];
}

function matmulShape(a: Value, b: Value): number[] {
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2 || a.shape[ra - 1] !== b.shape[rb - 2]) throw new Error(`MatMul shapes [${a.shape}] x [${b.shape}]`);
  const batch = broadcastShape(a.shape.slice(0, ra - 2), b.shape.slice(0, rb - 2));
  return [...batch, a.shape[ra - 2], b.shape[rb - 1]];
}

const swapLast = (x: Value): Value => {
  const perm = x.shape.map((_, i) => i);
  const r = perm.length;
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return transpose(x, perm);
};

function reducedShape(shape: readonly number[], axes: number[], keep: boolean): number[] {
  return keep ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

export const OPS: Record<string, Rule> = {
  Add: { forward: binary('Add'), backward: (_i, _o, [d]) => [d, d] },
  Sub: { forward: binary('Sub'), backward: (_i, _o, [d]) => [d, neg(d!)] },
  Mul: { forward: binary('Mul'), backward: ([a, b], _o, [d]) => [mul(d!, b), mul(d!, a)] },
  Div: { forward: binary('Div'), backward: ([, b], [y], [d]) => [div(d!, b), neg(div(mul(d!, y), b))] },
  Neg: { forward: unary('Neg'), backward: (_i, _o, [d]) => [neg(d!)] },
  Exp: { forward: unary('Exp'), backward: (_i, [y], [d]) => [mul(d!, y)] },
  Log: { forward: unary('Log'), backward: ([x], _o, [d]) => [div(d!, x)] },
  Sqrt: { forward: unary('Sqrt'), backward: (_i, [y], [d]) => [div(mul(d!, y.g.scalar(0.5)), y)] },
  Reciprocal: { forward: unary('Reciprocal'), backward: (_i, [y], [d]) => [neg(mul(d!, mul(y, y)))] },
  Tanh: { forward: unary('Tanh'), backward: (_i, [y], [d]) => [mul(d!, sub(y.g.scalar(1), mul(y, y)))] },

  MatMul: {
    forward: ([a, b]) => [one(a, 'MatMul', [a, b], {}, matmulShape(a, b))],
    backward: ([a, b], _o, [d]) => [matmul(d!, swapLast(b)), matmul(swapLast(a), d!)],
  },
  // 2-D product with optional transposes (no C input); gradients use the transpose flags, no copies.
  Gemm: {
    forward: ([a, b], { transA = false, transB = false }) =>
      [one(a, 'Gemm', [a, b], { transA: { kind: 'int', v: transA ? 1 : 0 }, transB: { kind: 'int', v: transB ? 1 : 0 } }, gemmShape(a, b, !!transA, !!transB))],
    backward: ([a, b], _o, [d], { transA = false, transB = false }) => {
      if (!transA && !transB) return [gemm(d!, b, false, true), gemm(a, d!, true, false)];
      if (!transA && transB) return [gemm(d!, b, false, false), gemm(d!, a, true, false)];
      if (transA && !transB) return [gemm(b, d!, false, true), gemm(a, d!, false, false)];
      return [gemm(b, d!, true, true), gemm(d!, a, true, true)];
    },
  },

  Transpose: {
    forward: ([x], { perm }) => [one(x, 'Transpose', [x], { perm: { kind: 'ints', v: perm as number[] } }, (perm as number[]).map((p) => x.shape[p]))],
    backward: (_i, _o, [d], { perm }) => {
      const p = perm as number[];
      const inv = p.map((_, i) => p.indexOf(i));
      return [transpose(d!, inv)];
    },
  },
  Reshape: {
    forward: ([x], { shape }) => {
      const s = shape as number[];
      if (numel(s) !== numel(x.shape)) throw new Error(`Reshape [${x.shape}] -> [${s}]`);
      return [one(x, 'Reshape', [x, x.g.ints(s)], {}, s)];
    },
    backward: ([x], _o, [d]) => [reshape(d!, x.shape)],
  },
  Expand: {
    forward: ([x], { shape }) => [one(x, 'Expand', [x, x.g.ints(shape as number[])], {}, broadcastShape(x.shape, shape as number[]))],
    backward: (_i, _o, [d]) => [d], // the walker sums over the broadcast dims
  },
  ReduceSum: {
    forward: ([x], { axes, keep }) => [
      one(x, 'ReduceSum', [x, x.g.ints(axes as number[])], { keepdims: { kind: 'int', v: keep ? 1 : 0 } }, reducedShape(x.shape, axes as number[], !!keep)),
    ],
    backward: ([x], _o, [d], { axes }) => [expand(reshape(d!, reducedShape(x.shape, axes as number[], true)), x.shape)],
  },
  ReduceMean: {
    forward: ([x], { axes, keep }) => [
      one(x, 'ReduceMean', [x, x.g.ints(axes as number[])], { keepdims: { kind: 'int', v: keep ? 1 : 0 } }, reducedShape(x.shape, axes as number[], !!keep)),
    ],
    backward: ([x], _o, [d], { axes }) => {
      const n = (axes as number[]).reduce((p, a) => p * x.shape[a], 1);
      return [expand(reshape(mul(d!, x.g.scalar(1 / n)), reducedShape(x.shape, axes as number[], true)), x.shape)];
    },
  },
  Softmax: {
    forward: ([x], { axis }) => [one(x, 'Softmax', [x], { axis: { kind: 'int', v: axis as number } }, x.shape)],
    backward: (_i, [y], [d], { axis }) => [mul(y, sub(d!, reduceSum(mul(d!, y), [axis as number], true)))],
  },
  LogSoftmax: {
    forward: ([x], { axis }) => [one(x, 'LogSoftmax', [x], { axis: { kind: 'int', v: axis as number } }, x.shape)],
    backward: (_i, [y], [d], { axis }) => [sub(d!, mul(exp(y), reduceSum(d!, [axis as number], true)))],
  },
  // Embedding lookup (axis 0). The gradient is one-hot^T x dY as a Gemm: ScatterND with reduction
  // races across threads when indices repeat (onnx-training-notes pitfall 1).
  Gather: {
    forward: ([table, idx]) => [one(table, 'Gather', [table, idx], { axis: { kind: 'int', v: 0 } }, [...idx.shape, ...table.shape.slice(1)])],
    backward: ([table, idx], _o, [d]) => {
      const n = numel(idx.shape);
      const rows = table.shape[0];
      const oh = oneHot(reshape(idx, [n]), rows, table.dtype);
      const d2 = reshape(d!, [n, numel(table.shape.slice(1))]);
      return [reshape(gemm(oh, d2, true, false), table.shape), null];
    },
  },
  Concat: {
    forward: (xs, { axis }) => {
      const a = axis as number;
      const shape = [...xs[0].shape];
      shape[a] = xs.reduce((s, x) => s + x.shape[a], 0);
      return [one(xs[0], 'Concat', xs, { axis: { kind: 'int', v: a } }, shape)];
    },
    backward: (xs, _o, [d], { axis }) => rawSplit(d!, axis as number, xs.map((x) => x.shape[axis as number])),
  },
  Split: {
    forward: ([x], { axis, sizes }) => rawSplit(x, axis as number, sizes as number[]),
    backward: ([x], outs, douts, { axis }) => [concat(outs.map((o, i) => douts[i] ?? zeros(x, o.shape)), axis as number)],
  },
  Slice: {
    forward: ([x], { axis, start, end }) => {
      const shape = [...x.shape];
      shape[axis as number] = (end as number) - (start as number);
      return [one(x, 'Slice', [x, x.g.ints([start as number]), x.g.ints([end as number]), x.g.ints([axis as number])], {}, shape)];
    },
    backward: ([x], _o, [d], { axis, start, end }) => {
      const pads = new Array<number>(2 * x.shape.length).fill(0);
      pads[axis as number] = start as number;
      pads[x.shape.length + (axis as number)] = x.shape[axis as number] - (end as number);
      return [one(d!, 'Pad', [d!, d!.g.ints(pads)], {}, x.shape)];
    },
  },

  // tanh-GELU composed from primitives (Gelu exists only from opset 20); outputs [y, tanh(u)].
  Gelu: {
    forward: ([x]) => {
      const g = x.g;
      const u = mul(add(x, mul(g.scalar(0.044715), mul(mul(x, x), x))), g.scalar(Math.sqrt(2 / Math.PI)));
      const t = tanh(u);
      return [mul(mul(x, g.scalar(0.5)), add(g.scalar(1), t)), t];
    },
    backward: ([x], [, t], [d]) => {
      // dy/dx = 0.5(1+t) + 0.5 x (1-t^2) c (1 + 3a x^2)
      const g = x.g;
      const c = Math.sqrt(2 / Math.PI);
      const inner = mul(sub(g.scalar(1), mul(t, t)), add(g.scalar(c), mul(g.scalar(3 * 0.044715 * c), mul(x, x))));
      const dydx = mul(g.scalar(0.5), add(add(g.scalar(1), t), mul(x, inner)));
      return [mul(d!, dydx)];
    },
  },
  // LayerNorm over the last axis without affine. float32: ORT's fused LayerNormalization; float64:
  // composed (its statistics stay float32 for double input: pitfall 2). Outputs [y, rstd].
  LayerNorm: {
    forward: ([x], { eps }) => {
      if (x.dtype === 'float32') {
        // The fused kernel is exact in float32; only its statistics' dtype is wrong for double input.
        const C = x.shape[x.shape.length - 1];
        const stat = x.shape.map((d, i) => (i === x.shape.length - 1 ? 1 : d));
        const [y, , rstd] = x.g.node('LayerNormalization', [x, x.g.constant(new Array<number>(C).fill(1), [C])], {
          axis: { kind: 'int', v: -1 }, epsilon: { kind: 'float', v: eps as number },
        }, [{ shape: x.shape, dtype: x.dtype }, { shape: stat, dtype: x.dtype }, { shape: stat, dtype: x.dtype }]);
        return [y, rstd];
      }
      const mu = reduceMean(x, [-1], true);
      const xc = sub(x, mu);
      const rstd = reciprocal(sqrt(add(reduceMean(mul(xc, xc), [-1], true), x.g.scalar(eps as number))));
      return [mul(xc, rstd), rstd];
    },
    backward: (_i, [y, rstd], [d]) => {
      // dx = rstd * (d - mean(d) - y * mean(d * y))
      const md = reduceMean(d!, [-1], true);
      const mdy = reduceMean(mul(d!, y), [-1], true);
      return [mul(rstd, sub(sub(d!, md), mul(y, mdy)))];
    },
  },
};

/** Applies a table row: emits its nodes and records one tape entry (primitives inside rows are not taped). */
export function apply(op: string, inputs: Value[], attrs: Record<string, unknown> = {}): Value[] {
  const rule = OPS[op];
  if (!rule) throw new Error(`unknown op '${op}' (add a row to OPS in harness/onnx/ops.ts)`);
  const g = inputs[0].g;
  const rec = g.recording;
  g.recording = false;
  let outs: Value[];
  try {
    outs = rule.forward(inputs, attrs);
  } finally {
    g.recording = rec;
  }
  if (rec) g.tape.push({ op, inputs, outputs: outs, attrs });
  return outs;
}

const first = (op: string, inputs: Value[], attrs: Record<string, unknown> = {}): Value => apply(op, inputs, attrs)[0];

// ---- differentiable helpers (shape comments: broadcasting follows numpy) ----
export const add = (a: Value, b: Value): Value => first('Add', [a, b]);
export const sub = (a: Value, b: Value): Value => first('Sub', [a, b]);
export const mul = (a: Value, b: Value): Value => first('Mul', [a, b]);
export const div = (a: Value, b: Value): Value => first('Div', [a, b]);
export const neg = (x: Value): Value => first('Neg', [x]);
export const exp = (x: Value): Value => first('Exp', [x]);
export const log = (x: Value): Value => first('Log', [x]);
export const sqrt = (x: Value): Value => first('Sqrt', [x]);
export const reciprocal = (x: Value): Value => first('Reciprocal', [x]);
export const tanh = (x: Value): Value => first('Tanh', [x]);
export const matmul = (a: Value, b: Value): Value => first('MatMul', [a, b]);
export const gemm = (a: Value, b: Value, transA = false, transB = false): Value => first('Gemm', [a, b], { transA, transB });
export const transpose = (x: Value, perm: number[]): Value => first('Transpose', [x], { perm });
export const reshape = (x: Value, shape: readonly number[]): Value => first('Reshape', [x], { shape: [...shape] });
export const expand = (x: Value, shape: readonly number[]): Value => first('Expand', [x], { shape: [...shape] });
export const reduceSum = (x: Value, axes: number[], keep = false): Value =>
  first('ReduceSum', [x], { axes: axes.map((a) => norm(a, x.shape.length)), keep });
export const reduceMean = (x: Value, axes: number[], keep = false): Value =>
  first('ReduceMean', [x], { axes: axes.map((a) => norm(a, x.shape.length)), keep });
export const softmax = (x: Value, axis = -1): Value => first('Softmax', [x], { axis: norm(axis, x.shape.length) });
export const logSoftmax = (x: Value, axis = -1): Value => first('LogSoftmax', [x], { axis: norm(axis, x.shape.length) });
export const gather = (table: Value, idx: Value): Value => first('Gather', [table, idx]);
export const concat = (xs: Value[], axis: number): Value => first('Concat', xs, { axis: norm(axis, xs[0].shape.length) });
export const split = (x: Value, axis: number, sizes: number[]): Value[] => apply('Split', [x], { axis: norm(axis, x.shape.length), sizes });
export const slice = (x: Value, axis: number, start: number, end: number): Value =>
  first('Slice', [x], { axis: norm(axis, x.shape.length), start, end });
export const gelu = (x: Value): Value => first('Gelu', [x]);
export const layerNorm = (x: Value, eps = 1e-5): Value => first('LayerNorm', [x], { eps });

// ---- non-differentiable helpers (never taped) ----
/** One-hot rows as float (OneHot has no double kernel: built as float32 then cast, pitfall 3). */
export function oneHot(idx: Value, depth: number, dtype: DType): Value {
  const g = idx.g;
  const oh = g.node('OneHot', [idx, g.constant([depth], [], 'int64'), g.constant([0, 1], [2], 'float32')], { axis: { kind: 'int', v: -1 } }, [
    { shape: [...idx.shape, depth], dtype: 'float32' },
  ])[0];
  return dtype === 'float32' ? oh : cast(oh, dtype);
}

export function cast(x: Value, dtype: DType): Value {
  const to = { float32: 1, int64: 7, bool: 9, float64: 11 }[dtype];
  return one(x, 'Cast', [x], { to: { kind: 'int', v: to } }, x.shape, dtype);
}

function rawSplit(x: Value, axis: number, sizes: number[]): Value[] {
  return x.g.node(
    'Split',
    [x, x.g.ints(sizes)],
    { axis: { kind: 'int', v: axis } },
    sizes.map((s) => ({ shape: x.shape.map((d, i) => (i === axis ? s : d)), ...flt(x) })),
  );
}

function zeros(like: Value, shape: readonly number[]): Value {
  return one(like, 'Expand', [like.g.scalar(0), like.g.ints([...shape])], {}, shape);
}
