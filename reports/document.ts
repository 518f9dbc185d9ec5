// The report as data: sections holding tables (cells with text, raw value and a best mark) and chart
// specs. Aggregation builds it once; the Markdown, CSV, HTML and chart writers only render it.

import type { TopLevelSpec } from 'vega-lite';

export interface Cell {
  text: string;
  /** Raw number behind the text (CSV writes this, unrounded), if any. */
  value?: number;
  /** Best value of its column (or block), rendered bold. */
  best?: boolean;
  /** Extra detail (HTML tooltip). */
  title?: string;
}

export interface Table {
  /** File-safe id, unique in the report (CSV file name). */
  id: string;
  title: string;
  header: string[];
  rows: Cell[][];
  notes: string[];
}

export interface Chart {
  /** File-safe id, unique in the report (SVG/PNG/spec file name). */
  id: string;
  title: string;
  spec: TopLevelSpec;
}

export interface Section {
  id: string;
  title: string;
  paragraphs: string[];
  tables: Table[];
  charts: Chart[];
  /** Render charts before tables (heatmaps lead, their numbers follow). */
  chartsFirst?: boolean;
}

export interface ReportDoc {
  title: string;
  /** Lines under the title: suite, source counts, generation note. */
  meta: string[];
  sections: Section[];
  /** What the data did not contain (empty or partial DBs), shown in the report itself. */
  missing: string[];
}

export function textCell(text: string): Cell {
  return { text };
}

export function numCell(value: number | undefined, text: string, title?: string): Cell {
  return value === undefined || !Number.isFinite(value) ? { text: '–' } : { text, value, title };
}

/**
 * Marks the highest (or lowest) numeric cell of each given column over `rows` as best. Ties are all
 * marked. Columns with fewer than two numbers, or all equal, are left unmarked (nothing to compare).
 */
export function markBest(rows: Cell[][], columns: number[], higherIsBetter = true): void {
  for (const c of columns) {
    const vals = rows.map((r) => r[c]?.value).filter((v): v is number => v !== undefined && Number.isFinite(v));
    if (vals.length < 2) continue;
    const best = higherIsBetter ? Math.max(...vals) : Math.min(...vals);
    // All equal: nothing stands out, so nothing is marked.
    if (vals.every((v) => Math.abs(v - best) < 1e-9)) continue;
    for (const r of rows) {
      const cell = r[c];
      if (cell?.value !== undefined && Math.abs(cell.value - best) < 1e-9) cell.best = true;
    }
  }
}

export function fileSafe(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').toLowerCase();
}
