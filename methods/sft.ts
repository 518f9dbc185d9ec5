// SFT baseline: cross-entropy on a target answer for each training question (token weights 1/len,
// batch mean). The paper gives no SFT hyperparameters; the defaults below are ours and documented.
//
// Target: the paper's sft.py trains the assistant turn on the dataset's `solution` (the answer string)
// under a think/answer system prompt. Here the prompt is the direct template and the target is the
// class name itself (`target: 'label'`), so training and evaluation ask for the same thing;
// `target: 'answer-tag'` trains on `<answer>label</answer>` instead (closer to the solution column).

import { z } from 'zod';
import type { MethodPlugin, PromptInput, Question, TokenSeq, TrainContext, TrainResult } from '../harness/contracts';
import { sftTokenWeights } from '../harness/grpo';
import { budgetFields, optimizerConfig, optimizerFields, paperEpochs, parseConfig } from './common';
import { planSteps, requireTrainingEngine } from './grpo-loop';

const schema = z.object({
  epochs: z.number().int().min(1).default(50)
    .describe('passes over the training questions; ours: the paper RL epochs per dataset (no SFT values published)'),
  ...budgetFields,
  batchSize: z.number().int().min(1).default(16).describe('questions per update; ours: the 16 prompts of an RL update'),
  lr: z.number().positive().default(1e-5)
    .describe('learning rate; ours (no paper value): 10x the RL rate, a common full-fine-tuning SFT rate'),
  target: z.enum(['label', 'answer-tag']).default('label')
    .describe("what is trained: 'label' = the class name (direct template), 'answer-tag' = <answer>label</answer>"),
  ...optimizerFields,
});
export type SftConfig = z.infer<typeof schema>;

export function sftTarget(q: Question, target: SftConfig['target']): string {
  switch (target) {
    case 'label': return q.classname;
    case 'answer-tag': return `<answer>${q.classname}</answer>`;
  }
}

function defaults(dataset: string): SftConfig {
  return { ...schema.parse({}), epochs: paperEpochs(dataset) };
}

async function train(ctx: TrainContext<SftConfig>): Promise<TrainResult> {
  requireTrainingEngine(ctx, 'sft');
  const c = ctx.config;
  const { engine, model } = ctx;
  const plan = planSteps(ctx.train, c.batchSize, c.epochs, ctx.seed, c.maxSteps);
  const optimizer = engine.createOptimizer(model, optimizerConfig(c, plan.length));
  for (let step = 0; step < plan.length; step++) {
    const started = Date.now();
    const { epoch, questions } = plan[step];
    const prompts: PromptInput[] = questions.map((q) => ctx.prompt(q));
    const seqs: TokenSeq[] = questions.map((q, i) => ({ promptIndex: i, tokens: engine.encodeTarget(sftTarget(q, c.target)) }));
    const weights = sftTokenWeights(seqs.map((s) => s.tokens.length));
    const stats = await engine.step(model, prompts, seqs, weights, optimizer);
    ctx.hooks.onStepEnd?.({
      step: step + 1,
      epoch,
      loss: stats.loss, // mean per-token NLL of the targets (weights 1/(len N))
      rewards: {},
      rewardStd: 0,
      completionLength: stats.tokens / seqs.length,
      kl: 0,
      lr: stats.lr,
      gradNorm: stats.gradNorm,
      tokensGenerated: 0,
      wallMs: Date.now() - started,
    });
    ctx.hooks.onProgress?.(step + 1, plan.length);
  }
  return { model, steps: plan.length, tokensGenerated: 0 };
}

export const sft: MethodPlugin<SftConfig> = {
  meta: {
    name: 'sft',
    title: 'SFT',
    description: 'supervised fine-tuning on the class name of each few-shot image (direct template); hyperparameters ours',
    template: 'direct',
    trains: true,
    rewards: ['equality'],
    paperKey: 'SFT',
  },
  defaults,
  validate: (partial, dataset) => parseConfig('sft', schema, defaults(dataset), partial),
  train,
};

export const sftConfigSchema = schema;
