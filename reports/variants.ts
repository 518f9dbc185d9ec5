// The protocol choices behind a suite's rows that the paper's code and clsrl's clean variants differ on
// (docs/reproduce-the-paper.md, "Differences from the paper's code"): SFT style, CLS-RL's math_verify step,
// the evaluation items and the evaluation image size. One line each for the report header, read from the
// stored run specs; a choice that differs between runs of one method is said to be pooled.

import type { RunRow } from '../harness/contracts';
import { methodTitle } from './names';

interface Variant {
  label: string;
  /** The value a run used; runs stored before the option existed read as what they did then. */
  value: (r: RunRow) => string | undefined;
}

const VARIANTS: Variant[] = [
  {
    label: `${methodTitle('sft')} style`,
    value: (r) => (r.method === 'sft' ? (r.spec.config.method.style === 'paper' ? "paper (sft.py's system prompt, bare problem, <answer> target)" : 'direct (direct template, class-name target)') : undefined),
  },
  {
    label: `${methodTitle('cls-rl')} accuracy reward`,
    value: (r) => (r.method === 'cls-rl' ? (r.spec.config.method.mathVerify === true ? 'math_verify, then string match (paper code)' : 'string match only') : undefined),
  },
  { label: 'evaluation items', value: (r) => ({ test: 'test split', 'test+val': 'test + val records (paper code)', val: 'val split (tuning)' })[r.spec.config.prompt.evalSplit] ?? r.spec.config.prompt.evalSplit },
  {
    label: 'evaluation image size',
    value: (r) => {
      const size = r.spec.config.engine.imageSize;
      if (r.engine === 'tiny' || r.engine === 'double') return undefined;
      return typeof size === 'number' && size > 0 ? `${size} x ${size} LANCZOS` : "the files' own size";
    },
  },
];

/** One header line per choice present in the runs: `SFT style: paper (...)`, or the split when mixed. */
export function variantLines(runs: RunRow[]): string[] {
  const out: string[] = [];
  for (const v of VARIANTS) {
    const counts = new Map<string, number>();
    for (const r of runs) {
      const x = v.value(r);
      if (x !== undefined) counts.set(x, (counts.get(x) ?? 0) + 1);
    }
    if (counts.size === 1) out.push(`${v.label}: ${[...counts.keys()][0]}`);
    else if (counts.size > 1) out.push(`${v.label}: mixed, pooled in the cells (${[...counts].map(([k, n]) => `${k}: ${n} runs`).join('; ')})`);
  }
  return out;
}
