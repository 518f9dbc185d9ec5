// Settings applied to a loaded dataset, exactly as Dassl/CoOp do it: few-shot sampling with CPython's
// `random` (generate_fewshot_dataset), then base/new class subsampling (subsample_classes), full test sets.

import type { EvalSet, Example, LoadedDataset, SettingName, Split } from './contracts';
import { ClsrlError } from './errors';
import { PyRandom } from './random/pyrandom';

/** Evaluation items: CoOp's test split, the paper's eval code's test + valid records, or the tasks' val split
 * alone (for tuning budgets and recipes without looking at test images). */
export const EVAL_SPLITS = ['test', 'test+val', 'val'] as const;
export type EvalSplitOption = (typeof EVAL_SPLITS)[number];

export interface SplitOptions {
  /** `test` (CoOp), `test+val` (the CLS-RL eval code keeps `test` and `valid` records) or `val` (tuning). */
  evalSplit: EvalSplitOption;
}

/**
 * Dassl's generate_fewshot_dataset (repeat=False): group by label in first-appearance order, keeping list
 * order within a label; `rng.sample(items, K)` per label, or all items if fewer than K. K < 1 returns all.
 */
export function generateFewshot(items: readonly Example[], shots: number, rng: PyRandom): Example[] {
  if (shots < 1) return [...items];
  const byLabel = new Map<number, Example[]>();
  for (const it of items) {
    const group = byLabel.get(it.label);
    if (group) group.push(it);
    else byLabel.set(it.label, [it]);
  }
  const out: Example[] = [];
  for (const group of byLabel.values()) out.push(...(group.length >= shots ? rng.sample(group, shots) : group));
  return out;
}

/**
 * Few-shot train and val of all classes: a fresh PyRandom(seed) (Dassl seeds `random` before building the
 * dataset) samples train with K = shots, then val continues the same stream with K = min(shots, 4).
 * shots <= 0 keeps the full train and val. An empty val (ImageNet) draws nothing.
 */
export function fewShotSplit(ds: LoadedDataset, shots: number, seed: number): { train: Example[]; val: Example[] } {
  checkShotsSeed(shots, seed);
  if (shots <= 0) return { train: [...ds.train], val: [...ds.val] };
  const rng = new PyRandom(seed);
  const train = generateFewshot(ds.train, shots, rng);
  const val = generateFewshot(ds.val, Math.min(shots, 4), rng);
  return { train, val };
}

/** Dassl's subsample_classes label halves: sorted labels of `train`, first ceil(n/2) are base (odd n: base gets the extra). */
export function baseNewLabels(train: readonly Example[]): { base: number[]; new: number[] } {
  const labels = [...new Set(train.map((e) => e.label))].sort((a, b) => a - b);
  const m = Math.ceil(labels.length / 2);
  return { base: labels.slice(0, m), new: labels.slice(m) };
}

/** Keeps items whose label is in `selected` and relabels them to their index in `selected` (order kept). */
export function subsampleClasses(items: readonly Example[], selected: readonly number[]): Example[] {
  const relabel = new Map(selected.map((y, i) => [y, i]));
  const out: Example[] = [];
  for (const it of items) {
    const y = relabel.get(it.label);
    if (y !== undefined) out.push({ ...it, label: y });
  }
  return out;
}

/** The evaluation items: the full test split, plus the full val split for `test+val`, or the val split alone for `val`. */
export function evalItems(ds: LoadedDataset, evalSplit: EvalSplitOption): Example[] {
  switch (evalSplit) {
    case 'test':
      return [...ds.test];
    case 'test+val':
      return [...ds.test, ...ds.val];
    case 'val':
      if (ds.val.length === 0) {
        throw new ClsrlError('DATA_FORMAT', `${ds.name}: the val split is empty, so evalSplit 'val' has nothing to evaluate`, {
          hint: "use --eval-split test (ImageNet-style datasets have no val records)",
        });
      }
      return [...ds.val];
    default:
      throw new ClsrlError('BAD_CONFIG', `unknown evalSplit '${String(evalSplit)}'`, {
        hint: "use 'test' (CoOp), 'test+val' (CLS-RL eval code) or 'val' (tuning on validation images)",
      });
  }
}

/** Base-to-new: few-shot sample of all classes, then the base half for training and base/new test sets. */
export function baseToNewSplit(ds: LoadedDataset, shots: number, seed: number, opts: SplitOptions): Split {
  const fs = fewShotSplit(ds, shots, seed);
  const halves = baseNewLabels(fs.train);
  const names = (labels: number[]) => labels.map((l) => ds.classnames[l]);
  const classes = { base: names(halves.base), new: names(halves.new) };
  const test = evalItems(ds, opts.evalSplit);
  const evals: EvalSet[] = [
    { name: 'base', dataset: ds.name, classnames: classes.base, items: subsampleClasses(test, halves.base) },
    { name: 'new', dataset: ds.name, classnames: classes.new, items: subsampleClasses(test, halves.new) },
  ];
  return {
    dataset: ds.name,
    setting: 'base-to-new',
    shots,
    seed,
    classes,
    trainClassnames: classes.base,
    train: subsampleClasses(fs.train, halves.base),
    val: subsampleClasses(fs.val, halves.base),
    evals,
  };
}

/** Applies a setting: few-shot (all classes, eval `test`) or base-to-new (eval `base` and `new`). */
export function makeSplit(ds: LoadedDataset, setting: SettingName, shots: number, seed: number, opts: SplitOptions = { evalSplit: 'test' }): Split {
  if (setting === 'base-to-new') return baseToNewSplit(ds, shots, seed, opts);
  if (setting !== 'few-shot') {
    throw new ClsrlError('BAD_FLAG', `unknown setting '${String(setting)}'`, { hint: "use 'few-shot' or 'base-to-new'" });
  }
  const fs = fewShotSplit(ds, shots, seed);
  const all = [...ds.classnames];
  return {
    dataset: ds.name,
    setting,
    shots,
    seed,
    classes: { all },
    trainClassnames: all,
    train: fs.train,
    val: fs.val,
    evals: [{ name: 'test', dataset: ds.name, classnames: all, items: evalItems(ds, opts.evalSplit) }],
  };
}

/** Cross-dataset evaluation set: every class, the full test split (no shot sampling, no subsampling). */
export function transferEvalSet(ds: LoadedDataset, opts: SplitOptions = { evalSplit: 'test' }): EvalSet {
  return { name: `transfer:${ds.name}`, dataset: ds.name, classnames: [...ds.classnames], items: evalItems(ds, opts.evalSplit) };
}

function checkShotsSeed(shots: number, seed: number): void {
  if (!Number.isInteger(shots)) throw new ClsrlError('BAD_FLAG', `shots must be an integer (got ${shots})`, { hint: 'e.g. --shots 4; 0 or less uses the full train set' });
  if (!Number.isSafeInteger(seed)) throw new ClsrlError('BAD_FLAG', `seed must be an integer (got ${seed})`, { hint: 'CoOp uses seeds 1, 2 and 3; the paper 100' });
}
