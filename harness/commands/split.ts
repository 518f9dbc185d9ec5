// `clsrl split`: the exact few-shot / base-to-new split and prompts a run would use, for inspection and
// for checking against CoOp (Dassl's sampling reproduced bit for bit).

import type { Argv } from 'yargs';
import type { Command } from './index';
import type { PromptOptions, Question, SettingName } from '../contracts';
import { loadDataset, resolveDataRoot } from '../data';
import { buildQuestions } from '../prompts';
import { DEFAULT_PROMPT } from '../runner/plan';
import { parseFlags, yargsOptions, type FlagSpec } from '../flags';
import { EVAL_SPLITS, makeSplit } from '../splits';
import { COMMON_FLAGS, printJson, printLine, textTable } from './output';

export const SPLIT_FLAGS = {
  dataset: { kind: 'string', required: true, describe: 'dataset name (`clsrl datasets`)' },
  setting: { kind: 'choice', required: true, choices: ['few-shot', 'base-to-new'], describe: 'protocol' },
  shots: { kind: 'int', min: 1, required: true, describe: 'shots per class (K)' },
  seed: { kind: 'int', min: 0, required: true, describe: 'split seed (CoOp: 1, 2, 3)' },
  dataRoot: COMMON_FLAGS.dataRoot,
  candidateRule: { kind: 'choice', choices: ['code', 'text', 'clamp'], default: DEFAULT_PROMPT.candidateRule, describe: 'candidate-list size rule' },
  evalSplit: { kind: 'choice', choices: EVAL_SPLITS, default: DEFAULT_PROMPT.evalSplit, describe: 'evaluation items' },
  evalPromptSeed: { kind: 'int', min: 0, default: String(DEFAULT_PROMPT.evalPromptSeed), describe: 'seed of the evaluation candidate lists' },
  json: COMMON_FLAGS.json,
} as const satisfies Record<string, FlagSpec>;

interface Args {
  dataset: string;
  setting: SettingName;
  shots: number;
  seed: number;
  dataRoot?: string;
  candidateRule: PromptOptions['candidateRule'];
  evalSplit: PromptOptions['evalSplit'];
  evalPromptSeed: number;
  json?: boolean;
}

const item = (q: Question) => ({ image: q.imageRel, label: q.label, classname: q.classname, candidates: q.candidates, prompt: q.problem });

export const command: Command = {
  command: 'split',
  describe: 'show the few-shot/base-to-new split and prompts for a dataset, setting, shots and seed',
  builder: (y: Argv) =>
    y.options(yargsOptions(SPLIT_FLAGS)),
  handler: async (raw) => {
    const argv = parseFlags('split', SPLIT_FLAGS, raw) as Args;
    const { shots, seed, evalPromptSeed: evalSeed } = argv;
    const dataRoot = resolveDataRoot(argv.dataRoot);
    const ds = await loadDataset(argv.dataset, { dataRoot });
    const split = await makeSplit(ds, argv.setting, shots, seed, { evalSplit: argv.evalSplit });
    const rule = argv.candidateRule;
    const train = buildQuestions(split.train, split.trainClassnames, { dataset: ds.name, setName: 'train', rule, setting: argv.setting, seed });
    const evals: Record<string, ReturnType<typeof item>[]> = {};
    for (const set of split.evals) {
      const qs = buildQuestions(set.items, set.classnames, { dataset: set.dataset, setName: set.name, rule, setting: argv.setting, seed: evalSeed });
      evals[set.name] = qs.map(item);
    }
    const doc = { dataset: ds.name, setting: argv.setting, shots, seed, classes: split.classes, train: train.map(item), eval: evals };
    if (argv.json) return printJson(doc);
    printLine(`${ds.name} ${argv.setting}, ${shots} shots, seed ${seed}: ${train.length} training items`);
    for (const [k, v] of Object.entries(split.classes)) printLine(`classes (${k}): ${v.length}`);
    for (const [k, v] of Object.entries(evals)) printLine(`eval set ${k}: ${v.length} items`);
    printLine('');
    printLine(textTable(['label', 'classname', 'image', 'candidates'], train.map((q) => [q.label, q.classname, q.imageRel, q.candidates.length])));
  },
};
