// Pieces the synthetic suites share: the prepare hook that materialises the world into the cache,
// and method budgets sized for the tiny engine on 2 CPU cores. Suites stay declarative data.

import type { SuiteDef } from '../../harness/contracts';
import { materialiseWorld } from './materialise';
import { DEFAULT_WORLD, datasetDefs } from './world';

/** The suite fields that bring the synthetic tasks: dataset defs plus a prepare hook writing them. */
export function synthData(tasks: readonly string[]): Pick<SuiteDef, 'datasets' | 'customDatasets' | 'prepare'> {
  return {
    datasets: [...tasks],
    customDatasets: datasetDefs(tasks),
    prepare: async ({ cacheDir, onProgress }) => {
      const { dataRoot } = await materialiseWorld({ cacheDir, world: DEFAULT_WORLD, tasks, onProgress });
      return { dataRoot };
    },
  };
}

/** Cap on completion tokens for the synthetic tasks (think + answer; a BPE think demonstration is ~20 tokens, ~110 bytes). */
export const SYNTH_MAX_TOKENS = 128;

export interface Budget {
  /** Optimizer updates per trained run. */
  steps: number;
  /** Completions per RL update (prompts x G). */
  rlBatch: number;
  /** Questions per SFT update. */
  sftBatch: number;
  rlLr: number;
  sftLr: number;
}

/**
 * Method config overrides for a budget. Learning rates are the tiny model's (the paper's 1e-6 is for a
 * 2B model and does not move a 1M-parameter one); epochs are high so maxSteps is what binds.
 */
export function methodBudgets(b: Budget): Record<string, Record<string, unknown>> {
  const rl = {
    epochs: 1000,
    maxSteps: b.steps,
    batchSize: b.rlBatch,
    groupSize: 4,
    lr: b.rlLr,
    maxCompletionTokens: SYNTH_MAX_TOKENS,
    lrSchedule: 'constant',
  };
  return {
    sft: { epochs: 1000, maxSteps: b.steps, batchSize: b.sftBatch, lr: b.sftLr, lrSchedule: 'constant' },
    // No synthetic class name holds a number (test/unit/mathverify.test.ts), so math_verify never rewards here and
    // mathVerify changes nothing; false is the value runs were stored with before it existed, which keeps their ids.
    'cls-rl': { ...rl, mathVerify: false },
    'no-thinking-cls-rl': { ...rl },
  };
}
