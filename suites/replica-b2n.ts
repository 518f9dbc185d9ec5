// Replica of the paper's base-to-new protocol on the eleven synthetic tasks: 4 shots on base classes,
// the code's candidate rule, G = 4, seeds 1-3, budgets scaled down for the tiny engine on 2 cores.

import type { SuiteDef } from '../harness/contracts';
import { SYNTH_MAX_TOKENS, methodBudgets, synthData } from './synthetic/suite-kit';
import { TASK_NAMES } from './synthetic/world';

/** 24 updates of 4 prompts x G = 4 (RL) or 8 questions (SFT) per trained run. */
export const REPLICA_BUDGET = { steps: 24, rlBatch: 16, sftBatch: 8, rlLr: 2e-4, sftLr: 3e-4 };

export const suite: SuiteDef = {
  name: 'replica-b2n',
  description:
    'Paper base-to-new protocol scaled down on the 11 synthetic tasks: 4-shot base-class training, base and new test sets, ' +
    'seeds 1-3 (CoOp\'s three); zero-shot, SFT, CLS-RL, No-Thinking-CLS-RL on the tiny engine',
  ...synthData(TASK_NAMES),
  settings: [{ setting: 'base-to-new', shots: [4], seeds: [1, 2, 3] }],
  methods: ['zero-shot', 'sft', 'cls-rl', 'no-thinking-cls-rl'],
  engine: 'tiny',
  methodConfig: methodBudgets(REPLICA_BUDGET),
  prompt: { candidateRule: 'code', evalLimit: 60 },
  eval: { maxTokens: SYNTH_MAX_TOKENS },
};
