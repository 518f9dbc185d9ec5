// Answer diagnostics beside accuracy: per setting, dataset, evaluation split and method, the seed means of
// greedy accuracy, in-list rate, forced-choice accuracy (and sampled accuracy at T = 1 when measured), with
// the one-line reading of harness/diagnostics.ts against zero-shot ("gain from seeing" vs "gain from
// answering"), and a per-method Average block over the cells. n/a where an engine could not measure.

import { readDiagnostics, READING_THRESHOLD, type DiagnosticMeans } from '../harness/diagnostics';
import type { EvaluationRow } from '../harness/contracts';
import { isTransferEval, shotCounts, type SuiteData } from './aggregate';
import { numCell, textCell, type Cell, type Section, type Table } from './document';
import { datasetTitle, isZeroShot, methodTitle } from './names';
import { fmt, mean } from './stats';

/** Seed means of one cell; null where no seed measured it. */
export interface DiagnosticCell extends DiagnosticMeans {
  sampled: number | null;
  seeds: number;
}

const SPLIT_ORDER = ['base', 'new', 'test'];

function meanOrNull(xs: Array<number | null | undefined>): number | null {
  const have = xs.filter((x): x is number => x !== null && x !== undefined && Number.isFinite(x));
  return have.length === 0 ? null : mean(have);
}

/** Seed means of rows of one cell; a zero-shot cell shared by several runs keeps one row per seed (the last). */
export function diagnosticCell(rows: EvaluationRow[]): DiagnosticCell {
  const bySeed = new Map<number, EvaluationRow>();
  for (const r of rows) bySeed.set(r.seed, r);
  const rs = [...bySeed.values()];
  return {
    accuracy: mean(rs.map((r) => r.accuracy)),
    inList: meanOrNull(rs.map((r) => r.inListRate)),
    forcedChoice: meanOrNull(rs.map((r) => r.forcedChoiceAccuracy)),
    sampled: meanOrNull(rs.map((r) => r.sampledAccuracy)),
    seeds: rs.length,
  };
}

/** Mean of cells (the Average block); a diagnostic is averaged only when every cell has it. */
function averageCells(cells: DiagnosticCell[]): DiagnosticCell {
  const all = (get: (c: DiagnosticCell) => number | null): number | null =>
    cells.some((c) => get(c) === null) ? null : mean(cells.map((c) => get(c) as number));
  return {
    accuracy: mean(cells.map((c) => c.accuracy)),
    inList: all((c) => c.inList),
    forcedChoice: all((c) => c.forcedChoice),
    sampled: all((c) => c.sampled),
    seeds: Math.min(...cells.map((c) => c.seeds)),
  };
}

const pctCell = (x: number | null): Cell => (x === null ? textCell('n/a') : numCell(x, fmt(x, 1)));

function settingTable(data: SuiteData, setting: EvaluationRow['setting'], shots: number): Table | undefined {
  const rows = data.evals.filter((e) => e.setting === setting && !isTransferEval(e) && (e.shots === shots || isZeroShot(e.method)));
  if (rows.length === 0) return undefined;
  const methods = data.methods.filter((m) => rows.some((r) => r.method === m));
  const zs = methods.find(isZeroShot);
  const sampledShown = rows.some((r) => r.sampledAccuracy !== null && r.sampledAccuracy !== undefined);
  const header = ['Dataset', 'Split', 'Method', 'Accuracy', 'In-list', 'Forced choice', ...(sampledShown ? ['Sampled (T = 1)'] : []), 'Reading'];
  const out: Cell[][] = [];
  const line = (dataset: string, split: string, method: string, c: DiagnosticCell, base: DiagnosticCell | undefined): Cell[] => [
    textCell(dataset), textCell(split), textCell(methodTitle(method)),
    numCell(c.accuracy, fmt(c.accuracy, 1)), pctCell(c.inList), pctCell(c.forcedChoice),
    ...(sampledShown ? [pctCell(c.sampled)] : []),
    textCell(method === zs ? readDiagnostics(c).text : base ? readDiagnostics(c, base).text : 'no zero-shot on this set to compare with'),
  ];
  const keys: Array<[string, string]> = [];
  for (const d of data.datasets) {
    const splits = [...new Set(rows.filter((r) => r.dataset === d).map((r) => r.evalSplit))].sort((a, b) => SPLIT_ORDER.indexOf(a) - SPLIT_ORDER.indexOf(b));
    for (const sp of splits) keys.push([d, sp]);
  }
  const perMethod = new Map<string, Map<string, DiagnosticCell>>();
  for (const [d, sp] of keys) {
    const cellOf = (m: string): DiagnosticCell | undefined => {
      const mine = rows.filter((r) => r.method === m && r.dataset === d && r.evalSplit === sp);
      return mine.length === 0 ? undefined : diagnosticCell(mine);
    };
    const base = zs ? cellOf(zs) : undefined;
    for (const m of methods) {
      const c = cellOf(m);
      if (!c) continue;
      (perMethod.get(m) ?? perMethod.set(m, new Map()).get(m)!).set(`${d}\u0000${sp}`, c);
      out.push(line(datasetTitle(d), sp, m, c, base));
    }
  }
  // Average block: each method over the cells it shares with zero-shot (all its cells without zero-shot).
  const zsCells = zs ? perMethod.get(zs) : undefined;
  for (const m of methods) {
    const mine = perMethod.get(m);
    if (!mine) continue;
    const shared = [...mine.keys()].filter((k) => !zsCells || zsCells.has(k));
    if (shared.length < 2) continue;
    const avg = averageCells(shared.map((k) => mine.get(k)!));
    const base = zsCells && m !== zs ? averageCells(shared.map((k) => zsCells.get(k)!)) : undefined;
    out.push(line(`Average (${shared.length} sets)`, '', m, avg, base));
  }
  const notes = [
    'Accuracy: greedy answer, the paper\'s lenient match. In-list: the greedy answer names a listed candidate by the same match (so In-list >= Accuracy). ' +
      'Forced choice: the listed name with the highest log p under the model is the label (direct template: `name` + end; think template: ' +
      'the model\'s own greedy reasoning, then `<answer>name</answer>` + end; ties to the first listed).',
    `Reading, against zero-shot on the same set: greedy change = forced-choice change ("seeing") + the rest ("answering": the greedy answer ` +
      `moving toward or away from the model's own forced choice). A part counts from ${READING_THRESHOLD} points; the reading names those, larger first. ` +
      'Zero-shot rows (the baseline) show how far forced choice sits above greedy. Zero-shot uses the think template, so a direct-template method\'s "seeing" includes the template change.',
    'Seed means; cross-dataset transfer evaluations are not included.',
  ];
  if (sampledShown) notes.push('Sampled: one completion per question at T = 1 (seeded), the same lenient match.');
  const na = rows.some((r) => r.forcedChoiceAccuracy === null || r.forcedChoiceAccuracy === undefined);
  if (na) notes.push('n/a: not measured: the engine cannot score log-probs (openai, trl), the suite ran with diagnostics off, or the run was stored before answer diagnostics existed (a new --db measures them).');
  const id = `diagnostics-${setting}-${shots}shot`;
  return { id, title: `${setting === 'few-shot' ? 'Few-shot' : 'Base-to-new'}, ${shots}-shot: answer diagnostics (%)`, header, rows: out, notes };
}

/** The Answer diagnostics section: one table per setting and shot count. */
export function diagnosticsSection(data: SuiteData): Section | undefined {
  const tables: Table[] = [];
  for (const setting of ['base-to-new', 'few-shot'] as const) {
    for (const k of shotCounts(data, setting)) {
      const t = settingTable(data, setting, k);
      if (t) tables.push(t);
    }
  }
  if (tables.length === 0) return undefined;
  return {
    id: 'answer-diagnostics',
    title: 'Answer diagnostics',
    paragraphs: [
      'Why did accuracy move? In-list rate (does the greedy answer name a listed class?) and forced choice (which listed name does the model itself rank first?) ' +
        'separate a gain from seeing (forced choice rose) from a gain from answering (the greedy answer caught up with an unchanged forced choice).',
    ],
    tables,
    charts: [],
  };
}
