// The train / score graph with the prompt shared by its samples (GRPO draws n completions per prompt):
// the prompt stream (image tokens + prompt text) runs once per prompt, and each completion attends to
// its prompt's keys/values (broadcast over the n samples; the gradient sums over them) and causally to
// itself. Outputs log pi of every completion target, the weighted loss and, when training, every
// weight gradient. Legend as in model.ts, plus G prompts, N samples per prompt, Tp prompt text tokens,
// Sp = P + Tp, Tc completion tokens.

import {
  Graph, add, concat, gather, gelu, gemm, grad, matmul, mul, neg, reduceSum, reshape, slice, softmax, split, transpose, type FloatType, type Value,
} from '../../onnx';
import { dims, type Dims, type TinyConfig } from './config';
import { block, causalMask, get, linear, ln, paramInputs, targetLogprobs, visionEncoder, type Params } from './model';
import { layout } from './params';

/** One decoder block over the prompt stream xp (G, Sp, C) and the completion stream xc (G, N, Tc, C). */
function groupBlock(p: Params, pre: string, xp: Value, xc: Value, pmask: Value, cmask: Value, d: Dims, eps: number, last: boolean): { xp: Value; xc: Value } {
  const [G, N, Tc] = xc.shape;
  const Sp = xp.shape[1];
  const { C, H, Dh } = d;
  // Prompt stream: an ordinary causal block; its keys/values are what completions attend to.
  const bp = block(p, pre, xp, last ? null : causalMask(xp.g, Sp), d, eps, last);
  const kTp = reshape(bp.kT, [G, 1, H, Dh, Sp]);
  const vp = reshape(bp.v, [G, 1, H, Sp, Dh]);
  // Completion stream.
  const h = ln(p, `${pre}.ln1`, xc, eps); // (G, N, Tc, C)
  const [q0, k0, v0] = split(linear(h, get(p, `${pre}.qkv`)), 3, [C, C, C]); // 3 x (G, N, Tc, C)
  const q = mul(transpose(reshape(q0, [G, N, Tc, H, Dh]), [0, 1, 3, 2, 4]), xc.g.scalar(1 / Math.sqrt(Dh))); // (G, N, H, Tc, Dh)
  const kT = transpose(reshape(k0, [G, N, Tc, H, Dh]), [0, 1, 3, 4, 2]); // (G, N, H, Dh, Tc)
  const v = transpose(reshape(v0, [G, N, Tc, H, Dh]), [0, 1, 3, 2, 4]); // (G, N, H, Tc, Dh)
  const s1 = add(matmul(q, kTp), pmask); // (G, N, H, Tc, Sp)
  const s2 = add(matmul(q, kT), cmask); // (G, N, H, Tc, Tc)
  const [p1, p2] = split(softmax(concat([s1, s2], 4), -1), 4, [Sp, Tc]);
  const o = add(matmul(p1, vp), matmul(p2, v)); // (G, N, H, Tc, Dh)
  let x = add(xc, linear(reshape(transpose(o, [0, 1, 3, 2, 4]), [G, N, Tc, C]), get(p, `${pre}.wo`)));
  x = add(x, linear(gelu(linear(ln(p, `${pre}.ln2`, x, eps), get(p, `${pre}.fc1`))), get(p, `${pre}.fc2`)));
  return { xp: bp.x, xc: x };
}

/**
 * Inputs: parameters, patches (G, P, PD), ptok (G, Tp) right-padded prompt tokens without the final
 * one, pmask (G, 1, 1, 1, Sp) additive (0 on real prompt slots), ctok (G, N, Tc) completion inputs
 * (last prompt token, y0 .. y_{m-2}), cpos (G, Tc) their positions, ctgt (G, N, Tc) targets
 * (y0 .. y_{m-1}), and when training cw (G, N, Tc) weights.
 * Outputs: logp (G, N, Tc); when training loss = -sum(cw * logp) and d_<param> for every parameter.
 */
export function buildGroupGraph(cfg: TinyConfig, G: number, N: number, Tp: number, Tc: number, withGrad: boolean, float: FloatType = 'float32'): Graph {
  const d = dims(cfg);
  const lay = layout(cfg);
  const Sp = d.P + Tp;
  const g = new Graph(float, `${withGrad ? 'train' : 'score'}_${G}x${N}x${Tp}x${Tc}`);
  const p = paramInputs(g, lay);
  const patches = g.input('patches', [G, d.P, d.PD]);
  const ptok = g.input('ptok', [G, Tp], 'int64');
  const pmask = g.input('pmask', [G, 1, 1, 1, Sp]);
  const ctok = g.input('ctok', [G, N, Tc], 'int64');
  const cpos = g.input('cpos', [G, Tc], 'int64');
  const ctgt = g.input('ctgt', [G, N, Tc], 'int64');
  const img = visionEncoder(p, cfg, patches, d); // (G, P, C)
  let xp = add(concat([img, gather(get(p, 'tok_emb'), ptok)], 1), slice(get(p, 'pos_emb'), 0, 0, Sp)); // (G, Sp, C)
  let xc = add(gather(get(p, 'tok_emb'), ctok), reshape(gather(get(p, 'pos_emb'), cpos), [G, 1, Tc, d.C])); // (G, N, Tc, C)
  const cmask = causalMask(g, Tc);
  for (let i = 0; i < cfg.nLayers; i++) ({ xp, xc } = groupBlock(p, `h${i}`, xp, xc, pmask, cmask, d, cfg.lnEps, i === cfg.nLayers - 1));
  const h = reshape(ln(p, 'lnf', xc, cfg.lnEps), [G * N * Tc, d.C]);
  const logits = gemm(h, get(p, 'tok_emb'), false, true); // tied head: (G*N*Tc, V)
  const logp = reshape(targetLogprobs(logits, reshape(ctgt, [G * N, Tc]), d.V), [G, N, Tc]);
  g.output(logp, 'logp');
  if (withGrad) {
    const cw = g.input('cw', [G, N, Tc]);
    const loss = neg(reduceSum(mul(logp, cw), [0, 1, 2]));
    g.output(loss, 'loss');
    const names = lay.specs.map((s) => s.name);
    grad(loss, names.map((n) => get(p, n))).forEach((gr, i) => {
      if (!gr) throw new Error(`tiny model: parameter ${names[i]} gets no gradient`);
      g.output(gr, `d_${names[i]}`);
    });
  }
  return g;
}

