// Pretraining corpus v4 (`npm run pretrain -- --recipe v4`): a base model whose zero-shot gap lies in
// how it answers, as a pretrained instruct model's does (issue 15), on the same pretraining images as v3.
// What changes from v3 (corpus.ts):
// - Label forms live inside lists. Open naming (no list) answers with the class's plain description
//   ("red circle shape"), never a dataset label; a label is only ever produced by copying it from a list,
//   and lists often show the names restyled (Title Case, snake_case, kebab-case, lower case), the answer
//   being the listed string. Unread lists therefore give non-label answers, not silently right ones.
// - Lists are a skill: 2 to all names, often hard distractors (classes sharing attributes with the label),
//   often without the label's nearest neighbours (so the image alone is ambiguous but the list is not).
// - Think demonstrations come in three styles, and the most frequent one is a habit, not a skill:
//   careful  `<think>colour red, shape circle.</think><answer>red ball</answer>` (the right name);
//   hasty    `<think>colour red.</think><answer>...</answer>`: only the first attribute noted, then the
//            first listed name whose class shares it (often not the label);
//   verbose  a longer walk through the options (the notes, then the name twice), the right name.
//   Careful and hasty share their first tokens and part at one token (`.` or `,` after the first attribute),
//   where hasty is the more frequent, so
//   greedy thinking follows the habit while the direct answer (and log p(name)) knows better: the gap RL
//   can close by sampling the careful continuation and being rewarded for it.

import type { Rng } from './prng';
import type { PretrainImage } from './materialise';
import { thinkNotes } from './corpus';
import type { SynthTask } from './task';
import { anyTaskByName } from './world';

export type CorpusV4Kind = 'caption' | 'attribute' | 'name' | 'choice' | 'think';
export type ThinkStyle = 'careful' | 'hasty' | 'verbose';

export interface CorpusV4Example {
  kind: CorpusV4Kind;
  task: string;
  image: string;
  prompt: string;
  target: string;
  /** Think style of a think example. */
  style?: ThinkStyle;
}

export const KIND_WEIGHTS_V4: Record<CorpusV4Kind, number> = { caption: 0.05, attribute: 0.08, name: 0.12, choice: 0.35, think: 0.4 };

/** Shares of the think styles; hasty > careful is what makes greedy thinking worse than the direct answer. */
export const THINK_STYLES_V4: Record<ThinkStyle, number> = { careful: 0.35, hasty: 0.55, verbose: 0.1 };

const CAPTION_PROMPTS = ['Describe the picture.', 'What does this image show?', 'Write a short caption for the image.', 'Give a one-line description.'];
const NAME_PROMPTS = ['Name the {noun} in the image.', 'What is this {noun}? Say it in your own words.', 'Which {noun} is shown here?'];
const CHOICE_LEADS = [
  'Which of these names fits the {noun} best?',
  'Pick the correct label for this {noun}.',
  'Select the {noun} shown in the image.',
  'Which option matches the image?',
  'What type of {noun} is in the photo?',
];

/** Candidate list formats, the tasks' bracket layout among them (under other wording). */
const LIST_FORMATS: ((names: string[]) => string)[] = [
  (n) => `Options: ${n.join('; ')}.`,
  (n) => `Choices: ${n.map((x) => `(${x})`).join(' ')}`,
  (n) => `Candidates are ${n.join(' | ')}.`,
  (n) => `Labels:\n${n.map((x, i) => `${i + 1}. ${x}`).join('\n')}`,
  (n) => `Pick one of [ ${n.join(', ')}].`,
  (n) => `The list is [ ${n.join(', ')}].`,
  (n) => `Choose one from the list [ ${n.join(', ')}].`,
];

const DIRECT_TAILS = ['Reply with one name from the list.', 'Answer with the name only.', 'Just give the label.', 'Output the answer name directly.', ''];
const THINK_TAILS = [
  'Reason briefly inside <think></think>, then put the name inside <answer></answer>.',
  'Think first in <think> tags and give the final label in <answer> tags.',
  'Output your reasoning in <think> </think> and the answer in <answer> </answer> tags.',
];

/** How a list shows its names: as the dataset spells them, or restyled (the answer copies the listed form). */
const NAME_STYLES: ((s: string) => string)[] = [
  (s) => s,
  (s) => s,
  (s) => s,
  (s) => s.split(/[\s_]+/).map((w) => (w ? w[0].toUpperCase() + w.slice(1) : w)).join(' '),
  (s) => s.split(/[\s-]+/).join('_').toLowerCase(),
  (s) => s.split(/[\s_]+/).join('-').toLowerCase(),
  (s) => s.split('_').join(' ').toLowerCase(),
];

function fill(template: string, noun: string): string {
  return template.split('{noun}').join(noun);
}

function pickWeighted<K extends string>(rng: Rng, weights: Record<K, number>): K {
  const entries = Object.entries(weights) as [K, number][];
  let u = rng.next();
  for (const [k, w] of entries) {
    if (u < w) return k;
    u -= w;
  }
  return entries[entries.length - 1][0];
}

/** Attributes two classes share. */
function shared(task: SynthTask, a: number, b: number): number {
  const x = task.classes[a].attrs;
  const y = task.classes[b].attrs;
  return Object.keys(x).filter((k) => x[k] === y[k]).length;
}

/** Longest list: every class of a task (at most 30), 30 of the open vocabulary's 1,078 (prompts fit the context). */
export const MAX_LIST = 30;

/**
 * Class indices of a list for `label`: 2 to all classes (at most MAX_LIST), always the label. Half the lists take their
 * distractors hardest first (most shared attributes); a third of those then drop the label's nearest
 * neighbours, so the image alone would be ambiguous while the list is not.
 */
export function listClasses(task: SynthTask, label: number, rng: Rng): number[] {
  const C = task.classes.length;
  const most = Math.min(C, MAX_LIST);
  const u = rng.next();
  const k = u < 0.4 ? 2 + rng.int(Math.min(4, most - 1)) : u < 0.7 ? 2 + rng.int(most - 1) : most;
  let others = rng.shuffled([...Array(C).keys()].filter((c) => c !== label));
  if (rng.next() < 0.5) {
    others = others.map((c) => ({ c, s: shared(task, c, label) })).sort((p, q) => q.s - p.s).map((p) => p.c);
    if (rng.next() < 0.33) {
      const top = Math.max(...others.map((c) => shared(task, c, label)));
      const rest = others.filter((c) => shared(task, c, label) < top);
      if (rest.length >= k - 1) others = rest;
    }
  }
  return rng.shuffled([label, ...others.slice(0, k - 1)]);
}

/** The plain description of a class (its caption without the article): what open naming answers. */
export function plainName(task: SynthTask, c: number): string {
  return task.describe(c).replace(/^(a|an) /, '');
}

/** The first listed class sharing the label's first attribute (the hasty habit's answer). */
export function hastyPick(task: SynthTask, label: number, listed: readonly number[]): number {
  const [k] = Object.keys(task.classes[label].attrs);
  const v = task.classes[label].attrs[k];
  return listed.find((c) => task.classes[c].attrs[k] === v) ?? label;
}

/** The think target of one style. `shown(c)` is class c's name as the list shows it. */
export function thinkTarget(task: SynthTask, label: number, listed: readonly number[], style: ThinkStyle, shown: (c: number) => string): string {
  const attrs = task.classes[label].attrs;
  switch (style) {
    case 'careful':
      return `<think>${thinkNotes(attrs)}</think><answer>${shown(label)}</answer>`;
    case 'hasty': {
      const [k] = Object.keys(attrs);
      return `<think>${k} ${attrs[k]}.</think><answer>${shown(hastyPick(task, label, listed))}</answer>`;
    }
    case 'verbose':
      return `<think>Let me check each option. ${thinkNotes(attrs)} So ${shown(label)}.</think><answer>${shown(label)}</answer>`;
  }
}

export function corpusExampleV4(img: PretrainImage, rng: Rng, kind: CorpusV4Kind = pickWeighted(rng, KIND_WEIGHTS_V4)): CorpusV4Example {
  const task = anyTaskByName(img.task);
  const label = img.label;
  const cls = task.classes[label];
  const base = { kind, task: task.name, image: img.absPath };
  switch (kind) {
    case 'caption':
      return { ...base, prompt: rng.pick(CAPTION_PROMPTS), target: `${task.describe(label)}.` };
    case 'attribute': {
      const key = rng.pick(Object.keys(cls.attrs));
      // A task whose attribute is its label (SynthTextures' pattern) answers with the description instead.
      const value = cls.attrs[key] === cls.name ? plainName(task, label) : cls.attrs[key];
      return { ...base, prompt: `What is the ${key} of the ${task.noun}? Answer in a few words.`, target: value };
    }
    case 'name':
      return { ...base, prompt: fill(rng.pick(NAME_PROMPTS), task.noun), target: plainName(task, label) };
    case 'choice':
    case 'think': {
      const listed = listClasses(task, label, rng);
      const style = rng.pick(NAME_STYLES);
      const shown = (c: number) => style(task.classes[c].name);
      const list = rng.pick(LIST_FORMATS)(listed.map(shown));
      const lead = fill(rng.pick(CHOICE_LEADS), task.noun);
      if (kind === 'choice') {
        const tail = rng.pick(DIRECT_TAILS);
        return { ...base, prompt: `${lead}\n${list}${tail ? ` ${tail}` : ''}`, target: shown(label) };
      }
      const th = pickWeighted(rng, THINK_STYLES_V4);
      return { ...base, style: th, prompt: `${lead}\n${list} ${rng.pick(THINK_TAILS)}`, target: thinkTarget(task, label, listed, th, shown) };
    }
  }
}

/** `n` examples from the seeded stream over `images` (uniform over images, kinds by KIND_WEIGHTS_V4). */
export function corpusBatchV4(images: readonly PretrainImage[], rng: Rng, n: number): CorpusV4Example[] {
  const out: CorpusV4Example[] = [];
  for (let i = 0; i < n; i++) out.push(corpusExampleV4(images[rng.int(images.length)], rng));
  return out;
}
