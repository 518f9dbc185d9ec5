// AdamW over the flat parameter buffer (decoupled weight decay on matrices/embeddings only), global
// gradient-norm clipping, and linear warmup followed by a constant, linear or cosine schedule.

import { ClsrlError } from '../../errors';
import type { OptimizerConfig, OptimizerHandle } from '../../contracts';
import type { Layout } from './params';

export class AdamW implements OptimizerHandle {
  readonly m: Float32Array;
  readonly v: Float32Array;
  /** Updates applied so far. */
  t = 0;
  private readonly decayMask: Uint8Array;

  constructor(readonly config: OptimizerConfig, lay: Layout) {
    validateOptimizer(config);
    this.m = new Float32Array(lay.total);
    this.v = new Float32Array(lay.total);
    this.decayMask = new Uint8Array(lay.total);
    for (const s of lay.specs) if (s.decay) this.decayMask.fill(1, s.offset, s.offset + s.size);
  }

  /** Learning rate for update number `step` (1-based). */
  lrAt(step: number): number {
    const c = this.config;
    if (c.warmupSteps > 0 && step <= c.warmupSteps) return (c.lr * step) / c.warmupSteps;
    const span = Math.max(1, c.totalSteps - c.warmupSteps);
    const frac = Math.min(1, Math.max(0, (step - c.warmupSteps) / span));
    switch (c.schedule) {
      case 'constant':
        return c.lr;
      case 'linear':
        return c.lr * (1 - frac);
      case 'cosine':
        return c.lr * 0.5 * (1 + Math.cos(Math.PI * frac));
    }
  }

  /** Clips `grad` in place, applies one update to `params`; returns {gradNorm (before clipping), lr}. */
  update(params: Float32Array, grad: Float32Array): { gradNorm: number; lr: number } {
    const c = this.config;
    let sq = 0;
    for (let i = 0; i < grad.length; i++) sq += grad[i] * grad[i];
    const gradNorm = Math.sqrt(sq);
    if (!Number.isFinite(gradNorm)) {
      throw new ClsrlError('ENGINE', `non-finite gradient norm (${gradNorm}) at optimizer step ${this.t + 1}`, {
        hint: 'lower the learning rate or check the token weights for NaN/Infinity',
      });
    }
    const scale = c.gradClip > 0 && gradNorm > c.gradClip ? c.gradClip / gradNorm : 1;
    this.t += 1;
    const lr = this.lrAt(this.t);
    const b1 = c.beta1;
    const b2 = c.beta2;
    const bc1 = 1 - Math.pow(b1, this.t);
    const bc2 = 1 - Math.pow(b2, this.t);
    const { m, v, decayMask } = this;
    const wd = lr * c.weightDecay;
    for (let i = 0; i < params.length; i++) {
      const gi = grad[i] * scale;
      m[i] = b1 * m[i] + (1 - b1) * gi;
      v[i] = b2 * v[i] + (1 - b2) * gi * gi;
      const upd = m[i] / bc1 / (Math.sqrt(v[i] / bc2) + c.eps);
      params[i] -= lr * upd + (decayMask[i] ? wd * params[i] : 0);
    }
    return { gradNorm, lr };
  }
}

export function validateOptimizer(c: OptimizerConfig): void {
  const bad = (field: string, msg: string): never => {
    throw new ClsrlError('BAD_CONFIG', `optimizer ${field} ${msg}`, { hint: 'fix the method config (optimizer section)' });
  };
  if (!(c.lr >= 0)) bad('lr', `must be >= 0 (got ${c.lr})`);
  if (!(c.weightDecay >= 0)) bad('weightDecay', `must be >= 0 (got ${c.weightDecay})`);
  if (!(c.beta1 >= 0 && c.beta1 < 1)) bad('beta1', `must be in [0, 1) (got ${c.beta1})`);
  if (!(c.beta2 >= 0 && c.beta2 < 1)) bad('beta2', `must be in [0, 1) (got ${c.beta2})`);
  if (!(c.eps > 0)) bad('eps', `must be > 0 (got ${c.eps})`);
  if (!(c.gradClip >= 0)) bad('gradClip', `must be >= 0 (got ${c.gradClip})`);
  if (!(c.warmupSteps >= 0)) bad('warmupSteps', `must be >= 0 (got ${c.warmupSteps})`);
  if (!['constant', 'linear', 'cosine'].includes(c.schedule)) bad('schedule', `must be constant, linear or cosine (got ${c.schedule})`);
  if (!(c.totalSteps >= 1)) bad('totalSteps', `must be >= 1 (got ${c.totalSteps})`);
}
