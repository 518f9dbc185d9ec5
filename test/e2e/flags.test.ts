// End to end and fuzz: every command's flags go through one schema machinery (harness/flags.ts). Bad
// values exit 2 with `error: --<flag> ...` and no stack (never NaN reaching a server, never a dropped
// list item); a deterministic fuzz checks every flag table against an oracle, and a bounded set of
// random bad values through the real CLI.

import yargs from 'yargs';
import { COMMANDS } from '../../harness/commands';
import { DOCTOR_FLAGS } from '../../harness/commands/doctor';
import { INGEST_FLAGS } from '../../harness/commands/ingest';
import { COMMON_FLAGS } from '../../harness/commands/output';
import { REPORT_FLAGS } from '../../harness/commands/report';
import { RESULTS_FLAGS } from '../../harness/commands/results';
import { RUN_FLAGS } from '../../harness/commands/run';
import { SCORE_FLAGS } from '../../harness/commands/score';
import { SERVE_FLAGS } from '../../harness/commands/serve';
import { SERVE_REWARDS_FLAGS } from '../../harness/commands/serve-rewards';
import { SPLIT_FLAGS } from '../../harness/commands/split';
import { START_FLAGS } from '../../harness/commands/start';
import { ClsrlError } from '../../harness/errors';
import { EXECUTOR_FLAG_TABLE } from '../../harness/executors/options';
import { flagName, parseFlags, type FlagSpec, type FlagTable } from '../../harness/flags';
import { PyRandom } from '../../harness/random/pyrandom';
import { SWEEP_FLAGS } from '../../harness/runner/options';
import { cli } from '../helpers/cli';

const TABLES: Record<string, FlagTable> = {
  datasets: { json: COMMON_FLAGS.json },
  doctor: DOCTOR_FLAGS,
  ingest: INGEST_FLAGS,
  methods: { json: COMMON_FLAGS.json },
  report: REPORT_FLAGS,
  results: RESULTS_FLAGS,
  run: RUN_FLAGS,
  score: SCORE_FLAGS,
  serve: SERVE_FLAGS,
  'serve-rewards': SERVE_REWARDS_FLAGS,
  split: SPLIT_FLAGS,
  start: START_FLAGS,
  suites: { json: COMMON_FLAGS.json },
  sweep: { ...SWEEP_FLAGS, ...EXECUTOR_FLAG_TABLE, json: COMMON_FLAGS.json },
};

/** Runs the CLI and checks the bad-flag contract: exit 2, one `error: --<flag>` line, a hint, no stack. */
function expectBadFlag(args: string[], flag: string, what: RegExp): void {
  const r = cli(args, { timeoutMs: 60_000 });
  expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code: 2, stdout: '' });
  const first = r.stderr.split('\n')[0];
  expect(first.startsWith(`error: --${flag} `)).toBe(true);
  expect(first).toMatch(what);
  expect(r.stderr).toMatch(/^hint: /m);
  expect(r.stderr).not.toMatch(/unexpected error|^\s+at /m);
}

describe('the defects of the audit, through the real CLI', () => {
  test('serve-rewards --max-body-bytes abc no longer lifts the limit', () => {
    expectBadFlag(['serve-rewards', '--max-body-bytes', 'abc', '--port', '0'], 'max-body-bytes', /'abc' is not an integer/);
  });

  test('--port 99999, abc and -1 are flag errors, not a stack', () => {
    expectBadFlag(['serve-rewards', '--port', '99999'], 'port', /above the maximum 65535/);
    expectBadFlag(['serve-rewards', '--port', 'abc'], 'port', /'abc' is not an integer/);
    expectBadFlag(['serve', '--port=-1'], 'port', /below the minimum 0/);
  });

  test('--shots 2,,3 is rejected, not read as 2,3', () => {
    expectBadFlag(['sweep', '--suite', 'smoke', '--shots', '2,,3', '--dry-run'], 'shots', /empty item/);
    expectBadFlag(['split', '--dataset', 'EuroSAT', '--setting', 'few-shot', '--shots', '', '--seed', '1'], 'shots', /expected a value/);
  });

  test('an empty label is an error, not `correct: true`', () => {
    expectBadFlag(['score', '--method', 'cls-rl', '--label', '', '--completion', 'anything', '--json'], 'label', /non-empty/);
  });
});

test('every option of every command is declared in its flag table', () => {
  for (const c of COMMANDS) {
    const name = String(c.command).split(' ')[0];
    const y = yargs([]);
    (c.builder as (y: ReturnType<typeof yargs>) => unknown)(y);
    const declared = new Set(Object.keys(TABLES[name] ?? {}).map(flagName));
    const options = (y as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions().key;
    const undeclared = Object.keys(options).filter((k) => !['help', 'version', 'verbose', '$0'].includes(k) && !declared.has(k));
    expect({ command: name, undeclared }).toEqual({ command: name, undeclared: [] });
  }
});

// ---------------------------------------------------------------------------------------------
// Fuzz

const POOL = ['', ' ', '0', '1', '-1', '-0', '007', '65535', '65536', '99999', '2.5', '1e3', '0x10', '+5', 'NaN', 'Infinity', 'abc',
  '1,2', '1,,2', ',', '2,', ' 7 ', '٣', '99999999999999999999', 'few-shot', 'test', 'a b', '--x', '💥'];

function token(rng: PyRandom): string {
  const r = rng.random();
  if (r < 0.5) return POOL[rng.randbelow(POOL.length)];
  if (r < 0.8) return String(rng.randbelow(200_000) - 1000);
  const parts = Array.from({ length: 1 + rng.randbelow(3) }, () => POOL[rng.randbelow(POOL.length)]);
  return parts.join(rng.random() < 0.5 ? ',' : '');
}

const INT = /^-?\d+$/;
const inRange = (s: FlagSpec, n: number) => Number.isSafeInteger(n) && (s.min === undefined || n >= s.min) && (s.max === undefined || n <= s.max);

/** What parseFlag must return for `raw`, or undefined where it must throw BAD_FLAG. */
function oracle(spec: FlagSpec, raw: string): { value: unknown } | undefined {
  const pieces = raw.split(',').map((p) => p.trim());
  switch (spec.kind) {
    case 'text':
      return { value: raw };
    case 'string':
      return raw.trim() === '' ? undefined : { value: raw };
    case 'choice':
      return spec.choices!.includes(raw) ? { value: raw } : undefined;
    case 'int':
      return pieces.length === 1 && INT.test(pieces[0]) && inRange(spec, Number(pieces[0])) ? { value: Number(pieces[0]) } : undefined;
    case 'ints':
      return pieces.every((p) => INT.test(p) && inRange(spec, Number(p))) ? { value: [...new Set(pieces.map(Number))] } : undefined;
    case 'names':
      return pieces.every((p) => p !== '' && (!spec.choices || spec.choices.includes(p))) ? { value: [...new Set(pieces)] } : undefined;
    case 'number':
      return /^-?\d+(\.\d+)?$/.test(raw.trim()) && (spec.min === undefined || Number(raw) >= spec.min) && (spec.max === undefined || Number(raw) <= spec.max) ? { value: Number(raw) } : undefined;
    case 'lines':
      return { value: [raw] };
    case 'boolean':
      return { value: !!raw };
    case 'keyvalues':
      return raw.indexOf('=') > 0 ? { value: expect.anything() } : undefined;
  }
}

test('fuzz: every flag of every table parses exactly as the oracle says, or fails BAD_FLAG naming the flag (seed 17, 3000 cases)', () => {
  const rng = new PyRandom(17);
  // booleans are parsed by yargs itself (no text reaches parseFlags)
  const flags = Object.entries(TABLES).flatMap(([command, table]) => Object.entries(table).filter(([, s]) => s.kind !== 'boolean').map(([key, spec]) => ({ command, key, spec })));
  for (let i = 0; i < 3000; i++) {
    const { command, key, spec } = flags[rng.randbelow(flags.length)];
    const raw = token(rng);
    const want = oracle(spec, raw);
    let got: { value: unknown } | ClsrlError;
    try {
      got = { value: parseFlags(command, { [key]: spec }, { [key]: raw })[key] };
    } catch (e) {
      if (!(e instanceof ClsrlError)) throw e;
      got = e;
    }
    if (want) expect({ command, key, raw, got }).toEqual({ command, key, raw, got: want });
    else {
      expect({ command, key, raw, code: (got as ClsrlError).code }).toEqual({ command, key, raw, code: 'BAD_FLAG' });
      expect((got as ClsrlError).message.startsWith(`--${flagName(key)} `)).toBe(true);
      expect((got as ClsrlError).hint).toContain(`clsrl ${command} --help`);
    }
  }
});

test('fuzz: random bad numbers through the real CLI exit 2 naming the flag (seed 9, 5 of 8 flags)', () => {
  const rng = new PyRandom(9);
  const bad = ['abc', '1,,2', '99999999999999999999', '2.5', 'NaN', '-5', '1e3', '0x10', '٣', ''];
  const targets: { args: string[]; flag: string }[] = [
    { args: ['serve-rewards'], flag: 'port' },
    { args: ['serve-rewards', '--port', '0'], flag: 'max-body-bytes' },
    { args: ['serve', '--port', '0'], flag: 'max-batch' },
    { args: ['serve', '--port', '0'], flag: 'image-cache-files' },
    { args: ['serve', '--port', '0'], flag: 'threads' },
    { args: ['start', '--engine', 'double'], flag: 'jobs' },
    { args: ['split', '--dataset', 'EuroSAT', '--setting', 'few-shot', '--shots', '1'], flag: 'seed' },
    { args: ['run', '--manifest', 'none.json'], flag: 'index' },
  ];
  for (let i = 0; i < 5; i++) {
    const t = targets.splice(rng.randbelow(targets.length), 1)[0];
    const value = bad[rng.randbelow(bad.length)];
    expectBadFlag([...t.args, `--${t.flag}=${value}`], t.flag, /./);
  }
});
