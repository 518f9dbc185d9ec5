// The paper beside ours. Paper suites (paper-b2n, paper-fewshot): the paper's numbers next to ours
// with differences. Other suites (replicas, smoke): the paper's pattern (which method wins per
// dataset, pairwise win counts, ranking on Average) next to ours. Numbers from paper-results.json.

import paperJson from './paper-results.json';
import type { B2NTable, FewShotTable, SuiteData } from './aggregate';
import { buildTransfer } from './aggregate';
import { fileSafe, numCell, textCell, type Cell, type Chart, type Section, type Table } from './document';
import { heatmap, paperScatter, type CellDatum, type PaperPoint } from './charts';
import { datasetTitle, methodPaperKey, methodTitle, paperDatasetName, PAPER_DATASETS, PAPER_SUITES } from './names';
import { fmt, fmtSigned, harmonicMean, mean } from './stats';

type B2NPaper = Record<string, Record<string, { base: number; new: number; hm: number }>>;
type FsPaper = Record<string, Record<string, number>>;
type GainPaper = Record<string, Record<string, number>>;

const PAPER = paperJson as unknown as {
  base_to_new: Record<string, unknown>;
  few_shot: Record<string, unknown>;
  cross_dataset: Record<string, unknown>;
  efficiency: { training_inference_time_ImageNet_4shot: Record<string, unknown> };
};

export function paperB2N(method: string): B2NPaper[string] | undefined {
  const k = methodPaperKey(method);
  return k ? (PAPER.base_to_new as B2NPaper)[k] : undefined;
}

export function paperFewShot(method: string): FsPaper[string] | undefined {
  const k = methodPaperKey(method);
  return k ? (PAPER.few_shot as FsPaper)[k] : undefined;
}

function paperGain(method: string): GainPaper | undefined {
  const k = methodPaperKey(method);
  return k ? (PAPER.cross_dataset[`${k}_improvement_over_zero_shot`] as GainPaper | undefined) : undefined;
}

const SOURCE_NOTE = "Paper numbers: CLS-RL (arXiv 2503.16188 v1, same in v6), copied into reports/paper-results.json. Δ = ours − paper.";

/** The paper trains on 4 shots in both settings; other shot counts have nothing to compare with. */
const PAPER_SHOTS = 4;

export function paperSection(suite: string, allB2n: B2NTable[], allFs: FewShotTable[], data: SuiteData, missing: string[]): Section | undefined {
  const b2n = allB2n.filter((t) => t.shots === PAPER_SHOTS);
  const fs = allFs.filter((t) => t.shots === PAPER_SHOTS);
  const other = [...allB2n, ...allFs].filter((t) => t.shots !== PAPER_SHOTS).map((t) => t.shots);
  if (other.length > 0) missing.push(`Paper comparison: only ${PAPER_SHOTS}-shot results compare with the paper; ${[...new Set(other)].join(', ')}-shot tables have no paper counterpart.`);
  if (b2n.length === 0 && fs.length === 0) return undefined;
  if (PAPER_SUITES.includes(suite)) return numbersSection(b2n, fs, data, missing);
  return patternSection(b2n, fs, data);
}

// ---------------------------------------------------------------------------------------------
// Paper suites: numbers with differences

const AVERAGE_NOTE = "When our Average covers fewer than the paper's eleven datasets, the paper's numbers are re-averaged over the same datasets (Base/New means, H of those means) so the rows compare like with like.";

function averageLabel(d: string, covered: string[] | undefined): string {
  return d === 'Average' && covered && covered.length < PAPER_DATASETS.length ? `Average (${covered.length} datasets)` : d;
}

/** Paper Average over the datasets we cover (the printed Average when we cover all eleven). */
export function paperB2NAverage(method: string, covered: string[]): { base: number; new: number; hm: number } | undefined {
  const table = paperB2N(method);
  const keys = covered.map(paperDatasetName);
  if (!table || keys.length === 0 || keys.some((k) => k === undefined || !table[k])) return undefined;
  if (keys.length === PAPER_DATASETS.length) return table.Average;
  const base = mean(keys.map((k) => table[k as string].base));
  const novel = mean(keys.map((k) => table[k as string].new));
  return { base, new: novel, hm: harmonicMean(base, novel) };
}

export function paperFewShotAverage(method: string, covered: string[]): number | undefined {
  const table = paperFewShot(method);
  const keys = covered.map(paperDatasetName);
  if (!table || keys.length === 0 || keys.some((k) => k === undefined || table[k] === undefined)) return undefined;
  return keys.length === PAPER_DATASETS.length ? table.Average : mean(keys.map((k) => table[k as string]));
}

function diffRow(label: Cell[], pairs: Array<[number | undefined, number | undefined]>): Cell[] {
  const out = [...label];
  for (const [p, o] of pairs) {
    out.push(numCell(p, fmt(p)), numCell(o, fmt(o)), p !== undefined && o !== undefined ? numCell(o - p, fmtSigned(o - p)) : textCell('–'));
  }
  return out;
}

function numbersSection(b2n: B2NTable[], fs: FewShotTable[], data: SuiteData, missing: string[]): Section {
  const tables: Table[] = [];
  const charts: Chart[] = [];
  const points: PaperPoint[] = [];
  for (const t of b2n) {
    const rows: Cell[][] = [];
    for (const d of [...t.datasets, 'Average']) for (const m of t.methods) {
      const avg = t.average[m];
      const p = d === 'Average' ? paperB2NAverage(m, avg?.covered ?? []) : paperB2N(m)?.[paperDatasetName(d) ?? ''];
      const ours = d === 'Average' ? avg && { base: avg.base, novel: avg.novel, hm: avg.hm } : t.cells[m]?.[d] && { base: t.cells[m][d].base?.mean, novel: t.cells[m][d].novel?.mean, hm: t.cells[m][d].hm };
      if (!p || !ours) continue;
      rows.push(diffRow([textCell(averageLabel(datasetTitle(d), avg?.covered)), textCell(methodTitle(m))], [[p.base, ours.base], [p.new, ours.novel], [p.hm, ours.hm]]));
      if (ours.hm !== undefined) points.push({ label: `${datasetTitle(d)} H`, method: methodTitle(m), paper: p.hm, ours: ours.hm });
    }
    tables.push({
      id: `paper-base-to-new-${t.shots}shot`, title: `Base-to-new ${t.shots}-shot: paper vs ours`,
      header: ['Dataset', 'Method', 'Base (paper)', 'Base (ours)', 'Δ Base', 'New (paper)', 'New (ours)', 'Δ New', 'H (paper)', 'H (ours)', 'Δ H'],
      rows, notes: [SOURCE_NOTE, AVERAGE_NOTE],
    });
    if (rows.length === 0) missing.push('Paper comparison (base-to-new): no dataset/method of ours has a paper number (are the methods and datasets named as in the paper?).');
  }
  for (const t of fs) {
    const rows: Cell[][] = [];
    for (const d of [...t.datasets, 'Average']) for (const m of t.methods) {
      const covered = t.average[m]?.covered;
      const p = d === 'Average' ? paperFewShotAverage(m, covered ?? []) : paperFewShot(m)?.[paperDatasetName(d) ?? ''];
      const o = d === 'Average' ? t.average[m]?.acc : t.cells[m]?.[d]?.mean;
      if (p === undefined || o === undefined) continue;
      rows.push(diffRow([textCell(averageLabel(datasetTitle(d), covered)), textCell(methodTitle(m))], [[p, o]]));
      points.push({ label: `${datasetTitle(d)} few-shot`, method: methodTitle(m), paper: p, ours: o });
    }
    tables.push({ id: `paper-few-shot-${t.shots}shot`, title: `Few-shot ${t.shots}-shot: paper vs ours`, header: ['Dataset', 'Method', 'Paper', 'Ours', 'Δ'], rows, notes: [SOURCE_NOTE, AVERAGE_NOTE] });
    const matrices = buildTransfer(data, t.shots);
    const transfer = transferVsPaper(matrices);
    if (transfer) tables.push(transfer);
    for (const m of matrices) {
      const cells = gainDiffCells(m);
      if (cells.length === 0) continue;
      const rows = m.trainDatasets.map(datasetTitle).filter((d) => cells.some((c) => c.train === d));
      const cols = m.testDatasets.map(datasetTitle).filter((d) => cells.some((c) => c.test === d));
      charts.push({ id: `paper-transfer-${fileSafe(m.method)}`, title: `${methodTitle(m.method)}: our gain minus the paper's`, spec: heatmap(`${methodTitle(m.method)}: gain over zero-shot, ours − paper (points)`, cells, rows, cols, true) });
    }
  }
  const methods = [...new Set(points.map((p) => p.method))];
  return {
    id: 'paper',
    title: 'The paper beside ours',
    paragraphs: ['The paper reports single runs (seed 100) of Qwen2-VL-2B on 8 A100; ours are the seed means of this suite. Points on the dashed line reproduce the paper.'],
    tables,
    charts: [...(points.length > 0 ? [{ id: 'paper-vs-ours', title: 'Ours against the paper', spec: paperScatter('Ours vs paper (accuracy / H, %)', points, methods) }] : []), ...charts],
  };
}

/** Per (tuned on, tested on) cell: our gain over zero-shot minus the paper's heatmap value. */
function gainDiffCells(m: ReturnType<typeof buildTransfer>[number]): CellDatum[] {
  const pg = paperGain(m.method);
  if (!pg) return [];
  const out: CellDatum[] = [];
  for (const tr of m.trainDatasets) for (const te of m.testDatasets) {
    const p = pg[paperDatasetName(tr) ?? '']?.[paperDatasetName(te) ?? ''];
    const o = m.gain[tr]?.[te];
    if (p !== undefined && o !== undefined) out.push({ train: datasetTitle(tr), test: datasetTitle(te), value: o - p });
  }
  return out;
}

function transferVsPaper(ms: ReturnType<typeof buildTransfer>): Table | undefined {
  const rows: Cell[][] = [];
  for (const m of ms) {
    const pg = paperGain(m.method);
    if (!pg) continue;
    for (const tr of m.trainDatasets) {
      const p = pg[paperDatasetName(tr) ?? '']?.AVG;
      const gains = Object.values(m.gain[tr] ?? {});
      const o = gains.length > 0 ? mean(gains) : undefined;
      if (p === undefined) continue;
      rows.push(diffRow([textCell(datasetTitle(tr)), textCell(methodTitle(m.method))], [[p, o]]));
    }
  }
  if (rows.length === 0) return undefined;
  return {
    id: 'paper-transfer-avg-gain', title: 'Cross-dataset transfer: mean gain over zero-shot per tuned-on dataset, paper vs ours',
    header: ['Tuned on', 'Method', 'AVG gain (paper)', 'AVG gain (ours)', 'Δ'], rows,
    notes: ['Paper AVG is over its eleven test datasets; ours over the datasets of this suite.', SOURCE_NOTE],
  };
}

// ---------------------------------------------------------------------------------------------
// Replica suites: the pattern (who wins)

function winners(values: Record<string, number | undefined>): string[] {
  const present = Object.entries(values).filter((e): e is [string, number] => e[1] !== undefined && Number.isFinite(e[1]));
  if (present.length === 0) return [];
  const best = Math.max(...present.map((e) => e[1]));
  return present.filter((e) => Math.abs(e[1] - best) < 1e-9).map((e) => e[0]);
}

interface Metric {
  label: string;
  datasets: string[];
  methods: string[];
  ours(m: string, d: string): number | undefined;
  paper(m: string, paperDataset: string): number | undefined;
}

function metricsOf(b2n: B2NTable[], fs: FewShotTable[]): Metric[] {
  const out: Metric[] = [];
  for (const t of b2n) out.push({
    label: `base-to-new ${t.shots}-shot H`, datasets: t.datasets, methods: t.methods.filter((m) => paperB2N(m)),
    ours: (m, d) => (d === 'Average' ? t.average[m]?.hm : t.cells[m]?.[d]?.hm), paper: (m, d) => paperB2N(m)?.[d]?.hm,
  });
  for (const t of fs) out.push({
    label: `few-shot ${t.shots}-shot accuracy`, datasets: t.datasets, methods: t.methods.filter((m) => paperFewShot(m)),
    ours: (m, d) => (d === 'Average' ? t.average[m]?.acc : t.cells[m]?.[d]?.mean), paper: (m, d) => paperFewShot(m)?.[d],
  });
  return out;
}

function names(ms: string[]): string {
  return ms.length === 0 ? '–' : ms.map(methodTitle).join(' = ');
}

function patternSection(b2n: B2NTable[], fs: FewShotTable[], data: SuiteData): Section | undefined {
  const tables: Table[] = [];
  for (const [i, mt] of metricsOf(b2n, fs).entries()) {
    if (mt.methods.length < 2) continue;
    const rows: Cell[][] = [];
    let agree = 0;
    let compared = 0;
    for (const d of [...mt.datasets, 'Average']) {
      const pd = d === 'Average' ? 'Average' : (paperDatasetName(d) ?? data.analogs[d]);
      const ours = winners(Object.fromEntries(mt.methods.map((m) => [m, mt.ours(m, d)])));
      const paper = pd ? winners(Object.fromEntries(mt.methods.map((m) => [m, mt.paper(m, pd)]))) : [];
      const present = mt.methods.filter((m) => mt.ours(m, d) !== undefined).length;
      const allTied = present > 1 && ours.length === present;
      const same = pd && ours.length > 0 && paper.length > 0 && !allTied ? ours.some((o) => paper.includes(o)) : undefined;
      if (same !== undefined) { compared++; if (same) agree++; }
      const verdict = allTied ? 'tie (all equal)' : same === undefined ? 'n/a' : same ? 'yes' : 'no';
      rows.push([textCell(datasetTitle(d)), textCell(pd && pd !== datasetTitle(d) ? `${names(paper)} (${pd})` : names(paper)), textCell(allTied ? 'all equal' : names(ours)), textCell(verdict)]);
    }
    tables.push({
      id: `pattern-winners-${i}`, title: `Best method per dataset, ${mt.label}: paper vs ours`,
      header: ['Dataset', 'Paper best', 'Our best', 'Same winner'], rows,
      notes: [`Among the methods this suite ran (${mt.methods.map(methodTitle).join(', ')}). Same winner on ${agree}/${compared} comparable rows. Datasets that neither are nor mirror one of the paper's eleven compare only on Average.`],
    });
    tables.push(pairwiseTable(mt, i));
  }
  if (tables.length === 0) return undefined;
  return {
    id: 'paper',
    title: "The paper's pattern beside ours",
    paragraphs: ["This suite is not the paper's setup (different model, data or budget), so absolute numbers are not comparable; what should carry over is the pattern: which method wins where."],
    tables,
    charts: [],
  };
}

/** For each pair of methods: on how many datasets the later one beats the earlier, paper vs ours. */
function pairwiseTable(mt: Metric, i: number): Table {
  const rows: Cell[][] = [];
  const paperDs = [...PAPER_DATASETS] as string[];
  for (let a = 0; a < mt.methods.length; a++) for (let b = a + 1; b < mt.methods.length; b++) {
    const [ma, mb] = [mt.methods[a], mt.methods[b]];
    const count = (f: (m: string, d: string) => number | undefined, ds: string[]): [number, number] => {
      const both = ds.filter((d) => f(ma, d) !== undefined && f(mb, d) !== undefined);
      return [both.filter((d) => (f(mb, d) as number) > (f(ma, d) as number)).length, both.length];
    };
    const [pw, pn] = count(mt.paper, paperDs);
    const [ow, on] = count(mt.ours, mt.datasets);
    const pAvg = diff(mt.paper(mb, 'Average'), mt.paper(ma, 'Average'));
    const oAvg = diff(mt.ours(mb, 'Average'), mt.ours(ma, 'Average'));
    const same = pAvg === undefined || oAvg === undefined ? 'n/a' : Math.abs(oAvg) < 1e-9 ? 'tie' : Math.sign(pAvg) === Math.sign(oAvg) ? 'yes' : 'no';
    rows.push([
      textCell(`${methodTitle(mb)} vs ${methodTitle(ma)}`),
      textCell(`${pw}/${pn}`), numCell(pAvg, fmtSigned(pAvg)),
      textCell(`${ow}/${on}`), numCell(oAvg, fmtSigned(oAvg)), textCell(same),
    ]);
  }
  return {
    id: `pattern-pairwise-${i}`, title: `Pairwise wins, ${mt.label}`,
    header: ['Pair (A vs B)', 'Paper: A wins on', 'Paper: Average A − B', 'Ours: A wins on', 'Ours: Average A − B', 'Same direction'], rows,
    notes: ['"wins on k/n": datasets where A is strictly higher than B, out of those with both.'],
  };
}

function diff(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : a - b;
}

/** Paper efficiency (ImageNet 4-shot, minutes on 8 A100), for the efficiency section. */
export function paperEfficiency(): Record<string, { training_time_min: number; inference_time_min: number }> {
  const e = PAPER.efficiency.training_inference_time_ImageNet_4shot;
  const out: Record<string, { training_time_min: number; inference_time_min: number }> = {};
  for (const [k, v] of Object.entries(e)) if (v && typeof v === 'object' && 'training_time_min' in v) out[k] = v as { training_time_min: number; inference_time_min: number };
  return out;
}

