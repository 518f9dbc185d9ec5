// `clsrl score`: scores one completion against a label with a method's rewards (as training and evaluation do).

import type { Argv } from 'yargs';
import type { Command } from './index';
import { scoreCompletion } from '../scoring';
import { getMethod } from '../../methods/registry';
import { parseFlags, yargsOptions, type FlagSpec } from '../flags';
import { COMMON_FLAGS, printJson, printLine } from './output';

export const SCORE_FLAGS = {
  method: { kind: 'string', required: true, describe: 'method whose rewards apply (`clsrl methods`)' },
  label: { kind: 'string', required: true, describe: 'the true class name (not empty: every answer contains the empty string)' },
  completion: { kind: 'text', required: true, describe: 'the model output to score' },
  json: COMMON_FLAGS.json,
} as const satisfies Record<string, FlagSpec>;

export const command: Command = {
  command: 'score',
  describe: "score a completion with a method's rewards and the evaluation match",
  builder: (y: Argv) =>
    y.options(yargsOptions(SCORE_FLAGS)),
  handler: (raw) => {
    const argv = parseFlags('score', SCORE_FLAGS, raw) as { method: string; label: string; completion: string; json?: boolean };
    const method = getMethod(argv.method);
    const s = scoreCompletion(method.meta.rewards, String(argv.completion), String(argv.label));
    const doc = { rewards: s.rewards, reward: s.reward, extracted: s.extracted, correct: s.correct, strictCorrect: s.strictCorrect };
    if (argv.json) printJson(doc);
    else {
      for (const [k, v] of Object.entries(s.rewards)) printLine(`reward/${k}: ${v}`);
      printLine(`reward: ${s.reward}`);
      printLine(`extracted: ${JSON.stringify(s.extracted)}`);
      printLine(`correct (paper's lenient match): ${s.correct}`);
      printLine(`strict exact match: ${s.strictCorrect}`);
    }
  },
};
