// Output helpers shared by the command files: one JSON document on stdout, plain text tables, and the
// common --db/--data-root/--json options. Not a command (it is not listed in index.ts).

import type { Argv } from 'yargs';
import type { FlagSpec } from '../flags';
import { DEFAULT_DB } from '../store';

/** Prints exactly one JSON document (and a newline) on stdout. */
export function printJson(doc: unknown): void {
  process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
}

export function printLine(text = ''): void {
  process.stdout.write(text + '\n');
}

/** A plain text table with left-aligned columns. */
export function textTable(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n');
}

/** Flags several commands share, as flag-table rows (harness/flags.ts). */
export const COMMON_FLAGS = {
  json: { kind: 'boolean', describe: 'print one JSON document on stdout' },
  db: { kind: 'string', default: DEFAULT_DB, describe: 'results database' },
  dataRoot: { kind: 'string', describe: 'data root (default: $CLSRL_DATA)' },
} as const satisfies Record<string, FlagSpec>;

export const jsonOption = <T>(y: Argv<T>) => y.option('json', { type: 'boolean', default: false, describe: 'print one JSON document on stdout' });

export const dbOption = <T>(y: Argv<T>) =>
  y.option('db', { type: 'string', default: DEFAULT_DB, describe: 'results database' });

export const dataRootOption = <T>(y: Argv<T>) =>
  y.option('data-root', { type: 'string', describe: 'data root (default: $CLSRL_DATA)' });
