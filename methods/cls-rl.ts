// CLS-RL (paper: "Thinking-RFT"): GRPO with the think-then-answer template and format + accuracy
// rewards. The loop and its config live in grpo-loop.ts; this file only declares what differs.

import type { MethodPlugin } from '../harness/contracts';
import { type GrpoConfig, grpoDefaults, runGrpo, validateGrpoConfig } from './grpo-loop';

export const clsRl: MethodPlugin<GrpoConfig> = {
  meta: {
    name: 'cls-rl',
    title: 'CLS-RL',
    description: 'GRPO on the few-shot set; think in <think>, answer in <answer>; reward = format + accuracy (paper §2.1)',
    template: 'think',
    trains: true,
    rewards: ['format', 'accuracy'],
    paperKey: 'CLS-RL',
  },
  defaults: grpoDefaults,
  validate: (partial, dataset) => validateGrpoConfig('cls-rl', partial, dataset),
  train: (ctx) => runGrpo(ctx, 'cls-rl', clsRl.meta.rewards),
};
