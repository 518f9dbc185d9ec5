// `clsrl results`: one row per stored evaluation (runs that finished), as a table or JSON.

import type { Argv } from 'yargs';
import type { Command } from './index';
import type { EvaluationRow } from '../contracts';
import { Store } from '../store';
import { parseFlags, yargsOptions, type FlagSpec } from '../flags';
import { COMMON_FLAGS, printJson, printLine, textTable } from './output';

export const RESULTS_FLAGS = {
  db: COMMON_FLAGS.db,
  suite: { kind: 'string', describe: 'only this suite' },
  json: COMMON_FLAGS.json,
} as const satisfies Record<string, FlagSpec>;

/**
 * The `results --json` row: exactly these keys, percentages. inListRate, forcedChoiceAccuracy and
 * sampledAccuracy are the answer diagnostics (harness/diagnostics.ts); null where not measured (n/a).
 */
export function resultRow(e: EvaluationRow) {
  return {
    runId: e.runId,
    suite: e.suite,
    dataset: e.dataset,
    setting: e.setting,
    shots: e.shots,
    seed: e.seed,
    method: e.method,
    engine: e.engine,
    evalDataset: e.evalDataset,
    evalSplit: e.evalSplit,
    n: e.n,
    correct: e.correct,
    accuracy: e.accuracy,
    inListRate: e.inListRate ?? null,
    forcedChoiceAccuracy: e.forcedChoiceAccuracy ?? null,
    sampledAccuracy: e.sampledAccuracy ?? null,
  };
}

const pctOrNa = (x: number | null | undefined): string => (x === null || x === undefined ? 'n/a' : x.toFixed(2));

export const command: Command = {
  command: 'results',
  describe: 'list stored evaluations (one row per run x evaluation set)',
  builder: (y: Argv) => y.options(yargsOptions(RESULTS_FLAGS)),
  handler: (raw) => {
    const argv = parseFlags('results', RESULTS_FLAGS, raw) as { db: string; suite?: string; json?: boolean };
    const store = Store.open(argv.db, { readonly: true });
    try {
      const rows = store.evaluations({ suite: argv.suite });
      if (argv.json) return printJson(rows.map(resultRow));
      if (rows.length === 0) return printLine(`no finished evaluations in ${argv.db}${argv.suite ? ` for suite ${argv.suite}` : ''}`);
      printLine(
        textTable(
          ['suite', 'method', 'dataset', 'setting', 'shots', 'seed', 'eval', 'n', 'acc %', 'strict %', 'in-list %', 'forced %', 'sampled %', 'run'],
          rows.map((e) => [e.suite, e.method, e.dataset, e.setting, e.shots, e.seed, `${e.evalDataset}/${e.evalSplit}`, e.n,
            e.accuracy.toFixed(2), e.strictAccuracy.toFixed(2), pctOrNa(e.inListRate), pctOrNa(e.forcedChoiceAccuracy),
            pctOrNa(e.sampledAccuracy), e.runId]),
        ),
      );
      const failed = store.runs({ suite: argv.suite }).filter((r) => r.status === 'failed');
      if (failed.length > 0) printLine(`\n${failed.length} failed runs (re-run the sweep to retry): ${failed.map((r) => r.id).join(', ')}`);
    } finally {
      store.close();
    }
  },
};
