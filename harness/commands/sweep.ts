// `clsrl sweep`: a thin shell over runSweep. Its flags come from the SWEEP_FLAGS table (runner/options.ts).

import type { Argv } from 'yargs';
import type { Command } from './index';
import { ClsrlError } from '../errors';
import { parseSweepFlags, sweepYargsOptions, type SweepOptions } from '../runner/options';
import { lineReporter, progressBarReporter, type SweepReporter } from '../runner/reporters';
import { runSweep, type SweepResult } from '../runner/sweep';
import { jsonOption, printJson, printLine, textTable } from './output';
import { sweepOnExecutor, withExecutorOptions } from '../executors';

/** Summary document of a sweep (what `--json` prints). */
export function sweepDocument(r: SweepResult): Record<string, unknown> {
  const counts: Record<string, number> = {};
  for (const s of Object.values(r.status)) counts[s] = (counts[s] ?? 0) + 1;
  return {
    suite: r.suite,
    engine: r.engine,
    db: r.db,
    dataRoot: r.dataRoot,
    dryRun: r.dryRun,
    prepared: r.prepared,
    total: r.specs.length,
    counts,
    // what THIS process did: ran (stored as done here), skipped (done before it started), held (another
    // live process held, ran or failed them meanwhile), failed (here)
    ran: r.ran,
    skipped: r.skipped,
    held: r.held,
    failed: r.failed,
    runs: r.specs.map((s) => ({
      id: s.id,
      dataset: s.dataset,
      setting: s.setting,
      shots: s.shots,
      seed: s.seed,
      method: s.method,
      engine: s.engine,
      transferTo: s.transferTo,
      status: r.status[s.id],
    })),
  };
}

export function pickReporters(json: boolean): SweepReporter[] {
  if (json) return [];
  return process.stderr.isTTY ? [progressBarReporter()] : [lineReporter()];
}

/** Throws RUN_FAILED after the output was printed when some runs failed. */
export function failIfRunsFailed(r: SweepResult): void {
  if (r.failed.length === 0) return;
  const first = r.failed[0];
  throw new ClsrlError('RUN_FAILED', `${r.failed.length} of ${r.specs.length} runs failed; first (${first.id}): ${first.error}`, {
    hint: first.hint ?? 'fix the cause and run the same sweep again: finished runs are skipped, failed ones retried',
  });
}

export const command: Command = {
  command: 'sweep',
  describe: 'plan and run a suite (skips finished runs, resumes after a crash)',
  builder: (y: Argv) => jsonOption(withExecutorOptions(y.options(sweepYargsOptions())).demandOption('suite')),
  handler: async (raw) => {
    const argv = raw as unknown as Record<string, unknown>;
    const flags = parseSweepFlags(argv);
    const json = argv.json === true;
    const typed = { ...flags, suite: flags.suite!, settings: flags.settings as never, evalSplit: flags.evalSplit as SweepOptions['evalSplit'] }; // values checked by parseSweepFlags
    if (await sweepOnExecutor(argv, typed)) return; // --executor slurm|k8s
    const result = await runSweep({ ...typed, reporters: pickReporters(json) });
    if (json) printJson(sweepDocument(result));
    else if (result.dryRun) {
      printLine(`plan for suite ${result.suite} on engine ${result.engine}: ${result.specs.length} runs (db ${result.db})`);
      printLine(
        textTable(
          ['id', 'method', 'dataset', 'setting', 'shots', 'seed', 'transfer', 'status'],
          result.specs.map((s) => [s.id, s.method, s.dataset, s.setting, s.shots, s.seed, s.transferTo.length, result.status[s.id]]),
        ),
      );
    } else if (result.prepared > 0 || (flags.prepare && result.failed.length === 0 && result.ran === 0)) {
      printLine(`sweep ${result.suite}: ${result.prepared} run folder(s) written and recorded as prepared, ${result.skipped} already done; nothing was trained or evaluated (db ${result.db})`);
      printLine(`next: train each folder (bash <db folder>/runs/<run id>/trl/launch.sh, see docs/reproduce-the-paper.md), then run the same sweep without --prepare: finished folders are ingested and evaluated`);
    } else {
      printLine(
        `sweep ${result.suite}: ${result.ran} runs finished, ${result.skipped} already done, ${result.failed.length} failed, ` +
          `${result.held} skipped as held by another process (by this process); results in ${result.db}`,
      );
      printLine(`next: clsrl results --db ${result.db} --suite ${result.suite}, or clsrl report --db ${result.db} --suite ${result.suite}`);
    }
    failIfRunsFailed(result);
  },
};
