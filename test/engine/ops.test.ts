// Per-op finite-difference gradient checks on the float64 build: one case per row of the op table,
// plus the generic walker's broadcast reduction and summing of gradients that meet.

import { Graph, OPS, add, concat, div, exp, expand, gather, gelu, gemm, grad, layerNorm, log, logSoftmax, matmul, mul, neg,
  reciprocal, reduceMean, reduceSum, reshape, slice, softmax, split, sqrt, sub, tanh, transpose } from '../../harness/onnx';
import { gradCheck, rng, type GradCase } from './gradcheck';
import { ort } from '../../harness/onnx/ort';

const pos = (_i: number, r: () => number): number => 0.5 + r();
const CASES: Record<string, GradCase> = {
  Add: { shapes: [[2, 3], [3]], f: ([a, b]) => add(a, b) },
  Sub: { shapes: [[2, 1, 3], [4, 1]], f: ([a, b]) => sub(a, b) },
  Mul: { shapes: [[2, 3], [2, 3]], f: ([a, b]) => mul(a, b) },
  Div: { shapes: [[2, 3], [1, 3]], f: ([a, b]) => div(a, b), init: pos },
  Neg: { shapes: [[4]], f: ([a]) => neg(a) },
  Exp: { shapes: [[2, 3]], f: ([a]) => exp(a) },
  Log: { shapes: [[2, 3]], f: ([a]) => log(a), init: pos },
  Sqrt: { shapes: [[2, 3]], f: ([a]) => sqrt(a), init: pos },
  Reciprocal: { shapes: [[2, 3]], f: ([a]) => reciprocal(a), init: pos },
  Tanh: { shapes: [[2, 3]], f: ([a]) => tanh(a) },
  MatMul: { shapes: [[2, 3, 4], [2, 4, 5]], f: ([a, b]) => matmul(a, b) },
  Gemm: {
    shapes: [[3, 4], [5, 4], [4, 3], [5, 4], [4, 5]],
    f: ([a, b, c, e, f]) => add(add(gemm(a, b, false, true), gemm(c, e, true, true)), add(gemm(c, f, true, false), gemm(a, f))),
  },
  Transpose: { shapes: [[2, 3, 4]], f: ([a]) => transpose(a, [2, 0, 1]) },
  Reshape: { shapes: [[2, 6]], f: ([a]) => reshape(a, [3, 4]) },
  Expand: { shapes: [[3, 1]], f: ([a]) => expand(a, [2, 3, 4]) },
  ReduceSum: { shapes: [[2, 3, 4]], f: ([a]) => reduceSum(a, [0, 2]) },
  ReduceMean: { shapes: [[2, 3, 4]], f: ([a]) => reduceMean(a, [1], true) },
  Softmax: { shapes: [[2, 5]], f: ([a]) => softmax(a, -1) },
  LogSoftmax: { shapes: [[3, 5]], f: ([a]) => logSoftmax(a, 1) },
  Gather: {
    shapes: [[5, 3]],
    f: ([t]) => gather(t, t.g.constant([0, 4, 4, 1, 0, 4], [2, 3], 'int64')),
  },
  Concat: { shapes: [[2, 3], [2, 2]], f: ([a, b]) => concat([a, b], 1) },
  Split: { shapes: [[2, 5]], f: ([a]) => { const [p, , q] = split(a, 1, [2, 1, 2]); return mul(p, q); } },
  Slice: { shapes: [[3, 6]], f: ([a]) => slice(a, 1, 1, 4) },
  Gelu: { shapes: [[3, 4]], f: ([a]) => gelu(mul(a, a.g.scalar(3))) },
  LayerNorm: { shapes: [[3, 6]], f: ([a]) => layerNorm(a) },
};

describe('op table gradients (float64, central differences)', () => {
  it('has a case for every op', () => {
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(OPS).sort());
  });
  for (const [name, c] of Object.entries(CASES)) {
    it(name, async () => {
      expect(await gradCheck(c)).toBeLessThan(1e-6);
    });
  }
  it('sums gradients that meet and reduces broadcasts', async () => {
    expect(await gradCheck({ shapes: [[2, 3], [1]], f: ([a, b]) => mul(add(a, b), mul(a, b)) })).toBeLessThan(1e-6);
  });
  it('float32 LayerNorm (fused kernel) matches the float64 composition, value and gradient', async () => {
    const r = rng(3);
    const x = Array.from({ length: 3 * 8 }, () => r() * 4 - 2);
    const w = Array.from({ length: 3 * 8 }, () => r() * 2 - 1);
    const run = async (float: 'float32' | 'float64'): Promise<number[][]> => {
      const g = new Graph(float);
      const xi = g.input('x', [3, 8]);
      const loss = reduceSum(mul(layerNorm(xi), g.constant(w, [3, 8])), [0, 1]);
      g.output(loss, 'loss');
      g.output(grad(loss, [xi])[0]!, 'dx');
      const sess = await ort.InferenceSession.create(g.toModel());
      const data = float === 'float32' ? Float32Array.from(x) : Float64Array.from(x);
      const out = await sess.run({ x: new ort.Tensor(float, data, [3, 8]) });
      await sess.release();
      return [Array.from(out.loss.data as Float32Array), Array.from(out.dx.data as Float32Array)];
    };
    const [a, b] = [await run('float32'), await run('float64')];
    a.forEach((vs, k) => vs.forEach((v, i) => expect(Math.abs(v - b[k][i])).toBeLessThan(1e-5)));
  });

  it('names the op when a backward rule is missing', () => {
    const g = new Graph('float64');
    const x = g.input('x', [2]);
    const saved = OPS.Neg.backward;
    delete OPS.Neg.backward;
    try {
      const y = reduceSum(neg(x), [0]);
      expect(() => grad(y, [x])).toThrow(/no gradient rule for op 'Neg'/);
    } finally {
      OPS.Neg.backward = saved;
    }
  });
});
