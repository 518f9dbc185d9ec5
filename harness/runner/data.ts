// The runner's view of the data layer: loading (memoised per process), custom suite datasets,
// splits and questions. One place that knows the data modules' signatures.

import type { EvalSet, LoadedDataset, PromptOptions, Question, RunSpec, SplitJsonDatasetDef, Split, SuiteDef } from '../contracts';
import { listDatasets, loadDataset, registerDataset } from '../data';
import { buildQuestions } from '../prompts';
import { makeSplit, transferEvalSet } from '../splits';
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
