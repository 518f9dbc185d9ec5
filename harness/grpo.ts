// GRPO and SFT arithmetic as small pure functions: group advantages, the k3 KL estimator, the
// per-token objective's derivative and the aggregation, combined into the token weights an engine's
// `step` differentiates (-sum_t w_t log pi(y_t)). No engine, no I/O: every step is unit-tested by hand.
//
// Source: the paper's trainer (CLS-RL `src/open_r1/trainer/grpo_trainer.py`, derived from R1-V and
// trl 0.14; github.com/minglllli/CLS-RL), as follows:
//   advantages = (r - mean_group) / (std_group + 1e-4)           std = torch.std, i.e. UNBIASED (n-1)
//   per_token_kl = exp(ref - logp) - (ref - logp) - 1             (k3 estimator)
//   per_token_loss = -(exp(logp - logp.detach()) * A - beta * per_token_kl)
//   loss = mean_seqs( sum_t(per_token_loss * mask) / sum_t(mask) )  (token mean per sequence, then batch mean)
// The mask covers the completion up to and including the first end token, as our token lists do.
// Single policy update per batch, so the ratio exp(logp - logp.detach()) is 1 and no clipping applies.

import { ClsrlError } from './errors';

/** Loss variants: rows of one table, differing only in advantage scaling and aggregation. */
export type LossType =
  /** The paper (trl 0.14): std-scaled advantages; token mean per sequence, then mean over sequences. */
  | 'grpo'
  /** Dr. GRPO (Liu et al. 2025): unscaled advantages; token sum divided by (sequences x max tokens). */
  | 'dr-grpo'
  /** Token-level (BNPO / DAPO style): std-scaled advantages; sum over all tokens / all tokens in the batch. */
  | 'bnpo';

export const LOSS_TYPES: readonly LossType[] = ['grpo', 'dr-grpo', 'bnpo'];

/** Added to the group std before dividing (the paper's code). */
export const ADV_EPS = 1e-4;

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Unbiased sample standard deviation (torch.std default). NaN for fewer than two values, as torch. */
export function sampleStd(xs: number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

function checkGroups(n: number, groupSize: number): void {
  if (!Number.isInteger(groupSize) || groupSize < 2 || n % groupSize !== 0) {
    throw new ClsrlError('BAD_CONFIG', `cannot split ${n} rewards into groups of ${groupSize}`, {
      hint: 'rewards are laid out prompt-major: G consecutive samples per prompt, G >= 2',
    });
  }
}

/** Per-group mean and unbiased std, one entry per group (`rewards` laid out prompt-major). */
export function groupStats(rewards: number[], groupSize: number): { mean: number[]; std: number[] } {
  checkGroups(rewards.length, groupSize);
  const means: number[] = [];
  const stds: number[] = [];
  for (let g = 0; g < rewards.length; g += groupSize) {
    const group = rewards.slice(g, g + groupSize);
    means.push(mean(group));
    stds.push(sampleStd(group));
  }
  return { mean: means, std: stds };
}

/** (r - mean) / (std + 1e-4) per group when `scale`, else r - mean. */
export function groupAdvantages(rewards: number[], groupSize: number, scale = true): number[] {
  const { mean: m, std: s } = groupStats(rewards, groupSize);
  return rewards.map((r, i) => {
    const g = Math.floor(i / groupSize);
    return scale ? (r - m[g]) / (s[g] + ADV_EPS) : r - m[g];
  });
}

/** k3 estimator of KL(pi || ref) for one token: exp(ref - logp) - (ref - logp) - 1 (>= 0). */
export function k3(refLogp: number, logp: number): number {
  const d = refLogp - logp;
  return Math.exp(d) - d - 1;
}

/** d/d logp of the per-token objective A * ratio - beta * k3 at ratio 1: A - beta * (1 - exp(ref - logp)). */
export function objectiveGrad(advantage: number, logp: number, refLogp: number | null, beta: number): number {
  if (refLogp === null || beta === 0) return advantage;
  return advantage - beta * (1 - Math.exp(refLogp - logp));
}

/** Whether a loss type divides advantages by the group std. */
export function scalesAdvantages(lossType: LossType): boolean {
  switch (lossType) {
    case 'grpo': return true;
    case 'dr-grpo': return false;
    case 'bnpo': return true;
    default: return assertNever(lossType);
  }
}

/** Aggregation: the factor each token of sequence i gets, so that the loss is sum_i sum_t factor_i * l_it. */
export function aggregationFactors(lossType: LossType, lengths: number[], maxTokens: number): number[] {
  const n = lengths.length;
  switch (lossType) {
    case 'grpo': return lengths.map((len) => (len > 0 ? 1 / (len * n) : 0));
    case 'dr-grpo': return lengths.map(() => 1 / (n * maxTokens));
    case 'bnpo': {
      const total = lengths.reduce((a, b) => a + b, 0);
      return lengths.map(() => (total > 0 ? 1 / total : 0));
    }
    default: return assertNever(lossType);
  }
}

export interface GrpoBatch {
  /** One advantage per sequence. */
  advantages: number[];
  /** Current-policy per-token log-probs, one row per sequence. */
  logprobs: number[][];
  /** Reference-model per-token log-probs, or null when beta = 0 (no reference model). */
  refLogprobs: number[][] | null;
  beta: number;
  lossType: LossType;
  /** Max completion tokens (dr-grpo's constant normaliser). */
  maxTokens: number;
}

/** Token weights w_it = factor_i * (A_i - beta * (1 - exp(ref_it - logp_it))): the gradient of the objective. */
export function grpoTokenWeights(b: GrpoBatch): number[][] {
  const factors = aggregationFactors(b.lossType, b.logprobs.map((l) => l.length), b.maxTokens);
  return b.logprobs.map((row, i) =>
    row.map((lp, t) => factors[i] * objectiveGrad(b.advantages[i], lp, b.refLogprobs ? b.refLogprobs[i][t] : null, b.beta)));
}

/** The loss value trl logs: sum_i factor_i * sum_t -(A_i - beta * k3_it) (ratio 1). */
export function grpoLoss(b: GrpoBatch): number {
  const factors = aggregationFactors(b.lossType, b.logprobs.map((l) => l.length), b.maxTokens);
  let loss = 0;
  b.logprobs.forEach((row, i) => {
    row.forEach((lp, t) => {
      const kl = b.refLogprobs && b.beta !== 0 ? k3(b.refLogprobs[i][t], lp) : 0;
      loss -= factors[i] * (b.advantages[i] - b.beta * kl);
    });
  });
  return loss;
}

/** Mean k3 KL as trl logs it: token mean per sequence, then mean over sequences. */
export function meanKl(logprobs: number[][], refLogprobs: number[][]): number {
  const perSeq = logprobs
    .map((row, i) => (row.length > 0 ? mean(row.map((lp, t) => k3(refLogprobs[i][t], lp))) : NaN))
    .filter((x) => !Number.isNaN(x));
  return perSeq.length > 0 ? mean(perSeq) : 0;
}

/**
 * SFT: cross-entropy on the target tokens, token mean per sequence then batch mean, i.e. weight
 * 1/(len_i * N) on every target token (the gradient of the mean negative log-likelihood).
 */
export function sftTokenWeights(lengths: number[]): number[][] {
  const n = lengths.length;
  return lengths.map((len) => new Array<number>(len).fill(1 / (len * n)));
}

function assertNever(x: never): never {
  throw new ClsrlError('BAD_CONFIG', `unknown loss type '${String(x)}'`, { hint: `use one of ${LOSS_TYPES.join(', ')}` });
}
