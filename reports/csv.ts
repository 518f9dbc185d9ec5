// Writes each report table as CSV (csv-stringify): header row, then raw values (unrounded numbers
// where a cell has one, else its text).

import { stringify } from 'csv-stringify/sync';
import type { Table } from './document';

export function tableCsv(t: Table): string {
  const records = t.rows.map((r) => t.header.map((_, i) => {
    const c = r[i];
    if (!c) return '';
    return c.value !== undefined && Number.isFinite(c.value) && /^[-+]?\d/.test(c.text) ? String(c.value) : c.text === '–' ? '' : c.text;
  }));
  return stringify([t.header, ...records]);
}
