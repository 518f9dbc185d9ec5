// Smoke suite on the synthetic world: two tasks, all four methods, base-to-new and few-shot, one seed,
// small budgets and capped test sets, so `npm start` finishes in minutes on 2 cores. The tasks are ones
// where the shipped model leaves room (zero-shot 11% and 48%); SynthSat, the smoke task until world v3,
// sits at 98% zero-shot with the v3 checkpoint, so nothing could show a gain there.

import type { SuiteDef } from '../harness/contracts';
import { SYNTH_MAX_TOKENS, methodBudgets, synthData } from './synthetic/suite-kit';

/** 20 updates of 4 prompts x G = 4 (RL) or 8 questions (SFT). */
export const SMOKE_BUDGET = { steps: 20, rlBatch: 16, sftBatch: 8, rlLr: 2e-4, sftLr: 3e-4 };

export const SMOKE_TASKS = ['SynthFlowers', 'SynthActions'];

export const suite: SuiteDef = {
  name: 'smoke',
  description:
    'Synthetic smoke test: SynthFlowers and SynthActions (18 and 12 classes); 4 shots, seed 1, base-to-new and few-shot; ' +
    'zero-shot, SFT, CLS-RL, No-Thinking-CLS-RL with small budgets on the tiny engine; up to 180 test images per set',
  ...synthData(SMOKE_TASKS),
  settings: [
    { setting: 'base-to-new', shots: [4], seeds: [1] },
    { setting: 'few-shot', shots: [4], seeds: [1] },
  ],
  methods: ['zero-shot', 'sft', 'cls-rl', 'no-thinking-cls-rl'],
  engine: 'tiny',
  methodConfig: methodBudgets(SMOKE_BUDGET),
  prompt: { evalLimit: 180 },
  eval: { maxTokens: SYNTH_MAX_TOKENS },
};
