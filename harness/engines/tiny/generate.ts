// Batched generation: prefill every prompt once (micro-batched), copy its KV cache to its n sample rows,
// then decode one token per row per step against a fixed-capacity cache (the decode graph returns only the
// new keys/values; the cache lives in JS buffers passed zero-copy). Seeded sampling, greedy at temperature 0.

import type { Completion, GenerateOptions } from '../../contracts';
import { ort } from '../../onnx/ort';
import { checkLength, microBatches, paramFeeds } from './batch';
import { dims, type TinyConfig } from './config';
import { buildDecodeGraph, buildPrefillGraph } from './model';
import { layout, mulberry32 } from './params';
import type { Runtime } from './runtime';
import { SPECIALS, type Tokenizer } from './tokenizer';

export interface GenPrompt {
  /** (P, PD) image patches. */
  patches: Float32Array;
  /** Prompt text tokens (bos ... assistant). */
  prompt: number[];
}

const MAX_DECODE_ROWS = 64;
const NEG_INF = -1e9;

/**
 * Samples a token from logits (temperature 0 = argmax); returns it and its log-prob under the model
 * (T = 1, whatever the sampling temperature). Each exponential is computed once (at T = 1 the sampling
 * weights are the normaliser's terms), in the same order as a plain loop, so draws are reproducible.
 * `w` is the caller's scratch buffer of at least logits.length.
 */
/**
 * Hugging Face's RepetitionPenaltyLogitsProcessor (and vLLM's repetition_penalty): every token id present
 * in `seen` (prompt and completion so far) has its logit divided by `penalty` if positive, multiplied if not.
 */
export function applyRepetitionPenalty(logits: Float32Array, seen: number[][], penalty: number): void {
  const done = new Set<number>();
  for (const list of seen) {
    for (const t of list) {
      if (done.has(t) || t < 0 || t >= logits.length) continue;
      done.add(t);
      logits[t] = logits[t] > 0 ? logits[t] / penalty : logits[t] * penalty;
    }
  }
}

/** log softmax(logits)[token]. */
function logSoftmaxAt(logits: Float32Array, token: number): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let z = 0;
  for (let i = 0; i < logits.length; i++) z += Math.exp(logits[i] - max);
  return logits[token] - max - Math.log(z);
}

function sample(logits: Float32Array, temperature: number, rand: () => number, w: Float64Array): { token: number; logprob: number } {
  const V = logits.length;
  let max = -Infinity;
  let arg = 0;
  for (let i = 0; i < V; i++) if (logits[i] > max) [max, arg] = [logits[i], i];
  let z = 0;
  for (let i = 0; i < V; i++) z += w[i] = Math.exp(logits[i] - max);
  let token = arg;
  if (temperature > 0) {
    let zt = z;
    if (temperature !== 1) {
      zt = 0;
      for (let i = 0; i < V; i++) zt += w[i] = Math.exp((logits[i] - max) / temperature);
    }
    let u = rand() * zt;
    token = V - 1;
    for (let i = 0; i < V; i++) {
      u -= w[i];
      if (u <= 0) {
        token = i;
        break;
      }
    }
  }
  return { token, logprob: logits[token] - max - Math.log(z) };
}

interface RowState {
  tokens: number[];
  logprobs: number[];
  slot: number;
  finish: Completion['finishReason'] | null;
}

export async function generateAll(rt: Runtime, cfg: TinyConfig, params: Float32Array, tok: Tokenizer, prompts: GenPrompt[], opts: GenerateOptions): Promise<Completion[][]> {
  const n = Math.max(1, Math.floor(opts.n));
  const rand = mulberry32(opts.seed);
  prompts.forEach((p, i) => checkLength(cfg, p.prompt.length + 1, `prompt ${i}`));
  const perGroup = Math.max(1, Math.floor(MAX_DECODE_ROWS / n));
  const out: Completion[][] = [];
  for (let s = 0; s < prompts.length; s += perGroup) {
    out.push(...(await generateGroup(rt, cfg, params, tok, prompts.slice(s, s + perGroup), n, opts, rand)));
  }
  return out;
}

async function generateGroup(
  rt: Runtime, cfg: TinyConfig, params: Float32Array, tokenizer: Tokenizer, prompts: GenPrompt[], n: number, opts: GenerateOptions, rand: () => number,
): Promise<Completion[][]> {
  const d = dims(cfg);
  const { H, Dh, P, PD, V } = d;
  const lay = layout(cfg);
  const R = prompts.length * n;
  const Rb0 = Math.ceil(R / 8) * 8;
  const maxTokens = Math.max(0, Math.floor(opts.maxTokens));
  const longest = Math.max(...prompts.map((p) => P + p.prompt.length));
  const L = Math.min(cfg.maxContext, Math.ceil((longest + maxTokens) / 64) * 64);
  let cacheK = Array.from({ length: cfg.nLayers }, () => new Float32Array(Rb0 * H * Dh * L));
  let cacheV = Array.from({ length: cfg.nLayers }, () => new Float32Array(Rb0 * H * L * Dh));
  let mask = new Float32Array(Rb0 * L).fill(NEG_INF);
  const rows: RowState[] = Array.from({ length: R }, (_, r) => ({ tokens: [], logprobs: [], slot: P + prompts[Math.floor(r / n)].prompt.length, finish: null }));
  const firstLogits: Float32Array[] = new Array(prompts.length);

  // Prefill each prompt once, then copy its cache into its n rows.
  for (const mb of microBatches(cfg, prompts.map((p) => p.prompt.length))) {
    const { B, T } = mb;
    const S = P + T;
    const patches = new Float32Array(B * P * PD);
    const tokens = new BigInt64Array(B * T).fill(BigInt(SPECIALS.pad));
    const last = new BigInt64Array(B);
    mb.idx.forEach((pi, b) => {
      patches.set(prompts[pi].patches, b * P * PD);
      prompts[pi].prompt.forEach((t, k) => (tokens[b * T + k] = BigInt(t)));
      last[b] = BigInt(b * T + prompts[pi].prompt.length - 1);
    });
    const res = await rt.run(`prefill:${B}x${T}`, () => buildPrefillGraph(cfg, B, T), {
      ...paramFeeds(lay, params),
      patches: new ort.Tensor('float32', patches, [B, P, PD]),
      tokens: new ort.Tensor('int64', tokens, [B, T]),
      last: new ort.Tensor('int64', last, [B]),
    });
    const logits = res.logits.data as Float32Array;
    mb.idx.forEach((pi, b) => {
      const len = prompts[pi].prompt.length;
      firstLogits[pi] = logits.slice(b * V, (b + 1) * V);
      const filled = P + len;
      for (let l = 0; l < cfg.nLayers; l++) {
        const kT = res[`kT${l}`].data as Float32Array; // (B, H, Dh, S)
        const v = res[`v${l}`].data as Float32Array; // (B, H, S, Dh)
        for (let j = 0; j < n; j++) {
          const r = pi * n + j;
          for (let h = 0; h < H; h++) {
            for (let dd = 0; dd < Dh; dd++) {
              const src = ((b * H + h) * Dh + dd) * S;
              cacheK[l].set(kT.subarray(src, src + filled), ((r * H + h) * Dh + dd) * L);
            }
            const src = (b * H + h) * S * Dh;
            cacheV[l].set(v.subarray(src, src + filled * Dh), (r * H + h) * L * Dh);
          }
        }
      }
      for (let j = 0; j < n; j++) mask.fill(0, (pi * n + j) * L, (pi * n + j) * L + filled);
    });
    for (const t of Object.values(res)) t.dispose?.();
  }

  const weights = new Float64Array(V);
  const penalty = opts.repetitionPenalty ?? 1;
  const penalised = penalty !== 1 ? new Float32Array(V) : undefined;
  const take = (r: number, logits: Float32Array): void => {
    if (!penalised) {
      const s = sample(logits, opts.temperature, rand, weights);
      rows[r].tokens.push(s.token);
      rows[r].logprobs.push(s.logprob);
      return;
    }
    penalised.set(logits);
    applyRepetitionPenalty(penalised, [prompts[Math.floor(r / n)].prompt, rows[r].tokens], penalty);
    const s = sample(penalised, opts.temperature, rand, weights);
    rows[r].tokens.push(s.token);
    rows[r].logprobs.push(logSoftmaxAt(logits, s.token)); // the model's own log-prob (Completion contract)
  };
  const settle = (row: RowState): void => {
    if (row.finish) return;
    const last = row.tokens[row.tokens.length - 1];
    if (row.tokens.length > 0 && last === SPECIALS.end) row.finish = 'stop';
    else if (row.tokens.length >= maxTokens || row.slot >= L) row.finish = 'length';
  };
  if (maxTokens > 0) for (let r = 0; r < R; r++) take(r, firstLogits[Math.floor(r / n)]);
  rows.forEach(settle);

  const feedsBase = paramFeeds(lay, params, (name) => !name.startsWith('vis.'));
  // at[b] = the row held at batch position b; positions shrink (by blocks of 8) as rows finish.
  let at = rows.map((_, r) => r);
  let Rb = Rb0;
  while (at.some((r) => !rows[r].finish)) {
    const live = at.map((r, b) => (rows[r].finish ? -1 : b)).filter((b) => b >= 0);
    if (Rb > 8 && live.length <= Rb - 8) {
      // Compact: copy the live rows' caches to the front of smaller buffers (a smaller decode shape).
      const nRb = Math.ceil(live.length / 8) * 8;
      const blk = H * Dh * L;
      const move = (src: Float32Array, size: number, fill: number): Float32Array<ArrayBuffer> => {
        const dst = new Float32Array(nRb * size).fill(fill);
        live.forEach((b, i) => dst.set(src.subarray(b * size, (b + 1) * size), i * size));
        return dst;
      };
      cacheK = cacheK.map((c) => move(c, blk, 0));
      cacheV = cacheV.map((c) => move(c, blk, 0));
      mask = move(mask, L, NEG_INF);
      at = live.map((b) => at[b]);
      Rb = nRb;
    }
    const tok = new BigInt64Array(Rb).fill(BigInt(SPECIALS.pad));
    const pos = new BigInt64Array(Rb);
    at.forEach((r, b) => {
      const row = rows[r];
      if (row.finish) return;
      tok[b] = BigInt(row.tokens[row.tokens.length - 1]);
      pos[b] = BigInt(row.slot);
    });
    const feeds: Record<string, ort.Tensor> = {
      ...feedsBase,
      token: new ort.Tensor('int64', tok, [Rb, 1]),
      pos: new ort.Tensor('int64', pos, [Rb, 1]),
      mask: new ort.Tensor('float32', mask, [Rb, 1, 1, L]),
    };
    for (let l = 0; l < cfg.nLayers; l++) {
      feeds[`cacheK${l}`] = new ort.Tensor('float32', cacheK[l], [Rb, H, Dh, L]);
      feeds[`cacheV${l}`] = new ort.Tensor('float32', cacheV[l], [Rb, H, L, Dh]);
    }
    const B = Rb;
    const res = await rt.run(`decode:${B}x${L}`, () => buildDecodeGraph(cfg, B, L), feeds);
    const logits = res.logits.data as Float32Array;
    // Rows in ascending order, as without compaction, so the random stream is consumed identically.
    at.forEach((r, b) => {
      const row = rows[r];
      if (row.finish) return;
      const slot = row.slot;
      for (let l = 0; l < cfg.nLayers; l++) {
        const nk = res[`newK${l}`].data as Float32Array; // (Rb, H, 1, Dh)
        const nv = res[`newV${l}`].data as Float32Array;
        for (let h = 0; h < H; h++) {
          const src = (b * H + h) * Dh;
          for (let dd = 0; dd < Dh; dd++) cacheK[l][((b * H + h) * Dh + dd) * L + slot] = nk[src + dd];
          cacheV[l].set(nv.subarray(src, src + Dh), ((b * H + h) * L + slot) * Dh);
        }
      }
      mask[b * L + slot] = 0;
      row.slot += 1;
      take(r, logits.subarray(b * V, (b + 1) * V));
      settle(row);
    });
    for (const t of Object.values(res)) t.dispose?.();
  }

  const result: Completion[][] = prompts.map(() => []);
  rows.forEach((row, r) =>
    result[Math.floor(r / n)].push({
      tokens: row.tokens,
      text: tokenizer.decode(row.tokens),
      logprobs: row.logprobs,
      finishReason: row.finish ?? 'length',
    }),
  );
  return result;
}
