// `clsrl report`: renders the stored results (reports/ writeReport) into Markdown, HTML, CSV and charts.

import * as path from 'path';
import type { Argv } from 'yargs';
import type { Command } from './index';
import { ClsrlError } from '../errors';
import { Store } from '../store';
import type { ReportFormat } from '../../reports';

/** reports/ pulls in vega; loaded only when a report is written, so other commands start fast. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const reports = (): typeof import('../../reports') => require('../../reports');
import { parseFlags, yargsOptions, type FlagSpec } from '../flags';
import { COMMON_FLAGS, printJson, printLine } from './output';

export const DEFAULT_REPORT_DIR = 'results/report';
export const DEFAULT_FORMATS: ReportFormat[] = ['md', 'html', 'csv', 'svg'];

export function parseFormats(raw: string | undefined): ReportFormat[] {
  const list = (raw ?? DEFAULT_FORMATS.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  const { REPORT_FORMATS } = reports();
  const bad = list.filter((f) => !REPORT_FORMATS.includes(f as ReportFormat));
  if (list.length === 0 || bad.length > 0) {
    throw new ClsrlError('BAD_FLAG', `--format ${JSON.stringify(raw)}: unknown format '${bad.join(',')}'`, {
      hint: `use a comma-separated list of ${REPORT_FORMATS.join(', ')}`,
    });
  }
  return [...new Set(list)] as ReportFormat[];
}

/** Renders the report of `db` (optionally one suite) and returns the files written. */
export async function renderReport(db: string, opts: { suite?: string; out: string; formats: ReportFormat[] }) {
  // the report folder is swapped whole: the database must not live inside it
  const rel = path.relative(path.resolve(opts.out), path.resolve(db));
  if (!rel.startsWith('..') && !path.isAbsolute(rel)) {
    throw new ClsrlError('BAD_FLAG', `--out ${opts.out} contains the results database ${db}`, {
      hint: 'pass a folder of its own for the report, e.g. --out results/report',
    });
  }
  const store = Store.open(db, { readonly: true });
  try {
    if (opts.suite !== undefined && store.runs({ suite: opts.suite }).length === 0) {
      const have = [...new Set(store.runs().map((r) => r.suite))];
      throw new ClsrlError('NOT_FOUND', `no runs of suite '${opts.suite}' in ${db}`, {
        hint: have.length > 0 ? `suites in this database: ${have.join(', ')}` : 'run `clsrl sweep --suite NAME` first',
      });
    }
    return await reports().writeReport(store, { suite: opts.suite, outDir: opts.out, formats: opts.formats });
  } finally {
    store.close();
  }
}

/** The main file of a report (HTML, else Markdown, else the first). */
export function mainFile(files: string[]): string | undefined {
  return files.find((f) => f.endsWith('.html')) ?? files.find((f) => f.endsWith('.md')) ?? files[0];
}

export const REPORT_FLAGS = {
  db: COMMON_FLAGS.db,
  suite: { kind: 'string', describe: 'only this suite (default: every suite, one folder each)' },
  out: { kind: 'string', default: DEFAULT_REPORT_DIR, describe: 'output folder' },
  format: { kind: 'string', describe: `comma-separated: md,html,csv,svg,png,json (default ${DEFAULT_FORMATS.join(',')})` },
  json: COMMON_FLAGS.json,
} as const satisfies Record<string, FlagSpec>;

export const command: Command = {
  command: 'report',
  describe: 'render tables (Markdown, HTML, CSV) and charts from the results database',
  builder: (y: Argv) =>
    y.options(yargsOptions(REPORT_FLAGS)),
  handler: async (raw) => {
    const argv = parseFlags('report', REPORT_FLAGS, raw) as { db: string; suite?: string; out: string; format?: string; json?: boolean };
    const formats = parseFormats(argv.format);
    const res = await renderReport(argv.db, { suite: argv.suite, out: argv.out, formats });
    if (argv.json) printJson({ outDir: path.resolve(argv.out), main: mainFile(res.files) ?? null, files: res.files, missing: res.missing });
    else {
      printLine(`report written to ${argv.out} (${res.files.length} files)`);
      const main = mainFile(res.files);
      if (main) printLine(`open ${main}`);
      for (const m of res.missing) printLine(`missing: ${m}`);
    }
  },
};
