// Assembles the report document for one suite from a ResultsSource: the paper's tables, transfer,
// seeds, the paper beside ours, training curves, efficiency and thinking consistency, plus a list of
// what the data is missing. Pure data in, ReportDoc out; writers live in index.ts.

import type { ResultsSource } from '../harness/contracts';
import { buildB2N, buildFewShot, buildTransfer, loadSuiteData, shotCounts, type B2NTable, type FewShotTable, type SuiteData, type SuiteInfo } from './aggregate';
import { getSuite } from '../suites/registry';
import type { ReportDoc, Section } from './document';
import { methodTitle, isZeroShot } from './names';
import { b2nSection, fewShotSection, seedLines, seedsSection, transferSection } from './tables';
import { paperSection } from './paper';
import { curvesSection } from './curves';
import { efficiencySection } from './efficiency';
import { consistencySection } from './consistency';
import { variantLines } from './variants';
import { diagnosticsSection } from './diagnostics';

export interface BuildOptions {
  /** The suite's definition (dataset order, mirrored paper datasets); looked up by name when absent. */
  suiteInfo?: SuiteInfo;
  /** Called as each part is built. */
  onProgress?: (done: number, total: number, what: string) => void;
}

export function buildReport(source: ResultsSource, suite: string | undefined, opts: BuildOptions = {}): ReportDoc {
  const allSuites = [...new Set(source.runs().map((r) => r.suite))];
  const name = suite ?? allSuites[0] ?? '(none)';
  const data = loadSuiteData(source, name, opts.suiteInfo ?? registeredSuite(name));
  const missing: string[] = [];
  const doc: ReportDoc = {
    title: `clsrl report: ${name}`,
    meta: [
      `suite: ${name}`,
      `runs: ${data.runs.length} (${countBy(data.runs.map((r) => r.status))}), evaluations: ${data.evals.length}`,
      `datasets: ${data.datasets.join(', ') || 'none'}; methods: ${data.methods.map(methodTitle).join(', ') || 'none'}`,
      `engines: ${[...new Set(data.runs.map((r) => r.engine))].join(', ') || 'none'}; code versions: ${[...new Set(data.runs.map((r) => r.codeVersion))].join(', ') || 'none'}`,
      ...variantLines(data.runs),
    ],
    sections: [],
    missing,
  };
  if (data.runs.length === 0 && data.evals.length === 0) {
    missing.push(
      allSuites.length > 0
        ? `No runs for suite '${name}' in this DB (suites present: ${allSuites.join(', ')}). Pick one with --suite.`
        : 'The DB holds no runs at all: run `clsrl sweep --suite <name>` first.',
    );
    return doc;
  }
  noteRunStatus(data, missing);
  const engines = [...new Set(data.runs.map((r) => r.engine))];
  if (engines.length > 1) missing.push(`Runs of several engines (${engines.join(', ')}) are pooled in each cell; report one engine per suite for clean numbers.`);
  const steps: Array<[string, () => Section | Section[] | undefined]> = [];
  const b2n: B2NTable[] = [];
  const fs: FewShotTable[] = [];
  for (const k of shotCounts(data, 'base-to-new')) steps.push([`base-to-new ${k}-shot`, () => { const t = buildB2N(data, k); b2n.push(t); noteCells(t, 'Base-to-new', 'base-to-new', data, missing); return b2nSection(t); }]);
  for (const k of shotCounts(data, 'few-shot')) {
    steps.push([`few-shot ${k}-shot`, () => { const t = buildFewShot(data, k); fs.push(t); noteCells(t, 'Few-shot', 'few-shot', data, missing); return fewShotSection(t); }]);
    steps.push([`transfer ${k}-shot`, () => transferSection(noteTransfer(buildTransfer(data, k), data, missing))]);
  }
  if (b2n.length === 0 && fs.length === 0 && !data.evals.some((e) => e.setting === 'base-to-new' || e.setting === 'few-shot')) missing.push('No evaluations stored yet: every run is unfinished.');
  steps.push(['answer diagnostics', () => diagnosticsSection(data)]);
  steps.push(['seeds', () => seedsSection(seedLines(b2n, fs))]);
  steps.push(['paper', () => paperSection(name, b2n, fs, data, missing)]);
  steps.push(['training curves', () => curvesSection(source, data, missing)]);
  steps.push(['efficiency', () => efficiencySection(source, data, missing)]);
  steps.push(['thinking consistency', () => consistencySection(source, data, missing)]);
  steps.forEach(([what, make], i) => {
    const s = make();
    if (Array.isArray(s)) doc.sections.push(...s);
    else if (s) doc.sections.push(s);
    opts.onProgress?.(i + 1, steps.length, what);
  });
  if (b2n.length === 0 && expectsSetting(data, 'base-to-new')) missing.push('No base-to-new evaluations yet (the suite plans them).');
  if (fs.length === 0 && expectsSetting(data, 'few-shot')) missing.push('No few-shot evaluations yet (the suite plans them).');
  return doc;
}

/** The registered suite of that name, if any (DBs may hold suites run from files). */
function registeredSuite(name: string): SuiteInfo | undefined {
  try {
    return getSuite(name);
  } catch {
    return undefined;
  }
}

function expectsSetting(data: SuiteData, setting: string): boolean {
  if (data.info?.settings) return data.info.settings.some((s) => s.setting === setting);
  if (data.suite.includes('b2n')) return setting === 'base-to-new';
  if (data.suite.includes('fewshot')) return setting === 'few-shot';
  return false;
}

function countBy(xs: string[]): string {
  const m = new Map<string, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return [...m].map(([k, v]) => `${v} ${k}`).join(', ') || 'none';
}

function noteRunStatus(data: SuiteData, missing: string[]): void {
  const unfinished = data.runs.filter((r) => r.status !== 'done');
  if (unfinished.length === 0) return;
  missing.push(`${unfinished.length} of ${data.runs.length} runs are not done (${countBy(unfinished.map((r) => r.status))}); their cells are missing below. Re-run the sweep to resume.`);
  for (const r of unfinished.filter((u) => u.status === 'failed').slice(0, 5)) {
    missing.push(`failed: ${r.dataset} ${r.setting} ${methodTitle(r.method)} seed ${r.seed} (${r.id}): ${(r.error ?? 'no error text').split('\n')[0]}`);
  }
}

/** Planned datasets of a setting: its own list when the suite gives one, else all the suite's. */
function plannedDatasets(data: SuiteData, setting: string): string[] {
  const own = data.info?.settings?.filter((s) => s.setting === setting) ?? [];
  if (own.length > 0 && own.every((s) => s.datasets)) return [...new Set(own.flatMap((s) => s.datasets!))];
  return data.info?.datasets ?? [];
}

/** Cells a table lacks: against the suite's planned datasets (per setting) and methods when known. */
function noteCells(
  t: { datasets: string[]; methods: string[]; cells: Record<string, Record<string, unknown>> },
  label: string,
  setting: string,
  data: SuiteData,
  missing: string[],
): void {
  const planned = plannedDatasets(data, setting);
  const datasets = [...t.datasets, ...planned.filter((d) => !t.datasets.includes(d))];
  const methods = [...t.methods, ...(data.info?.methods ?? []).filter((m) => !t.methods.includes(m))];
  for (const m of methods) {
    const absent = datasets.filter((d) => t.cells[m]?.[d] === undefined);
    if (absent.length === datasets.length) missing.push(`${label}: no ${methodTitle(m)} results yet.`);
    else if (absent.length > 0) missing.push(`${label}: ${methodTitle(m)} has no result for ${absent.join(', ')}.`);
  }
  if (label === 'Base-to-new') {
    for (const m of t.methods) for (const d of t.datasets) {
      const c = (t.cells[m]?.[d] ?? {}) as { base?: unknown; novel?: unknown };
      if (t.cells[m]?.[d] && (!c.base || !c.novel)) missing.push(`Base-to-new: ${methodTitle(m)} on ${d} lacks ${c.base ? 'New' : 'Base'}, so no H.`);
    }
  }
}

function noteTransfer<T extends { zeroShot: Record<string, number>; testDatasets: string[] }>(ms: T[], data: SuiteData, missing: string[]): T[] {
  const fewShotTrained = data.evals.some((e) => e.setting === 'few-shot' && !isZeroShot(e.method));
  const planned = data.info?.settings ? data.info.settings.some((s) => s.setting === 'few-shot' && s.transfer) : true;
  if (ms.length === 0 && fewShotTrained && planned && data.datasets.length > 1) missing.push('Cross-dataset transfer: no transfer evaluations (few-shot runs were not evaluated on other datasets).');
  const noZs = [...new Set(ms.flatMap((m) => m.testDatasets.filter((d) => m.zeroShot[d] === undefined)))];
  if (noZs.length > 0) missing.push(`Cross-dataset transfer: no zero-shot accuracy for ${noZs.join(', ')}, so no gain there.`);
  return ms;
}
