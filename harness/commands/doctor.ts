// `clsrl doctor --engine trl|openai`: checks, without training, everything an engine's runs will need
// and prints a table (check, ok / problem / skipped, what was found, how to fix), or --json. Exits 1 when
// something is a problem.

import type { Argv } from 'yargs';
import type { Command } from './index';
import { createEngine } from '../engines/registry';
import { dataRootCheck, doctorTable, runDoctor } from '../doctor';
import { parseSweepFlags } from '../runner/options';
import { loadSuite } from '../../suites/registry';
import { parseFlags, yargsOptions, type FlagSpec } from '../flags';
import { COMMON_FLAGS, printJson, printLine } from './output';

export const DOCTOR_FLAGS = {
  engine: { kind: 'string', default: 'trl', describe: 'engine to check (trl, openai)' },
  engineOpt: { kind: 'keyvalues', describe: 'engine option key=value, as for sweep (repeatable)' },
  model: { kind: 'string', describe: 'same as --engine-opt model=NAME' },
  suite: { kind: 'string', describe: 'suite whose data to check (suites that generate data need no data root)' },
  dataRoot: COMMON_FLAGS.dataRoot,
  json: COMMON_FLAGS.json,
} as const satisfies Record<string, FlagSpec>;

export const command: Command = {
  command: 'doctor',
  describe: "preflight an engine without training: Python stack vs pins, GPUs and memory, reward bridge, model, data root, evaluation server",
  builder: (y: Argv) => y.options(yargsOptions(DOCTOR_FLAGS)),
  handler: async (raw: Record<string, unknown>) => {
    const argv = parseFlags('doctor', DOCTOR_FLAGS, raw);
    const flags = parseSweepFlags({ engineOpt: raw.engineOpt, model: raw.model, dataRoot: raw.dataRoot }); // engine options as sweep reads them
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
