// `clsrl report`: reads a ResultsSource and writes the report in the requested formats (Markdown,
// self-contained HTML, CSV per table, charts as Vega-Lite specs, SVG and PNG, the model as JSON).
// Several suites in the source without --suite give one sub-folder per suite. The folder is written
// beside --out and swapped in whole (reports/publish.ts): a killed report never leaves a mix.

import * as fs from 'fs';
import * as path from 'path';
import type { ResultsSource } from '../harness/contracts';
import { ClsrlError, storageCondition, storageError } from '../harness/errors';
import { buildReport } from './build';
import { tableCsv } from './csv';
import { fileSafe, type ReportDoc } from './document';
import { renderHtml } from './html';
import { renderMarkdown } from './markdown';
import { discardStaging, publishReport, stagingFolder, whyNotCreatable } from './publish';
import { renderSvg, svgToPng } from './render';

export type ReportFormat = 'md' | 'html' | 'csv' | 'svg' | 'png' | 'json';
export const REPORT_FORMATS: readonly ReportFormat[] = ['md', 'html', 'csv', 'svg', 'png', 'json'];

export interface ReportOptions {
  /** Suite to report; without it every suite in the source (one folder each when several). */
  suite?: string;
  outDir: string;
  formats: ReportFormat[];
  /** Progress over the report's parts and files. */
  onProgress?: (done: number, total: number, what: string) => void;
}

export interface ReportResult {
  /** Paths of every file written. */
  files: string[];
  /** What the data lacked, as also written in the report (prefixed by suite when several). */
  missing: string[];
}

export { buildReport } from './build';
export type { ReportDoc } from './document';

export async function writeReport(source: ResultsSource, opts: ReportOptions): Promise<ReportResult> {
  const bad = opts.formats.filter((f) => !REPORT_FORMATS.includes(f));
  if (bad.length > 0) throw new ClsrlError('BAD_FLAG', `unknown report format '${bad.join(',')}'`, { hint: `use any of ${REPORT_FORMATS.join(',')}` });
  const suites = opts.suite !== undefined ? [opts.suite] : [...new Set(source.runs().map((r) => r.suite))];
  const result: ReportResult = { files: [], missing: [] };
  const staging = stagingFolder(opts.outDir);
  try {
    if (suites.length <= 1) {
      const doc = buildReport(source, suites[0], { onProgress: opts.onProgress });
      await writeDoc(doc, staging, opts, result.files);
      result.missing.push(...doc.missing);
    } else {
      for (const suite of suites) {
        const doc = buildReport(source, suite, { onProgress: opts.onProgress });
        await writeDoc(doc, path.join(staging, fileSafe(suite)), opts, result.files);
        result.missing.push(...doc.missing.map((m) => `[${suite}] ${m}`));
      }
    }
    result.files = await publishReport(staging, opts.outDir, result.files);
  } catch (e) {
    discardStaging(staging);
    throw e;
  }
  return result;
}

/** Writes one file whole or not at all (temp file + rename); disk full or read-only is a STORAGE error naming it. */
function write(file: string, content: string | Buffer, files: string[]): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(tmp, content);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ClsrlError('STORAGE', `cannot write report file ${file}: ${whyNotCreatable(path.dirname(file), e)}`, { hint: 'pass a writable --out folder with free space', cause: e });
    }
    throw storageError(e, 'cannot write report file', file);
  }
  files.push(file);
}

async function writeDoc(doc: ReportDoc, outDir: string, opts: ReportOptions, files: string[]): Promise<void> {
  const want = new Set(opts.formats);
  try {
    fs.mkdirSync(outDir, { recursive: true });
  } catch (cause) {
    throw new ClsrlError('BAD_FLAG', `cannot create report folder ${outDir}: ${whyNotCreatable(outDir, cause)}`, { hint: 'pass a writable --out folder', cause });
  }
  const charts = doc.sections.flatMap((s) => s.charts);
  const tables = doc.sections.flatMap((s) => s.tables);
  const total = charts.length + (want.has('csv') ? tables.length : 0) + 3;
  let done = 0;
  const tick = (what: string): void => opts.onProgress?.(++done, total, what);

  // Vega-Lite specs are the charts' source of truth and cheap: always written beside the report.
  const svgs = new Map<string, string>();
  for (const c of charts) {
    write(path.join(outDir, 'charts', `${c.id}.vl.json`), JSON.stringify(c.spec, null, 1), files);
    if (want.has('svg') || want.has('png') || want.has('html')) {
      const svg = await renderSvg(c.spec, c.id);
      svgs.set(c.id, svg);
      if (want.has('svg')) write(path.join(outDir, 'charts', `${c.id}.svg`), svg, files);
      if (want.has('png')) write(path.join(outDir, 'charts', `${c.id}.png`), await svgToPng(svg), files);
    }
    tick(`chart ${c.id}`);
  }
  if (want.has('csv')) {
    for (const t of tables) {
      write(path.join(outDir, 'csv', `${t.id}.csv`), tableCsv(t), files);
      tick(`csv ${t.id}`);
    }
  }
  if (want.has('md')) {
    const link = (id: string): string | undefined => (want.has('svg') ? `charts/${id}.svg` : want.has('png') ? `charts/${id}.png` : undefined);
    write(path.join(outDir, 'report.md'), renderMarkdown(doc, link), files);
  }
  tick('markdown');
  if (want.has('html')) write(path.join(outDir, 'report.html'), renderHtml(doc, svgs), files);
  tick('html');
  if (want.has('json')) write(path.join(outDir, 'report.json'), JSON.stringify(doc, null, 1), files);
  tick('json');
}
