// Display names and orders for reports: the paper's dataset order (CoOp names and their aliases) and
// the method order zero-shot, SFT, CLS-RL, No-Thinking-CLS-RL, then others alphabetically.

/** The paper's column order (v1 tables and heatmaps). */
export const PAPER_DATASETS = [
  'ImageNet', 'Caltech101', 'DTD', 'EuroSAT', 'Food101', 'Flowers102',
  'OxfordPets', 'StanfordCars', 'SUN397', 'UCF101', 'FGVCAircraft',
] as const;

/** CoOp registry keys and other spellings -> the paper's dataset name. */
const DATASET_ALIASES: Record<string, string> = {
  imagenet: 'ImageNet',
  caltech101: 'Caltech101',
  dtd: 'DTD',
  describabletextures: 'DTD',
  eurosat: 'EuroSAT',
  food101: 'Food101',
  flowers102: 'Flowers102',
  oxfordflowers: 'Flowers102',
  oxfordpets: 'OxfordPets',
  stanfordcars: 'StanfordCars',
  sun397: 'SUN397',
  ucf101: 'UCF101',
  fgvcaircraft: 'FGVCAircraft',
};

/** The paper's name for a dataset, or undefined when it is not one of the eleven CoOp datasets. */
export function paperDatasetName(name: string): string | undefined {
  return DATASET_ALIASES[name.toLowerCase().replace(/[^a-z0-9]/g, '')];
}

/** Display name: the paper's short name for a CoOp dataset (DTD, Flowers102), else the name itself. */
export function datasetTitle(name: string): string {
  return paperDatasetName(name) ?? name;
}

/** Paper datasets first in the paper's order, then the rest in the order given (suite order). */
export function orderDatasets(names: Iterable<string>): string[] {
  const unique = [...new Set(names)];
  const rank = (n: string): number => {
    const p = paperDatasetName(n);
    return p === undefined ? Number.POSITIVE_INFINITY : PAPER_DATASETS.indexOf(p as (typeof PAPER_DATASETS)[number]);
  };
  return unique
    .map((n, i) => ({ n, i, r: rank(n) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.n);
}

interface KnownMethod {
  name: string;
  title: string;
  /** Key in paper-results.json. */
  paperKey: string;
  /** Evaluated with the think-then-answer template. */
  thinks: boolean;
}

export const KNOWN_METHODS: KnownMethod[] = [
  { name: 'zero-shot', title: 'Zero-shot', paperKey: 'zero_shot', thinks: true },
  { name: 'sft', title: 'SFT', paperKey: 'SFT', thinks: false },
  { name: 'cls-rl', title: 'CLS-RL', paperKey: 'CLS-RL', thinks: true },
  { name: 'no-thinking-cls-rl', title: 'No-Thinking-CLS-RL', paperKey: 'No-Thinking-CLS-RL', thinks: false },
];

const registryCache = new Map<string, { title?: string; paperKey?: string; template?: string } | undefined>();

/**
 * Display data of a method the table above does not know: its plugin's meta, when registered. Loaded
 * lazily and guarded, so a report of stored results never fails on a method that is not installed.
 */
function registryMeta(name: string): { title?: string; paperKey?: string; template?: string } | undefined {
  if (!registryCache.has(name)) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const reg = require('../methods/registry') as typeof import('../methods/registry');
      registryCache.set(name, reg.getMethod(name).meta);
    } catch {
      registryCache.set(name, undefined);
    }
  }
  return registryCache.get(name);
}

function known(name: string): KnownMethod | undefined {
  return KNOWN_METHODS.find((m) => m.name === name);
}

export function methodTitle(name: string): string {
  return known(name)?.title ?? registryMeta(name)?.title ?? name;
}

/** Whether the method's completions should hold a <think> block (its evaluation template). */
export function methodThinks(name: string): boolean {
  return known(name)?.thinks ?? registryMeta(name)?.template === 'think';
}

export function methodPaperKey(name: string): string | undefined {
  return known(name)?.paperKey ?? registryMeta(name)?.paperKey;
}

/** Methods that train nothing: their evaluations are shared across seeds and shot counts. */
export function isZeroShot(name: string): boolean {
  return name === 'zero-shot';
}

export function orderMethods(names: Iterable<string>): string[] {
  const rank = (n: string): number => {
    const i = KNOWN_METHODS.findIndex((m) => m.name === n);
    return i < 0 ? KNOWN_METHODS.length : i;
  };
  return [...new Set(names)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** Suites whose numbers are meant to be compared with the paper's one to one. */
export const PAPER_SUITES = ['paper-b2n', 'paper-fewshot'];
