// Zero-shot: the base model, untrained, evaluated with the think template (the paper's "Qwen2VL"
// row comes from its default eval script, which asks for <think>/<answer>). No config fields.

import { z } from 'zod';
import type { MethodPlugin } from '../harness/contracts';
import { parseConfig } from './common';

const schema = z.object({});
export type ZeroShotConfig = z.infer<typeof schema>;

export const zeroShot: MethodPlugin<ZeroShotConfig> = {
  meta: {
    name: 'zero-shot',
    title: 'Zero-shot',
    description: 'the base model without training, think-then-answer prompt; evaluated once and shared across seeds and shots',
    template: 'think',
    trains: false,
    rewards: ['format', 'accuracy'],
    paperKey: 'zero_shot',
  },
  defaults: () => ({}),
  validate: (partial) => parseConfig('zero-shot', schema, {}, partial),
  train: async (ctx) => ({ model: ctx.model, steps: 0, tokensGenerated: 0 }),
};
