// Writes models/tiny-base/MODEL_CARD.md from a pretraining record: data, steps, loss curve (a text
// sparkline and a table), zero-shot accuracy per task, and the command that reproduces it.

import * as fs from 'fs';
import type { TinyConfig } from '../harness/engines/tiny';
import type { WorldOptions } from '../suites/synthetic/world';
import type { TaskAccuracy } from './pretrain-eval';

/** Stage 1: the vision tower trained alone on class-ID classification. */
export interface VisionRecord {
  steps: number;
  batch: number;
  lr: number;
  /** Labels: every (task, class) pair. */
  classes: number;
  curve: { step: number; loss: number; accuracy: number }[];
  /** Percent correct on every task's validation images. */
  heldOutAccuracy: number;
  heldOutImages: number;
  minutes: number;
}

export interface PretrainRecord {
  seed: number;
  steps: number;
  batch: number;
  lr: number;
  warmup: number;
  threads: number;
  config: TinyConfig;
  world: WorldOptions;
  worldVersion: string;
  images: number;
  kinds: Record<string, number>;
  /** BPE merges of the tokenizer (0 = byte-level) and the corpus examples they were trained on. */
  merges?: number;
  bpeExamples?: number;
  /** BPE-dropout probability applied to training prompts. */
  promptDropout?: number;
  /** Initial text position table ('sinusoid' or the engine's 'random'; absent in older records = random). */
  posInit?: 'sinusoid' | 'random';
  vision?: VisionRecord;
  /** Open-vocabulary pretraining images (recipe v4): per concept, and all concepts with the tasks' classes. */
  openVocab?: { perConcept: number; concepts: number; images: number };
  /** Corpus recipe (absent = v3, `suites/synthetic/corpus.ts`). */
  recipe?: string;
  /** Shares of the think styles (recipe v4). */
  thinkStyles?: Record<string, number>;
  /** Checkpoint the run started from (continued pretraining), or whose vision tower it copied. */
  init?: string;
  initVision?: string;
  /** Step an interrupted run was resumed from. */
  resumedAt?: number;
  losses: { step: number; loss: number }[];
  zeroShot: TaskAccuracy[];
  meanZeroShot: number;
  trainMinutes: number;
  evalMinutes: number;
  totalMinutes: number;
  command: string;
}

const BARS = '▁▂▃▄▅▆▇█';

function sparkline(xs: number[]): string {
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return xs.map((x) => BARS[hi > lo ? Math.round(((x - lo) / (hi - lo)) * (BARS.length - 1)) : 0]).join('');
}

function corpusV4Lines(r: PretrainRecord, kinds: string): string[] {
  const styles = Object.entries(r.thinkStyles ?? {}).map(([k, w]) => `${k} ${(w * 100).toFixed(0)}%`).join(', ');
  return [
    `- Examples drawn on the fly from a seeded stream, recipe v4 (\`suites/synthetic/corpus-v4.ts\`): ${kinds}.`,
    '  Open naming answers a plain description ("red circle shape"), never a label: labels are only answered by copying',
    '  them from a list, often restyled (Title Case, snake_case, kebab-case), and the answer is the listed spelling.',
    '  Lists hold 2 to all class names, often hard distractors, often without the label\'s nearest neighbours.',
    `  Think demonstrations in three styles (${styles}): careful notes then the name; a hasty habit (only the`,
    '  first attribute noted, then the first listed name sharing it); a longer walk through the options. Hasty is the most frequent,',
    '  so greedy thinking follows it while the direct answer knows better.',
  ];
}

export function modelCard(r: PretrainRecord): string {
  const curve = r.losses.filter((_, i) => i % Math.max(1, Math.ceil(r.losses.length / 12)) === 0 || i === r.losses.length - 1);
  const kinds = Object.entries(r.kinds).map(([k, w]) => `${k} ${(w * 100).toFixed(0)}%`).join(', ');
  return [
    '# tiny-base: the tiny engine\'s shipped base model',
    '',
    'A small vision-language transformer (the `tiny` engine of clsrl) pretrained from scratch on the synthetic world',
    '(`suites/synthetic/`), so that zero-shot it can describe, choose from a list and think, but only imperfectly on the',
    'eleven tasks\' own prompts: fine-tuning (SFT, CLS-RL, No-Thinking-CLS-RL) has room to help or to hurt.',
    '',
    '## Reproduce',
    '',
    '```',
    r.command,
    '```',
    '',
    `Seed ${r.seed}; ${r.threads} ONNX Runtime threads; ${r.totalMinutes.toFixed(1)} min in total on this machine ` +
      `(${r.vision ? `vision stage ${r.vision.minutes.toFixed(1)} min, ` : ''}language stage ${r.trainMinutes.toFixed(1)} min, zero-shot evaluation ${r.evalMinutes.toFixed(1)} min).`,
    '',
    '## Model',
    '',
    '```json',
    JSON.stringify(r.config, null, 2),
    '```',
    '',
    (r.merges
      ? `BPE tokenizer: ${r.merges} merges over UTF-8 bytes (no unknown token), trained on the text of ${r.bpeExamples} corpus examples ` +
        'from their own seeded stream; merges stay inside a word, so a class name has the same tokens in a list and in an answer. ' +
        (r.promptDropout ? `Training prompts use BPE-dropout ${r.promptDropout}, so words the corpus never shows whole (the tasks' own phrasing) are read from pieces the model has seen. ` : '')
      : 'Byte-level tokenizer (no unknown token). ') + 'Weights in `model.safetensors`; config and tokenizer merges in `config.json`.',
    '',
    '## Data',
    '',
    `- World ${r.worldVersion}, seed ${r.world.seed}: ${r.images - (r.openVocab?.images ?? 0)} pretraining images (${r.world.pretrain} per class of every task),`,
    '  rendered under the split key `pretrain`, so none is a train, val or test image of a task (checked by',
    '  `test/unit/synthetic.test.ts`).',
    ...(r.recipe === 'v4' ? corpusV4Lines(r, kinds) : [
      `- Examples drawn on the fly from a seeded stream (\`suites/synthetic/corpus.ts\`): ${kinds}.`,
      '  Captions and attribute questions describe colours, shapes and parts; naming asks for the class name without a',
      '  list; multiple choice lists 2 to all class names in formats unlike the tasks\' `Please choose one from list [ ... ].`;',
      '  think demonstrations answer `<think>attribute notes.</think><answer>name</answer>`.',
    ]),
    ...(r.openVocab ? [`- Open vocabulary: ${r.openVocab.perConcept} pretraining images of each of the 1,078 SynthThings concepts (\`suites/synthetic/tasks-open.ts\`, never a task; ${r.openVocab.images} images), ${r.openVocab.concepts} concepts in all with the tasks' classes.`] : []),
    ...(r.init ? [`- Continued pretraining: weights and tokenizer start from \`${r.init}\` (no vision stage).`] : []),
    ...(r.initVision ? [`- The vision tower is copied from \`${r.initVision}\` (no vision stage).`] : []),
    ...(r.resumedAt !== undefined ? [`- Interrupted and resumed from the intermediate checkpoint of step ${r.resumedAt} (\`--resume\`).`] : []),
    '',
    '## Training',
    '',
    ...(r.vision ? visionSection(r.vision) : []),
    `${r.vision ? 'Stage 2, the whole model: ' : ''}SFT through the engine's \`step\` with weights 1/(len x batch) on target tokens; ${r.steps} AdamW updates of ${r.batch} examples,`,
    `peak lr ${r.lr}, ${r.warmup} warmup steps then cosine decay, weight decay 0.01, betas (0.9, 0.98), gradient clip 1.` +
      (r.posInit === 'sinusoid' ? ' The text position table starts as sinusoids (at the random init\'s scale) and is trained.' : ''),
    '',
    `Loss (mean per-token NLL over 20-step windows, per ${r.merges ? 'BPE' : 'byte'} token): \`${sparkline(r.losses.map((l) => l.loss))}\``,
    '',
    '| step | loss |',
    '|---:|---:|',
    ...curve.map((l) => `| ${l.step} | ${l.loss.toFixed(4)} |`),
    '',
    '## Zero-shot accuracy per task',
    '',
    'Test images of each task (a seeded sample up to the limit, the harness\'s `evalLimit` rule), the paper\'s few-shot prompt (question prefix, every class',
    'in the candidate list, the think evaluation template), greedy decoding, the paper\'s lenient match.',
    '',
    '| task | mirrors | classes | n | accuracy % | chance % | formatted % |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...r.zeroShot.map((a) => `| ${a.task} | ${MIRRORS[a.task] ?? ''} | ${a.classes} | ${a.n} | ${a.accuracy.toFixed(1)} | ${a.chance.toFixed(1)} | ${a.formatted.toFixed(0)} |`),
    `| **mean** | | | | **${r.meanZeroShot.toFixed(1)}** | | |`,
    '',
    targetLine(r),
    '',
  ].join('\n');
}

function visionSection(v: VisionRecord): string[] {
  const last = v.curve[v.curve.length - 1];
  return [
    `Stage 1, the vision tower alone: the image tokens are mean-pooled and a linear head (discarded afterwards) classifies`,
    `the ${v.classes} (task, class) pairs, ${v.steps} AdamW updates of ${v.batch} pretraining images, peak lr ${v.lr}, 30 warmup steps then`,
    `cosine decay, weight decay 0.05. Final training accuracy ${(100 * (last?.accuracy ?? 0)).toFixed(1)}% (last 100 updates);`,
    `held out on the tasks' ${v.heldOutImages} validation images: **${v.heldOutAccuracy.toFixed(1)}%** (chance ${(100 / v.classes).toFixed(1)}%).`,
    '',
  ];
}

/** The shipped model's target: above chance on every task, 25-75% on average (room to help or hurt). */
function targetLine(r: PretrainRecord): string {
  const below = r.zeroShot.filter((a) => !(a.accuracy > a.chance)).map((a) => a.task);
  const meanOk = r.meanZeroShot >= 25 && r.meanZeroShot <= 75;
  const verdict = below.length === 0 && meanOk ? 'met' : 'not met';
  return (
    `Target (above chance on every task, 25-75% on average): **${verdict}**. ` +
    `Mean ${r.meanZeroShot.toFixed(1)}% (${meanOk ? 'inside' : 'outside'} 25-75%); ` +
    (below.length ? `at or below chance on ${below.join(', ')}.` : 'above chance on every task.')
  );
}

const MIRRORS: Record<string, string> = {
  SynthObjects: 'ImageNet', SynthCaltech: 'Caltech101', SynthTextures: 'DTD', SynthSat: 'EuroSAT', SynthFood: 'Food101',
  SynthFlowers: 'Flowers102', SynthPets: 'OxfordPets', SynthCars: 'StanfordCars', SynthScenes: 'SUN397',
  SynthActions: 'UCF101', SynthAircraft: 'FGVCAircraft',
};

export function writeModelCard(file: string, r: PretrainRecord): void {
  fs.writeFileSync(file, modelCard(r));
}
