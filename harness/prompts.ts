// Classification prompts as the paper's code builds them: a per-dataset question, a seeded candidate list
// that always holds the label (few-shot-data.ipynb's choice_list), and the training/eval templates.

import type { Example, PromptInput, Question, SettingName, TemplateKind, TemplateUse } from './contracts';
import { questionPrefix } from './data/registry';
import { ClsrlError } from './errors';
import { PyRandom } from './random/pyrandom';
import { pyStrip } from './scoring';

export type CandidateRule = 'code' | 'text' | 'clamp';
export const CANDIDATE_RULES: readonly CandidateRule[] = ['code', 'text', 'clamp'];

/**
 * Number of names offered for C classes.
 * - `code` (notebook, default): n = int(0.4*C); if n < 30 then n = C; at most 100.
 * - `text` (paper D.1): the same with 40% for few-shot and 80% for base-to-new.
 * - `clamp` (fits the printed 30-option DTD prompts): C if C < 30, else clamp(int(0.4*C), 30, 100).
 */
export function candidateCount(numClasses: number, rule: CandidateRule = 'code', setting: SettingName = 'few-shot'): number {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new ClsrlError('BAD_CONFIG', `candidateCount: need at least one class (got ${numClasses})`, { hint: 'the class list of the set is empty' });
  }
  const C = numClasses;
  switch (rule) {
    case 'code':
    case 'text': {
      const share = rule === 'text' && setting === 'base-to-new' ? 0.8 : 0.4;
      let n = Math.trunc(C * share); // Python int() of the float product, as the notebook
      if (n < 30) n = C;
      return Math.min(n, 100);
    }
    case 'clamp':
      return C < 30 ? C : Math.min(Math.max(Math.trunc(C * 0.4), 30), 100);
    default:
      throw new ClsrlError('BAD_CONFIG', `unknown candidate rule '${String(rule)}'`, { hint: `use one of ${CANDIDATE_RULES.join(', ')}` });
  }
}

/** The notebook's list text: `Please choose one from list [ a, b, c].` (its `.strip()` drops the leading space). */
export function choiceText(candidates: readonly string[]): string {
  return pyStrip(' Please choose one from list [ ' + candidates.join(', ')) + '].';
}

/**
 * Between the question and the list. The notebook writes `prefix + '\n' + choice_text` and its choice_text is
 * stripped, so there is NO space after the newline in the data the paper trained and tested on (the paper's
 * prose and our contracts.ts comment show `\n Please ...`; the code is what produced the prompts).
 */
export const PROBLEM_SEPARATOR = '\n';

/** `problem = prefix + "\n" + choice text` (notebook). */
export function makeProblem(prefix: string, candidates: readonly string[]): string {
  return `${prefix}${PROBLEM_SEPARATOR}${choiceText(candidates)}`;
}

export interface BuildQuestionsOptions {
  /** Dataset registry name (question prefix and ids). */
  dataset: string;
  /** Set name for ids: `train`, `test`, `base`, `new`, `transfer:<Dataset>`. */
  setName: string;
  rule: CandidateRule;
  setting: SettingName;
  /** Seed of the candidate stream (train: the run seed; eval: PromptOptions.evalPromptSeed). */
  seed: number;
  /** Overrides the registry's question prefix. */
  questionPrefix?: string;
}

/**
 * One Question per item, in item order. Seeding: ONE PyRandom(seed) stream consumed in item order, and ONE
 * working copy of the class list that every example shuffles further in place, exactly as the notebook's
 * choice_list mutates its shared `class_name` list: shuffle the list, take the first n, if the label (by
 * name) is missing replace the last one with it, shuffle those n. The same (items, classnames, seed) give
 * the same lists, and the first k questions do not depend on the items after them (so eval limits are safe).
 */
export function buildQuestions(items: readonly Example[], classnames: readonly string[], opts: BuildQuestionsOptions): Question[] {
  const n = candidateCount(classnames.length, opts.rule, opts.setting);
  const prefix = opts.questionPrefix ?? questionPrefix(opts.dataset);
  const rng = new PyRandom(opts.seed);
  const pool = [...classnames];
  return items.map((it, index) => {
    if (classnames[it.label] !== it.classname) {
      throw new ClsrlError('DATA_FORMAT', `${opts.dataset}/${opts.setName}/${index}: label ${it.label} is ${JSON.stringify(it.classname)} but the class list says ${JSON.stringify(classnames[it.label])}`, {
        hint: 'build questions with the class list of the set the items belong to (base/new sets are relabelled)',
      });
    }
    rng.shuffle(pool);
    const candidates = pool.slice(0, n);
    if (!candidates.includes(it.classname)) candidates[n - 1] = it.classname;
    rng.shuffle(candidates);
    return {
      id: `${opts.dataset}/${opts.setName}/${index}`,
      dataset: opts.dataset,
      image: it.absPath,
      imageRel: it.image,
      label: it.label,
      classname: it.classname,
      candidates,
      problem: makeProblem(prefix, candidates),
    };
  });
}

const THINK_INSTRUCTION = 'the thinking process in <think> </think> and final answer in <answer> </answer> tags.';

/** The paper code's templates by (kind, use); `{Q}` is the problem. */
export const TEMPLATES: Readonly<Record<TemplateKind, Record<TemplateUse, string>>> = {
  think: {
    train: `{Q}\n Please output ${THINK_INSTRUCTION}`, // grpo.py
    eval: `{Q} First output ${THINK_INSTRUCTION}`, // test_qwen2vl_fewshot.py, _b2n_new.py ("normal")
    'eval-b2n-base': `{Q} Please output ${THINK_INSTRUCTION}`, // test_qwen2vl_b2n_base.py ("normal")
  },
  direct: {
    train: '{Q}\n Please directly output the answer.', // grpo_direct.py
    eval: '{Q} Please directly output the answer name.', // eval scripts ("direct")
    'eval-b2n-base': '{Q} Please directly output the answer name.',
  },
};

/** Applies a template to a problem. */
export function applyTemplate(problem: string, kind: TemplateKind, use: TemplateUse): string {
  const t = TEMPLATES[kind]?.[use];
  if (t === undefined) {
    throw new ClsrlError('BAD_CONFIG', `no template for kind '${String(kind)}' and use '${String(use)}'`, {
      hint: "kind is 'think' or 'direct'; use is 'train', 'eval' or 'eval-b2n-base'",
    });
  }
  return t.replace('{Q}', () => problem);
}

/** Template use of an evaluation set: the b2n base test uses the "Please output" variant, all others "eval". */
export function evalTemplateUse(setting: SettingName, setName: string): TemplateUse {
  return setting === 'base-to-new' && setName === 'base' ? 'eval-b2n-base' : 'eval';
}

/** What an engine receives for a question. */
export function promptFor(q: Question, kind: TemplateKind, use: TemplateUse): PromptInput {
  return { id: q.id, image: q.image, text: applyTemplate(q.problem, kind, use) };
}
