// `clsrl score`: scores one completion against a label with a method's rewards (as training and evaluation do).

import type { Argv } from 'yargs';
import type { Command } from './index';
import { type RewardOptions, rewardOptionsOf, scoreCompletion } from '../scoring';
import { formatMvValue, mvParse, mvVerify } from '../mathverify';
import { getMethod } from '../../methods/registry';
import { parseFlags, yargsOptions, type FlagSpec } from '../flags';
import { COMMON_FLAGS, printJson, printLine } from './output';

export const SCORE_FLAGS = {
  method: { kind: 'string', required: true, describe: 'method whose rewards apply (`clsrl methods`)' },
  label: { kind: 'string', required: true, describe: 'the true class name (not empty: every answer contains the empty string)' },
  completion: { kind: 'text', required: true, describe: 'the model output to score' },
  mathVerify: {
    kind: 'boolean',
    describe: "accuracy reward: math_verify's number check before the string match (default: the method's config, on for cls-rl; --no-math-verify: off)",
  },
  json: COMMON_FLAGS.json,
} as const satisfies Record<string, FlagSpec>;

export const command: Command = {
  command: 'score',
  describe: "score a completion with a method's rewards and the evaluation match",
  builder: (y: Argv) =>
    y.options(yargsOptions(SCORE_FLAGS)),
  handler: (raw) => {
    const argv = parseFlags('score', SCORE_FLAGS, raw) as { method: string; label: string; completion: string; json?: boolean };
    // --math-verify / --no-math-verify / absent (the method's config): yargs keeps the three apart
    const mathVerify = (raw as { mathVerify?: boolean }).mathVerify;
    const method = getMethod(argv.method);
    const opts: RewardOptions = { ...rewardOptionsOf(method.defaults('') as Record<string, unknown>) };
    if (mathVerify !== undefined) opts.mathVerify = mathVerify;
    const completion = String(argv.completion);
    const label = String(argv.label);
    const s = scoreCompletion(method.meta.rewards, completion, label, opts);
    const doc: Record<string, unknown> = { rewards: s.rewards, reward: s.reward, extracted: s.extracted, correct: s.correct, strictCorrect: s.strictCorrect };
    const usesMv = opts.mathVerify !== undefined && method.meta.rewards.includes('accuracy');
    if (usesMv) {
      const c = mvParse(completion);
      const l = mvParse(label);
      doc.mathVerify = { enabled: opts.mathVerify, completion: c.map(formatMvValue), label: l.map(formatMvValue), match: mvVerify(c, l) };
    }
    if (argv.json) printJson(doc);
    else {
      for (const [k, v] of Object.entries(s.rewards)) printLine(`reward/${k}: ${v}`);
      printLine(`reward: ${s.reward}`);
      if (usesMv) {
        const m = doc.mathVerify as { enabled: boolean; completion: string[]; label: string[]; match: boolean };
        printLine(`math_verify (${m.enabled ? 'on' : 'off'}): completion [${m.completion.join(', ')}], label [${m.label.join(', ')}] -> ${m.match ? 'match' : 'no match'}`);
      }
      printLine(`extracted: ${JSON.stringify(s.extracted)}`);
      printLine(`correct (paper's lenient match): ${s.correct}`);
      printLine(`strict exact match: ${s.strictCorrect}`);
    }
  },
};
