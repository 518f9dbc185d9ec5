// The GRPO training loop shared by the RL plugins (cls-rl, no-thinking-cls-rl), with its config
// schema. The plugins differ only in template and rewards. The arithmetic lives in harness/grpo.ts;
// this file only orchestrates: sample -> reward -> advantages -> reference log-probs -> weights -> step.

import { z } from 'zod';
import type { Completion, PromptInput, Question, RewardName, TokenSeq, TrainContext, TrainResult } from '../harness/contracts';
import { ClsrlError } from '../harness/errors';
import { type LossType, groupAdvantages, groupStats, grpoLoss, grpoTokenWeights, meanKl, scalesAdvantages } from '../harness/grpo';
import { PyRandom } from '../harness/random/pyrandom';
import { type RewardOptions, scoreCompletion } from '../harness/scoring';
import { badConfig, budgetFields, optimizerConfig, optimizerFields, paperEpochs, parseConfig } from './common';

export const grpoConfigSchema = z.object({
  epochs: z.number().int().min(1).default(50)
    .describe('passes over the training questions; paper scripts: ImageNet 10, SUN397 25, EuroSAT 100, others 50'),
  ...budgetFields,
  groupSize: z.number().int().min(2).default(4).describe('samples per prompt G (paper v6 D.2); >= 2 so a group has a std'),
  batchSize: z.number().int().min(1).default(64)
    .describe('completions per update, a multiple of groupSize; paper: 8 GPUs x 1 prompt x grad-accum 2 x G = 64'),
  lr: z.number().positive().default(1e-6).describe('learning rate (paper v6 D.2)'),
  beta: z.number().min(0).default(0.04).describe('KL coefficient to the initial model, k3 estimator (trl 0.14 default; paper)'),
  temperature: z.number().min(0).default(1).describe('sampling temperature (paper; trainer hard-codes 1.0); 0 = greedy, which makes groups degenerate'),
  maxCompletionTokens: z.number().int().min(1).default(1024).describe('max completion length in tokens (paper v6 D.2)'),
  lossType: z.enum(['grpo', 'dr-grpo', 'bnpo'] as const satisfies readonly LossType[]).default('grpo')
    .describe("'grpo' (paper: sequence token mean, batch mean), 'dr-grpo', 'bnpo' (token-level)"),
  ...optimizerFields,
});
export type GrpoConfig = z.infer<typeof grpoConfigSchema>;

export function grpoDefaults(dataset: string): GrpoConfig {
  return { ...(grpoConfigSchema.parse({}) as GrpoConfig), epochs: paperEpochs(dataset) };
}

/**
 * Validates a partial GRPO config over the dataset defaults, with cross-field rules. A plugin with extra
 * fields passes its schema (grpoConfigSchema extended); their defaults come from it.
 */
export function validateGrpoConfig<C extends GrpoConfig = GrpoConfig>(
  method: string,
  partial: unknown,
  dataset: string,
  schema: z.ZodObject = grpoConfigSchema,
): C {
  const defaults = { ...(schema.parse({}) as object), ...grpoDefaults(dataset) };
  const c = parseConfig(method, schema, defaults, partial) as C;
  if (c.batchSize % c.groupSize !== 0) {
    const lower = Math.max(c.groupSize, c.batchSize - (c.batchSize % c.groupSize));
    throw badConfig(method, `batchSize ${c.batchSize} is not a multiple of groupSize ${c.groupSize}`,
      `set batchSize to a multiple of groupSize, e.g. ${lower} or ${lower + c.groupSize} (batchSize counts completions: prompts x G)`);
  }
  if (c.temperature === 0) {
    throw badConfig(method, 'temperature 0 makes all G samples of a prompt identical, so every advantage is 0',
      'set temperature > 0 (the paper uses 1)');
  }
  return c;
}

interface StepPlan { epoch: number; questions: Question[] }

/** Per epoch a seeded shuffle (CPython-compatible RNG), then batches of B prompts (last one may be short). */
export function planSteps(train: Question[], promptsPerStep: number, epochs: number, seed: number, maxSteps: number): StepPlan[] {
  const rng = new PyRandom(seed);
  const plan: StepPlan[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = rng.shuffle(train.map((_, i) => i));
    for (let s = 0; s < order.length; s += promptsPerStep) {
      if (maxSteps > 0 && plan.length >= maxSteps) return plan;
      plan.push({ epoch, questions: order.slice(s, s + promptsPerStep).map((i) => train[i]) });
    }
  }
  return plan;
}

export function requireTrainingEngine(ctx: TrainContext<unknown>, method: string): void {
  if (!ctx.engine.trains) {
    throw new ClsrlError('ENGINE', `engine '${ctx.engine.name}' cannot train in-process, so method '${method}' cannot run on it`, {
      hint: 'use an engine that trains (tiny, double) or one with external training',
    });
  }
  if (ctx.train.length === 0) {
    throw new ClsrlError('BAD_CONFIG', `method '${method}' got no training questions for ${ctx.dataset}`, {
      hint: 'check the split: shots > 0 and at least one class',
    });
  }
}

/** Runs GRPO on ctx.model in place and returns it. `rewards` are summed per completion. */
export async function runGrpo(
  ctx: TrainContext<GrpoConfig>,
  method: string,
  rewards: RewardName[],
  rewardOptions: RewardOptions = {},
): Promise<TrainResult> {
  requireTrainingEngine(ctx, method);
  const c = ctx.config;
  const { engine, model } = ctx;
  const G = c.groupSize;
  const plan = planSteps(ctx.train, c.batchSize / G, c.epochs, ctx.seed, c.maxSteps);
  const optimizer = engine.createOptimizer(model, optimizerConfig(c, plan.length));
  const ref = c.beta > 0 ? await engine.freeze(model) : null;
  let tokensGenerated = 0;
  try {
    for (let step = 0; step < plan.length; step++) {
      const started = Date.now();
      const { epoch, questions } = plan[step];
      const prompts: PromptInput[] = questions.map((q) => ctx.prompt(q));
      const groups = await engine.generate(model, prompts, {
        n: G, temperature: c.temperature, maxTokens: c.maxCompletionTokens, seed: ctx.seed * 1_000_003 + step,
      });
      const samples = flatten(groups, G, method);
      const seqs: TokenSeq[] = samples.map((s) => ({ promptIndex: s.promptIndex, tokens: s.completion.tokens }));

      // Rewards, prompt-major (G consecutive samples per prompt), as the advantages expect.
      const scores = samples.map((s) => scoreCompletion(rewards, s.completion.text, questions[s.promptIndex].classname, rewardOptions));
      const total = scores.map((s) => s.reward);
      const advantages = groupAdvantages(total, G, scalesAdvantages(c.lossType));

      // Current-policy log-probs only feed the KL term. trl takes them from its forward pass at T = 1; the
      // engine contract has generate() report exactly those (untempered, from the sampling weights), so
      // no second forward pass is needed.
      const logprobs = samples.map((s, k) => samplerLogprobs(s.completion, k, method));
      const refLogprobs = ref ? await engine.logprobs(ref, prompts, seqs) : null;
      const batch = { advantages, logprobs, refLogprobs, beta: c.beta, lossType: c.lossType, maxTokens: c.maxCompletionTokens };
      const stats = await engine.step(model, prompts, seqs, grpoTokenWeights(batch), optimizer);

      const generated = seqs.reduce((a, s) => a + s.tokens.length, 0);
      tokensGenerated += generated;
      const perReward: Record<string, number> = {};
      for (const name of rewards) perReward[`reward/${name}`] = mean(scores.map((s) => s.rewards[name] ?? 0));
      ctx.hooks.onStepEnd?.({
        step: step + 1,
        epoch,
        loss: grpoLoss(batch),
        rewards: perReward,
        rewardStd: mean(groupStats(total, G).std),
        completionLength: generated / seqs.length,
        kl: refLogprobs ? meanKl(logprobs, refLogprobs) : 0,
        lr: stats.lr,
        gradNorm: stats.gradNorm,
        tokensGenerated: generated,
        wallMs: Date.now() - started,
      });
      ctx.hooks.onProgress?.(step + 1, plan.length);
    }
  } finally {
    if (ref) await engine.dispose(ref);
  }
  return { model, steps: plan.length, tokensGenerated };
}

function flatten(groups: Completion[][], G: number, method: string): { promptIndex: number; completion: Completion }[] {
  return groups.flatMap((group, promptIndex) => {
    if (group.length !== G) {
      throw new ClsrlError('ENGINE', `method '${method}' asked for ${G} samples per prompt but the engine returned ${group.length}`);
    }
    return group.map((completion) => ({ promptIndex, completion }));
  });
}

function samplerLogprobs(c: Completion, k: number, method: string): number[] {
  if (c.logprobs.length !== c.tokens.length || !c.logprobs.every(Number.isFinite)) {
    throw new ClsrlError('ENGINE', `method '${method}': completion ${k} has ${c.tokens.length} tokens but ${c.logprobs.length} finite log-probs`, {
      hint: 'an engine that trains must report one T = 1 log-prob per generated token (Completion.logprobs)',
    });
  }
  return c.logprobs;
}

const mean = (xs: number[]): number => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
