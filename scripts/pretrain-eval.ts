// Zero-shot evaluation of a tiny checkpoint on the synthetic tasks' test sets, for the pretraining
// script and the model card: the paper's few-shot test prompt (question prefix, all-class candidate
// list, think eval template), greedy decoding, the paper's lenient match (harness/scoring).

import type { Engine, LoadedModel, PromptInput } from '../harness/contracts';
import { loadDataset, registerDataset } from '../harness/data';
import { evalMatch, extractAnswer, formatReward } from '../harness/scoring';
import { rngFrom } from '../suites/synthetic/prng';
import { datasetDefs, taskByName } from '../suites/synthetic/world';

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

const THINK_EVAL = ' First output the thinking process in <think> </think> and final answer in <answer> </answer> tags.';

/**
 * The task prompt in the paper's code format: `<prefix>\n Please choose one from list [ a, b].` + the
 * think eval template. Our tasks have < 75 classes, so the code's rule lists every class (shuffled).
 */
export function taskPrompt(prefix: string, classnames: readonly string[], seedKey: string): string {
  const list = rngFrom(seedKey).shuffled(classnames);
  return `${prefix}\n Please choose one from list [ ${list.join(', ')}].${THINK_EVAL}`;
}

/** Accuracy per task on up to `limit` test images per task (evenly spread over the test list). */
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
    const stride = Math.max(1, Math.floor(ds.test.length / Math.max(1, opts.limit)));
    const items = ds.test.filter((_, i) => i % stride === 0).slice(0, opts.limit || ds.test.length);
    const prompts: PromptInput[] = items.map((ex, i) => ({ id: `${def.name}/test/${i}`, image: ex.absPath, text: taskPrompt(taskByName(def.name).questionPrefix, ds.classnames, `eval|${def.name}|${i}`) }));
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
