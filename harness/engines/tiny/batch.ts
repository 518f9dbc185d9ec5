// Packing rows (image patches + prompt tokens + answer tokens) into padded, bucketed batches, and
// running the train/score graphs over micro-batches with gradients summed into one flat buffer.

import { ClsrlError } from '../../errors';
import { ort } from '../../onnx/ort';
import { dims, type TinyConfig } from './config';
import { NEG_INF } from './model';
import { buildGroupGraph } from './train-graph';
import { layout, type Layout } from './params';
import type { Runtime } from './runtime';
import { SPECIALS } from './tokenizer';

/** One training/scoring row. Rows holding the same `prompt` array share one prompt stream. */
export interface Row {
  /** (P, PD) image patches. */
  patches: Float32Array;
  /** Prompt text tokens (bos ... assistant); at least 2 tokens. */
  prompt: number[];
  /** Answer tokens scored/trained. */
  seq: number[];
  /** Per answer token weight (train only). */
  weights?: number[];
}

/** Image tensor (3, S, S) of 0..1 pixels -> normalised patches (P, PD), patch-major, each patch
 * (channel, dy, dx), values (v - pixelMean) / pixelStd. */
export function patchify(img: Float32Array, cfg: TinyConfig): Float32Array {
  const { P, PD } = dims(cfg);
  const S = cfg.imageSize;
  const ps = cfg.patchSize;
  const side = S / ps;
  const out = new Float32Array(P * PD);
  const mean = cfg.pixelMean;
  const inv = 1 / cfg.pixelStd;
  for (let py = 0; py < side; py++)
    for (let px = 0; px < side; px++) {
      let o = (py * side + px) * PD;
      for (let c = 0; c < 3; c++)
        for (let dy = 0; dy < ps; dy++)
          for (let dx = 0; dx < ps; dx++) out[o++] = (img[c * S * S + (py * ps + dy) * S + px * ps + dx] - mean) * inv;
    }
  return out;
}

export const bucketT = (n: number): number => Math.max(32, Math.ceil(n / 32) * 32);
export const pow2 = (n: number): number => 1 << Math.ceil(Math.log2(Math.max(1, n)));

/** Image + text tokens per micro-batch (bounds activation memory and the set of session shapes). */
const TOKEN_BUDGET = 8192;
const MAX_ROWS = 32;

export function checkLength(cfg: TinyConfig, textLen: number, what: string): void {
  const P = dims(cfg).P;
  if (P + textLen > cfg.maxContext) {
    throw new ClsrlError('ENGINE', `${what} needs ${P + textLen} positions (${P} image + ${textLen} text tokens), over maxContext ${cfg.maxContext}`, {
      hint: 'prompts are never truncated: lower maxTokens, offer fewer candidates, or use a model built with a larger maxContext (positions are learned, so a checkpoint keeps its own)',
    });
  }
}

/** Groups row indices (longest first) into micro-batches: [indices, B bucket, T bucket]. */
export function microBatches(cfg: TinyConfig, lens: number[]): { idx: number[]; B: number; T: number }[] {
  const P = dims(cfg).P;
  const order = lens.map((_, i) => i).sort((a, b) => lens[b] - lens[a] || a - b);
  const out: { idx: number[]; B: number; T: number }[] = [];
  let k = 0;
  while (k < order.length) {
    const T = Math.min(bucketT(lens[order[k]]), cfg.maxContext - P);
    const cap = Math.min(MAX_ROWS, 1 << Math.floor(Math.log2(Math.max(1, Math.floor(TOKEN_BUDGET / (T + P))))));
    const idx = order.slice(k, k + cap);
    out.push({ idx, B: pow2(idx.length), T });
    k += idx.length;
  }
  return out;
}

export interface ScoreResult {
  /** log-probs of each row's seq tokens. */
  logp: number[][];
  loss: number;
}

/** Rows sharing one prompt (GRPO's n samples), packed into one prompt stream and N completions. */
interface Group {
  prompt: number[];
  patches: Float32Array;
  rows: number[];
}

export const bucketC = (n: number): number => Math.max(16, Math.ceil(n / 16) * 16);

function groupRows(rows: Row[]): Group[] {
  const byPrompt = new Map<number[], Group>();
  rows.forEach((r, i) => {
    let g = byPrompt.get(r.prompt);
    if (!g) byPrompt.set(r.prompt, (g = { prompt: r.prompt, patches: r.patches, rows: [] }));
    g.rows.push(i);
  });
  return [...byPrompt.values()];
}

/**
 * Runs the score graph (grad null) or the train graph (gradients summed into `grad`) over all rows.
 * Rows that share a prompt array (same object) share one prompt stream. The prompt stream holds
 * prompt[0..len-2]; completion inputs are [prompt[len-1], seq[0..m-2]] and targets seq.
 */
export async function runRows(rt: Runtime, cfg: TinyConfig, params: Float32Array, rows: Row[], grad: Float32Array | null): Promise<ScoreResult> {
  const { P, PD } = dims(cfg);
  const lay = layout(cfg);
  rows.forEach((r, i) => checkLength(cfg, r.prompt.length + r.seq.length - 1, `sequence ${i}`));
  const groups = groupRows(rows);
  const logp: number[][] = rows.map(() => []);
  let loss = 0;
  if (grad) grad.fill(0);
  const order = groups.map((_, i) => i).sort((a, b) => groups[b].prompt.length - groups[a].prompt.length || a - b);
  let k = 0;
  while (k < order.length) {
    const Tp = Math.min(bucketT(groups[order[k]].prompt.length - 1), cfg.maxContext - P);
    const Sp = P + Tp;
    const seqLen = (gi: number) => Math.max(...groups[gi].rows.map((r) => rows[r].seq.length));
    const N = Math.max(...order.map((gi) => groups[gi].rows.length));
    const Tc = bucketC(Math.max(...order.slice(k).map(seqLen)));
    const cap = Math.max(1, Math.min(MAX_ROWS, 1 << Math.floor(Math.log2(Math.max(1, Math.floor(TOKEN_BUDGET / (Sp + N * Tc)))))));
    const idx = order.slice(k, k + cap);
    k += idx.length;
    const G = pow2(idx.length);
    const pad = BigInt(SPECIALS.pad);
    const patches = new Float32Array(G * P * PD);
    const ptok = new BigInt64Array(G * Tp).fill(pad);
    const pmask = new Float32Array(G * Sp).fill(NEG_INF);
    const ctok = new BigInt64Array(G * N * Tc).fill(pad);
    const cpos = new BigInt64Array(G * Tc);
    const ctgt = new BigInt64Array(G * N * Tc).fill(pad);
    const cw = new Float32Array(G * N * Tc);
    idx.forEach((gi, b) => {
      const grp = groups[gi];
      const len = grp.prompt.length;
      patches.set(grp.patches, b * P * PD);
      for (let t = 0; t < len - 1; t++) ptok[b * Tp + t] = BigInt(grp.prompt[t]);
      pmask.fill(0, b * Sp, b * Sp + P + len - 1);
      for (let j = 0; j < Tc; j++) cpos[b * Tc + j] = BigInt(Math.min(P + len - 1 + j, cfg.maxContext - 1));
      grp.rows.forEach((ri, n) => {
        const r = rows[ri];
        const o = (b * N + n) * Tc;
        ctok[o] = BigInt(grp.prompt[len - 1]);
        r.seq.forEach((t, j) => {
          if (j + 1 < r.seq.length) ctok[o + j + 1] = BigInt(t);
          ctgt[o + j] = BigInt(t);
          if (r.weights) cw[o + j] = r.weights[j];
        });
      });
    });
    const key = `${grad ? 'train' : 'score'}:${G}x${N}x${Tp}x${Tc}`;
    const feeds: Record<string, ort.Tensor> = {
      ...paramFeeds(lay, params),
      patches: new ort.Tensor('float32', patches, [G, P, PD]),
      ptok: new ort.Tensor('int64', ptok, [G, Tp]),
      pmask: new ort.Tensor('float32', pmask, [G, 1, 1, 1, Sp]),
      ctok: new ort.Tensor('int64', ctok, [G, N, Tc]),
      cpos: new ort.Tensor('int64', cpos, [G, Tc]),
      ctgt: new ort.Tensor('int64', ctgt, [G, N, Tc]),
    };
    if (grad) feeds.cw = new ort.Tensor('float32', cw, [G, N, Tc]);
    const out = await rt.run(key, () => buildGroupGraph(cfg, G, N, Tp, Tc, grad !== null), feeds);
    const lp = out.logp.data as Float32Array;
    idx.forEach((gi, b) =>
      groups[gi].rows.forEach((ri, n) => {
        const o = (b * N + n) * Tc;
        logp[ri] = Array.from(lp.subarray(o, o + rows[ri].seq.length));
      }),
    );
    if (grad) {
      loss += (out.loss.data as Float32Array)[0];
      for (const s of lay.specs) {
        const d = out[`d_${s.name}`].data as Float32Array;
        for (let i = 0; i < s.size; i++) grad[s.offset + i] += d[i];
      }
    }
    for (const t of Object.values(out)) t.dispose?.();
  }
  return { logp, loss };
}

/** Parameter feeds: zero-copy tensors over the flat buffer's views. */
export function paramFeeds(lay: Layout, params: Float32Array, keep: (name: string) => boolean = () => true): Record<string, ort.Tensor> {
  const f: Record<string, ort.Tensor> = {};
  for (const s of lay.specs) if (keep(s.name)) f[s.name] = new ort.Tensor('float32', params.subarray(s.offset, s.offset + s.size), s.shape);
  return f;
}
