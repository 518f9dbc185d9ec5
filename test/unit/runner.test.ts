// The runner in-process (runSweep with the double engine on a CoOp fixture): the shared base-model
// evaluation cache, identical eval prompts for every method, reporter hooks, failed runs stored and retried.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { MethodPlugin, RunSpec, SuiteDef } from '../../harness/contracts';
import { limitQuestions } from '../../harness/runner/evaluate';
import type { SweepReporter } from '../../harness/runner/reporters';
import { runSweep } from '../../harness/runner/sweep';
import { Store } from '../../harness/store';
import { getMethod } from '../../methods/registry';
import { makeCoopFixture } from '../fixtures/coop';
import { fixtureSuite } from '../helpers/cli';

let dir: string;
let root: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-runner-'));
  root = path.join(dir, 'data');
  await makeCoopFixture(root, { datasets: ['EuroSAT', 'DescribableTextures'] });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const fewShot = (name: string, over: Partial<SuiteDef> = {}): SuiteDef =>
  fixtureSuite(name, ['EuroSAT', 'DescribableTextures'], { settings: [{ setting: 'few-shot', shots: [2], seeds: [1], transfer: true }], ...over });

test('zero-shot completions are computed once and shared across suites', async () => {
  const db = path.join(dir, 'cache.sqlite');
  await runSweep({ suite: fewShot('first'), dataRoot: root, db, methods: ['zero-shot'] });
  await runSweep({ suite: fewShot('second'), dataRoot: root, db, methods: ['zero-shot'] });
  const store = Store.open(db, { readonly: true });
  const rows = store.db
    .prepare('SELECT r.suite, e.eval_dataset, e.from_cache, e.cache_key FROM evaluations e JOIN runs r ON r.id = e.run_id ORDER BY r.suite, e.eval_dataset')
    .all() as { suite: string; eval_dataset: string; from_cache: number; cache_key: string }[];
  expect(rows.map((r) => [r.suite, r.from_cache])).toEqual([['first', 0], ['first', 0], ['second', 1], ['second', 1]]);
  expect(rows[2].cache_key).toBe(rows[0].cache_key);
  // per evaluation set: the greedy completions and the forced choices (answer diagnostics, default full)
  expect((store.db.prepare('SELECT COUNT(*) c FROM eval_cache').get() as { c: number }).c).toBe(4);
  // same outputs, scored the same, the same diagnostics
  const first = store.evaluations({ suite: 'first' }).map((e) => [e.evalDataset, e.correct, e.inListRate, e.forcedChoiceAccuracy]);
  expect(first.every((r) => typeof r[3] === 'number')).toBe(true);
  expect(store.evaluations({ suite: 'second' }).map((e) => [e.evalDataset, e.correct, e.inListRate, e.forcedChoiceAccuracy])).toEqual(first);
  store.close();
});

test('every method sees identical test prompts; trained runs evaluate transfer sets; hooks fire', async () => {
  const db = path.join(dir, 'hooks.sqlite');
  const events: string[] = [];
  const steps = new Map<string, number>();
  const reporter: SweepReporter = {
    onSweepStart: (p) => events.push(`start ${p.todo.length}`),
    onRunStart: (s) => events.push(`run ${s.method}`),
    onStepEnd: (s) => steps.set(s.method, (steps.get(s.method) ?? 0) + 1),
    onRunEnd: (s, o) => events.push(`end ${s.method} ${o.status}`),
    onSweepEnd: (x) => events.push(`done ${x.done} ${x.failed}`),
  };
  const res = await runSweep({ suite: fewShot('prompts'), dataRoot: root, db, datasets: ['EuroSAT'], reporters: [reporter] });
  expect(res.failed).toEqual([]);
  expect(events[0]).toBe('start 4');
  expect(events.at(-1)).toBe('done 4 0');
  expect(events.filter((e) => e.startsWith('end') && e.endsWith('done'))).toHaveLength(4);
  expect(steps.get('cls-rl')).toBe(2); // maxSteps 2
  expect(steps.has('zero-shot')).toBe(false);

  const store = Store.open(db, { readonly: true });
  const runs = store.runs();
  const byMethod = (m: string) => runs.find((r) => r.method === m)!;
  // the same example ids, in the same order, for every method's EuroSAT test evaluation
  const ids = (m: string) => store.predictions(byMethod(m).id, 'EuroSAT', 'test').map((p) => p.exampleId);
  expect(ids('zero-shot').length).toBeGreaterThan(0);
  for (const m of ['sft', 'cls-rl', 'no-thinking-cls-rl']) expect(ids(m)).toEqual(ids('zero-shot'));
  // trained runs are also evaluated on the other dataset of the suite, with its own test prompts
  expect(store.predictions(byMethod('cls-rl').id, 'DescribableTextures', 'test').length).toBeGreaterThan(0);
  expect(store.predictions(byMethod('zero-shot').id, 'DescribableTextures')).toEqual([]);
  const r = byMethod('cls-rl');
  expect(r.codeVersion).toMatch(/^clsrl@/);
  expect(r.dataFingerprint).toMatch(/^[0-9a-f]{32}$/);
  expect(store.trainSteps(r.id).map((s) => s.step)).toEqual([1, 2]);
  store.close();
});

test('a run that throws is stored as failed, the sweep goes on, and the next sweep retries it', async () => {
  const db = path.join(dir, 'fail.sqlite');
  let broken = true;
  const flaky: MethodPlugin<object> = {
    ...getMethod('sft'),
    meta: { ...getMethod('sft').meta, name: 'flaky' },
    async train(ctx) {
      if (broken) throw new Error('simulated crash in training');
      return getMethod('sft').train(ctx);
    },
  };
  const lookup = (n: string) => (n === 'flaky' ? flaky : getMethod(n));
  const suite = fewShot('flaky', { methods: ['zero-shot', 'flaky'], methodConfig: { flaky: { epochs: 1, maxSteps: 1, batchSize: 2 } } });
  const one = await runSweep({ suite, dataRoot: root, db, getMethod: lookup });
  expect(one.failed.map((f) => f.error)).toEqual(['simulated crash in training', 'simulated crash in training']);
  expect(one.ran).toBe(2);
  const store = Store.open(db, { readonly: true });
  expect(store.runs().filter((r) => r.status === 'failed').map((r) => r.error)).toEqual(['simulated crash in training', 'simulated crash in training']);
  expect(store.evaluations().every((e) => e.method === 'zero-shot')).toBe(true);
  store.close();
  broken = false;
  const two = await runSweep({ suite, dataRoot: root, db, getMethod: lookup });
  expect(two).toMatchObject({ ran: 2, skipped: 2, failed: [] });
  expect(Object.values(two.status)).toEqual(['done', 'done', 'done', 'done']);
});

test('limitQuestions keeps a deterministic seeded subset in original order', () => {
  const qs = Array.from({ length: 50 }, (_, i) => ({ id: `d/test/${i}` }) as never);
  const a = limitQuestions(qs, 10, 100);
  expect(a).toHaveLength(10);
  expect(a.map((q: { id: string }) => Number(q.id.split('/')[2]))).toEqual([...a].map((q: { id: string }) => Number(q.id.split('/')[2])).sort((x, y) => x - y));
  expect(limitQuestions(qs, 10, 100)).toEqual(a);
  expect(limitQuestions(qs, 0, 100)).toBe(qs);
  expect(limitQuestions(qs, 80, 100)).toBe(qs);
});

test('dry run plans without writing', async () => {
  const db = path.join(dir, 'dry.sqlite');
  const res = await runSweep({ suite: fewShot('dry'), dataRoot: root, db, dryRun: true });
  expect(res.specs.every((s: RunSpec) => res.status[s.id] === 'pending')).toBe(true);
  expect(fs.existsSync(db)).toBe(false);
});

test('--jobs 2: workers that die fail their runs (no hang), and the sweep reports every run', async () => {
  const db = path.join(dir, 'crash.sqlite');
  // an engine whose generate kills the worker process, registered by a --require module in every process
  const mod = path.join(dir, 'crashy-engine.js');
  const registry = path.resolve(__dirname, '../../harness/engines/registry.ts');
  fs.writeFileSync(mod, `
    const { registerEngine, createEngine } = require(${JSON.stringify(registry)});
    registerEngine('crashy', async (opts) => {
      const inner = await createEngine('double', opts);
      const e = Object.create(inner);
      Object.defineProperty(e, 'name', { value: 'crashy' });
      e.generate = async () => process.exit(3);
      return e;
    });
  `);
  const res = await runSweep({ suite: fewShot('crash', { engine: 'crashy' }), dataRoot: root, db, jobs: 2, require: [mod] });
  expect(res.ran).toBe(0);
  expect(res.failed).toHaveLength(8);
  expect(res.failed.filter((f) => /worker process exited \(code 3\)/.test(f.error)).length).toBeGreaterThanOrEqual(2);
  expect(Object.values(res.status).every((s) => s === 'failed')).toBe(true);
}, 120_000);
