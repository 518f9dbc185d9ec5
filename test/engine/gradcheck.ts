// Test helper: finite-difference gradient checks of float64 ONNX graphs built with harness/onnx.
// Builds loss = sum(f(inputs) * R) for a fixed random R, runs value and gradients in one session,
// and compares each analytic gradient with central differences.

import { ort } from '../../harness/onnx/ort';
import { Graph, grad, mul, reduceSum, type Value } from '../../harness/onnx';

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GradCase {
  shapes: number[][];
  f: (xs: Value[]) => Value;
  /** Optional value generator per input (default uniform in [-1, 1]). */
  init?: (i: number, r: () => number) => number;
}

/** Max relative error between analytic and central-difference gradients over all inputs. */
export async function gradCheck(c: GradCase, seed = 1): Promise<number> {
  const r = rng(seed);
  const g = new Graph('float64', 'check');
  const xs = c.shapes.map((s, i) => g.input(`x${i}`, s));
  const y = c.f(xs);
  const rw = g.constant(Array.from({ length: y.shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1), y.shape);
  const loss = reduceSum(mul(y, rw), y.shape.map((_, i) => i), false);
  g.output(loss, 'loss');
  const grads = grad(loss, xs);
  grads.forEach((d, i) => {
    if (!d) throw new Error(`no gradient for input ${i}`);
    g.output(d, `d${i}`);
  });
  const sess = await ort.InferenceSession.create(g.toModel(), { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
  try {
    const data = c.shapes.map((s, i) => Float64Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => (c.init ? c.init(i, r) : r() * 2 - 1)));
    const feeds = () => Object.fromEntries(data.map((d, i) => [`x${i}`, new ort.Tensor('float64', d, c.shapes[i])]));
    const out = await sess.run(feeds());
    const lossAt = async () => ((await sess.run(feeds())).loss.data as Float64Array)[0];
    let worst = 0;
    const h = 1e-6;
    for (let i = 0; i < data.length; i++) {
      const an = out[`d${i}`].data as Float64Array;
      let scale = 1e-8;
      for (const v of an) scale = Math.max(scale, Math.abs(v));
      for (let j = 0; j < data[i].length; j++) {
        const x0 = data[i][j];
        data[i][j] = x0 + h;
        const lp = await lossAt();
        data[i][j] = x0 - h;
        const lm = await lossAt();
        data[i][j] = x0;
        const fd = (lp - lm) / (2 * h);
        worst = Math.max(worst, Math.abs(fd - an[j]) / scale);
      }
    }
    return worst;
  } finally {
    await sess.release();
  }
}
