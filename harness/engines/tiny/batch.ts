// Packing rows (image patches + prompt tokens + answer tokens) into padded, bucketed batches, and
// running the train/score graphs over micro-batches with gradients summed into one flat buffer.

import { ClsrlError } from '../../errors';
import { ort } from '../../onnx/ort';
import { dims, type TinyConfig } from './config';
import { buildTrainGraph } from './model';
import { layout, type Layout } from './params';
import type { Runtime } from './runtime';
import { SPECIALS } from './tokenizer';

/** One training/scoring row. */
export interface Row {
  /** (P, PD) image patches. */
  patches: Float32Array;
  /** Prompt text tokens (bos ... assistant). */
  prompt: number[];
  /** Answer tokens scored/trained. */
  seq: number[];
  /** Per answer token weight (train only). */
  weights?: number[];
}

/** Image tensor (3, S, S) -> patches (P, PD), patch-major, each patch (channel, dy, dx). */
export function patchify(img: Float32Array, cfg: TinyConfig): Float32Array {
  const { P, PD } = dims(cfg);
  const S = cfg.imageSize;
  const ps = cfg.patchSize;
  const side = S / ps;
  const out = new Float32Array(P * PD);
  for (let py = 0; py < side; py++)
    for (let px = 0; px < side; px++) {
      let o = (py * side + px) * PD;
      for (let c = 0; c < 3; c++)
        for (let dy = 0; dy < ps; dy++)
          for (let dx = 0; dx < ps; dx++) out[o++] = img[c * S * S + (py * ps + dy) * S + px * ps + dx];
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
      hint: 'raise the tiny engine config maxContext (prompts are never truncated), or lower maxTokens',
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

/**
 * Runs the score graph (grad null) or the train graph (gradients summed into `grad`) over all rows.
 * Input ids are prompt+seq minus the last token; targets are shifted by one.
 */
export async function runRows(rt: Runtime, cfg: TinyConfig, params: Float32Array, rows: Row[], grad: Float32Array | null): Promise<ScoreResult> {
  const { P, PD } = dims(cfg);
  const lay = layout(cfg);
  const lens = rows.map((r) => r.prompt.length + r.seq.length - 1);
  rows.forEach((r, i) => checkLength(cfg, lens[i], `sequence ${i}`));
  const logp: number[][] = rows.map(() => []);
  let loss = 0;
  if (grad) grad.fill(0);
  for (const mb of microBatches(cfg, lens)) {
    const { B, T } = mb;
    const patches = new Float32Array(B * P * PD);
    const tokens = new BigInt64Array(B * T).fill(BigInt(SPECIALS.pad));
    const targets = new BigInt64Array(B * T).fill(BigInt(SPECIALS.pad));
    const weights = new Float32Array(B * T);
    mb.idx.forEach((ri, b) => {
      const r = rows[ri];
      patches.set(r.patches, b * P * PD);
      const full = [...r.prompt, ...r.seq];
      for (let t = 0; t < full.length - 1; t++) {
        tokens[b * T + t] = BigInt(full[t]);
        targets[b * T + t] = BigInt(full[t + 1]);
      }
      if (r.weights) for (let k = 0; k < r.seq.length; k++) weights[b * T + r.prompt.length - 1 + k] = r.weights[k];
    });
    const key = `${grad ? 'train' : 'score'}:${B}x${T}`;
    const sess = await rt.session(key, () => buildTrainGraph(cfg, B, T, grad !== null));
    const feeds: Record<string, ort.Tensor> = {
      ...paramFeeds(lay, params),
      patches: new ort.Tensor('float32', patches, [B, P, PD]),
      tokens: new ort.Tensor('int64', tokens, [B, T]),
      targets: new ort.Tensor('int64', targets, [B, T]),
    };
    if (grad) feeds.weights = new ort.Tensor('float32', weights, [B, T]);
    const out = await sess.run(feeds);
    const lp = out.logp.data as Float32Array;
    mb.idx.forEach((ri, b) => {
      const r = rows[ri];
      const base = b * T + r.prompt.length - 1;
      logp[ri] = Array.from(lp.subarray(base, base + r.seq.length));
    });
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
