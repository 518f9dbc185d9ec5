// The tiny vision-language transformer as ONNX graphs: image patches -> ViT encoder -> projector ->
// P image tokens, then text tokens (bytes + BPE merges), through a pre-LayerNorm causal decoder with a tied LM head.
// Graphs here: prefill (logits and the KV cache) and decode (one token against a fixed-capacity cache);
// the train/score graph (prompt shared by its samples) is in train-graph.ts and reuses these pieces.
//
// Dimension legend: B rows, T text tokens, P image tokens, S = P + T, C channels, H heads, Dh = C / H,
// F MLP width, V vocab, PD values per patch, L cache capacity.

import {
  Graph, add, concat, gather, gelu, gemm, layerNorm, logSoftmax, matmul, mul, oneHot, reduceSum,
  reshape, slice, softmax, split, transpose, type FloatType, type Value,
} from '../../onnx';
import { dims, type Dims, type TinyConfig } from './config';
import { layout, type Layout } from './params';

export type Params = Map<string, Value>;

export const NEG_INF = -1e9;

export function paramInputs(g: Graph, lay: Layout, keep: (name: string) => boolean = () => true): Params {
  const p: Params = new Map();
  for (const s of lay.specs) if (keep(s.name)) p.set(s.name, g.input(s.name, s.shape));
  return p;
}

export const get = (p: Params, name: string): Value => {
  const v = p.get(name);
  if (!v) throw new Error(`tiny model: missing parameter ${name}`);
  return v;
};

/** LayerNorm with affine gain/bias over the last axis. */
export function ln(p: Params, prefix: string, x: Value, eps: number): Value {
  return add(mul(layerNorm(x, eps), get(p, `${prefix}.g`)), get(p, `${prefix}.b`));
}

/** x (N, C_in) @ W (C_in, C_out) as a 2-D Gemm over the flattened rows. */
export function linear(x: Value, w: Value): Value {
  const rows = x.shape.slice(0, -1);
  const y = gemm(reshape(x, [rows.reduce((a, b) => a * b, 1), x.shape[x.shape.length - 1]]), w); // (N, C_out)
  return reshape(y, [...rows, w.shape[1]]);
}

interface BlockOut {
  x: Value;
  /** Keys transposed (B, H, Dh, S) and values (B, H, S, Dh), for the KV cache. */
  kT: Value;
  v: Value;
}

/** One pre-LN transformer block over x (B, S, C); `mask` (S, S) additive or null (bidirectional);
 * `kvOnly` returns x unchanged with the block's keys/values. */
export function block(p: Params, pre: string, x: Value, mask: Value | null, d: Dims, eps: number, kvOnly = false): BlockOut {
  const [B, S] = x.shape;
  const { C, H, Dh } = d;
  const h = ln(p, `${pre}.ln1`, x, eps); // (B, S, C)
  const qkv = linear(h, get(p, `${pre}.qkv`)); // (B, S, 3C)
  const [q0, k0, v0] = split(qkv, 2, [C, C, C]); // 3 x (B, S, C)
  const q = mul(transpose(reshape(q0, [B, S, H, Dh]), [0, 2, 1, 3]), x.g.scalar(1 / Math.sqrt(Dh))); // (B, H, S, Dh)
  const kT = transpose(reshape(k0, [B, S, H, Dh]), [0, 2, 3, 1]); // (B, H, Dh, S)
  const v = transpose(reshape(v0, [B, S, H, Dh]), [0, 2, 1, 3]); // (B, H, S, Dh)
  if (kvOnly) return { x, kT, v }; // a prompt's last layer: only its keys/values are used
  let att = matmul(q, kT); // (B, H, S, S)
  if (mask) att = add(att, mask);
  const o = matmul(softmax(att, -1), v); // (B, H, S, Dh)
  const merged = reshape(transpose(o, [0, 2, 1, 3]), [B, S, C]);
  x = add(x, linear(merged, get(p, `${pre}.wo`)));
  const m = linear(gelu(linear(ln(p, `${pre}.ln2`, x, eps), get(p, `${pre}.fc1`))), get(p, `${pre}.fc2`)); // (B, S, C)
  return { x: add(x, m), kT, v };
}

/** Image tokens (B, P, C) from patches (B, P, PD). */
export function visionEncoder(p: Params, cfg: TinyConfig, patches: Value, d: Dims): Value {
  let x = add(linear(patches, get(p, 'vis.patch')), get(p, 'vis.pos')); // (B, P, C)
  for (let i = 0; i < cfg.visionLayers; i++) x = block(p, `vis.h${i}`, x, null, d, cfg.lnEps).x;
  return linear(ln(p, 'vis.lnf', x, cfg.lnEps), get(p, 'vis.proj')); // (B, P, C)
}

const masks = new WeakMap<Graph, Map<number, Value>>();

/** (S, S) additive causal mask, one constant per graph and size. */
export function causalMask(g: Graph, S: number): Value {
  let byS = masks.get(g);
  if (!byS) masks.set(g, (byS = new Map()));
  const hit = byS.get(S);
  if (hit) return hit;
  const m = new Array<number>(S * S).fill(0);
  for (let i = 0; i < S; i++) for (let j = i + 1; j < S; j++) m[i * S + j] = NEG_INF;
  const v = g.constant(m, [S, S]);
  byS.set(S, v);
  return v;
}

interface Forward {
  /** Logits at the text positions, (B*T, V), or at the `rows` asked for. */
  logits: Value;
  kT: Value[];
  v: Value[];
}

/** Full-sequence forward: right-padded text after the image tokens, positions 0..S-1; `rows` picks
 * which flattened text positions get logits (default all). */
function forward(p: Params, cfg: TinyConfig, patches: Value, tokens: Value, d: Dims, rows?: Value): Forward {
  const g = patches.g;
  const [B, T] = tokens.shape;
  const S = d.P + T;
  const img = visionEncoder(p, cfg, patches, d); // (B, P, C)
  const tok = gather(get(p, 'tok_emb'), tokens); // (B, T, C)
  let x = add(concat([img, tok], 1), slice(get(p, 'pos_emb'), 0, 0, S)); // (B, S, C)
  const mask = causalMask(g, S);
  const kT: Value[] = [];
  const v: Value[] = [];
  for (let i = 0; i < cfg.nLayers; i++) {
    const out = block(p, `h${i}`, x, mask, d, cfg.lnEps);
    x = out.x;
    kT.push(out.kT);
    v.push(out.v);
  }
  let h = reshape(slice(ln(p, 'lnf', x, cfg.lnEps), 1, d.P, S), [B * T, d.C]); // (B*T, C)
  if (rows) h = gather(h, rows); // (R, C): only the positions asked for
  return { logits: gemm(h, get(p, 'tok_emb'), false, true), kT, v }; // tied head: (B*T or R, V)
}

/** log pi(target) at every text position, (B, T). */
export function targetLogprobs(logits: Value, targets: Value, V: number): Value {
  const [B, T] = targets.shape;
  const lp = logSoftmax(logits, -1); // (B*T, V)
  const oh = oneHot(reshape(targets, [B * T]), V, logits.dtype); // (B*T, V)
  return reshape(reduceSum(mul(lp, oh), [1]), [B, T]);
}

/**
 * Prefill graph. Inputs: parameters, patches (B, P, PD), tokens (B, T), last (B) = b*T + index of each
 * row's last prompt token. Outputs: logits (B, V) at `last`, per layer kT_i (B, H, Dh, S), v_i (B, H, S, Dh).
 */
export function buildPrefillGraph(cfg: TinyConfig, B: number, T: number): Graph {
  const d = dims(cfg);
  const g = new Graph('float32', `prefill_${B}x${T}`);
  const p = paramInputs(g, layout(cfg));
  const patches = g.input('patches', [B, d.P, d.PD]);
  const tokens = g.input('tokens', [B, T], 'int64');
  const last = g.input('last', [B], 'int64');
  const f = forward(p, cfg, patches, tokens, d, last);
  g.output(f.logits, 'logits');
  f.kT.forEach((k, i) => g.output(k, `kT${i}`));
  f.v.forEach((v, i) => g.output(v, `v${i}`));
  return g;
}

/**
 * Decode graph for one new token per row against a cache of capacity L.
 * Inputs: token (B, 1), pos (B, 1), mask (B, 1, 1, L) additive (0 for filled slots), and per layer
 * cacheK_i (B, H, Dh, L), cacheV_i (B, H, L, Dh). Outputs: logits (B, V), newK_i / newV_i (B, H, 1, Dh).
 */
export function buildDecodeGraph(cfg: TinyConfig, B: number, L: number): Graph {
  const d = dims(cfg);
  const { C, H, Dh } = d;
  const g = new Graph('float32', `decode_${B}x${L}`);
  const p = paramInputs(g, layout(cfg), (n) => !n.startsWith('vis.'));
  const token = g.input('token', [B, 1], 'int64');
  const pos = g.input('pos', [B, 1], 'int64');
  const mask = g.input('mask', [B, 1, 1, L]);
  let x = add(gather(get(p, 'tok_emb'), token), gather(get(p, 'pos_emb'), pos)); // (B, 1, C)
  for (let i = 0; i < cfg.nLayers; i++) {
    const pre = `h${i}`;
    const cacheK = g.input(`cacheK${i}`, [B, H, Dh, L]);
    const cacheV = g.input(`cacheV${i}`, [B, H, L, Dh]);
    const h = ln(p, `${pre}.ln1`, x, cfg.lnEps);
    const [q0, k0, v0] = split(linear(h, get(p, `${pre}.qkv`)), 2, [C, C, C]); // 3 x (B, 1, C)
    const q = mul(reshape(q0, [B, H, 1, Dh]), g.scalar(1 / Math.sqrt(Dh))); // (B, H, 1, Dh)
    const k = reshape(k0, [B, H, 1, Dh]);
    const v = reshape(v0, [B, H, 1, Dh]);
    g.output(k, `newK${i}`);
    g.output(v, `newV${i}`);
    const sc = add(matmul(q, cacheK), mask); // (B, H, 1, L)
    const ss = reduceSum(mul(q, k), [3], true); // (B, H, 1, 1): the token attends to itself
    const pr = softmax(concat([sc, ss], 3), -1); // (B, H, 1, L+1)
    const o = add(matmul(slice(pr, 3, 0, L), cacheV), mul(slice(pr, 3, L, L + 1), v)); // (B, H, 1, Dh)
    x = add(x, linear(reshape(o, [B, 1, C]), get(p, `${pre}.wo`)));
    x = add(x, linear(gelu(linear(ln(p, `${pre}.ln2`, x, cfg.lnEps), get(p, `${pre}.fc1`))), get(p, `${pre}.fc2`)));
  }
  const h = reshape(ln(p, 'lnf', x, cfg.lnEps), [B, C]);
  g.output(gemm(h, get(p, 'tok_emb'), false, true), 'logits'); // (B, V)
  return g;
}
