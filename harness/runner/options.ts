// The sweep's typed configuration, as ONE table: each entry is a CLI flag and a SweepOptions field, so the
// `sweep` command's flags, their parsing/validation and runSweep's options cannot drift apart.

import type { MethodPlugin, SettingName, SuiteDef } from '../contracts';
import type { DiagnosticsMode } from '../diagnostics';
import { ClsrlError } from '../errors';
import type { SweepReporter } from './reporters';

type Kind = 'string' | 'names' | 'ints' | 'int' | 'boolean' | 'keyvalues';

interface FlagSpec {
  kind: Kind;
  describe: string;
  /** Smallest allowed value for ints/int. */
  min?: number;
  /** Allowed values for names. */
  choices?: readonly string[];
}

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
  dryRun: { kind: 'boolean', describe: 'print the plan, run nothing' },
  diagnostics: {
    kind: 'names',
    choices: ['full', 'off'],
    describe: "answer diagnostics: full (in-list + forced choice where the engine scores log-probs; default) or off (in-list only); not part of run ids",
  },
  sampled: { kind: 'boolean', describe: 'also measure sampled accuracy: one seeded T = 1 sample per question' },
  cacheDir: { kind: 'string', describe: 'where suites materialise generated data (default: <db folder>/cache)' },
  require: { kind: 'names', describe: 'modules to load first (extra methods/engines/datasets registering themselves)' },
} as const satisfies Record<string, FlagSpec>;

type ValueOf<K extends Kind> = K extends 'string'
  ? string
  : K extends 'names'
    ? string[]
    : K extends 'ints'
      ? number[]
      : K extends 'int'
        ? number
        : K extends 'boolean'
          ? boolean
          : Record<string, unknown>;

/** The fields settable from the command line, derived from SWEEP_FLAGS. */
export type SweepFlagValues = Omit<{ [K in keyof typeof SWEEP_FLAGS]?: ValueOf<(typeof SWEEP_FLAGS)[K]['kind']> }, 'diagnostics'> & {
  diagnostics?: DiagnosticsMode;
};

/** Everything runSweep takes: the flag values plus what only code can pass. */
export interface SweepOptions extends Omit<SweepFlagValues, 'suite' | 'settings' | 'engineOpt' | 'diagnostics'> {
  suite: string | SuiteDef;
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

/** The kebab-case flag of a field (`dataRoot` -> `data-root`). */
export const flagName = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function bad(key: string, got: unknown, what: string): ClsrlError {
  return new ClsrlError('BAD_FLAG', `--${flagName(key)} ${JSON.stringify(got)}: ${what}`, {
    hint: `clsrl sweep --help describes --${flagName(key)}`,
  });
}

function splitList(raw: unknown): string[] {
  const parts = (Array.isArray(raw) ? raw : [raw]).flatMap((v) => String(v).split(','));
  return parts.map((s) => s.trim()).filter((s) => s.length > 0);
}

function parseOne(key: string, spec: FlagSpec, raw: unknown): unknown {
  switch (spec.kind) {
    case 'string': {
      if (typeof raw !== 'string' || raw.trim() === '') throw bad(key, raw, 'expected a non-empty value');
      return raw;
    }
    case 'boolean':
      return !!raw;
    case 'int':
    case 'ints': {
      const list = splitList(raw);
      if (list.length === 0) throw bad(key, raw, 'expected a number');
      const nums = list.map((s) => {
        const n = Number(s);
        if (!/^-?\d+$/.test(s) || !Number.isSafeInteger(n)) throw bad(key, raw, `'${s}' is not an integer`);
        if (spec.min !== undefined && n < spec.min) throw bad(key, raw, `${n} is below the minimum ${spec.min}`);
        return n;
      });
      if (spec.kind === 'int') {
        if (nums.length !== 1) throw bad(key, raw, 'expected one integer');
        return nums[0];
      }
      return [...new Set(nums)];
    }
    case 'names': {
      const list = splitList(raw);
      if (list.length === 0) throw bad(key, raw, 'expected a comma-separated list');
      for (const n of list) {
        if (spec.choices && !spec.choices.includes(n)) throw bad(key, raw, `'${n}' is not one of ${spec.choices.join(', ')}`);
      }
      return [...new Set(list)];
    }
    case 'keyvalues': {
      const out: Record<string, unknown> = {};
      for (const kv of (Array.isArray(raw) ? raw : [raw]).map(String)) {
        const eq = kv.indexOf('=');
        if (eq <= 0) throw bad(key, kv, 'expected key=value');
        const v = kv.slice(eq + 1);
        try {
          out[kv.slice(0, eq)] = JSON.parse(v);
        } catch {
          out[kv.slice(0, eq)] = v;
        }
      }
      return out;
    }
  }
}

/** Validates parsed argv (camelCase keys) into sweep flag values; bad values throw BAD_FLAG naming the flag. */
export function parseSweepFlags(argv: Record<string, unknown>): SweepFlagValues {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(SWEEP_FLAGS) as [string, FlagSpec][]) {
    const raw = argv[key];
    if (raw === undefined || (spec.kind === 'boolean' && raw === false)) continue;
    out[key] = parseOne(key, spec, raw);
  }
  if (out.diagnostics !== undefined) {
    const d = out.diagnostics as string[];
    if (d.length !== 1) throw bad('diagnostics', argv.diagnostics, 'expected one of full, off');
    out.diagnostics = d[0];
  }
  if (out.model !== undefined) out.engineOpt = { ...(out.engineOpt as object | undefined), model: out.model }; // also for --executor
  return out as SweepFlagValues;
}

/** yargs option definitions for SWEEP_FLAGS (the `sweep` command's builder). */
export function sweepYargsOptions(): Record<string, { type: 'string' | 'boolean' | 'array'; describe: string }> {
  const out: Record<string, { type: 'string' | 'boolean' | 'array'; describe: string }> = {};
  for (const [key, spec] of Object.entries(SWEEP_FLAGS) as [string, FlagSpec][]) {
    // everything but booleans is read as text and validated by parseSweepFlags (clear errors, no NaN)
    const type = spec.kind === 'boolean' ? 'boolean' : spec.kind === 'keyvalues' ? 'array' : 'string';
    out[flagName(key)] = { type, describe: spec.describe };
  }
  return out;
}

/** One integer flag value of any command, validated like the sweep's (`--shots abc` -> BAD_FLAG). */
export function intFlag(name: string, raw: unknown, min: number): number {
  return parseOne(name, { kind: 'int', min, describe: '' }, raw) as number;
}
