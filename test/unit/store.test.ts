// Unit tests of the SQLite results store: migrations, atomic run writes, reads, cache, merge, checksum.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import Database from 'better-sqlite3';
import type { RunSpec } from '../../harness/contracts';
import { ClsrlError } from '../../harness/errors';
import { dbChecksum, importRuns, SCHEMA_VERSION, Store, type RunRecord } from '../../harness/store';
import { MIGRATIONS } from '../../harness/store/schema';

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

describe('prepared runs, schema 2 and re-keying', () => {
  test('a v1 database migrates to accept prepared runs and keeps every row and reference', () => {
    const file = path.join(dir, 'v1.sqlite');
    const raw = new Database(file);
    raw.exec('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
    raw.exec(MIGRATIONS[0].sql);
    raw.prepare('INSERT INTO schema_version VALUES (1, ?)').run('2026-01-01');
    raw.close();
    // a done run with evaluations and steps, stored by a schema-1 store (v1 tables, same columns)
    const v1 = new Database(file);
    v1.pragma('foreign_keys = ON');
    v1.prepare(`INSERT INTO runs (id, suite, dataset, setting, shots, seed, method, engine, status, spec, config)
                VALUES ('old', 'unit', 'EuroSAT', 'few-shot', 4, 1, 'cls-rl', 'double', 'done', '{}', '{}')`).run();
    v1.prepare(`INSERT INTO train_steps (run_id, step, epoch, rewards, tokens_generated) VALUES ('old', 1, 1, '{}', 3)`).run();
    v1.close();
    const s = Store.open(file);
    expect(s.status('old')).toBe('done');
    expect(s.trainSteps('old')).toHaveLength(1);
    s.markPrepared(spec('p'), { codeVersion: 'c', dataFingerprint: 'd', engineFingerprint: 'e' });
    expect(s.status('p')).toBe('prepared');
    expect(s.db.pragma('foreign_keys', { simple: true })).toBe(1);
    // deleting the run still cascades: the references survived the table rebuild
    s.db.prepare("DELETE FROM runs WHERE id = 'old'").run();
    expect(s.trainSteps('old')).toHaveLength(0);
    s.close();
  });

  test('markPrepared records a run as prepared, never over a done one; the next attempt runs it', () => {
    const s = Store.open(path.join(dir, 'p.sqlite'));
    const meta = { codeVersion: 'c', dataFingerprint: 'd', engineFingerprint: 'e' };
    s.markPrepared(spec('p'), meta);
    expect(s.status('p')).toBe('prepared');
    expect(s.doneIds().has('p')).toBe(false);
    expect(s.runs()[0]).toMatchObject({ id: 'p', status: 'prepared', dataFingerprint: 'd', codeVersion: 'c' });
    s.markRunning(spec('p'), { codeVersion: 'c' });
    expect(s.status('p')).toBe('running');
    s.saveRun(record(spec('p')));
    s.markPrepared(spec('p'), meta);
    expect(s.status('p')).toBe('done');
    s.close();
  });

  test('rekeyRun moves a run with its evaluations and steps to a new id, never over an existing one', () => {
    const s = Store.open(path.join(dir, 'k.sqlite'));
    s.saveRun(record(spec('old')));
    s.saveRun(record(spec('taken')));
    expect(s.rekeyRun('old', spec('new'))).toBe(true);
    expect(s.status('old')).toBeUndefined();
    expect(s.status('new')).toBe('done');
    expect(s.evaluations().filter((e) => e.runId === 'new')).toHaveLength(1);
    expect(s.predictions('new')).toHaveLength(4);
    expect(s.trainSteps('new')).toHaveLength(2);
    expect(s.runs().find((r) => r.id === 'new')?.spec.id).toBe('new');
    expect(s.rekeyRun('new', spec('taken'))).toBe(false);
    expect(s.rekeyRun('absent', spec('other'))).toBe(false);
    s.close();
  });
});

// A database written by clsrl before run leases (schema 1, main at ffa5f76: one done run with its
// evaluation, predictions and step, one failed run), committed as made.
const V1_DB = path.join(__dirname, '..', 'fixtures', 'store-v1.sqlite');

test('a schema-1 database is readable as it is, and migrating it keeps its finished runs', () => {
  const file = path.join(dir, 'old.sqlite');
  fs.copyFileSync(V1_DB, file);
  const ro = Store.open(file, { readonly: true }); // readers need no migration (results, report on a read-only copy)
  expect(ro.runs().map((r) => [r.id, r.status])).toEqual([['failed-run', 'failed'], ['done-run', 'done']]) // ordered by method;
  ro.close();
  const s = Store.open(file);
  try {
    expect((s.db.prepare('SELECT MAX(version) v FROM schema_version').get() as { v: number }).v).toBe(SCHEMA_VERSION);
    expect([...s.doneIds()]).toEqual(['done-run']);
    expect(s.evaluations().map((e) => [e.runId, e.n, e.correct])).toEqual([['done-run', 2, 1]]);
    expect(s.predictions('done-run')).toHaveLength(2);
    expect(s.trainSteps('done-run')).toHaveLength(1);
    const me = { holder: 'h:1:a', host: 'h', pid: 1 };
    expect(s.claimRun('done-run', me, 60_000).state).toBe('done'); // a finished run is never claimed again
    expect(s.claimRun('failed-run', me, 60_000).state).toBe('claimed'); // a failed one is retried
  } finally {
    s.close();
  }
});

test('run leases: a live holder keeps its run, an expired or gone one is taken over, release frees it', () => {
  const s = Store.open(path.join(dir, 'l.sqlite'));
  try {
    const a = { holder: 'host-a:10:aa', host: 'host-a', pid: 10 };
    const b = { holder: 'host-b:20:bb', host: 'host-b', pid: 20 };
    expect(s.claimRun('r1', a, 1000, { now: 0 }).state).toBe('claimed');
    expect(s.claimRun('r1', b, 1000, { now: 500 })).toMatchObject({ state: 'held', by: { holder: a.holder, pid: 10 } });
    expect(s.renewLeases(a.holder, 1000, 900)).toBe(1); // heartbeat: now expires at 1900
    expect(s.claimRun('r1', b, 1000, { now: 1500 }).state).toBe('held');
    expect(s.claimRun('r1', b, 1000, { now: 1901 })).toMatchObject({ state: 'claimed', takenOver: { holder: a.holder } });
    expect(s.claimRun('r1', a, 1000, { now: 1902, isGone: (l) => l.pid === 20 })).toMatchObject({ state: 'claimed' }); // b's pid died
    s.releaseRun('r1', b.holder); // not b's any more: nothing released
    expect(s.leases().map((l) => l.holder)).toEqual([a.holder]);
    s.releaseRun('r1', a.holder);
    expect(s.leases()).toEqual([]);
    // a run another process failed during this round is left for the next sweep
    s.saveRun(record(spec('r2'), { status: 'failed', error: 'x', finishedAt: '2026-06-01T00:00:00.000Z' }));
    expect(s.claimRun('r2', a, 1000, { failedSince: '2026-05-01T00:00:00.000Z' }).state).toBe('failed-elsewhere');
    expect(s.claimRun('r2', a, 1000, { failedSince: '2026-07-01T00:00:00.000Z' }).state).toBe('claimed');
  } finally {
    s.close();
  }
});
