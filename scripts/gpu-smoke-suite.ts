// The suite scripts/gpu-smoke.sh trains with the trl engine: SFT and CLS-RL on the synthetic SynthFlowers
// task (few-shot, 4 shots, seed 1), a few optimizer steps each (CLSRL_SMOKE_STEPS, default 3), short
// completions, a capped test set. It checks the pipeline on a real GPU, not the paper's numbers.

import type { SuiteDef } from '../harness/contracts';
import { synthData } from '../suites/synthetic/suite-kit';

const steps = Number(process.env.CLSRL_SMOKE_STEPS ?? 3);
const evalLimit = Number(process.env.CLSRL_SMOKE_EVAL ?? 24);

export const suite: SuiteDef = {
  name: 'gpu-smoke',
  description: `GPU smoke: SFT and CLS-RL through TRL on SynthFlowers (few-shot, 4 shots, seed 1), ${steps} steps each, ${evalLimit} test images`,
  ...synthData(['SynthFlowers']),
  settings: [{ setting: 'few-shot', shots: [4], seeds: [1], datasets: ['SynthFlowers'] }],
  methods: ['sft', 'cls-rl'],
  engine: 'trl',
  methodConfig: {
    sft: { epochs: 1000, maxSteps: steps, batchSize: 4, lr: 1e-4, lrSchedule: 'constant' },
    'cls-rl': { epochs: 1000, maxSteps: steps, batchSize: 8, groupSize: 4, lr: 1e-5, maxCompletionTokens: 32, lrSchedule: 'constant' },
  },
  prompt: { evalLimit },
  eval: { maxTokens: 32 },
};
