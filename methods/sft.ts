// SFT baseline: cross-entropy on a target answer for each training question (token weights 1/len,
// batch mean). The paper gives no SFT hyperparameters; the defaults below are ours and documented.
//
// Two styles. `paper` (the paper suites' default) is the paper's sft.py: its system prompt, the bare problem
// as the user turn, and the dataset's solution, the label in <answer></answer>, as the target (sft.py's
// extract_number_answer requires the tag there; the exact spacing inside the HF sets is not published, we
// write `<answer>label</answer>`, as R1-V's data scripts do). `direct` (the default elsewhere, and what runs
// stored before `style` existed used) prompts with the direct template and trains on the class name itself
// (`target: 'label'`) or `<answer>label</answer>` (`target: 'answer-tag'`). Evaluation uses the method's
// template (direct) either way; the lenient match reads the <answer> content.

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
  style: z.enum(['direct', 'paper']).default('direct')
    .describe("'paper' = the paper's sft.py: its system prompt, the bare problem, target <answer>label</answer> (paper suites); 'direct' = the direct template and `target`"),
  target: z.enum(['label', 'answer-tag']).default('label')
    .describe("style direct only: what is trained, 'label' = the class name, 'answer-tag' = <answer>label</answer>"),
  ...optimizerFields,
});
export type SftConfig = z.infer<typeof schema>;

export function sftTarget(q: Question, target: SftConfig['target']): string {
  switch (target) {
    case 'label': return q.classname;
    case 'answer-tag': return `<answer>${q.classname}</answer>`;
  }
}

/** The system prompt of the paper's sft.py (its convert_example, for rows without a `system` field). */
export const SFT_PAPER_SYSTEM_PROMPT = 'Output the thinking process in <think> </think> and final answer in <answer> </answer> tags.';

/** A config's style and target, for callers holding a stored config (runs from before `style` read 'direct'). */
export function sftStyleOf(config: Record<string, unknown>): { style: SftConfig['style']; target: SftConfig['target'] } {
  return { style: config.style === 'paper' ? 'paper' : 'direct', target: config.target === 'answer-tag' ? 'answer-tag' : 'label' };
}

/** The trained target of a question: style paper always the answer tag, style direct per `target`. */
export function sftTargetFor(q: Question, config: Pick<SftConfig, 'style' | 'target'>): string {
  return config.style === 'paper' ? sftTarget(q, 'answer-tag') : sftTarget(q, config.target);
}

/**
 * The training prompt of a question. Style paper on an in-process engine (one text, no chat roles): the
 * system prompt, a newline, the bare problem; the trl engine sends them as system and user turns.
 */
export function sftPrompt(q: Question, config: Pick<SftConfig, 'style'>, templated: (q: Question) => PromptInput): PromptInput {
  if (config.style !== 'paper') return templated(q);
  return { id: q.id, image: q.image, text: `${SFT_PAPER_SYSTEM_PROMPT}\n${q.problem}` };
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
    const prompts: PromptInput[] = questions.map((q) => sftPrompt(q, c, ctx.prompt));
    const seqs: TokenSeq[] = questions.map((q, i) => ({ promptIndex: i, tokens: engine.encodeTarget(sftTargetFor(q, c)) }));
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
    description: "supervised fine-tuning on each few-shot image: style paper = the paper's sft.py prompt and <answer> target, direct = the class name under the direct template; hyperparameters ours",
    template: 'direct',
    trains: true,
    rewards: ['equality'],
    paperKey: 'SFT',
  },
  defaults,
  validate: (partial, dataset) => parseConfig('sft', schema, defaults(dataset), partial),
  // Runs stored before `style` existed trained the direct way; at that value it stays out of the run id.
  legacyConfig: { style: 'direct' },
  train,
};

export const sftConfigSchema = schema;
