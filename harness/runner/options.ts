// The sweep's typed configuration, as ONE table: each entry is a CLI flag and a SweepOptions field, so the
// `sweep` command's flags, their parsing/validation and runSweep's options cannot drift apart. The
// machinery (kinds, parsing, yargs options) is harness/flags.ts, shared by every command.

import type { MethodPlugin, PromptOptions, SettingName, SuiteDef } from '../contracts';
import { parseFlags, yargsOptions, type FlagSpec, type FlagValues } from '../flags';
import type { DiagnosticsMode } from '../diagnostics';
import { EVAL_SPLITS } from '../splits';
import type { SweepReporter } from './reporters';

export const SWEEP_FLAGS = {
  suite: { kind: 'string', describe: 'suite name (`clsrl suites`) or path to a .json/.ts suite file' },
  engine: { kind: 'string', describe: "engine name (default: the suite's engine, else tiny)" },
  engineOpt: { kind: 'keyvalues', describe: 'engine option key=value (repeatable; JSON values allowed)' },
  model: { kind: 'string', describe: 'engine model: HF id or local path (trl), served name (openai); same as --engine-opt model=NAME' },
  datasets: { kind: 'names', describe: 'only these datasets of the suite (comma-separated)' },
  methods: { kind: 'names', describe: 'only these methods (comma-separated; any registered method)' },
  settings: { kind: 'names', describe: 'only these settings', choices: ['few-shot', 'base-to-new'] },
  seeds: { kind: 'ints', min: 0, describe: "replace the suite's seeds (comma-separated)" },
  shots: { kind: 'ints', min: 1, describe: "replace the suite's shots (comma-separated)" },
  dataRoot: { kind: 'string', describe: 'data root (default: $CLSRL_DATA)' },
  db: { kind: 'string', describe: 'results database (default: results/clsrl.sqlite)' },
  jobs: { kind: 'int', min: 1, describe: 'runs in parallel (worker processes; default 1)' },
  dryRun: { kind: 'boolean', describe: 'print the plan, run nothing, store nothing (engines with run folders, e.g. trl, also write them)' },
  prepare: { kind: 'boolean', describe: 'write the run folder of every training run, record the runs as prepared, and stop (engines that train outside clsrl, e.g. trl); the next sweep ingests finished folders' },
  skipDoctor: { kind: 'boolean', describe: 'do not run the engine preflight (`clsrl doctor`) before launching the first external training' },
  diagnostics: {
    kind: 'choice',
    choices: ['full', 'off'],
    describe: "answer diagnostics: full (in-list + forced choice where the engine scores log-probs; default) or off (in-list only); not part of run ids",
  },
  sampled: { kind: 'boolean', describe: 'also measure sampled accuracy: one seeded T = 1 sample per question' },
  cacheDir: { kind: 'string', describe: 'where suites materialise generated data (default: <db folder>/cache)' },
  evalSplit: {
    kind: 'choice',
    choices: EVAL_SPLITS,
    describe: "evaluation items: 'test' (CoOp's test split), 'test+val' (the paper's eval code: test and valid records; paper suites' default) or 'val' (validation images only: tune budgets and recipes without the test images)",
  },
  require: { kind: 'names', describe: 'modules to load first (extra methods/engines/datasets registering themselves)' },
} as const satisfies Record<string, FlagSpec>;

/** The fields settable from the command line, derived from SWEEP_FLAGS. */
export type SweepFlagValues = Omit<FlagValues<typeof SWEEP_FLAGS>, 'diagnostics'> & { diagnostics?: DiagnosticsMode };

/** Everything runSweep takes: the flag values plus what only code can pass. */
export interface SweepOptions extends Omit<SweepFlagValues, 'suite' | 'settings' | 'engineOpt' | 'evalSplit'> {
  suite: string | SuiteDef;
  /** Replaces the suite's prompt.evalSplit. */
  evalSplit?: PromptOptions['evalSplit'];
  settings?: SettingName[];
  diagnostics?: DiagnosticsMode;
  /** Engine options (the CLI's --engine-opt), merged over the suite's engineConfig. */
  engineOpt?: Record<string, unknown>;
  reporters?: SweepReporter[];
  /** Method lookup (default: methods/registry getMethod). In-process only: workers use the registry. */
  getMethod?: (name: string) => MethodPlugin<object>;
}

export const DEFAULT_ENGINE = 'tiny';
export const DEFAULT_JOBS = 1;

/** Validates parsed argv (camelCase keys) into sweep flag values; bad values throw BAD_FLAG naming the flag. */
export function parseSweepFlags(argv: Record<string, unknown>): SweepFlagValues {
  const out = parseFlags('sweep', SWEEP_FLAGS, argv) as SweepFlagValues;
  if (out.model !== undefined) out.engineOpt = { ...out.engineOpt, model: out.model }; // also for --executor
  return out;
}

/** yargs option definitions for SWEEP_FLAGS (the `sweep` command's builder). */
export function sweepYargsOptions() {
  return yargsOptions(SWEEP_FLAGS);
}

export { flagName, intFlag } from '../flags';
