// The runner's view of the data layer: loading (memoised per process), custom suite datasets,
// splits and questions. One place that knows the data modules' signatures.

import type { EvalSet, LoadedDataset, PromptOptions, Question, RunSpec, SplitJsonDatasetDef, Split, SuiteDef } from '../contracts';
import { listDatasets, loadDataset, registerDataset } from '../data';
import { buildQuestions } from '../prompts';
import { makeSplit, transferEvalSet } from '../splits';
import { ClsrlError } from '../errors';
import { limitQuestions, splitName } from './evaluate';
import { hashOf } from './hash';

const loaded = new Map<string, Promise<LoadedDataset>>();

/** Loads a dataset once per process and data root. */
export function getDataset(name: string, dataRoot: string): Promise<LoadedDataset> {
  const key = `${dataRoot}\0${name}`;
  let p = loaded.get(key);
  if (!p) {
    p = Promise.resolve().then(() => loadDataset(name, { dataRoot }));
    loaded.set(key, p);
    p.catch(() => loaded.delete(key));
  }
  return p;
}

/** Registers the datasets a suite brings as data (idempotent). */
export function registerSuiteDatasets(defs: SplitJsonDatasetDef[] | undefined): void {
  for (const def of defs ?? []) registerDataset(def);
}

/** Names the data registry knows (for validation messages). */
export function knownDatasetNames(): string[] {
  return (listDatasets() as unknown[]).map((d) => (typeof d === 'string' ? d : (d as { name: string }).name));
}

/** The split a spec trains and evaluates on; zero-shot specs (shots 0) still need the class partition. */
export async function splitFor(spec: RunSpec, ds: LoadedDataset): Promise<Split> {
  return makeSplit(ds, spec.setting, Math.max(1, spec.shots), spec.shots === 0 ? 1 : spec.seed, {
    evalSplit: spec.config.prompt.evalSplit,
  });
}

export async function transferSet(ds: LoadedDataset, prompt: PromptOptions): Promise<EvalSet> {
  return transferEvalSet(ds, { evalSplit: prompt.evalSplit });
}

/** Training questions: candidate lists seeded by the run seed. */
export function trainQuestions(spec: RunSpec, split: Split): Question[] {
  return buildQuestions(split.train, split.trainClassnames, {
    dataset: spec.dataset,
    setName: 'train',
    rule: spec.config.prompt.candidateRule,
    setting: spec.setting,
    seed: spec.seed,
  });
}

/**
 * Evaluation questions: seeded by the shared evalPromptSeed so every method sees identical test
 * prompts; a transfer set uses the other dataset's own few-shot `test` prompts.
 */
export function evalQuestions(spec: RunSpec, set: EvalSet, setName: string): Question[] {
  const transfer = set.name.startsWith('transfer:');
  return buildQuestions(set.items, set.classnames, {
    dataset: set.dataset,
    setName,
    rule: spec.config.prompt.candidateRule,
    setting: transfer ? 'few-shot' : spec.setting,
    seed: spec.config.prompt.evalPromptSeed,
  });
}

/** Fingerprint of everything a run read: its dataset and its transfer targets. */
export function dataFingerprint(datasets: LoadedDataset[]): string {
  return hashOf(datasets.map((d) => [d.name, d.fingerprint]), 32);
}

export type { SuiteDef };

/** What checkPlanData found: warnings to show, and every image the plan reads. */
export interface PlanDataCheck {
  warnings: string[];
  images: string[];
}

/**
 * Checks, for every spec, the data it will read, before anything runs: its split and evaluation sets
 * are usable (no empty set, at least two classes where a model must choose), K above the images of a
 * class is stated as a warning (Dassl then takes all of them), and lists the images read (training
 * items of methods that train, evaluation items after evalLimit, transfer sets).
 */
export async function checkPlanData(specs: RunSpec[], dataRoot: string, trains: (method: string) => boolean): Promise<PlanDataCheck> {
  const warnings = new Set<string>();
  const images = new Set<string>();
  for (const spec of specs) {
    const ds = await getDataset(spec.dataset, dataRoot);
    const split = await splitFor(spec, ds);
    const where = `${spec.dataset} ${spec.setting} ${spec.shots > 0 ? `${spec.shots}-shot seed ${spec.seed}` : '(zero-shot split)'}`;
    const sets = [...split.evals, ...(await Promise.all(spec.transferTo.map(async (d) => transferSet(await getDataset(d, dataRoot), spec.config.prompt))))];
    for (const set of sets) {
      if (set.items.length === 0) throw planError(where, `evaluation set '${set.name}' is empty`, 'the test split must hold images of these classes');
      if (set.classnames.length < 2) throw planError(where, `evaluation set '${set.name}' has one class (${JSON.stringify(set.classnames[0])}): every answer would be right`, 'use a dataset with more classes (base-to-new needs at least four)');
      const questions = limitQuestions(evalQuestions(spec, set, splitName(set)), spec.config.prompt.evalLimit, spec.config.prompt.evalPromptSeed);
      for (const q of questions) images.add(q.image);
    }
    if (spec.shots > 0 && trains(spec.method)) {
      if (split.trainClassnames.length < 2) throw planError(where, `training set has one class (${JSON.stringify(split.trainClassnames[0])})`, 'use a dataset with more classes');
      const short = shortClasses(ds.train, spec.shots);
      if (short.length > 0) {
        warnings.add(`${where}: ${short.length} of ${ds.classnames.length} classes have fewer than ${spec.shots} training images (fewest: ${Math.min(...short.map((s) => s.n))}); ` +
          `as in Dassl's generate_fewshot_dataset (CoOp), all of their images are used, so those classes get fewer than K shots`);
      }
      for (const e of split.train) images.add(e.absPath);
    }
  }
  return { warnings: [...warnings], images: [...images] };
}

function planError(where: string, what: string, hint: string): ClsrlError {
  return new ClsrlError('DATA_FORMAT', `${where}: ${what}`, { hint });
}

/** Labels with fewer than `k` items in `train`. */
function shortClasses(train: readonly { label: number }[], k: number): { label: number; n: number }[] {
  const counts = new Map<number, number>();
  for (const e of train) counts.set(e.label, (counts.get(e.label) ?? 0) + 1);
  return [...counts].filter(([, n]) => n < k).map(([label, n]) => ({ label, n }));
}
