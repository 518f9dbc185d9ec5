// Unit tests of the SQLite results store: migrations, atomic run writes, reads, cache, merge, checksum.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import Database from 'better-sqlite3';
import type { RunSpec } from '../../harness/contracts';
import { ClsrlError } from '../../harness/errors';
import { dbChecksum, importRuns, SCHEMA_VERSION, Store, type RunRecord } from '../../harness/store';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-store-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function spec(id: string, over: Partial<RunSpec> = {}): RunSpec {
  return {
    id,
    suite: 'unit',
    dataset: 'EuroSAT',
    setting: 'few-shot',
    shots: 4,
    seed: 1,
    method: 'cls-rl',
    engine: 'double',
    transferTo: [],
    config: {
      method: { lr: 1e-6 },
      prompt: { candidateRule: 'code', evalSplit: 'test', evalPromptSeed: 100, evalLimit: 0 },
      engine: {},
      eval: { maxTokens: 32 },
    },
    ...over,
  };
}

function record(s: RunSpec, over: Partial<RunRecord> = {}): RunRecord {
  return {
    spec: s,
    status: 'done',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    trainMs: 10,
    evalMs: 5,
    trainSteps: 2,
    tokensGenerated: 40,
    codeVersion: 'test',
    dataFingerprint: 'fp',
    engineFingerprint: 'efp',
    evaluations: [
      {
        evalDataset: s.dataset,
        evalSplit: 'test',
        template: 'think',
        evalMs: 5,
        predictions: [
          { exampleId: 'a', label: 'River', output: '<answer>River</answer>', extracted: 'River', correct: true, strictCorrect: true },
          { exampleId: 'b', label: 'Forest', output: 'a Forest', extracted: 'a Forest', correct: true, strictCorrect: false },
          { exampleId: 'c', label: 'Highway', output: 'River', extracted: 'River', correct: false, strictCorrect: false },
          { exampleId: 'd', label: 'Pasture', output: 'x', extracted: 'x', correct: false, strictCorrect: false },
        ],
      },
    ],
    steps: [
      { step: 1, epoch: 0.5, loss: 0.3, rewards: { 'reward/format': 0.5 }, rewardStd: 0.1, completionLength: 9, kl: 0, lr: 1e-6, gradNorm: 1, tokensGenerated: 20, wallMs: 3 },
      { step: 2, epoch: 1, loss: NaN, rewards: { 'reward/format': 1 }, rewardStd: 0, completionLength: 8, kl: 0.01, lr: 1e-6, gradNorm: 2, tokensGenerated: 20, wallMs: 3 },
    ],
    ...over,
  };
}

test('creates the schema with WAL and the current version', () => {
  const file = path.join(dir, 'sub', 'r.sqlite');
  const s = Store.open(file);
  expect(s.db.pragma('journal_mode', { simple: true })).toBe('wal');
  expect((s.db.prepare('SELECT MAX(version) v FROM schema_version').get() as { v: number }).v).toBe(SCHEMA_VERSION);
  s.close();
  // reopening does not re-apply migrations
  const again = Store.open(file);
  expect((again.db.prepare('SELECT COUNT(*) c FROM schema_version').get() as { c: number }).c).toBe(SCHEMA_VERSION);
  again.close();
});

test('refuses a database from a newer clsrl and a non-database file', () => {
  const file = path.join(dir, 'new.sqlite');
  Store.open(file).close();
  const raw = new Database(file);
  raw.prepare('INSERT INTO schema_version VALUES (?, ?)').run(SCHEMA_VERSION + 5, 'x');
  raw.close();
  expect(() => Store.open(file)).toThrow(/newer than this clsrl/);
  const junk = path.join(dir, 'junk.sqlite');
  fs.writeFileSync(junk, 'not a database at all, just text '.repeat(200));
  expect(() => Store.open(junk)).toThrow(ClsrlError);
});

test('readonly open of a missing file is NOT_FOUND and creates nothing', () => {
  const file = path.join(dir, 'none.sqlite');
  try {
    Store.open(file, { readonly: true });
    throw new Error('expected a throw');
  } catch (e) {
    expect((e as ClsrlError).code).toBe('NOT_FOUND');
    expect((e as ClsrlError).hint).toMatch(/sweep/);
  }
  expect(fs.existsSync(file)).toBe(false);
});

test('stores a run atomically and reads it back through ResultsSource', () => {
  const s = Store.open(path.join(dir, 'r.sqlite'));
  const sp = spec('r1');
  s.markRunning(sp, { codeVersion: 'test' });
  expect(s.status('r1')).toBe('running');
  expect(s.saveRun(record(sp))).toBe(true);
  expect(s.status('r1')).toBe('done');
  const [run] = s.runs();
  expect(run).toMatchObject({ id: 'r1', status: 'done', trainMs: 10, tokensGenerated: 40, codeVersion: 'test', dataFingerprint: 'fp' });
  expect(run.spec).toEqual(sp);
  const [ev] = s.evaluations();
  expect(ev).toEqual({
    runId: 'r1', suite: 'unit', dataset: 'EuroSAT', setting: 'few-shot', shots: 4, seed: 1, method: 'cls-rl', engine: 'double',
    evalDataset: 'EuroSAT', evalSplit: 'test', n: 4, correct: 2, accuracy: 50, strictAccuracy: 25,
    inListRate: null, forcedChoiceAccuracy: null, sampledAccuracy: null, // predictions without diagnostics
  });
  const steps = s.trainSteps('r1');
  expect(steps).toHaveLength(2);
  expect(steps[0].rewards).toEqual({ 'reward/format': 0.5 });
  expect(Number.isNaN(steps[1].loss)).toBe(true);
  const preds = s.predictions('r1', 'EuroSAT', 'test');
  expect(preds.map((p) => [p.exampleId, p.correct, p.strictCorrect])).toEqual([
    ['a', true, true], ['b', true, false], ['c', false, false], ['d', false, false],
  ]);
  expect(s.predictions('r1', 'Other')).toEqual([]);
  s.close();
});

test('a run already done is never stored twice', () => {
  const s = Store.open(path.join(dir, 'r.sqlite'));
  const sp = spec('r1');
  expect(s.saveRun(record(sp))).toBe(true);
  s.markRunning(sp, { codeVersion: 'again' });
  expect(s.status('r1')).toBe('done');
  expect(s.saveRun(record(sp, { trainMs: 999 }))).toBe(false);
  expect(s.runs()[0].trainMs).toBe(10);
  expect((s.db.prepare('SELECT COUNT(*) c FROM predictions').get() as { c: number }).c).toBe(4);
  s.close();
});

test('a write that fails half-way leaves no trace of the run', () => {
  const s = Store.open(path.join(dir, 'r.sqlite'));
  const sp = spec('r2');
  s.markRunning(sp, { codeVersion: 'test' });
  const bad = record(sp);
  // duplicate example id violates the predictions primary key after runs/evaluations rows went in
  bad.evaluations[0].predictions.push({ ...bad.evaluations[0].predictions[0] });
  expect(() => s.saveRun(bad)).toThrow();
  expect(s.status('r2')).toBe('running');
  expect(s.evaluations()).toEqual([]);
  expect((s.db.prepare('SELECT COUNT(*) c FROM predictions').get() as { c: number }).c).toBe(0);
  // a retry after the crash stores it once
  expect(s.saveRun(record(sp))).toBe(true);
  expect(s.runs()[0].status).toBe('done');
  s.close();
});

test('failed runs keep their error and are not listed as evaluations', () => {
  const s = Store.open(path.join(dir, 'r.sqlite'));
  const sp = spec('r3');
  s.saveRun(record(sp, { status: 'failed', error: 'boom', evaluations: [], steps: [] }));
  expect(s.runs()[0]).toMatchObject({ status: 'failed', error: 'boom' });
  expect(s.doneIds().size).toBe(0);
  expect(s.saveRun(record(sp))).toBe(true);
  expect(s.doneIds()).toEqual(new Set(['r3']));
  s.close();
});

test('suite filter and evaluation cache', () => {
  const s = Store.open(path.join(dir, 'r.sqlite'));
  s.saveRun(record(spec('a1', { suite: 'A' }), {
    cacheEntries: [{ key: 'k1', engine: 'double', modelId: 'base', outputs: [{ id: 'x', text: 'River', tokens: 2 }] }],
  }));
  s.saveRun(record(spec('b1', { suite: 'B' })));
  expect(s.runs({ suite: 'A' }).map((r) => r.id)).toEqual(['a1']);
  expect(s.evaluations({ suite: 'B' }).map((r) => r.runId)).toEqual(['b1']);
  expect(s.getCache('k1')?.outputs).toEqual([{ id: 'x', text: 'River', tokens: 2 }]);
  expect(s.getCache('nope')).toBeUndefined();
  s.putCache({ key: 'k1', engine: 'double', modelId: 'base', outputs: [] }); // first write wins
  expect(s.getCache('k1')?.outputs).toHaveLength(1);
  s.close();
});

test('importRuns copies done runs idempotently and skips unfinished ones', () => {
  const a = Store.open(path.join(dir, 'shard-a.sqlite'));
  a.saveRun(record(spec('r1'), { cacheEntries: [{ key: 'k', engine: 'double', modelId: 'base', outputs: [] }] }));
  a.markRunning(spec('r2'), { codeVersion: 't' });
  a.close();
  const b = Store.open(path.join(dir, 'shard-b.sqlite'));
  b.saveRun(record(spec('r3', { seed: 2 })));
  b.close();
  const main = Store.open(path.join(dir, 'main.sqlite'));
  main.markRunning(spec('r1'), { codeVersion: 't' }); // a stale running row is replaced
  expect(importRuns(main, path.join(dir, 'shard-a.sqlite'))).toEqual({ imported: 1, skipped: 0, unfinished: 1, cacheEntries: 1 });
  expect(importRuns(main, path.join(dir, 'shard-b.sqlite'))).toMatchObject({ imported: 1 });
  const once = dbChecksum(path.join(dir, 'main.sqlite'));
  expect(importRuns(main, path.join(dir, 'shard-a.sqlite'))).toEqual({ imported: 0, skipped: 1, unfinished: 1, cacheEntries: 0 });
  main.close();
  expect(dbChecksum(path.join(dir, 'main.sqlite'))).toBe(once);
  const check = Store.open(path.join(dir, 'main.sqlite'), { readonly: true });
  expect(check.evaluations().map((e) => e.runId)).toEqual(['r1', 'r3']);
  expect(check.trainSteps('r1')).toHaveLength(2);
  expect(check.predictions('r3')).toHaveLength(4);
  check.close();
  expect(() => importRuns(Store.open(path.join(dir, 'x.sqlite')), path.join(dir, 'missing.sqlite'))).toThrow(/no results database/);
});

test('dbChecksum reflects contents only', () => {
  const file = path.join(dir, 'c.sqlite');
  expect(dbChecksum(file)).toBe('absent');
  const s = Store.open(file);
  const c0 = dbChecksum(file);
  s.db.pragma('wal_checkpoint(TRUNCATE)');
  expect(dbChecksum(file)).toBe(c0);
  s.saveRun(record(spec('r1')));
  expect(dbChecksum(file)).not.toBe(c0);
  s.close();
});
