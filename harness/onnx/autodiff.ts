// Reverse-mode differentiation over a Graph's tape: one generic walk that calls each op's backward rule,
// sums gradients that meet at a value and reduces broadcast gradients back to the input's shape.
// A missing rule is an error naming the op. The walker never changes when ops are added.

import type { Value } from './graph';
import { OPS, add, reduceSum, reshape } from './ops';

/** Sums `d` over the dims where `target` was broadcast, so the result has `target`'s shape. */
export function unbroadcast(d: Value, target: readonly number[]): Value {
  if (d.shape.length === target.length && d.shape.every((s, i) => s === target[i])) return d;
  const lead = d.shape.length - target.length;
  if (lead < 0) throw new Error(`gradient [${d.shape}] has lower rank than its input [${target}]`);
  const axes: number[] = [];
  for (let i = 0; i < d.shape.length; i++) {
    if (i < lead || (target[i - lead] === 1 && d.shape[i] !== 1)) axes.push(i);
    else if (target[i - lead] !== d.shape[i]) throw new Error(`gradient [${d.shape}] does not broadcast to [${target}]`);
  }
  const r = axes.length > 0 ? reduceSum(d, axes, true) : d;
  return reshape(r, target);
}

/**
 * Gradients of the scalar `loss` with respect to each of `wrt` (same order). A `wrt` value the loss
 * does not depend on gets null. `seed` overrides the initial gradient (default ones).
 */
export function grad(loss: Value, wrt: Value[], seed?: Value): (Value | null)[] {
  const g = loss.g;
  const tape = g.tape.slice();
  const wanted = new Set(wrt.map((w) => w.id));
  // Values on a path from a wrt value: only those entries need a backward rule.
  const needs = new Set<number>(wanted);
  for (const e of tape) if (e.inputs.some((i) => needs.has(i.id))) for (const o of e.outputs) needs.add(o.id);
  if (!needs.has(loss.id)) return wrt.map(() => null);

  const grads = new Map<number, Value>();
  const rec = g.recording;
  g.recording = false;
  try {
    grads.set(loss.id, seed ?? g.node('Expand', [g.scalar(1), g.ints([...loss.shape])], {}, [{ shape: loss.shape, dtype: loss.dtype }])[0]);
    for (let k = tape.length - 1; k >= 0; k--) {
      const e = tape[k];
      if (!e.inputs.some((i) => needs.has(i.id))) continue;
      const douts = e.outputs.map((o) => grads.get(o.id) ?? null);
      if (douts.every((d) => d === null)) continue;
      const rule = OPS[e.op];
      if (!rule.backward) throw new Error(`no gradient rule for op '${e.op}' (add backward to its row in harness/onnx/ops.ts)`);
      const dins = rule.backward(e.inputs, e.outputs, douts, e.attrs);
      e.inputs.forEach((inp, i) => {
        const d = dins[i];
        if (!d || !needs.has(inp.id)) return;
        const r = unbroadcast(d, inp.shape);
        const prev = grads.get(inp.id);
        grads.set(inp.id, prev ? add(prev, r) : r);
      });
    }
  } finally {
    g.recording = rec;
  }
  return wrt.map((w) => grads.get(w.id) ?? null);
}
