// Aggregates evaluation rows into the paper's tables: seed means/std/bootstrap per cell, base-to-new
// with H of seed-averaged Base/New and an Average row whose H is the HM of the averaged Base and New
// (CoOp convention), few-shot accuracy with Average, and cross-dataset transfer (absolute and gain).

import type { EvaluationRow, ResultsSource, RunRow } from '../harness/contracts';
import { harmonicMean, mean, seedStats, type SeedStats } from './stats';
import { isZeroShot, orderDatasets, orderMethods, paperDatasetName } from './names';

/** Rows of one suite, with the orders used everywhere in the report. */
export interface SuiteData {
  suite: string;
  runs: RunRow[];
  evals: EvaluationRow[];
  datasets: string[];
  methods: string[];
  /** Suite datasets that mirror one of the paper's (synthetic tasks) -> the paper's dataset name. */
  analogs: Record<string, string>;
  /** The suite definition, when known. */
  info?: SuiteInfo;
}

/** What a suite definition adds: its dataset order and which paper dataset each custom one mirrors. */
export interface SuiteInfo {
  datasets: string[];
  customDatasets?: Array<{ name: string; description?: string; mirrors?: string }>;
  /** The plan, to say what is missing from a partial DB. */
  settings?: Array<{ setting: string; datasets?: string[]; transfer?: boolean }>;
  methods?: string[];
}

/** Paper dataset a custom dataset mirrors: its `mirrors` field, else "mirroring X" in its description. */
function analogsOf(info: SuiteInfo | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of info?.customDatasets ?? []) {
    const named = d.mirrors ?? /mirroring (\w+)/.exec(d.description ?? '')?.[1];
    const paper = named === undefined ? undefined : paperDatasetName(named);
    if (paper) out[d.name] = paper;
  }
  return out;
}

export function loadSuiteData(source: ResultsSource, suite: string, info?: SuiteInfo): SuiteData {
  const runs = source.runs({ suite });
  const evals = source.evaluations({ suite });
  const seen = new Set([...runs.map((r) => r.dataset), ...evals.map((e) => e.dataset), ...evals.map((e) => e.evalDataset)]);
  // Suite order first (then anything else seen), and paper datasets moved into the paper's order.
  const datasets = orderDatasets([...(info?.datasets ?? []).filter((d) => seen.has(d)), ...seen]);
  const methods = orderMethods([...runs.map((r) => r.method), ...evals.map((e) => e.method)]);
  return { suite, runs, evals, datasets, methods, analogs: analogsOf(info), info };
}

/** Transfer evaluations: a model tuned on one dataset tested on another (`transfer:<Name>` sets). */
export function isTransferEval(e: EvaluationRow): boolean {
  return e.evalSplit.startsWith('transfer') || e.evalDataset !== e.dataset;
}

/** Shot counts of trained runs in a setting (zero-shot rows belong to every shot count). */
export function shotCounts(data: SuiteData, setting: EvaluationRow['setting']): number[] {
  const rows = data.evals.filter((e) => e.setting === setting);
  const trained = [...new Set(rows.filter((e) => !isZeroShot(e.method)).map((e) => e.shots))].sort((a, b) => a - b);
  if (trained.length > 0) return trained;
  return rows.length > 0 ? [rows[0].shots] : [];
}

/** Accuracy by seed for matching rows; duplicates of a seed keep the last row (shared zero-shot). */
function bySeed(rows: EvaluationRow[]): { seeds: number[]; values: number[] } {
  const m = new Map<number, number>();
  for (const r of rows) m.set(r.seed, r.accuracy);
  const seeds = [...m.keys()].sort((a, b) => a - b);
  return { seeds, values: seeds.map((s) => m.get(s) as number) };
}

function statsOf(rows: EvaluationRow[], key: string): SeedStats | undefined {
  const { seeds, values } = bySeed(rows);
  return values.length === 0 ? undefined : seedStats(values, seeds, key);
}

function rowsFor(data: SuiteData, setting: EvaluationRow['setting'], shots: number): EvaluationRow[] {
  return data.evals.filter((e) => e.setting === setting && (e.shots === shots || isZeroShot(e.method)));
}

// ---------------------------------------------------------------------------------------------
// Base-to-new

export interface B2NCell {
  base?: SeedStats;
  novel?: SeedStats;
  /** HM of the seed-averaged Base and New. */
  hm?: number;
  /** Per-seed H (seeds with both Base and New), for spread only. */
  hmSeeds?: SeedStats;
}

export interface AverageB2N {
  base: number;
  novel: number;
  /** HM of the averaged Base and New (not the mean of per-dataset H). */
  hm: number;
  /** Datasets the average covers (all datasets with both Base and New). */
  covered: string[];
}

export interface B2NTable {
  shots: number;
  datasets: string[];
  methods: string[];
  cells: Record<string, Record<string, B2NCell>>;
  average: Record<string, AverageB2N | undefined>;
}

export function averageB2N(cells: Record<string, B2NCell>, datasets: string[]): AverageB2N | undefined {
  const covered = datasets.filter((d) => cells[d]?.base !== undefined && cells[d]?.novel !== undefined);
  if (covered.length === 0) return undefined;
  const base = mean(covered.map((d) => (cells[d].base as SeedStats).mean));
  const novel = mean(covered.map((d) => (cells[d].novel as SeedStats).mean));
  return { base, novel, hm: harmonicMean(base, novel), covered };
}

export function buildB2N(data: SuiteData, shots: number): B2NTable {
  const rows = rowsFor(data, 'base-to-new', shots);
  const datasets = data.datasets.filter((d) => rows.some((r) => r.dataset === d));
  const methods = data.methods.filter((m) => rows.some((r) => r.method === m));
  const cells: B2NTable['cells'] = {};
  const average: B2NTable['average'] = {};
  for (const m of methods) {
    cells[m] = {};
    for (const d of datasets) {
      const mine = rows.filter((r) => r.method === m && r.dataset === d);
      const key = `b2n/${shots}/${m}/${d}`;
      const base = statsOf(mine.filter((r) => r.evalSplit === 'base'), `${key}/base`);
      const novel = statsOf(mine.filter((r) => r.evalSplit === 'new'), `${key}/new`);
      if (base === undefined && novel === undefined) continue;
      const cell: B2NCell = { base, novel };
      if (base && novel) {
        cell.hm = harmonicMean(base.mean, novel.mean);
        const seeds = base.seeds.filter((s) => novel.seeds.includes(s));
        const hs = seeds.map((s) => harmonicMean(base.values[base.seeds.indexOf(s)], novel.values[novel.seeds.indexOf(s)]));
        if (hs.length > 0) cell.hmSeeds = seedStats(hs, seeds, `${key}/hm`);
      }
      cells[m][d] = cell;
    }
    average[m] = averageB2N(cells[m], datasets);
  }
  return { shots, datasets, methods, cells, average };
}

// ---------------------------------------------------------------------------------------------
// Few-shot

export interface FewShotTable {
  shots: number;
  datasets: string[];
  methods: string[];
  cells: Record<string, Record<string, SeedStats>>;
  average: Record<string, { acc: number; covered: string[] } | undefined>;
}

export function buildFewShot(data: SuiteData, shots: number): FewShotTable {
  const rows = rowsFor(data, 'few-shot', shots).filter((r) => !isTransferEval(r));
  const datasets = data.datasets.filter((d) => rows.some((r) => r.dataset === d));
  const methods = data.methods.filter((m) => rows.some((r) => r.method === m));
  const cells: FewShotTable['cells'] = {};
  const average: FewShotTable['average'] = {};
  for (const m of methods) {
    cells[m] = {};
    for (const d of datasets) {
      const s = statsOf(rows.filter((r) => r.method === m && r.dataset === d), `fs/${shots}/${m}/${d}`);
      if (s) cells[m][d] = s;
    }
    const covered = datasets.filter((d) => cells[m][d] !== undefined);
    average[m] = covered.length === 0 ? undefined : { acc: mean(covered.map((d) => cells[m][d].mean)), covered };
  }
  return { shots, datasets, methods, cells, average };
}

// ---------------------------------------------------------------------------------------------
// Cross-dataset transfer

export interface TransferMatrix {
  method: string;
  shots: number;
  /** Rows: the dataset the model was tuned on. */
  trainDatasets: string[];
  /** Columns: the dataset it was tested on. */
  testDatasets: string[];
  abs: Record<string, Record<string, SeedStats>>;
  /** Zero-shot accuracy per test dataset (mean over its rows), when known. */
  zeroShot: Record<string, number>;
  /** abs - zeroShot, where both exist. */
  gain: Record<string, Record<string, number>>;
}

/** Matrices for every trained method with at least one transfer evaluation. */
export function buildTransfer(data: SuiteData, shots: number): TransferMatrix[] {
  const rows = rowsFor(data, 'few-shot', shots);
  const transferMethods = data.methods.filter((m) => !isZeroShot(m) && rows.some((r) => r.method === m && isTransferEval(r)));
  const zs: Record<string, number> = {};
  for (const d of data.datasets) {
    const own = rows.filter((r) => isZeroShot(r.method) && r.evalDataset === d && !r.evalSplit.startsWith('transfer'));
    const src = own.length > 0 ? own : rows.filter((r) => isZeroShot(r.method) && r.evalDataset === d);
    if (src.length > 0) zs[d] = mean(bySeed(src).values);
  }
  return transferMethods.map((method) => {
    const mine = rows.filter((r) => r.method === method);
    const trainDatasets = data.datasets.filter((d) => mine.some((r) => r.dataset === d));
    const testDatasets = data.datasets.filter((d) => mine.some((r) => r.evalDataset === d));
    const abs: TransferMatrix['abs'] = {};
    const gain: TransferMatrix['gain'] = {};
    for (const t of trainDatasets) {
      abs[t] = {};
      gain[t] = {};
      for (const e of testDatasets) {
        const s = statsOf(mine.filter((r) => r.dataset === t && r.evalDataset === e), `tr/${shots}/${method}/${t}/${e}`);
        if (!s) continue;
        abs[t][e] = s;
        if (zs[e] !== undefined) gain[t][e] = s.mean - zs[e];
      }
    }
    return { method, shots, trainDatasets, testDatasets, abs, zeroShot: zs, gain };
  });
}
