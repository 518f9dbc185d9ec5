// Turns aggregated results into report sections: base-to-new (Base/New/H with the CoOp Average row),
// few-shot accuracy with Average, transfer matrices (absolute and gain over zero-shot) and the
// per-cell seed statistics (mean ± std, 95% bootstrap interval; single seeds said so).

import type { B2NTable, FewShotTable, TransferMatrix } from './aggregate';
import { fileSafe, markBest, numCell, textCell, type Cell, type Section, type Table } from './document';
import { groupedBars, heatmap, type BarDatum, type CellDatum } from './charts';
import { datasetTitle, methodTitle } from './names';
import { fmt, fmtSigned, mean, type SeedStats } from './stats';

function seedNote(s: SeedStats | undefined): string | undefined {
  if (!s) return undefined;
  return s.n === 1 ? `single seed (${s.seeds[0]})` : `mean of ${s.n} seeds (${s.seeds.join(', ')}), std ${fmt(s.std)}`;
}

function statCell(s: SeedStats | undefined, mark = ''): Cell {
  return s ? numCell(s.mean, fmt(s.mean) + mark, seedNote(s)) : textCell('–');
}

/** Says which cells rest on one seed: all of them, or the list (shown with a ¹). */
function seedCoverage(stats: Array<SeedStats | undefined>): { mark: (s: SeedStats | undefined) => string; note?: string } {
  const present = stats.filter((s): s is SeedStats => s !== undefined);
  const single = present.filter((s) => s.n === 1).length;
  if (present.length === 0 || single === 0) return { mark: () => '', note: present.length > 0 ? `Every cell is a mean over ${Math.min(...present.map((s) => s.n))}+ seeds; std and 95% intervals under Seeds.` : undefined };
  if (single === present.length) return { mark: () => '', note: 'Every cell is a single run (one seed): no spread to report.' };
  return { mark: (s) => (s?.n === 1 ? '¹' : ''), note: '¹ single seed (zero-shot runs once: greedy decoding of the base model); other cells are seed means, with std and 95% intervals under Seeds.' };
}

function coverageNote(covered: number, total: number): string {
  return covered < total ? ` (${covered}/${total} datasets)` : '';
}

export function b2nSection(t: B2NTable): Section {
  const id = `base-to-new-${t.shots}shot`;
  const rows: Cell[][] = [];
  const header = ['Dataset', 'Method', 'Base', 'New', 'H'];
  const notes: string[] = [
    'H = 2·Base·New/(Base+New) of the seed-averaged Base and New; the Average block averages Base and New over datasets and takes the HM of those averages (CoOp convention), not the mean of per-dataset H.',
    'Best value per column within each dataset block in bold.',
  ];
  const cov = seedCoverage(t.methods.flatMap((m) => t.datasets.flatMap((d) => [t.cells[m]?.[d]?.base, t.cells[m]?.[d]?.novel])));
  if (cov.note) notes.push(cov.note);
  for (const d of [...t.datasets, 'Average']) {
    const block: Cell[][] = [];
    for (const m of t.methods) {
      if (d === 'Average') {
        const a = t.average[m];
        if (!a) continue;
        const cov = coverageNote(a.covered.length, t.datasets.length);
        block.push([textCell('Average' + cov), textCell(methodTitle(m)), numCell(a.base, fmt(a.base)), numCell(a.novel, fmt(a.novel)), numCell(a.hm, fmt(a.hm))]);
        if (cov) notes.push(`${methodTitle(m)}: Average covers only ${a.covered.join(', ')}.`);
        continue;
      }
      const c = t.cells[m]?.[d];
      if (!c) continue;
      block.push([textCell(datasetTitle(d)), textCell(methodTitle(m)), statCell(c.base, cov.mark(c.base)), statCell(c.novel, cov.mark(c.novel)), numCell(c.hm, fmt(c.hm) + cov.mark(c.hmSeeds), seedNote(c.hmSeeds))]);
    }
    markBest(block, [2, 3, 4]);
    rows.push(...block);
  }
  const table: Table = { id, title: `Base-to-new, ${t.shots}-shot: Base, New and H (%)`, header, rows, notes: [...new Set(notes)] };
  const hTable = b2nHTable(t);
  const bars: BarDatum[] = [];
  for (const m of t.methods) for (const d of t.datasets) {
    const h = t.cells[m]?.[d]?.hm;
    if (h !== undefined) bars.push({ dataset: datasetTitle(d), method: methodTitle(m), value: h });
  }
  for (const m of t.methods) if (t.average[m]) bars.push({ dataset: 'Average', method: methodTitle(m), value: (t.average[m] as { hm: number }).hm });
  return {
    id,
    title: `Base-to-new (${t.shots}-shot)`,
    paragraphs: [`Tuned on ${t.shots}-shot base-class data, tested on the base and the new classes of each dataset.`],
    tables: [hTable, table],
    charts: [{ id: `${id}-hm`, title: 'H per dataset and method', spec: groupedBars(`Base-to-new H (${t.shots}-shot)`, bars, [...t.datasets.map(datasetTitle), 'Average'], t.methods.map(methodTitle), 'H (%)') }],
  };
}

/** Compact view: H per dataset (columns) and method (rows), like the paper's summary line. */
function b2nHTable(t: B2NTable): Table {
  const rows = t.methods.map((m) => [
    textCell(methodTitle(m)),
    ...t.datasets.map((d) => numCell(t.cells[m]?.[d]?.hm, fmt(t.cells[m]?.[d]?.hm), seedNote(t.cells[m]?.[d]?.hmSeeds))),
    numCell(t.average[m]?.hm, fmt(t.average[m]?.hm)),
  ]);
  markBest(rows, rows[0] ? rows[0].map((_, i) => i).slice(1) : []);
  return { id: `base-to-new-${t.shots}shot-h`, title: `Base-to-new, ${t.shots}-shot: H per dataset (%)`, header: ['Method', ...t.datasets.map(datasetTitle), 'Average'], rows, notes: ['Best per column in bold.'] };
}

export function fewShotSection(t: FewShotTable): Section {
  const id = `few-shot-${t.shots}shot`;
  const cov = seedCoverage(t.methods.flatMap((m) => t.datasets.map((d) => t.cells[m]?.[d])));
  const rows = t.methods.map((m) => {
    const a = t.average[m];
    return [
      textCell(methodTitle(m)),
      ...t.datasets.map((d) => statCell(t.cells[m]?.[d], cov.mark(t.cells[m]?.[d]))),
      a ? numCell(a.acc, fmt(a.acc) + (a.covered.length < t.datasets.length ? '*' : ''), `over ${a.covered.length}/${t.datasets.length} datasets`) : textCell('–'),
    ];
  });
  markBest(rows, rows[0] ? rows[0].map((_, i) => i).slice(1) : []);
  const notes = ['Top-1 accuracy on the full test set of each dataset; Average = arithmetic mean over datasets. Best per column in bold.'];
  if (t.methods.some((m) => (t.average[m]?.covered.length ?? 0) < t.datasets.length)) notes.push('* Average over the datasets this method has results for.');
  if (cov.note) notes.push(cov.note);
  const bars: BarDatum[] = [];
  for (const m of t.methods) for (const d of t.datasets) {
    const c = t.cells[m]?.[d];
    if (c) bars.push({ dataset: datasetTitle(d), method: methodTitle(m), value: c.mean });
  }
  return {
    id,
    title: `Few-shot (${t.shots}-shot)`,
    paragraphs: [`Tuned on ${t.shots} shots per class over all classes, tested on the full test set.`],
    tables: [{ id, title: `Few-shot, ${t.shots}-shot: accuracy (%)`, header: ['Method', ...t.datasets.map(datasetTitle), 'Average'], rows, notes }],
    charts: [{ id: `${id}-acc`, title: 'Accuracy per dataset and method', spec: groupedBars(`Few-shot accuracy (${t.shots}-shot)`, bars, t.datasets.map(datasetTitle), t.methods.map(methodTitle), 'accuracy (%)') }],
  };
}

function matrixTable(id: string, title: string, m: TransferMatrix, value: (tr: string, te: string) => number | undefined, signed: boolean): Table {
  const rows = m.trainDatasets.map((tr) => {
    const vals = m.testDatasets.map((te) => value(tr, te));
    const present = vals.filter((v): v is number => v !== undefined);
    const avg = present.length > 0 ? mean(present) : undefined;
    const f = signed ? fmtSigned : fmt;
    return [textCell(datasetTitle(tr)), ...vals.map((v) => numCell(v, f(v))), numCell(avg, f(avg))];
  });
  return { id, title, header: ['Tuned on \\ tested on', ...m.testDatasets.map(datasetTitle), 'AVG'], rows, notes: ['AVG = mean over the tested datasets with a value.'] };
}

export function transferSection(ms: TransferMatrix[]): Section | undefined {
  if (ms.length === 0) return undefined;
  const tables: Table[] = [];
  const charts: Section['charts'] = [];
  for (const m of ms) {
    const base = `transfer-${fileSafe(m.method)}-${m.shots}shot`;
    const title = methodTitle(m.method);
    tables.push(matrixTable(`${base}-abs`, `${title}: accuracy (%) by tuned-on (rows) and tested-on (columns) dataset`, m, (a, b) => m.abs[a]?.[b]?.mean, false));
    const gainTable = matrixTable(`${base}-gain`, `${title}: gain over zero-shot (points)`, m, (a, b) => m.gain[a]?.[b], true);
    const missingZs = m.testDatasets.filter((d) => m.zeroShot[d] === undefined);
    if (missingZs.length > 0) gainTable.notes.push(`No zero-shot result for ${missingZs.join(', ')}: no gain there.`);
    tables.push(gainTable);
    const absData: CellDatum[] = [];
    const gainData: CellDatum[] = [];
    for (const tr of m.trainDatasets) {
      const abs = m.testDatasets.flatMap((te) => (m.abs[tr]?.[te] ? [{ train: datasetTitle(tr), test: datasetTitle(te), value: m.abs[tr][te].mean }] : []));
      const gain = m.testDatasets.flatMap((te) => (m.gain[tr]?.[te] !== undefined ? [{ train: datasetTitle(tr), test: datasetTitle(te), value: m.gain[tr][te] }] : []));
      // The paper's heatmaps end with an AVG column (mean over tested datasets).
      for (const [list, out] of [[abs, absData], [gain, gainData]] as const) {
        if (list.length > 0) out.push(...list, { train: datasetTitle(tr), test: 'AVG', value: mean(list.map((x) => x.value)) });
      }
    }
    const cols = [...m.testDatasets.map(datasetTitle), 'AVG'];
    const rowsOrder = m.trainDatasets.map(datasetTitle);
    charts.push({ id: `${base}-abs`, title: `${title}: absolute accuracy`, spec: heatmap(`${title}: accuracy (%)`, absData, rowsOrder, cols, false) });
    if (gainData.length > 0) charts.push({ id: `${base}-gain`, title: `${title}: gain over zero-shot`, spec: heatmap(`${title}: gain over zero-shot (points)`, gainData, rowsOrder, cols, true) });
  }
  return {
    id: 'transfer',
    title: 'Cross-dataset transfer (free lunch)',
    paragraphs: ['Each few-shot model tuned on the row dataset is tested on every dataset of the suite (the diagonal is its own test set). Gain = accuracy minus the zero-shot base model on the tested dataset, as in the paper\'s heatmaps.'],
    tables,
    charts,
    chartsFirst: true,
  };
}

export interface SeedLine {
  setting: string;
  dataset: string;
  method: string;
  metric: string;
  stats: SeedStats;
}

export function seedLines(b2n: B2NTable[], fs: FewShotTable[]): SeedLine[] {
  const out: SeedLine[] = [];
  for (const t of b2n) for (const d of t.datasets) for (const m of t.methods) {
    const c = t.cells[m]?.[d];
    if (!c) continue;
    if (c.base) out.push({ setting: `base-to-new ${t.shots}-shot`, dataset: d, method: m, metric: 'Base', stats: c.base });
    if (c.novel) out.push({ setting: `base-to-new ${t.shots}-shot`, dataset: d, method: m, metric: 'New', stats: c.novel });
    if (c.hmSeeds) out.push({ setting: `base-to-new ${t.shots}-shot`, dataset: d, method: m, metric: 'H', stats: c.hmSeeds });
  }
  for (const t of fs) for (const d of t.datasets) for (const m of t.methods) {
    const c = t.cells[m]?.[d];
    if (c) out.push({ setting: `few-shot ${t.shots}-shot`, dataset: d, method: m, metric: 'Acc', stats: c });
  }
  return out;
}

export function seedsSection(lines: SeedLine[]): Section | undefined {
  if (lines.length === 0) return undefined;
  const rows = lines.map((l) => [
    textCell(l.setting), textCell(datasetTitle(l.dataset)), textCell(methodTitle(l.method)), textCell(l.metric),
    numCell(l.stats.n, String(l.stats.n)),
    numCell(l.stats.mean, fmt(l.stats.mean)),
    l.stats.n > 1 ? numCell(l.stats.std, fmt(l.stats.std)) : textCell('single seed'),
    l.stats.ci ? textCell(`[${fmt(l.stats.ci.lo)}, ${fmt(l.stats.ci.hi)}]`) : textCell('single seed'),
    textCell(l.stats.seeds.join(' ')),
  ]);
  const multi = lines.filter((l) => l.stats.n > 1).length;
  return {
    id: 'seeds',
    title: 'Seeds',
    paragraphs: [
      `${multi} of ${lines.length} cells have several seeds. std is the population std over seeds (numpy's np.std, as CoOp's parse_test_res); the interval is a 95% percentile bootstrap of the seed mean (2000 resamples, seeded, so reports are reproducible). With 2–3 seeds the interval is coarse. H per seed is the HM of that seed's Base and New; the tables show the HM of the seed means.`,
    ],
    tables: [{ id: 'seeds', title: 'Per-cell seed statistics', header: ['Setting', 'Dataset', 'Method', 'Metric', 'Seeds', 'Mean', 'Std', '95% bootstrap CI', 'Seed list'], rows, notes: [] }],
    charts: [],
  };
}

