// End to end: drives the real CLI (`node bin/clsrl.js`) on fixture dataset folders with the `double`
// engine: listing commands, split/score JSON shapes, dry-run plans, a full sweep, resume, --jobs 2,
// results and report. Volatile fields (paths, timings) are removed before outputs are compared.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { makeCoopFixture } from '../fixtures/coop';
import { cli, fixtureSuite, json, writeSuite } from '../helpers/cli';

let dir: string;
let root: string;
let suiteFile: string;
const DATASETS = ['EuroSAT', 'DescribableTextures', 'OxfordPets'];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-e2e-'));
  root = path.join(dir, 'data');
  await makeCoopFixture(root);
  suiteFile = writeSuite(dir, fixtureSuite('fx', DATASETS));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface SweepDoc {
  suite: string;
  engine: string;
  db: string;
  dataRoot: string | null;
  dryRun: boolean;
  total: number;
  counts: Record<string, number>;
  ran: number;
  skipped: number;
  failed: unknown[];
  runs: { id: string; method: string; dataset: string; setting: string; shots: number; seed: number; transferTo: string[]; status: string }[];
}

const withoutVolatile = (d: SweepDoc) => ({ ...d, db: undefined, dataRoot: undefined });

test('--help lists every command and each command has --help', () => {
  const r = cli(['--help']);
  expect(r.code).toBe(0);
  for (const c of ['sweep', 'report', 'split', 'score', 'results', 'methods', 'suites', 'datasets', 'start']) {
    expect(r.stdout).toMatch(new RegExp(`clsrl ${c}\\b`));
  }
  const s = cli(['sweep', '--help']);
  expect(s.code).toBe(0);
  expect(s.stdout).toMatch(/--dry-run/);
  expect(s.stdout).toMatch(/--jobs/);
});

test('methods, suites and datasets list what is registered, as JSON', () => {
  const methods = json<{ name: string; trains: boolean }[]>(cli(['methods', '--json']));
  expect(methods.map((m) => m.name)).toEqual(expect.arrayContaining(['zero-shot', 'sft', 'cls-rl', 'no-thinking-cls-rl']));
  const suites = json<{ name: string; datasets: string[] }[]>(cli(['suites', '--json']));
  expect(suites.find((s) => s.name === 'paper-fewshot')?.datasets).toHaveLength(11);
  const datasets = json<{ name: string; folder: string }[]>(cli(['datasets', '--json']));
  expect(datasets.find((d) => d.name === 'EuroSAT')?.folder).toBe('eurosat');
});

test('score --json has exactly the documented shape', () => {
  const think = json(cli(['score', '--method', 'cls-rl', '--label', 'Forest', '--completion', '<think>green</think> <answer>Forest</answer>', '--json']));
  expect(think).toEqual({
    rewards: { format: 1, accuracy: 1 },
    reward: 2,
    extracted: 'Forest',
    correct: true,
    strictCorrect: true,
    mathVerify: { enabled: true, completion: [], label: [], match: false },
  });
  const numbers = json(cli(['score', '--method', 'cls-rl', '--label', 'Saab 2000', '--completion', '<think>x</think><answer>Falcon 2000</answer>', '--json']));
  expect(numbers).toMatchObject({ rewards: { accuracy: 1 }, mathVerify: { enabled: true, completion: ['2000', '"2000"'], label: ['2000', '"2000"'], match: true } });
  const off = json(cli(['score', '--method', 'cls-rl', '--label', 'Saab 2000', '--completion', '<think>x</think><answer>Falcon 2000</answer>', '--no-math-verify', '--json']));
  expect(off).toMatchObject({ rewards: { accuracy: 0 }, mathVerify: { enabled: false, match: true } });
  const direct = json(cli(['score', '--method', 'no-thinking-cls-rl', '--label', 'Sea or Lake', '--completion', 'a sea or lake', '--json']));
  expect(direct).toEqual({ rewards: { equality: 0 }, reward: 0, extracted: 'a sea or lake', correct: true, strictCorrect: false });
});

test('split --json has exactly the documented shape', () => {
  const doc = json<Record<string, unknown>>(
    cli(['split', '--dataset', 'EuroSAT', '--setting', 'base-to-new', '--shots', '2', '--seed', '1', '--data-root', root, '--json']),
  );
  expect(Object.keys(doc).sort()).toEqual(['classes', 'dataset', 'eval', 'seed', 'setting', 'shots', 'train']);
  expect(doc).toMatchObject({ dataset: 'EuroSAT', setting: 'base-to-new', shots: 2, seed: 1 });
  const classes = doc.classes as { base: string[]; new: string[] };
  expect(Object.keys(classes).sort()).toEqual(['base', 'new']);
  const train = doc.train as { image: string; label: number; classname: string; candidates: string[]; prompt: string }[];
  expect(train.length).toBeGreaterThan(0);
  for (const it of train) {
    expect(Object.keys(it).sort()).toEqual(['candidates', 'classname', 'image', 'label', 'prompt']);
    expect(it.image.startsWith('eurosat/')).toBe(true);
    expect(path.isAbsolute(it.image)).toBe(false);
    expect(classes.base[it.label]).toBe(it.classname);
    expect(it.candidates).toContain(it.classname);
    expect(it.prompt).toContain('Please choose one from list [ ');
  }
  expect(Object.keys(doc.eval as object).sort()).toEqual(['base', 'new']);
  const fewshot = json<{ classes: Record<string, string[]>; eval: Record<string, unknown[]> }>(
    cli(['split', '--dataset', 'EuroSAT', '--setting', 'few-shot', '--shots', '2', '--seed', '1', '--data-root', root, '--json']),
  );
  expect(Object.keys(fewshot.classes)).toEqual(['all']);
  expect(Object.keys(fewshot.eval)).toEqual(['test']);
});

test('paper-fewshot --dry-run --json lists the full plan without creating the DB', () => {
  const db = path.join(dir, 'dry.sqlite');
  const doc = json<SweepDoc>(cli(['sweep', '--suite', 'paper-fewshot', '--engine', 'double', '--data-root', root, '--db', db, '--dry-run', '--json']));
  expect(doc.dryRun).toBe(true);
  expect(doc.total).toBe(11 + 3 * 11 * 3);
  expect(doc.runs.filter((r) => r.method === 'zero-shot')).toHaveLength(11);
  expect(doc.runs.filter((r) => r.method === 'cls-rl').every((r) => r.transferTo.length === 10)).toBe(true);
  expect(doc.counts).toEqual({ pending: 110 });
  expect(fs.existsSync(db)).toBe(false);
});

describe('a sweep of the fixture suite', () => {
  let db1: string;
  let first: SweepDoc;

  beforeAll(() => {
    db1 = path.join(dir, 'one.sqlite');
    first = json<SweepDoc>(cli(['sweep', '--suite', suiteFile, '--data-root', root, '--db', db1, '--json']));
  });

  test('runs every planned run once', () => {
    // 3 datasets x 2 settings x (1 zero-shot + 3 trained)
    expect(first.total).toBe(24);
    expect(first).toMatchObject({ ran: 24, skipped: 0, failed: [], counts: { done: 24 }, engine: 'double' });
  });

  test('results --json: one row per evaluation with exactly the documented keys', () => {
    const rows = json<Record<string, unknown>[]>(cli(['results', '--db', db1, '--json']));
    // b2n: 12 runs x (base, new); few-shot: 3 zero-shot x test + 9 trained x (test + 2 transfer)
    expect(rows).toHaveLength(12 * 2 + 3 + 9 * 3);
    const keys = ['runId', 'suite', 'dataset', 'setting', 'shots', 'seed', 'method', 'engine', 'evalDataset', 'evalSplit', 'n', 'correct', 'accuracy',
      'inListRate', 'forcedChoiceAccuracy', 'sampledAccuracy'];
    for (const r of rows) {
      expect(Object.keys(r)).toEqual(keys);
      expect(r.accuracy).toBeCloseTo((100 * (r.correct as number)) / (r.n as number), 9);
      // the double scores log-probs: diagnostics are measured (default full); sampling is off by default
      expect(r.inListRate).toBeGreaterThanOrEqual(r.accuracy as number);
      expect(typeof r.forcedChoiceAccuracy).toBe('number');
      expect(r.sampledAccuracy).toBeNull();
    }
    const transfer = rows.filter((r) => r.evalDataset !== r.dataset);
    expect(transfer).toHaveLength(9 * 2);
    expect(new Set(rows.filter((r) => r.setting === 'base-to-new').map((r) => r.evalSplit))).toEqual(new Set(['base', 'new']));
    const filtered = json<unknown[]>(cli(['results', '--db', db1, '--suite', 'nope', '--json']));
    expect(filtered).toEqual([]);
  });

  test('a second sweep skips everything and changes nothing', () => {
    const again = json<SweepDoc>(cli(['sweep', '--suite', suiteFile, '--data-root', root, '--db', db1, '--json']));
    expect(again).toMatchObject({ ran: 0, skipped: 24, counts: { done: 24 } });
    expect(again.runs.map((r) => r.id)).toEqual(first.runs.map((r) => r.id));
  });

  test('--jobs 2 in worker processes stores the same results', () => {
    const db2 = path.join(dir, 'two.sqlite');
    const par = json<SweepDoc>(cli(['sweep', '--suite', suiteFile, '--data-root', root, '--db', db2, '--jobs', '2', '--json']));
    expect(withoutVolatile(par)).toEqual(withoutVolatile(first));
    expect(cli(['results', '--db', db2, '--json']).stdout).toBe(cli(['results', '--db', db1, '--json']).stdout);
  });

  test('report writes the files and says where they are', () => {
    const out = path.join(dir, 'report');
    const doc = json<{ outDir: string; main: string; files: string[] }>(cli(['report', '--db', db1, '--out', out, '--format', 'md,csv', '--json']));
    expect(doc.outDir).toBe(out);
    expect(doc.files.some((f) => f.endsWith('.md'))).toBe(true);
    expect(doc.files.some((f) => f.endsWith('.csv'))).toBe(true);
    for (const f of doc.files) expect(fs.existsSync(f)).toBe(true);
  });

  test('text output goes to stdout, progress to stderr', () => {
    const r = cli(['sweep', '--suite', suiteFile, '--data-root', root, '--db', db1]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/0 runs finished, 24 already done, 0 failed/);
    expect(r.stderr).toMatch(/24 already done, 0 to run/);
  });
});

test('start --engine double sweeps a suite, renders the report and prints where it is', () => {
  const small = writeSuite(dir, fixtureSuite('start-fx', ['EuroSAT'], { settings: [{ setting: 'few-shot', shots: [2], seeds: [1] }] }));
  const db = path.join(dir, 'start.sqlite');
  const out = path.join(dir, 'start-report');
  const args = ['start', '--engine', 'double', '--suite', small, '--data-root', root, '--db', db, '--out', out];
  const r = cli(args);
  expect(r.code).toBe(0);
  const m = /report: (.+)/.exec(r.stdout);
  expect(m).not.toBeNull();
  expect(fs.existsSync(m![1].trim())).toBe(true);
  expect(r.stdout).toMatch(/4 runs finished now, 0 reused/);
  const again = cli(args);
  expect(again.stdout).toMatch(/0 runs finished now, 4 reused/);
});
