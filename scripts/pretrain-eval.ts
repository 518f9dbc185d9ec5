// Zero-shot evaluation of a tiny checkpoint on the synthetic tasks' test sets, for the pretraining
// script and the model card: exactly the questions a zero-shot few-shot run sees (harness prompts, code
// candidate rule, eval prompt seed 100, the runner's seeded eval limit), think eval template, greedy.

import type { Engine, LoadedModel, PromptInput } from '../harness/contracts';
import { loadDataset, registerDataset } from '../harness/data';
import { buildQuestions, promptFor } from '../harness/prompts';
import { limitQuestions } from '../harness/runner/evaluate';
import { DEFAULT_PROMPT } from '../harness/runner/plan';
import { evalMatch, extractAnswer, formatReward } from '../harness/scoring';
import { datasetDefs } from '../suites/synthetic/world';

export interface TaskAccuracy {
  task: string;
  classes: number;
  n: number;
  correct: number;
  /** Percent. */
  accuracy: number;
  /** Percent of chance: 100 / number of candidates. */
  chance: number;
  /** Share of completions in the <think></think><answer></answer> format, percent. */
  formatted: number;
}

/** Accuracy per task on up to `limit` test questions per task (the runner's seeded subset). */
export async function zeroShotAccuracy(
  engine: Engine,
  model: LoadedModel,
  dataRoot: string,
  tasks: readonly string[],
  opts: { limit: number; maxTokens: number; batch?: number },
): Promise<TaskAccuracy[]> {
  const out: TaskAccuracy[] = [];
  for (const def of datasetDefs(tasks)) {
    registerDataset(def);
    const ds = await loadDataset(def.name, { dataRoot });
    const seed = DEFAULT_PROMPT.evalPromptSeed;
    const all = buildQuestions(ds.test, ds.classnames, { dataset: def.name, setName: 'test', rule: DEFAULT_PROMPT.candidateRule, setting: 'few-shot', seed });
    const items = limitQuestions(all, opts.limit, seed);
    const prompts: PromptInput[] = items.map((q) => promptFor(q, 'think', 'eval'));
    let correct = 0;
    let formatted = 0;
    const B = opts.batch ?? 32;
    for (let i = 0; i < prompts.length; i += B) {
      const res = await engine.generate(model, prompts.slice(i, i + B), { n: 1, temperature: 0, maxTokens: opts.maxTokens, seed: 0 });
      res.forEach((r, k) => {
        const text = r[0].text;
        if (evalMatch(extractAnswer(text), items[i + k].classname)) correct++;
        formatted += formatReward(text);
      });
    }
    out.push({
      task: def.name,
      classes: ds.classnames.length,
      n: items.length,
      correct,
      accuracy: (100 * correct) / Math.max(1, items.length),
      chance: 100 / ds.classnames.length,
      formatted: (100 * formatted) / Math.max(1, items.length),
    });
  }
  return out;
}
