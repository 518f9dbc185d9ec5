// Pretraining corpus for the tiny base model, drawn from the synthetic world's pretraining images
// (never a task image): captions, attribute questions, open naming, multiple choice phrased unlike the
// tasks' prompts, and think-then-answer demonstrations. A seeded, endless stream of SFT examples.

import type { Rng } from './prng';
import type { PretrainImage } from './materialise';
import { taskByName } from './world';

export type CorpusKind = 'caption' | 'attribute' | 'name' | 'choice' | 'think';

export interface CorpusExample {
  kind: CorpusKind;
  task: string;
  /** Absolute image path. */
  image: string;
  prompt: string;
  target: string;
}

/** Share of each kind in the stream (sums to 1). Choice and think dominate: they teach the skill used on tasks;
 * naming (short prompts, the name as the whole target) is the cheapest direct image-to-name signal. */
export const KIND_WEIGHTS: Record<CorpusKind, number> = { caption: 0.05, attribute: 0.1, name: 0.2, choice: 0.3, think: 0.35 };

const CAPTION_PROMPTS = ['Describe the picture.', 'What does this image show?', 'Write a short caption for the image.', 'Give a one-line description.'];

const NAME_PROMPTS = ['Name the {noun} in the image.', 'Which {noun} is shown here?', 'Identify this {noun}.'];

const CHOICE_LEADS = [
  'Which of these names fits the {noun} best?',
  'Pick the correct label for this {noun}.',
  'Select the {noun} shown in the image.',
  'Which option matches the image?',
];

/** Candidate list formats; none is the tasks' `Please choose one from list [ a, b].` sentence. */
const LIST_FORMATS: ((names: string[]) => string)[] = [
  (n) => `Options: ${n.join('; ')}.`,
  (n) => `Choices: ${n.map((x) => `(${x})`).join(' ')}`,
  (n) => `Candidates are ${n.join(' | ')}.`,
  (n) => `From {${n.join(', ')}}`,
  (n) => `Labels:\n${n.map((x, i) => `${i + 1}. ${x}`).join('\n')}`,
  // the tasks' bracket layout under other wording, so the base model can read the task lists at all
  (n) => `Pick one of [ ${n.join(', ')}].`,
  (n) => `The list is [ ${n.join(', ')}].`,
];

const DIRECT_TAILS = ['Reply with one name.', 'Answer with the name only.', 'Just give the label.', ''];

const THINK_TAILS = [
  'Reason briefly inside <think></think>, then put the name inside <answer></answer>.',
  'Think first in <think> tags and give the final label in <answer> tags.',
  'Use <think>...</think> for your reasoning and <answer>...</answer> for the name.',
];

function fill(template: string, noun: string): string {
  return template.replace('{noun}', noun);
}

function pickKind(rng: Rng): CorpusKind {
  let u = rng.next();
  for (const [k, w] of Object.entries(KIND_WEIGHTS) as [CorpusKind, number][]) {
    if (u < w) return k;
    u -= w;
  }
  return 'think';
}

/** 2..all class names of the task, always with the label, shuffled. */
function candidates(rng: Rng, names: readonly string[], label: string): string[] {
  const k = 2 + rng.int(names.length - 1);
  const others = rng.shuffled(names.filter((n) => n !== label)).slice(0, k - 1);
  return rng.shuffled([label, ...others]);
}

/** The reasoning of a think demonstration: the class's attribute words, short so RL rollouts stay cheap. */
export function thinkNotes(attrs: Record<string, string>): string {
  return `${Object.entries(attrs).map(([k, v]) => `${k} ${v}`).join(', ')}.`;
}

/** One corpus example for a pretraining image; the kind is drawn unless given. */
export function corpusExample(img: PretrainImage, rng: Rng, kind: CorpusKind = pickKind(rng)): CorpusExample {
  const task = taskByName(img.task);
  const cls = task.classes[img.label];
  const describe = task.describe(img.label);
  const base = { kind, task: task.name, image: img.absPath };
  switch (kind) {
    case 'caption':
      return { ...base, prompt: rng.pick(CAPTION_PROMPTS), target: `${describe}.` };
    case 'attribute': {
      const key = rng.pick(Object.keys(cls.attrs));
      return { ...base, prompt: `What is the ${key} of the ${task.noun}? Answer in a few words.`, target: cls.attrs[key] };
    }
    case 'name':
      return { ...base, prompt: fill(rng.pick(NAME_PROMPTS), task.noun), target: cls.name };
    case 'choice':
    case 'think': {
      const list = rng.pick(LIST_FORMATS)(candidates(rng, task.classes.map((c) => c.name), cls.name));
      const lead = fill(rng.pick(CHOICE_LEADS), task.noun);
      if (kind === 'choice') {
        const tail = rng.pick(DIRECT_TAILS);
        return { ...base, prompt: `${lead}\n${list}${tail ? ` ${tail}` : ''}`, target: cls.name };
      }
      return { ...base, prompt: `${lead}\n${list} ${rng.pick(THINK_TAILS)}`, target: `<think>${thinkNotes(cls.attrs)}</think><answer>${cls.name}</answer>` };
    }
  }
}

/** `n` examples from the seeded stream over `images` (uniform over images, kinds by KIND_WEIGHTS). */
export function corpusBatch(images: readonly PretrainImage[], rng: Rng, n: number): CorpusExample[] {
  const out: CorpusExample[] = [];
  for (let i = 0; i < n; i++) out.push(corpusExample(images[rng.int(images.length)], rng));
  return out;
}
