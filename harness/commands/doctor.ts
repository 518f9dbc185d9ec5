// `clsrl doctor --engine trl|openai`: checks, without training, everything an engine's runs will need
// and prints a table (check, ok / problem / skipped, what was found, how to fix), or --json. Exits 1 when
// something is a problem.

import type { Argv } from 'yargs';
import type { Command } from './index';
import { createEngine } from '../engines/registry';
import { dataRootCheck, doctorTable, runDoctor } from '../doctor';
import { parseSweepFlags } from '../runner/options';
import { loadSuite } from '../../suites/registry';
import { jsonOption, printJson, printLine } from './output';

export const command: Command = {
  command: 'doctor',
  describe: "preflight an engine without training: Python stack vs pins, GPUs and memory, reward bridge, model, data root, evaluation server",
  builder: (y: Argv) =>
    jsonOption(
      y
        .option('engine', { type: 'string', default: 'trl', describe: 'engine to check (trl, openai)' })
        .option('engine-opt', { type: 'array', describe: 'engine option key=value, as for sweep (repeatable)' })
        .option('model', { type: 'string', describe: 'same as --engine-opt model=NAME' })
        .option('suite', { type: 'string', describe: 'suite whose data to check (suites that generate data need no data root)' })
        .option('data-root', { type: 'string', describe: 'data root (default: $CLSRL_DATA)' }),
    ),
  handler: async (argv: Record<string, unknown>) => {
    const flags = parseSweepFlags({ engineOpt: argv.engineOpt, model: argv.model, dataRoot: argv.dataRoot });
    const suite = typeof argv.suite === 'string' ? loadSuite(argv.suite) : undefined;
    const engine = await createEngine(String(argv.engine), { ...suite?.engineConfig, ...flags.engineOpt });
    const report = await runDoctor(engine, [dataRootCheck(flags.dataRoot, !!suite?.prepare)]);
    if (argv.json === true) printJson(report);
    else {
      printLine(`clsrl doctor: engine ${report.engine}`);
      printLine(doctorTable(report));
      printLine(report.ok ? 'no problems found' : `${report.checks.filter((c) => c.status === 'problem').length} problem(s): see "how to fix"`);
    }
    if (!report.ok) process.exitCode = 1;
  },
};
