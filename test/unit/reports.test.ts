// Report aggregation checked by hand (HM of averages, population std, bootstrap determinism), the
// Markdown/CSV shape, the paper comparison, thinking consistency, and empty or partial sources.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { averageB2N, buildB2N, buildFewShot, buildTransfer, loadSuiteData, type B2NCell } from '../../reports/aggregate';
import { buildReport, writeReport } from '../../reports';
import { judge, lastMentioned } from '../../reports/consistency';
import { markdownTable } from '../../reports/markdown';
import { tableCsv } from '../../reports/csv';
import { orderDatasets, orderMethods } from '../../reports/names';
import { bootstrapCI, harmonicMean, popStd, seedStats } from '../../reports/stats';
import { fixtureAccuracy, makeFixtureSource, MemorySource } from '../fixtures/results';
import { markBest, type Table } from '../../reports/document';
import { Store } from '../../harness/store';

const tmpDirs: string[] = [];
function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-report-'));
  tmpDirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

function cell(base: number, novel: number): B2NCell {
  return { base: seedStats([base], [1], 'b'), novel: seedStats([novel], [1], 'n'), hm: harmonicMean(base, novel) };
}

describe('statistics', () => {
  test('HM of averaged Base/New, as CoCoOp: 69.34 / 74.22 -> 71.70', () => {
    expect(harmonicMean(69.34, 74.22).toFixed(2)).toBe('71.70');
    // Two datasets whose Base and New average to 69.34 and 74.22.
    const avg = averageB2N({ A: cell(60.0, 90.0), B: cell(78.68, 58.44) }, ['A', 'B']);
    expect(avg?.base).toBeCloseTo(69.34, 10);
    expect(avg?.novel).toBeCloseTo(74.22, 10);
    expect(avg?.hm.toFixed(2)).toBe('71.70');
    // Not the mean of per-dataset H (72.00 and 67.07 -> 69.53).
    const meanOfH = (harmonicMean(60, 90) + harmonicMean(78.68, 58.44)) / 2;
    expect(meanOfH.toFixed(2)).not.toBe('71.70');
  });

  test('population std (np.std, ddof 0)', () => {
    expect(popStd([1, 2, 3])).toBeCloseTo(Math.sqrt(2 / 3), 12);
    expect(popStd([5])).toBe(0);
  });

  test('bootstrap interval is deterministic per seed and brackets the mean', () => {
    const xs = [70.1, 72.4, 68.9];
    const a = bootstrapCI(xs, { seed: 7 });
    const b = bootstrapCI(xs, { seed: 7 });
    expect(a).toEqual(b);
    expect(a!.lo).toBeLessThanOrEqual(70.4666);
    expect(a!.hi).toBeGreaterThanOrEqual(70.4667);
    expect(a!.lo).toBeGreaterThanOrEqual(68.9);
    expect(a!.hi).toBeLessThanOrEqual(72.4);
    expect(bootstrapCI([70], { seed: 7 })).toBeUndefined();
    // Cell keys, not call order, seed the RNG: the same cell gives the same interval anywhere.
    expect(seedStats(xs, [1, 2, 3], 'k').ci).toEqual(seedStats(xs, [1, 2, 3], 'k').ci);
  });
});

describe('display order', () => {
  test('paper order for CoOp names (aliases too), suite order after', () => {
    expect(orderDatasets(['zeta', 'OxfordPets', 'DescribableTextures', 'alpha', 'Imagenet', 'OxfordFlowers']))
      .toEqual(['Imagenet', 'DescribableTextures', 'OxfordFlowers', 'OxfordPets', 'zeta', 'alpha']);
    expect(orderMethods(['my-method', 'no-thinking-cls-rl', 'cls-rl', 'sft', 'zero-shot', 'another']))
      .toEqual(['zero-shot', 'sft', 'cls-rl', 'no-thinking-cls-rl', 'another', 'my-method']);
  });
});

describe('aggregation on the fixture', () => {
  const data = loadSuiteData(makeFixtureSource(), 'fixture');

  test('base-to-new cells are seed means; H is the HM of those means', () => {
    const t = buildB2N(data, 4);
    const c = t.cells['cls-rl'].EuroSAT;
    const base = [1, 2, 3].map((s) => fixtureAccuracy('cls-rl', 'EuroSAT', 'base', s));
    const novel = [1, 2, 3].map((s) => fixtureAccuracy('cls-rl', 'EuroSAT', 'new', s));
    expect(c.base!.mean).toBeCloseTo(75, 10);
    expect(c.base!.std).toBeCloseTo(popStd(base), 10);
    expect(c.novel!.mean).toBeCloseTo(70, 10);
    expect(c.hm).toBeCloseTo((2 * 75 * 70) / (75 + 70), 10);
    expect(c.base!.n).toBe(3);
    expect(c.base!.values).toEqual(base);
    expect(novel).toHaveLength(3);
    // Zero-shot ran once (shots 0, seed 0) and belongs to the 4-shot table.
    expect(t.cells['zero-shot'].EuroSAT.base!.n).toBe(1);
    expect(t.cells['zero-shot'].EuroSAT.base!.seeds).toEqual([0]);
    const avg = t.average['cls-rl']!;
    expect(avg.base).toBeCloseTo((70 + 75 + 80) / 3, 10);
    expect(avg.hm).toBeCloseTo(harmonicMean(avg.base, avg.novel), 10);
  });

  test('few-shot table excludes transfer rows; Average is the mean over datasets', () => {
    const t = buildFewShot(data, 4);
    expect(t.cells.sft.OxfordPets.mean).toBeCloseTo(60, 10);
    expect(t.average.sft!.acc).toBeCloseTo((60 + 65 + 70) / 3, 10);
  });

  test('transfer: absolute accuracy and gain over zero-shot on the tested dataset', () => {
    const ms = buildTransfer(data, 4);
    expect(ms.map((m) => m.method)).toEqual(['sft', 'cls-rl', 'no-thinking-cls-rl']);
    const m = ms[1];
    expect(m.abs.OxfordPets.EuroSAT.mean).toBeCloseTo(fixtureAccuracy('cls-rl', 'EuroSAT', 'transfer', 2), 10);
    expect(m.zeroShot.EuroSAT).toBeCloseTo(55, 10);
    expect(m.gain.OxfordPets.EuroSAT).toBeCloseTo(65 - 55, 10);
    expect(m.gain.EuroSAT.EuroSAT).toBeCloseTo(75 - 55, 10);
  });
});

describe('rendering', () => {
  const table: Table = {
    id: 't', title: 'T', header: ['Method', 'A', 'B'], notes: [],
    rows: [
      [{ text: 'x' }, { text: '1.00', value: 1, best: true }, { text: '–' }],
      [{ text: 'y|z' }, { text: '0.50', value: 0.5 }, { text: '2.00', value: 2 }],
    ],
  };

  test('markdown table: header, alignment row, one line per row, best in bold, pipes escaped', () => {
    const lines = markdownTable(table).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe('| Method | A | B |');
    expect(lines[1]).toBe('|---|---:|---:|');
    expect(lines[2]).toBe('| x | **1.00** | – |');
    expect(lines[3]).toBe('| y\\|z | 0.50 | 2.00 |');
  });

  test('best marks: ties all marked, all-equal columns unmarked', () => {
    const rows = [[{ text: 'a', value: 2 }, { text: 'b', value: 0 }], [{ text: 'c', value: 2 }, { text: 'd', value: 0 }], [{ text: 'e', value: 1 }, { text: 'f', value: 0 }]];
    markBest(rows, [0, 1]);
    expect(rows.map((r) => r.map((c) => !!(c as { best?: boolean }).best))).toEqual([[true, false], [true, false], [false, false]]);
  });

  test('CSV has raw values and empty cells for missing ones', () => {
    expect(tableCsv(table)).toBe('Method,A,B\nx,1,\ny|z,0.5,2\n');
  });

  test('report sections hold the paper tables with best marks', () => {
    const doc = buildReport(makeFixtureSource(), 'fixture');
    const ids = doc.sections.flatMap((s) => s.tables.map((t) => t.id));
    for (const id of ['base-to-new-4shot', 'base-to-new-4shot-h', 'few-shot-4shot', 'transfer-cls-rl-4shot-abs', 'transfer-cls-rl-4shot-gain', 'seeds', 'efficiency', 'training-summary', 'thinking-consistency']) {
      expect(ids).toContain(id);
    }
    const fs4 = doc.sections.flatMap((s) => s.tables).find((t) => t.id === 'few-shot-4shot')!;
    const best = fs4.rows.filter((r) => r[1].best).map((r) => r[0].text);
    expect(best).toEqual(['No-Thinking-CLS-RL']);
    // Single-seed cells say so: zero-shot ran once, the trained methods over three seeds.
    expect(fs4.rows[0][1].text).toBe('60.00¹');
    expect(fs4.rows[1][1].text).toBe('70.00');
    expect(fs4.notes.join(' ')).toMatch(/¹ single seed/);
    const oneSeed = buildReport(makeFixtureSource({ settings: ['few-shot'], seeds: [1] }), 'fixture');
    expect(oneSeed.sections[0].tables[0].notes.join(' ')).toMatch(/single run \(one seed\)/);
    expect(doc.missing).toEqual([]);
  });
});

describe('the paper beside ours', () => {
  test('paper suites show paper, ours and the difference', () => {
    const doc = buildReport(makeFixtureSource({ suite: 'paper-fewshot', settings: ['few-shot'] }), 'paper-fewshot');
    const t = doc.sections.flatMap((s) => s.tables).find((x) => x.id === 'paper-few-shot-4shot')!;
    const row = t.rows.find((r) => r[0].text === 'OxfordPets' && r[1].text === 'CLS-RL')!;
    // Free-lunch heatmaps: our gain minus the paper's, per cell (CLS-RL tuned on EuroSAT, tested on OxfordPets: 1.55).
    const paperSec = doc.sections.find((x) => x.id === 'paper')!;
    const diff = paperSec.charts.find((c) => c.id === 'paper-transfer-cls-rl')!;
    const cellDiff = ((diff.spec as { data: { values: Array<{ train: string; test: string; value: number }> } }).data.values)
      .find((v) => v.train === 'EuroSAT' && v.test === 'OxfordPets')!;
    expect(cellDiff.value).toBeCloseTo(60 - 50 - 1.55, 10);
    expect(row[2].value).toBe(87.24);
    expect(row[3].value).toBeCloseTo(70, 10);
    expect(row[4].value).toBeCloseTo(70 - 87.24, 10);
    expect(row[4].text).toBe('-17.24');
    // Three of eleven datasets: the paper is re-averaged over the same three.
    const avg = t.rows.find((r) => r[0].text === 'Average (3 datasets)' && r[1].text === 'CLS-RL')!;
    expect(avg[2].value).toBeCloseTo((87.24 + 49.46 + 69.92) / 3, 10);
    expect(avg[3].value).toBeCloseTo((70 + 75 + 80) / 3, 10);
  });

  test('paper-b2n: Base/New/H beside the paper; Average H from re-averaged paper Base and New', () => {
    const doc = buildReport(makeFixtureSource({ suite: 'paper-b2n', settings: ['base-to-new'] }), 'paper-b2n');
    const t = doc.sections.flatMap((s) => s.tables).find((x) => x.id === 'paper-base-to-new-4shot')!;
    const pets = t.rows.find((r) => r[0].text === 'OxfordPets' && r[1].text === 'CLS-RL')!;
    expect(pets.map((c) => c.value)).toEqual([undefined, undefined, 83.28, 70, 70 - 83.28, 94.49, 65, 65 - 94.49, 88.53, expect.any(Number), expect.any(Number)]);
    const avg = t.rows.find((r) => r[0].text === 'Average (3 datasets)' && r[1].text === 'CLS-RL')!;
    const pb = (83.28 + 58.09 + 77.42) / 3;
    const pn = (94.49 + 69.33 + 67.82) / 3;
    expect(avg[8].value).toBeCloseTo(harmonicMean(pb, pn), 10);
    expect(avg[9].value).toBeCloseTo(harmonicMean(75, 70), 10);
  });

  test('replica suites show who wins per dataset, paper vs ours', () => {
    const doc = buildReport(makeFixtureSource({ suite: 'replica-fewshot', settings: ['few-shot'] }), 'replica-fewshot');
    const t = doc.sections.flatMap((s) => s.tables).find((x) => x.id.startsWith('pattern-winners'))!;
    const pets = t.rows.find((r) => r[0].text === 'OxfordPets')!;
    expect(pets[1].text).toBe('CLS-RL'); // 87.24 vs 86.13 in the paper
    expect(pets[2].text).toBe('No-Thinking-CLS-RL');
    expect(pets[3].text).toBe('no');
  });

  test('synthetic tasks compare with the paper dataset they mirror', () => {
    const src = makeFixtureSource({ suite: 'my-replica', settings: ['few-shot'], datasets: ['SynthSat', 'SynthPets'] });
    const doc = buildReport(src, 'my-replica', {
      suiteInfo: {
        datasets: ['SynthPets', 'SynthSat'],
        customDatasets: [
          { name: 'SynthSat', description: 'Synthetic satellite task mirroring EuroSAT (10 classes)' },
          { name: 'SynthPets', mirrors: 'OxfordPets' },
        ],
      },
    });
    const t = doc.sections.flatMap((s) => s.tables).find((x) => x.id.startsWith('pattern-winners'))!;
    expect(t.rows.map((r) => r[0].text)).toEqual(['SynthPets', 'SynthSat', 'Average']); // suite order
    expect(t.rows[0][1].text).toBe('CLS-RL (OxfordPets)');
    expect(t.rows[1][1].text).toBe('SFT (EuroSAT)');
  });
});

describe('thinking consistency', () => {
  test('the last candidate named wins; longer names beat names inside them', () => {
    expect(lastMentioned('maybe a boxer, no: a pug', ['boxer', 'pug', 'beagle'])).toBe('pug');
    expect(lastMentioned('it is a sea or lake', ['lake', 'sea or lake'])).toBe('sea or lake');
    expect(lastMentioned('a pugnacious dog', ['pug'])).toBeUndefined();
    expect(lastMentioned('Annual_Crop fields', ['Annual_Crop'])).toBe('Annual_Crop');
    // A megabyte of unclosed tags and repeated names: only the tail is scanned.
    const huge = '<think>' + 'pug <answer> boxer '.repeat(60_000);
    const cands = Array.from({ length: 300 }, (_, i) => `class${i}`).concat(['pug', 'boxer']);
    expect(lastMentioned(huge, cands)).toBe('boxer');
  });

  test('judges think vs answer', () => {
    const p = { runId: 'r', evalDataset: 'd', evalSplit: 'test', exampleId: 'x', label: 'pug', correct: true, strictCorrect: true };
    const cands = ['pug', 'boxer'];
    expect(judge({ ...p, output: '<think>looks like a pug</think><answer>pug</answer>', extracted: 'pug' }, cands)).toBe('consistent');
    expect(judge({ ...p, output: '<think>looks like a boxer</think><answer>pug</answer>', extracted: 'pug' }, cands)).toBe('inconsistent');
    expect(judge({ ...p, output: '<think>hmm</think><answer>pug</answer>', extracted: 'pug' }, cands)).toBe('undetermined');
    expect(judge({ ...p, output: 'pug', extracted: 'pug' }, cands)).toBe('no-think');
  });

  test('share of inconsistent completions on the fixture (every third one)', () => {
    const doc = buildReport(makeFixtureSource({ settings: ['few-shot'], n: 12 }), 'fixture');
    const t = doc.sections.flatMap((s) => s.tables).find((x) => x.id === 'thinking-consistency')!;
    const cls = t.rows.find((r) => r[1].text === 'CLS-RL')!;
    expect(cls[5].value).toBeCloseTo((100 * 4) / 12, 10);
  });
});

describe('empty and partial sources', () => {
  test('an empty source gives a report that says so', async () => {
    const out = tmpDir();
    const res = await writeReport(new MemorySource(), { outDir: out, formats: ['md', 'html', 'csv', 'json'] });
    expect(res.missing[0]).toMatch(/no runs/);
    expect(fs.readFileSync(path.join(out, 'report.md'), 'utf8')).toMatch(/Missing or incomplete[\s\S]*no runs/);
    expect(fs.existsSync(path.join(out, 'report.html'))).toBe(true);
  });

  test('an unknown suite names the suites present', () => {
    const doc = buildReport(makeFixtureSource(), 'nope');
    expect(doc.missing[0]).toMatch(/suites present: fixture/);
  });

  test('a partial source lists failed runs and missing cells', () => {
    const src = makeFixtureSource({ settings: ['base-to-new'], n: 4 });
    const victim = src.runRows.find((r) => r.method === 'cls-rl' && r.dataset === 'EuroSAT')!;
    victim.status = 'failed';
    victim.error = 'engine crashed\nstack';
    const dropped = src.evalRows.filter((e) => e.method === 'cls-rl' && e.dataset === 'EuroSAT');
    src.evalRows.splice(0, src.evalRows.length, ...src.evalRows.filter((e) => !dropped.includes(e)));
    const doc = buildReport(src, 'fixture');
    expect(doc.missing.join('\n')).toMatch(/1 of \d+ runs are not done/);
    expect(doc.missing.join('\n')).toMatch(/failed: EuroSAT base-to-new CLS-RL seed \d .*engine crashed$/m);
    expect(doc.missing.join('\n')).toMatch(/CLS-RL has no result for EuroSAT/);
    const avg = doc.sections[0].tables[1].rows.find((r) => r[0].text.startsWith('Average') && r[1].text === 'CLS-RL')!;
    expect(avg[0].text).toBe('Average (2/3 datasets)');
  });

  test('a partial sweep is measured against the suite plan', () => {
    const src = makeFixtureSource({ settings: ['few-shot'], datasets: ['EuroSAT'], n: 4 });
    const doc = buildReport(src, 'fixture', {
      suiteInfo: { datasets: ['EuroSAT', 'OxfordPets'], methods: ['zero-shot', 'sft', 'cls-rl', 'no-thinking-cls-rl', 'my-method'], settings: [{ setting: 'base-to-new' }, { setting: 'few-shot' }] },
    });
    expect(doc.missing).toEqual(expect.arrayContaining([
      'Few-shot: SFT has no result for OxfordPets.',
      'Few-shot: no my-method results yet.',
      'No base-to-new evaluations yet (the suite plans them).',
    ]));
  });

  test("a setting's own datasets are the plan for that setting: cells it never planned are not missing", () => {
    const src = makeFixtureSource({ settings: ['few-shot'], datasets: ['EuroSAT'], n: 4 });
    const info = (fewShot: string[]) => ({
      datasets: ['EuroSAT', 'OxfordPets'],
      methods: ['zero-shot', 'sft', 'cls-rl', 'no-thinking-cls-rl'],
      settings: [{ setting: 'few-shot', datasets: fewShot }],
    });
    expect(buildReport(src, 'fixture', { suiteInfo: info(['EuroSAT']) }).missing).toEqual([]);
    expect(buildReport(src, 'fixture', { suiteInfo: info(['EuroSAT', 'OxfordPets']) }).missing).toContain('Few-shot: SFT has no result for OxfordPets.');
    // no transfer evaluations: missing only when the suite plans transfer (or the plan is unknown)
    const two = makeFixtureSource({ settings: ['few-shot'], datasets: ['EuroSAT', 'OxfordPets'], n: 4 });
    two.evalRows.splice(0, two.evalRows.length, ...two.evalRows.filter((e) => e.evalDataset === e.dataset));
    const noTransfer = /Cross-dataset transfer: no transfer evaluations/;
    const withPlan = (transfer: boolean) => ({ suiteInfo: { ...info(['EuroSAT', 'OxfordPets']), settings: [{ setting: 'few-shot', transfer }] } });
    expect(buildReport(two, 'fixture', withPlan(false)).missing.join('\n')).not.toMatch(noTransfer);
    expect(buildReport(two, 'fixture', withPlan(true)).missing.join('\n')).toMatch(noTransfer);
    expect(buildReport(two, 'fixture').missing.join('\n')).toMatch(noTransfer);
  });

  test('thinking methods whose completions never think are reported, not judged', () => {
    const src = makeFixtureSource({ settings: ['few-shot'], methods: ['zero-shot', 'cls-rl'], datasets: ['EuroSAT'], n: 4 });
    for (const p of src.preds) p.output = p.extracted;
    const doc = buildReport(src, 'fixture');
    expect(doc.sections.find((s) => s.id === 'thinking-consistency')).toBeUndefined();
    expect(doc.missing).toEqual([
      'Thinking consistency: none of the 4 Zero-shot completions (few-shot) has a <think> block, so there is nothing to judge.',
      'Thinking consistency: none of the 12 CLS-RL completions (few-shot) has a <think> block, so there is nothing to judge.',
    ]);
  });

  test('writes every format, PNG included', async () => {
    const out = tmpDir();
    const progress: Array<[number, number]> = [];
    const res = await writeReport(makeFixtureSource({ settings: ['few-shot'], datasets: ['EuroSAT', 'OxfordPets'], n: 4 }), {
      outDir: out, formats: ['md', 'html', 'csv', 'svg', 'png', 'json'], onProgress: (done, total) => progress.push([done, total]),
    });
    expect(progress.length).toBeGreaterThan(5);
    expect(progress[progress.length - 1][0]).toBe(progress[progress.length - 1][1]);
    const rel = res.files.map((f) => path.relative(out, f));
    expect(rel).toEqual(expect.arrayContaining(['report.md', 'report.html', 'report.json', 'csv/few-shot-4shot.csv', 'charts/few-shot-4shot-acc.svg', 'charts/few-shot-4shot-acc.png', 'charts/few-shot-4shot-acc.vl.json']));
    const png = fs.readFileSync(path.join(out, 'charts/few-shot-4shot-acc.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(fs.readFileSync(path.join(out, 'charts/few-shot-4shot-acc.svg'), 'utf8')).toMatch(/^<svg/);
    await expect(writeReport(new MemorySource(), { outDir: out, formats: ['pdf' as never] })).rejects.toThrow(/unknown report format/);
  });
});

describe('against the SQLite store', () => {
  /** The fixture written through the real store's atomic run writes. */
  function toStore(mem: MemorySource, file: string): Store {
    const store = Store.open(file);
    for (const r of mem.runRows) {
      const evals = mem.evalRows.filter((e) => e.runId === r.id);
      store.saveRun({
        spec: r.spec, status: r.status === 'failed' ? 'failed' : 'done', error: r.error, startedAt: r.startedAt as string, finishedAt: r.finishedAt as string,
        trainMs: r.trainMs, evalMs: r.evalMs, trainSteps: mem.trainSteps(r.id).length, tokensGenerated: r.tokensGenerated,
        codeVersion: r.codeVersion, dataFingerprint: r.dataFingerprint, engineFingerprint: 'fixture',
        evaluations: evals.map((e) => ({
          evalDataset: e.evalDataset, evalSplit: e.evalSplit, template: 'think', evalMs: 1,
          predictions: mem.predictions(r.id, e.evalDataset, e.evalSplit).map(({ exampleId, label, output, extracted, correct, strictCorrect }) => ({ exampleId, label, output, extracted, correct, strictCorrect })),
        })),
        steps: mem.trainSteps(r.id),
      });
    }
    return store;
  }

  test('several suites without --suite: one folder each', async () => {
    const a = makeFixtureSource({ suite: 'suite-a', settings: ['few-shot'], datasets: ['EuroSAT'], n: 4 });
    const b = makeFixtureSource({ suite: 'suite-b', settings: ['few-shot'], datasets: ['OxfordPets'], n: 4 });
    const both = new MemorySource([...a.runRows, ...b.runRows], [...a.evalRows, ...b.evalRows], { ...a.steps, ...b.steps }, [...a.preds, ...b.preds]);
    const out = tmpDir();
    const res = await writeReport(both, { outDir: out, formats: ['md'] });
    expect(res.files.map((f) => path.relative(out, f)).filter((f) => f.endsWith('.md')).sort()).toEqual(['suite-a/report.md', 'suite-b/report.md']);
    expect(fs.readFileSync(path.join(out, 'suite-b', 'report.md'), 'utf8')).toMatch(/OxfordPets/);
    expect(fs.readFileSync(path.join(out, 'suite-b', 'report.md'), 'utf8')).not.toMatch(/EuroSAT/);
  });

  test('a report read from SQLite equals the one read from memory', () => {
    const mem = makeFixtureSource({ n: 20 });
    const dir = tmpDir();
    const store = toStore(mem, path.join(dir, 'r.sqlite'));
    try {
      const fromDb = buildReport(store, 'fixture');
      const fromMem = buildReport(mem, 'fixture');
      expect(fromDb.missing).toEqual([]);
      expect(fromDb.sections.map((s) => s.tables)).toEqual(fromMem.sections.map((s) => s.tables));
      expect(fromDb.sections.flatMap((s) => s.charts.map((c) => c.id))).toEqual(fromMem.sections.flatMap((s) => s.charts.map((c) => c.id)));
    } finally {
      store.close();
    }
  });
});

describe('protocol variants in the report header', () => {
  test('says which SFT style, accuracy reward and evaluation items the rows used, and when runs mix them', () => {
    const src = makeFixtureSource();
    const suite = src.runRows[0].suite;
    const meta = () => buildReport(src, suite).meta;
    // runs stored before the options existed read as what they did then
    expect(meta()).toEqual(expect.arrayContaining([
      'SFT style: direct (direct template, class-name target)',
      'CLS-RL accuracy reward: string match only',
      'evaluation items: test split',
    ]));
    for (const r of src.runRows) {
      if (r.method === 'sft') r.spec.config.method.style = 'paper';
      if (r.method === 'cls-rl') r.spec.config.method.mathVerify = true;
      r.spec.config.prompt.evalSplit = 'test+val';
    }
    expect(meta()).toEqual(expect.arrayContaining([
      "SFT style: paper (sft.py's system prompt, bare problem, <answer> target)",
      'CLS-RL accuracy reward: math_verify, then string match (paper code)',
      'evaluation items: test + val records (paper code)',
    ]));
    src.runRows.find((r) => r.method === 'sft')!.spec.config.method.style = 'direct';
    const mixed = meta().find((l) => l.startsWith('SFT style'))!;
    expect(mixed).toMatch(/^SFT style: mixed, pooled in the cells \(/);
    expect(mixed).toContain('direct (direct template, class-name target): 1 runs');
    expect(mixed).toMatch(/paper \(sft\.py's system prompt, bare problem, <answer> target\): \d+ runs/);
  });
});
