// Config pieces shared by the method plugins: the paper's per-dataset epochs, the optimizer fields
// (trl 0.14 / transformers defaults, which the paper's scripts leave unset), and zod -> ClsrlError.
// Not a plugin itself.

import { z } from 'zod';
import type { OptimizerConfig } from '../harness/contracts';
import { ClsrlError } from '../harness/errors';

/** Epochs from the paper's training scripts (comments in the repo's .sh files): same for both settings. */
export function paperEpochs(dataset: string): number {
  switch (dataset) {
    case 'ImageNet': return 10;
    case 'SUN397': return 25;
    case 'EuroSAT': return 100;
    default: return 50;
  }
}

/** Optimizer fields every training method exposes (suites shrink budgets through them). */
export const optimizerFields = {
  weightDecay: z.number().min(0).default(0).describe('AdamW weight decay; transformers default 0 (paper scripts leave it unset)'),
  adamBeta1: z.number().min(0).lt(1).default(0.9).describe('AdamW beta1; transformers default'),
  adamBeta2: z.number().min(0).lt(1).default(0.999).describe('AdamW beta2; transformers default'),
  adamEps: z.number().positive().default(1e-8).describe('AdamW epsilon; transformers default'),
  maxGradNorm: z.number().min(0).default(1).describe('global gradient-norm clip, 0 disables; transformers default 1.0'),
  warmupSteps: z.number().int().min(0).default(0).describe('linear warmup steps; transformers default 0'),
  lrSchedule: z.enum(['constant', 'linear', 'cosine']).default('linear')
    .describe("learning-rate schedule after warmup; transformers default 'linear' decay to 0"),
};

export interface OptimizerFieldValues {
  lr: number;
  weightDecay: number;
  adamBeta1: number;
  adamBeta2: number;
  adamEps: number;
  maxGradNorm: number;
  warmupSteps: number;
  lrSchedule: 'constant' | 'linear' | 'cosine';
}

export function optimizerConfig(c: OptimizerFieldValues, totalSteps: number): OptimizerConfig {
  return {
    lr: c.lr,
    weightDecay: c.weightDecay,
    beta1: c.adamBeta1,
    beta2: c.adamBeta2,
    eps: c.adamEps,
    gradClip: c.maxGradNorm,
    warmupSteps: c.warmupSteps,
    schedule: c.lrSchedule,
    totalSteps,
  };
}

/** Fields every training method has. */
export const budgetFields = {
  maxSteps: z.number().int().min(0).default(0).describe('stop after this many optimizer updates; 0 = no cap (small suites shrink budgets)'),
};

/**
 * Parses `partial` (merged over the dataset defaults) with a strict zod object and turns the first
 * problem into ClsrlError('BAD_CONFIG') naming the method, the field and the allowed values.
 */
export function parseConfig<S extends z.ZodObject>(
  method: string,
  schema: S,
  defaults: z.infer<S>,
  partial: unknown,
): z.infer<S> {
  if (partial !== undefined && partial !== null && (typeof partial !== 'object' || Array.isArray(partial))) {
    throw new ClsrlError('BAD_CONFIG', `config for method '${method}' must be an object of fields`, {
      hint: `fields: ${Object.keys(schema.shape).join(', ')}`,
    });
  }
  const merged = { ...(defaults as object), ...((partial as object | null | undefined) ?? {}) };
  const r = schema.strict().safeParse(merged);
  if (r.success) return r.data as z.infer<S>;
  const issue = r.error.issues[0];
  const field = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') {
    throw new ClsrlError('BAD_CONFIG', `method '${method}' has no config field ${issue.keys.map((k) => `'${k}'`).join(', ')}`, {
      hint: `fields: ${Object.keys(schema.shape).join(', ')}`,
    });
  }
  const desc = (schema.shape as Record<string, z.ZodType>)[field]?.description;
  throw new ClsrlError('BAD_CONFIG', `method '${method}' config field '${field}': ${issue.message}`, {
    hint: desc ? `${field}: ${desc}` : undefined,
  });
}

/** A cross-field rule violation, phrased as what to change. */
export function badConfig(method: string, message: string, hint: string): ClsrlError {
  return new ClsrlError('BAD_CONFIG', `method '${method}': ${message}`, { hint });
}

/** Field name -> one-line description, for `clsrl methods` and the guide. */
export function describeFields(schema: z.ZodObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(schema.shape as Record<string, z.ZodType>)) out[k] = v.description ?? '';
  return out;
}
