// `clsrl split`: the exact few-shot / base-to-new split and prompts a run would use, for inspection and
// for checking against CoOp (Dassl's sampling reproduced bit for bit).

import type { Argv } from 'yargs';
import type { Command } from './index';
import type { PromptOptions, Question, SettingName } from '../contracts';
import { loadDataset, resolveDataRoot } from '../data';
import { buildQuestions } from '../prompts';
import { DEFAULT_PROMPT } from '../runner/plan';
import { intFlag } from '../runner/options';
import { makeSplit } from '../splits';
import { jsonOption, printJson, printLine, textTable } from './output';

interface Args {
  dataset: string;
  setting: SettingName;
  shots: string;
  seed: string;
  'data-root'?: string;
  'candidate-rule': PromptOptions['candidateRule'];
  'eval-split': PromptOptions['evalSplit'];
  'eval-prompt-seed': string;
  json: boolean;
}

const item = (q: Question) => ({ image: q.imageRel, label: q.label, classname: q.classname, candidates: q.candidates, prompt: q.problem });

export const command: Command = {
  command: 'split',
  describe: 'show the few-shot/base-to-new split and prompts for a dataset, setting, shots and seed',
  builder: (y: Argv) =>
    jsonOption(y)
      .option('dataset', { type: 'string', demandOption: true, describe: 'dataset name (`clsrl datasets`)' })
      .option('setting', { choices: ['few-shot', 'base-to-new'], demandOption: true, describe: 'protocol' })
      .option('shots', { type: 'string', demandOption: true, describe: 'shots per class (K)' })
      .option('seed', { type: 'string', demandOption: true, describe: 'split seed (CoOp: 1, 2, 3)' })
      .option('data-root', { type: 'string', describe: 'data root (default: $CLSRL_DATA)' })
      .option('candidate-rule', { choices: ['code', 'text', 'clamp'], default: DEFAULT_PROMPT.candidateRule, describe: 'candidate-list size rule' })
      .option('eval-split', { choices: ['test', 'test+val'], default: DEFAULT_PROMPT.evalSplit, describe: 'evaluation items' })
      .option('eval-prompt-seed', { type: 'string', default: String(DEFAULT_PROMPT.evalPromptSeed), describe: 'seed of the evaluation candidate lists' }),
  handler: async (raw) => {
    const argv = raw as unknown as Args;
    const shots = intFlag('shots', argv.shots, 1, 'split');
    const seed = intFlag('seed', argv.seed, 0, 'split');
    const evalSeed = intFlag('eval-prompt-seed', argv['eval-prompt-seed'], 0, 'split');
    const dataRoot = resolveDataRoot(argv['data-root']);
    const ds = await loadDataset(argv.dataset, { dataRoot });
    const split = await makeSplit(ds, argv.setting, shots, seed, { evalSplit: argv['eval-split'] });
    const rule = argv['candidate-rule'];
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
