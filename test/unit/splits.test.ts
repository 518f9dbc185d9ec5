// Splits: Dassl's few-shot sampling and base/new subsampling, cross-checked against CPython running the
// same algorithm (test/vectors/make_split_vectors.py -> splits.json), and on the CoOp fixture.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Example, LoadedDataset, RunSpec } from '../../harness/contracts';
import { planSweep } from '../../harness/runner/plan';
import { splitFor, transferSet } from '../../harness/runner/data';
import { getMethod } from '../../methods/registry';
import { getSuite } from '../../suites/registry';
import { registerEngine } from '../../harness/engines/registry';
import { createDoubleEngine } from '../../harness/engines/double';
import { runSweep } from '../../harness/runner/sweep';
import { loadDataset } from '../../harness/data';
import { baseNewLabels, fewShotSplit, makeSplit, transferEvalSet } from '../../harness/splits';
import { makeCoopFixture, type CoopFixture } from '../fixtures/coop';

interface Item { id: string; label: number }
interface Case {
  list: string;
  seed: number;
  shots: number;
  train: string[];
  val: string[];
  base: Record<'train' | 'val' | 'test', [string, number][]>;
  new: Record<'train' | 'val' | 'test', [string, number][]>;
}
const V: { lists: Record<string, Record<'train' | 'val' | 'test', Item[]>>; cases: Case[] } = JSON.parse(
  fs.readFileSync(path.join(__dirname, '../vectors/splits.json'), 'utf8'),
);

function asDataset(name: string): LoadedDataset {
  const l = V.lists[name];
  const ex = (it: Item): Example => ({ image: it.id, absPath: `/x/${it.id}`, label: it.label, classname: `class ${it.label}` });
  const nClasses = Math.max(...l.train.map((i) => i.label)) + 1;
  return {
    name,
    classnames: Array.from({ length: nClasses }, (_, c) => `class ${c}`),
    train: l.train.map(ex),
    val: l.val.map(ex),
    test: l.test.map(ex),
    fingerprint: '',
    notes: [],
  };
}
const pairs = (items: Example[]) => items.map((e) => [e.image, e.label]);

describe('matches CPython running Dassl generate_fewshot_dataset + subsample_classes', () => {
  test.each(V.cases.map((c) => [c.list, c.seed, c.shots, c] as const))('%s seed=%i shots=%i', (list, seed, shots, c) => {
    const ds = asDataset(list);
    const fsplit = fewShotSplit(ds, shots, seed);
    expect(fsplit.train.map((e) => e.image)).toEqual(c.train);
    expect(fsplit.val.map((e) => e.image)).toEqual(c.val);
    const b2n = makeSplit(ds, 'base-to-new', shots, seed, { evalSplit: 'test' });
    expect(pairs(b2n.train)).toEqual(c.base.train);
    expect(pairs(b2n.val)).toEqual(c.base.val);
    expect(pairs(b2n.evals.find((e) => e.name === 'base')!.items)).toEqual(c.base.test);
    expect(pairs(b2n.evals.find((e) => e.name === 'new')!.items)).toEqual(c.new.test);
  });
});

describe('on the CoOp fixture', () => {
  let tmp: string;
  let fx: CoopFixture;
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-splits-'));
    fx = await makeCoopFixture(tmp, { datasets: ['Caltech101', 'EuroSAT', 'ImageNet', 'OxfordPets', 'StanfordCars', 'UCF101', 'FGVCAircraft'] });
  });

  // CPython reading the fixture's own split files (make_fixture_split_vectors.py) picks the same images.
  const FX: { dataset: string; seed: number; shots: number; train: string[]; val: string[]; baseTrain: [string, number][]; baseTest: [string, number][]; newTest: [string, number][] }[] =
    JSON.parse(fs.readFileSync(path.join(__dirname, '../vectors/fixture-splits.json'), 'utf8'));
  test.each(FX.map((c) => [c.dataset, c.seed, c.shots, c] as const))('CPython on fixture files: %s seed=%i shots=%i', async (name, seed, shots, c) => {
    const ds = await loadDataset(name, { dataRoot: fx.root });
    const few = makeSplit(ds, 'few-shot', shots, seed);
    expect(few.train.map((e) => e.image)).toEqual(c.train);
    expect(few.val.map((e) => e.image)).toEqual(c.val);
    const b2n = makeSplit(ds, 'base-to-new', shots, seed, { evalSplit: 'test' });
    expect(pairs(b2n.train)).toEqual(c.baseTrain);
    expect(pairs(b2n.evals[0].items)).toEqual(c.baseTest);
    expect(pairs(b2n.evals[1].items)).toEqual(c.newTest);
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const load = (n: string) => loadDataset(n, { dataRoot: fx.root });

  test("a sweep hands an engine its suite options for that engine (the paper suites' image size)", async () => {
    let seen: Record<string, unknown> | undefined;
    registerEngine('capture-opts', async (opts) => {
      seen = opts;
      return createDoubleEngine({});
    });
    const db = path.join(tmp, 'capture.sqlite');
    await runSweep({ suite: 'paper-b2n', engine: 'capture-opts', datasets: ['EuroSAT'], methods: ['zero-shot'], dataRoot: fx.root, db, dryRun: true, reporters: [] });
    expect(seen).toEqual({}); // an engine the suite names no options for gets none
    const suite = { ...getSuite('paper-b2n'), engineConfigs: { 'capture-opts': { imageSize: 384 } } };
    await runSweep({ suite, engine: 'capture-opts', datasets: ['EuroSAT'], methods: ['zero-shot'], dataRoot: fx.root, db, dryRun: true, reporters: [], engineOpt: { topP: 1 } });
    expect(seen).toEqual({ imageSize: 384, topP: 1 });
  });

  test("paper suites evaluate on the paper code's items (test + valid records); --eval-split test keeps CoOp's test split", async () => {
    const ds = await load('Caltech101');
    expect(ds.val.length).toBeGreaterThan(0);
    const sizes = (specs: RunSpec[]) =>
      Promise.all(
        specs.map(async (spec) => {
          const split = await splitFor(spec, ds);
          const transfer = await transferSet(ds, spec.config.prompt);
          return [spec.setting, split.evals.reduce((a, e) => a + e.items.length, 0), transfer.items.length];
        }),
      );
    for (const name of ['paper-b2n', 'paper-fewshot']) {
      const plan = (evalSplit?: 'test' | 'test+val') =>
        planSweep({ suite: getSuite(name), engine: 'tiny', getMethod, datasets: ['Caltech101'], methods: ['zero-shot', 'cls-rl'], seeds: [1], evalSplit });
      const paper = plan();
      expect(paper.every((s) => s.config.prompt.evalSplit === 'test+val')).toBe(true);
      const all = ds.test.length + ds.val.length;
      for (const [, evalItems, transferItems] of await sizes(paper)) expect([evalItems, transferItems]).toEqual([all, all]);
      const testOnly = plan('test');
      expect(testOnly.every((s) => s.config.prompt.evalSplit === 'test')).toBe(true);
      for (const [, evalItems, transferItems] of await sizes(testOnly)) expect([evalItems, transferItems]).toEqual([ds.test.length, ds.test.length]);
      expect(testOnly.map((s) => s.id)).not.toContain(paper[0].id); // the reading is part of the run id
    }
  });

  test('few-shot: K per class (all of a smaller class), val min(K,4), full test, all classes', async () => {
    const ds = await load('Caltech101');
    const s = makeSplit(ds, 'few-shot', 4, 1);
    expect(s.classes).toEqual({ all: ds.classnames });
    expect(s.trainClassnames).toEqual(ds.classnames);
    expect(s.train.length).toBe(5 * 4 + 3); // the fixture's last class has only 3 train images
    expect(s.val.length).toBe(6 * 2);
    expect(s.evals.map((e) => [e.name, e.items.length])).toEqual([['test', ds.test.length]]);
    expect(new Set(s.train.map((e) => e.image)).size).toBe(s.train.length);
    // first-appearance order of labels: the fixture's train list starts with label 1
    expect(s.train[0].label).toBe(1);
    expect(makeSplit(ds, 'few-shot', 4, 1)).toEqual(s);
    expect(makeSplit(ds, 'few-shot', 4, 2).train).not.toEqual(s.train);
  });

  test('shots <= 0 keeps the full train and val', async () => {
    const ds = await load('EuroSAT');
    const s = makeSplit(ds, 'few-shot', 0, 1);
    expect(s.train).toEqual(ds.train);
    expect(s.val).toEqual(ds.val);
  });

  test('base-to-new: ceil(n/2) base classes, relabelled; test never sampled by shots', async () => {
    const ds = await load('EuroSAT'); // 5 classes: base 3, new 2
    const s = makeSplit(ds, 'base-to-new', 2, 3, { evalSplit: 'test' });
    expect(s.classes).toEqual({ base: ['Annual Crop Land', 'Forest', 'Highway or Road'], new: ['River', 'Sea or Lake'] });
    expect(s.trainClassnames).toEqual(s.classes.base);
    expect(s.train.every((e) => e.label < 3 && s.classes.base[e.label] === e.classname)).toBe(true);
    expect(s.train.length).toBe(3 * 2);
    const base = s.evals.find((e) => e.name === 'base')!;
    const nu = s.evals.find((e) => e.name === 'new')!;
    expect(base.items.length + nu.items.length).toBe(ds.test.length);
    expect(nu.items.every((e) => nu.classnames[e.label] === e.classname && e.label < 2)).toBe(true);
    expect(nu.classnames).toEqual(s.classes.new);
    expect(baseNewLabels(makeSplit(ds, 'few-shot', 2, 3).train)).toEqual({ base: [0, 1, 2], new: [3, 4] });
  });

  test('test+val evaluation and ImageNet without val', async () => {
    const eu = await load('EuroSAT');
    expect(makeSplit(eu, 'few-shot', 1, 1, { evalSplit: 'test+val' }).evals[0].items.length).toBe(eu.test.length + eu.val.length);
    const inet = await load('ImageNet');
    const s = makeSplit(inet, 'few-shot', 4, 1);
    expect(s.val).toEqual([]);
    expect(s.train.length).toBe(3 * 4 + 3);
  });

  test("'val' evaluation: the val split alone; a dataset without val records is an error naming it", async () => {
    const eu = await load('EuroSAT');
    const items = makeSplit(eu, 'few-shot', 1, 1, { evalSplit: 'val' }).evals[0].items;
    expect(items.map((e) => e.image)).toEqual(eu.val.map((e) => e.image));
    const b2n = makeSplit(eu, 'base-to-new', 1, 1, { evalSplit: 'val' });
    expect(b2n.evals.reduce((n, e) => n + e.items.length, 0)).toBe(eu.val.length);
    const inet = await load('ImageNet');
    expect(() => makeSplit(inet, 'few-shot', 4, 1, { evalSplit: 'val' })).toThrow(/ImageNet: the val split is empty/);
  });

  test('transferEvalSet: full test of all classes', async () => {
    const ds = await load('Caltech101');
    const t = transferEvalSet(ds, { evalSplit: 'test' });
    expect(t).toEqual({ name: 'transfer:Caltech101', dataset: 'Caltech101', classnames: ds.classnames, items: ds.test });
  });

  test('bad setting and shots are errors', async () => {
    const ds = await load('EuroSAT');
    expect(() => makeSplit(ds, 'zero' as never, 4, 1)).toThrow(/unknown setting 'zero'/);
    expect(() => makeSplit(ds, 'few-shot', 1.5, 1)).toThrow(/shots must be an integer/);
  });
});
