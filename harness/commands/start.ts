// `clsrl start` (`npm start`): sweeps the `smoke` suite on the embedded default engine, renders the report
// and prints where it is. A second start reuses the finished runs, so it takes seconds.

import * as path from 'path';
import type { Argv } from 'yargs';
import type { Command } from './index';
import { engineNames } from '../engines/registry';
import { ClsrlError } from '../errors';
import { DEFAULT_ENGINE, intFlag, parseSweepFlags } from '../runner/options';
import { runSweep } from '../runner/sweep';
import { DEFAULT_FORMATS, DEFAULT_REPORT_DIR, mainFile, renderReport } from './report';
import { dbOption, jsonOption, printJson, printLine } from './output';
import { failIfRunsFailed, pickReporters, sweepDocument } from './sweep';

export const START_SUITE = 'smoke';

interface Args {
  suite: string;
  engine: string;
  db: string;
  out: string;
  jobs: string;
  'data-root'?: string;
  diagnostics?: string;
  json: boolean;
}

export const command: Command = {
  command: 'start',
  describe: `sweep the '${START_SUITE}' suite on the embedded engine, render the report, print where it is`,
  builder: (y: Argv) =>
    jsonOption(dbOption(y))
      .option('suite', { type: 'string', default: START_SUITE, describe: 'suite to run' })
      .option('engine', { type: 'string', default: DEFAULT_ENGINE, describe: 'engine (double: the deterministic test double)' })
      .option('out', { type: 'string', default: DEFAULT_REPORT_DIR, describe: 'report folder' })
      .option('jobs', { type: 'string', default: '1', describe: 'runs in parallel' })
      .option('data-root', { type: 'string', describe: 'data root, for suites that read datasets from disk' })
      .option('diagnostics', { type: 'string', describe: "answer diagnostics: full (default) or off (in-list only); see `clsrl sweep --help`" }),
  handler: async (raw) => {
    const argv = raw as unknown as Args;
    if (!engineNames().includes(argv.engine)) {
      throw new ClsrlError('UNKNOWN_NAME', `engine '${argv.engine}' is not registered in this checkout`, {
        hint: `registered engines: ${engineNames().join(', ')}; try \`clsrl start --engine ${engineNames()[0] ?? 'double'}\``,
      });
    }
    const jobs = intFlag('jobs', argv.jobs, 1);
    const { diagnostics } = parseSweepFlags({ diagnostics: argv.diagnostics });
    const sweep = await runSweep({
      suite: argv.suite,
      engine: argv.engine,
      db: argv.db,
      jobs,
      dataRoot: argv['data-root'],
      diagnostics,
      reporters: pickReporters(argv.json),
    });
    const out = argv.out;
    const report = await renderReport(argv.db, { suite: sweep.suite, out, formats: DEFAULT_FORMATS });
    const main = mainFile(report.files);
    if (argv.json) {
      printJson({ sweep: sweepDocument(sweep), report: { outDir: path.resolve(out), main: main ?? null, files: report.files, missing: report.missing } });
    } else {
      printLine(`${sweep.suite}: ${sweep.ran} runs finished now, ${sweep.skipped} reused from ${sweep.db}`);
      printLine(`report: ${main ? path.resolve(main) : path.resolve(out)}`);
      const md = report.files.find((f) => f.endsWith('.md'));
      if (md && md !== main) printLine(`markdown: ${path.resolve(md)}`);
    }
    failIfRunsFailed(sweep);
  },
};
