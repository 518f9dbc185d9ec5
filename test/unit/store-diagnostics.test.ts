// The answer-diagnostics columns of the results store: stored per evaluation and prediction, NULL where
// not measured, and a migration that keeps a database written by the schema before them (version 1):
// its finished runs stay done, read with the new fields null, readonly and after migration, and merge.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import Database from 'better-sqlite3';
import type { RunSpec } from '../../harness/contracts';
import { importRuns, SCHEMA_VERSION, Store, type PredictionRecord, type RunRecord } from '../../harness/store';
import { MIGRATIONS } from '../../harness/store/schema';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-store-diag-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const spec = (id: string): RunSpec => ({
  id, suite: 'unit', dataset: 'EuroSAT', setting: 'few-shot', shots: 4, seed: 1, method: 'cls-rl', engine: 'double', transferTo: [],
  config: { method: {}, prompt: { candidateRule: 'code', evalSplit: 'test', evalPromptSeed: 100, evalLimit: 0 }, engine: {}, eval: { maxTokens: 32 } },
});

const record = (id: string, predictions: PredictionRecord[]): RunRecord => ({
  spec: spec(id), status: 'done', startedAt: 'a', finishedAt: 'b', trainMs: 1, evalMs: 2, trainSteps: 0, tokensGenerated: 0,
  codeVersion: 't', dataFingerprint: 'fp', engineFingerprint: 'efp', steps: [],
  evaluations: [{ evalDataset: 'EuroSAT', evalSplit: 'test', template: 'think/eval', evalMs: 2, diagnosticsMs: 1, predictions }],
});

/** A database exactly as the schema before answer diagnostics wrote it: migration 1 and one done run. */
function versionOneDb(file: string): void {
  const db = new Database(file);
  db.exec('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
  db.exec(MIGRATIONS[0].sql);
  db.prepare('INSERT INTO schema_version VALUES (1, ?)').run('2026-01-01');
  const s = spec('old1');
  db.prepare(`INSERT INTO runs (id, suite, dataset, setting, shots, seed, method, engine, status, spec, config)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'done', ?, ?)`).run(s.id, s.suite, s.dataset, s.setting, s.shots, s.seed, s.method, s.engine, JSON.stringify(s), JSON.stringify(s.config));
  db.prepare(`INSERT INTO evaluations (run_id, eval_dataset, eval_split, n, correct, strict_correct, accuracy, strict_accuracy, eval_ms, template)
              VALUES ('old1', 'EuroSAT', 'test', 2, 1, 1, 50, 50, 3, 'think/eval')`).run();
  for (const [ex, ok] of [['a', 1], ['b', 0]] as const) {
    db.prepare(`INSERT INTO predictions (run_id, eval_dataset, eval_split, example_id, label, output, extracted, correct, strict_correct)
                VALUES ('old1', 'EuroSAT', 'test', ?, 'River', 'x', 'x', ?, ?)`).run(ex, ok, ok);
  }
  db.close();
}

const NULLS = { inListRate: null, forcedChoiceAccuracy: null, sampledAccuracy: null };

test('a version-1 database reads readonly with the diagnostics null, and is not modified', () => {
  const file = path.join(dir, 'v1.sqlite');
  versionOneDb(file);
  const s = Store.open(file, { readonly: true });
  expect(s.version).toBe(1);
  expect(s.evaluations()).toEqual([expect.objectContaining({ runId: 'old1', accuracy: 50, n: 2, ...NULLS })]);
  expect(s.predictions('old1').map((p) => [p.exampleId, p.correct, p.inList, p.forcedChoice, p.forcedCorrect, p.sampledCorrect])).toEqual([
    ['a', true, null, null, null, null], ['b', false, null, null, null, null],
  ]);
  s.close();
  const raw = new Database(file, { readonly: true });
  expect((raw.prepare('SELECT MAX(version) v FROM schema_version').get() as { v: number }).v).toBe(1);
  raw.close();
});

test('migrating a version-1 database keeps its finished runs done, with the diagnostics null', () => {
  const file = path.join(dir, 'v1.sqlite');
  versionOneDb(file);
  const s = Store.open(file);
  expect(s.version).toBe(SCHEMA_VERSION);
  expect([...s.doneIds()]).toEqual(['old1']);
  expect(s.evaluations()).toEqual([expect.objectContaining({ runId: 'old1', accuracy: 50, strictAccuracy: 50, ...NULLS })]);
  expect(s.predictions('old1').every((p) => p.inList === null && p.sampledOutput === null)).toBe(true);
  // a new run with diagnostics stores beside it
  const preds: PredictionRecord[] = [
    { exampleId: 'a', label: 'River', output: 'River', extracted: 'River', correct: true, strictCorrect: true, inList: true, forcedChoice: 'River', forcedCorrect: true, sampledOutput: 'Lake', sampledCorrect: false },
    { exampleId: 'b', label: 'Forest', output: 'Lake', extracted: 'Lake', correct: false, strictCorrect: false, inList: true, forcedChoice: 'Forest', forcedCorrect: true, sampledOutput: 'Forest', sampledCorrect: true },
    { exampleId: 'c', label: 'Forest', output: 'a tree', extracted: 'a tree', correct: false, strictCorrect: false, inList: false, forcedChoice: 'River', forcedCorrect: false, sampledOutput: 'River', sampledCorrect: false },
    { exampleId: 'd', label: 'Forest', output: 'tree', extracted: 'tree', correct: false, strictCorrect: false, inList: false, forcedChoice: 'Forest', forcedCorrect: true, sampledOutput: 'x', sampledCorrect: false },
  ];
  expect(s.saveRun(record('new1', preds))).toBe(true);
  const ev = s.evaluations().find((e) => e.runId === 'new1');
  expect(ev).toMatchObject({ accuracy: 25, inListRate: 50, forcedChoiceAccuracy: 75, sampledAccuracy: 25 });
  expect(s.predictions('new1').map((p) => [p.inList, p.forcedChoice, p.forcedCorrect, p.sampledOutput, p.sampledCorrect])).toEqual(
    preds.map((p) => [p.inList, p.forcedChoice, p.forcedCorrect, p.sampledOutput, p.sampledCorrect]),
  );
  const row = s.db.prepare("SELECT in_list, forced_correct, sampled_correct, diagnostics_ms FROM evaluations WHERE run_id = 'new1'").get();
  expect(row).toEqual({ in_list: 2, forced_correct: 3, sampled_correct: 1, diagnostics_ms: 1 });
  s.close();
});

test('an evaluation is measured whole or not: one prediction without forced choice makes it NULL', () => {
  const s = Store.open(path.join(dir, 'r.sqlite'));
  s.saveRun(record('r1', [
    { exampleId: 'a', label: 'River', output: 'River', extracted: 'River', correct: true, strictCorrect: true, inList: true, forcedChoice: 'River', forcedCorrect: true },
    { exampleId: 'b', label: 'River', output: 'x', extracted: 'x', correct: false, strictCorrect: false, inList: false, forcedChoice: null, forcedCorrect: null },
  ]));
  expect(s.evaluations()[0]).toMatchObject({ inListRate: 50, forcedChoiceAccuracy: null, sampledAccuracy: null });
  s.close();
});

test('merging a version-1 shard into a current database keeps its runs, diagnostics null', () => {
  const src = path.join(dir, 'v1.sqlite');
  versionOneDb(src);
  const target = Store.open(path.join(dir, 'all.sqlite'));
  expect(importRuns(target, src)).toMatchObject({ imported: 1 });
  expect(target.evaluations()).toEqual([expect.objectContaining({ runId: 'old1', accuracy: 50, ...NULLS })]);
  target.close();
});
