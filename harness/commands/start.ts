// `clsrl start` (`npm start`): sweeps the `smoke` suite on the embedded default engine, renders the report
// and prints where it is. A second start reuses the finished runs, so it takes seconds.

import * as path from 'path';
import type { Argv } from 'yargs';
import type { Command } from './index';
import { engineNames } from '../engines/registry';
import { ClsrlError } from '../errors';
import { DEFAULT_ENGINE } from '../runner/options';
import { parseFlags, yargsOptions, type FlagSpec } from '../flags';
import { runSweep } from '../runner/sweep';
import { DEFAULT_FORMATS, DEFAULT_REPORT_DIR, mainFile, renderReport } from './report';
import { COMMON_FLAGS, printJson, printLine } from './output';
import { failIfRunsFailed, pickReporters, sweepDocument } from './sweep';

export const START_SUITE = 'smoke';

export const START_FLAGS = {
  db: COMMON_FLAGS.db,
  suite: { kind: 'string', default: START_SUITE, describe: 'suite to run' },
  engine: { kind: 'string', default: DEFAULT_ENGINE, describe: 'engine (double: the deterministic test double)' },
  out: { kind: 'string', default: DEFAULT_REPORT_DIR, describe: 'report folder' },
  jobs: { kind: 'int', min: 1, default: '1', describe: 'runs in parallel' },
  dataRoot: { kind: 'string', describe: 'data root, for suites that read datasets from disk' },
  diagnostics: { kind: 'choice', choices: ['full', 'off'], describe: "answer diagnostics: full (default) or off (in-list only); see `clsrl sweep --help`" },
  json: COMMON_FLAGS.json,
} as const satisfies Record<string, FlagSpec>;

export const command: Command = {
  command: 'start',
  describe: `sweep the '${START_SUITE}' suite on the embedded engine, render the report, print where it is`,
  builder: (y: Argv) =>
    y.options(yargsOptions(START_FLAGS)),
  handler: async (raw) => {
    const argv = parseFlags('start', START_FLAGS, raw) as { db: string; suite: string; engine: string; out: string; jobs: number; dataRoot?: string; diagnostics?: string; json?: boolean };
    if (!engineNames().includes(argv.engine)) {
      throw new ClsrlError('UNKNOWN_NAME', `engine '${argv.engine}' is not registered in this checkout`, {
        hint: `registered engines: ${engineNames().join(', ')}; try \`clsrl start --engine ${engineNames()[0] ?? 'double'}\``,
      });
    }
    const jobs = argv.jobs;
    const sweep = await runSweep({
      suite: argv.suite,
      engine: argv.engine,
      db: argv.db,
      jobs,
      dataRoot: argv.dataRoot,
      diagnostics: argv.diagnostics as 'full' | 'off' | undefined,
      reporters: pickReporters(!!argv.json),
    });
    const out = argv.out;
    const report = await renderReport(argv.db, { suite: sweep.suite, out, formats: DEFAULT_FORMATS });
    const main = mainFile(report.files);
    if (argv.json) {
      printJson({ sweep: sweepDocument(sweep), report: { outDir: path.resolve(out), main: main ?? null, files: report.files, missing: report.missing } });
    } else {
      printLine(`${sweep.suite}: ${sweep.ran} runs finished now, ${sweep.skipped} reused from ${sweep.db}${sweep.held ? `, ${sweep.held} left to another process` : ''}`);
      printLine(`report: ${main ? path.resolve(main) : path.resolve(out)}`);
      const md = report.files.find((f) => f.endsWith('.md'));
      if (md && md !== main) printLine(`markdown: ${path.resolve(md)}`);
    }
    failIfRunsFailed(sweep);
  },
};
