// Replica of the paper's few-shot protocol on the eleven synthetic tasks, with the cross-dataset
// transfer evaluations (every tuned model on every other task), scaled down for the tiny engine.

import type { SuiteDef } from '../harness/contracts';
import { REPLICA_BUDGET } from './replica-b2n';
import { SYNTH_MAX_TOKENS, methodBudgets, synthData } from './synthetic/suite-kit';
import { TASK_NAMES } from './synthetic/world';

export const suite: SuiteDef = {
  name: 'replica-fewshot',
  description:
    'Paper few-shot protocol scaled down on the 11 synthetic tasks: 4 shots over all classes, seeds 1-3 (CoOp\'s three), test sets plus transfer ' +
    'to every other task; zero-shot, SFT, CLS-RL, No-Thinking-CLS-RL on the tiny engine',
  ...synthData(TASK_NAMES),
  settings: [{ setting: 'few-shot', shots: [4], seeds: [1, 2, 3], transfer: true }],
  methods: ['zero-shot', 'sft', 'cls-rl', 'no-thinking-cls-rl'],
  engine: 'tiny',
  methodConfig: methodBudgets(REPLICA_BUDGET),
  // transfer multiplies evaluations by 11: smaller cap per set than base-to-new
  prompt: { candidateRule: 'code', evalLimit: 40 },
  eval: { maxTokens: SYNTH_MAX_TOKENS },
};
