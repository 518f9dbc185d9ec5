// Smoke suite on the synthetic world: all four methods on both settings, one seed, small budgets and
// capped test sets, so `npm start` finishes in minutes on 2 cores. Each setting runs on a task where the
// shipped model has room to gain in that setting: few-shot on SynthFlowers (zero-shot 11%), base-to-new
// on SynthActions (base classes 44%). Over three seeds at this budget both RL methods gain there
// (+22-25 and +9-11 points, every seed); on SynthFlowers' base classes and SynthActions' few-shot
// No-Thinking sits 2-3 points below zero-shot and CLS-RL within 1.5 points of it, at 40 updates too
// (suites/synthetic/README.md has the table), so those cells would test the seed, not the harness.

import type { SuiteDef } from '../harness/contracts';
import { SYNTH_MAX_TOKENS, methodBudgets, synthData } from './synthetic/suite-kit';

/** 20 updates of 4 prompts x G = 4 (RL) or 8 questions (SFT). */
export const SMOKE_BUDGET = { steps: 20, rlBatch: 16, sftBatch: 8, rlLr: 2e-4, sftLr: 3e-4 };

export const SMOKE_TASKS = ['SynthFlowers', 'SynthActions'];

export const suite: SuiteDef = {
  name: 'smoke',
  description:
    'Synthetic smoke test: few-shot on SynthFlowers (18 classes), base-to-new on SynthActions (12); 4 shots, seed 1; ' +
    'zero-shot, SFT, CLS-RL, No-Thinking-CLS-RL with small budgets on the tiny engine; up to 180 test images per set',
  ...synthData(SMOKE_TASKS),
  settings: [
    { setting: 'base-to-new', shots: [4], seeds: [1], datasets: ['SynthActions'] },
    { setting: 'few-shot', shots: [4], seeds: [1], datasets: ['SynthFlowers'] },
  ],
  methods: ['zero-shot', 'sft', 'cls-rl', 'no-thinking-cls-rl'],
  engine: 'tiny',
  methodConfig: methodBudgets(SMOKE_BUDGET),
  prompt: { evalLimit: 180 },
  eval: { maxTokens: SYNTH_MAX_TOKENS },
};
