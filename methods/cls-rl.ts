// CLS-RL (paper: "Thinking-RFT"): GRPO with the think-then-answer template and format + accuracy
// rewards. The loop and its config live in grpo-loop.ts; this file only declares what differs: the
// accuracy reward's math_verify step (`mathVerify`), which the paper's grpo.py runs before its string match.

import { z } from 'zod';
import type { MethodPlugin } from '../harness/contracts';
import { type GrpoConfig, grpoConfigSchema, grpoDefaults, runGrpo, validateGrpoConfig } from './grpo-loop';

const schema = grpoConfigSchema.extend({
  mathVerify: z.boolean().default(true).describe(
    "accuracy reward tries math_verify's parse+verify first, as the paper's grpo.py does (a number shared by label " +
      'and completion rewards 1: Saab 2000 vs Falcon 2000); false = the string match alone (the clean variant)',
  ),
});
export type ClsRlConfig = GrpoConfig & { mathVerify: boolean };

export const clsRl: MethodPlugin<ClsRlConfig> = {
  meta: {
    name: 'cls-rl',
    title: 'CLS-RL',
    description: 'GRPO on the few-shot set; think in <think>, answer in <answer>; reward = format + accuracy (paper §2.1)',
    template: 'think',
    trains: true,
    rewards: ['format', 'accuracy'],
    paperKey: 'CLS-RL',
  },
  defaults: (dataset) => ({ ...grpoDefaults(dataset), mathVerify: true }),
  validate: (partial, dataset) => validateGrpoConfig<ClsRlConfig>('cls-rl', partial, dataset, schema),
  // Runs stored before `mathVerify` existed scored with the string match alone; at that value it stays out of the run id.
  legacyConfig: { mathVerify: false },
  train: (ctx) => runGrpo(ctx, 'cls-rl', clsRl.meta.rewards, { mathVerify: ctx.config.mathVerify }),
};

export const clsRlConfigSchema = schema;
