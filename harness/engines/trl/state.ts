// Reads TRL's trainer_state.json (`log_history`) into clsrl's per-step records. Handles both TRL metric
// spellings: `rewards/<name>/mean` + `completions/mean_length` (>= 0.16) and `rewards/<name>` +
// `completion_length` (0.14, the paper's version). Entries without a training loss (the final summary) are skipped.

import fs from 'fs';
import type { TrainStepRecord } from '../../contracts';
import { ClsrlError } from '../../errors';

type Entry = Record<string, unknown>;

const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** `rewards/format/mean` or `rewards/format` -> `reward/format`; std entries are not rewards. */
function rewardsOf(e: Entry): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(e)) {
    const m = /^rewards\/([^/]+)(\/mean)?$/.exec(k);
    if (m && typeof v === 'number') out[`reward/${m[1]}`] = v;
  }
  return out;
}

/**
 * One record per logged training step. `completionsPerStep` turns the mean completion length into
 * tokens generated per step; `clsrl_elapsed_s` (seconds since training began, written by train.py) gives
 * wall time per step, counted from `startElapsed` (the previous entry's, when entries arrive one by one).
 */
export function stepsFromLogHistory(history: Entry[], completionsPerStep: number, startElapsed = 0): TrainStepRecord[] {
  const steps: TrainStepRecord[] = [];
  let prevElapsed = startElapsed;
  for (const e of history) {
    if (typeof e.loss !== 'number' || 'train_runtime' in e) continue;
    const completionLength = n(e['completions/mean_length'] ?? e.completion_length);
    const elapsed = n(e.clsrl_elapsed_s);
    steps.push({
      step: n(e.step),
      epoch: n(e.epoch),
      loss: e.loss,
      rewards: rewardsOf(e),
      rewardStd: n(e.reward_std),
      completionLength,
      kl: n(e.kl),
      lr: n(e.learning_rate),
      gradNorm: n(e.grad_norm),
      tokensGenerated: Math.round(completionLength * completionsPerStep),
      wallMs: elapsed > 0 ? Math.round((elapsed - prevElapsed) * 1000) : 0,
    });
    if (elapsed > 0) prevElapsed = elapsed;
  }
  return steps;
}

export function readTrainerState(file: string, completionsPerStep: number): TrainStepRecord[] {
  let state: { log_history?: Entry[] };
  try {
    state = JSON.parse(fs.readFileSync(file, 'utf8')) as { log_history?: Entry[] };
  } catch (err) {
    throw new ClsrlError('EXTERNAL', `cannot read TRL trainer state ${file}: ${(err as Error).message}`, {
      hint: 'train.py writes it when training ends (trainer.save_state()); did the run finish?',
      cause: err,
    });
  }
  if (!Array.isArray(state.log_history)) throw new ClsrlError('EXTERNAL', `${file} has no log_history array`);
  return stepsFromLogHistory(state.log_history, completionsPerStep);
}
