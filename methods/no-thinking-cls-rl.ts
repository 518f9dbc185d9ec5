// No-Thinking-CLS-RL (paper: "No-Thinking-RFT"): GRPO with the answer-only template and the
// exact-equality reward, no format reward. Same loop and config as CLS-RL (grpo-loop.ts).

import type { MethodPlugin } from '../harness/contracts';
import { type GrpoConfig, grpoDefaults, runGrpo, validateGrpoConfig } from './grpo-loop';

export const noThinkingClsRl: MethodPlugin<GrpoConfig> = {
  meta: {
    name: 'no-thinking-cls-rl',
    title: 'No-Thinking-CLS-RL',
    description: 'GRPO on the few-shot set; answer directly; reward 1 iff the completion equals the label (paper §2.2)',
    template: 'direct',
    trains: true,
    rewards: ['equality'],
    paperKey: 'No-Thinking-CLS-RL',
  },
  defaults: grpoDefaults,
  validate: (partial, dataset) => validateGrpoConfig('no-thinking-cls-rl', partial, dataset),
  train: (ctx) => runGrpo(ctx, 'no-thinking-cls-rl', noThinkingClsRl.meta.rewards),
};
