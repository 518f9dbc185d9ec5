// Smoke suite on the synthetic world: three small tasks, all four methods, base-to-new and few-shot,
// one seed, small budgets and capped test sets, so `npm start` finishes in minutes on 2 cores.

import type { SuiteDef } from '../harness/contracts';
import { SYNTH_MAX_TOKENS, methodBudgets, synthData } from './synthetic/suite-kit';

export const SMOKE_TASKS = ['SynthSat', 'SynthActions', 'SynthAircraft'];

export const suite: SuiteDef = {
  name: 'smoke',
  description:
    'Synthetic smoke test: SynthSat, SynthActions, SynthAircraft (10-12 classes); 4 shots, seed 1, base-to-new and few-shot; ' +
    'zero-shot, SFT, CLS-RL, No-Thinking-CLS-RL with small budgets on the tiny engine',
  ...synthData(SMOKE_TASKS),
  settings: [
    { setting: 'base-to-new', shots: [4], seeds: [1] },
    { setting: 'few-shot', shots: [4], seeds: [1] },
  ],
  methods: ['zero-shot', 'sft', 'cls-rl', 'no-thinking-cls-rl'],
  engine: 'tiny',
  methodConfig: methodBudgets({ steps: 12, rlBatch: 32, sftBatch: 16, rlLr: 1e-4, sftLr: 3e-4 }),
  prompt: { evalLimit: 40 },
  eval: { maxTokens: SYNTH_MAX_TOKENS },
};
