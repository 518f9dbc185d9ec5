// The report's Answer diagnostics section: seed means of accuracy, in-list, forced choice (and sampled
// when measured) per set and method, the reading against zero-shot per cell and per method Average, n/a
// for unmeasured rows, and the same numbers in Markdown, HTML and CSV.

import type { EvaluationRow } from '../../harness/contracts';
import { buildReport } from '../../reports';
import { tableCsv } from '../../reports/csv';
import { renderHtml } from '../../reports/html';
import { renderMarkdown } from '../../reports/markdown';
import type { Table } from '../../reports/document';
import { makeFixtureSource } from '../fixtures/results';

/**
 * Hand-set diagnostics on the fixture: zero-shot 80% in-list, forced choice 20 points above its greedy
 * accuracy; SFT answers from the list (in-list 100) with forced choice unchanged; CLS-RL sees better
 * (forced choice +15); No-Thinking is not measured (n/a), as an engine that cannot score.
 */
function withDiagnostics(row: EvaluationRow, zsForced: (r: EvaluationRow) => number): EvaluationRow {
  switch (row.method) {
    case 'zero-shot':
      return { ...row, inListRate: 80, forcedChoiceAccuracy: row.accuracy + 20, sampledAccuracy: row.accuracy - 10 };
    case 'sft':
      return { ...row, inListRate: 100, forcedChoiceAccuracy: zsForced(row), sampledAccuracy: row.accuracy - 5 };
    case 'cls-rl':
      return { ...row, inListRate: 90, forcedChoiceAccuracy: zsForced(row) + 15, sampledAccuracy: row.accuracy - 5 };
    default:
      return { ...row, inListRate: null, forcedChoiceAccuracy: null, sampledAccuracy: null };
  }
}

function source() {
  const src = makeFixtureSource({ settings: ['few-shot'], seeds: [1, 2, 3] });
  const zs = (r: EvaluationRow) => src.evalRows.find((z) => z.method === 'zero-shot' && z.dataset === r.evalDataset && z.evalDataset === r.evalDataset)!;
  const rows = src.evalRows.map((r) => withDiagnostics(r, (x) => zs(x).accuracy + 20));
  src.evalRows.splice(0, src.evalRows.length, ...rows);
  return src;
}

const diagTable = (tables: Table[]): Table => tables.find((t) => t.id === 'diagnostics-few-shot-4shot')!;

describe('answer diagnostics in the report', () => {
  const doc = buildReport(source(), 'fixture');
  const section = doc.sections.find((s) => s.id === 'answer-diagnostics')!;
  const t = diagTable(section.tables);
  const row = (dataset: string, method: string) => t.rows.find((r) => r[0].text === dataset && r[2].text === method)!;

  test('one row per dataset and method with accuracy, in-list, forced choice, sampled and the reading', () => {
    expect(t.header).toEqual(['Dataset', 'Split', 'Method', 'Accuracy', 'In-list', 'Forced choice', 'Sampled (T = 1)', 'Reading']);
    // EuroSAT few-shot: zero-shot 55 (single row), SFT seeds 60/65/70 -> 65
    expect(row('EuroSAT', 'Zero-shot').map((c) => c.text)).toEqual(['EuroSAT', 'test', 'Zero-shot', '55.0', '80.0', '75.0', '45.0', 'baseline: forced choice +20.0 over greedy, in-list 80.0']);
    expect(row('EuroSAT', 'SFT')[3].value).toBeCloseTo(65, 9);
    expect(row('EuroSAT', 'SFT')[7].text).toBe('gain from answering: greedy +10.0 = forced choice +0.0 + answering +10.0; in-list 80.0 -> 100.0');
    // CLS-RL 70/75/80 -> 75: +20 = seeing +15 (forced choice) + answering +5, both counted, larger first
    expect(row('EuroSAT', 'CLS-RL')[7].text).toBe('gain from seeing, gain from answering: greedy +20.0 = forced choice +15.0 + answering +5.0; in-list 80.0 -> 90.0');
    expect(row('EuroSAT', 'No-Thinking-CLS-RL').slice(4, 7).map((c) => c.text)).toEqual(['n/a', 'n/a', 'n/a']);
    expect(row('EuroSAT', 'No-Thinking-CLS-RL')[7].text).toMatch(/^n\/a \(no forced choice\): greedy \+25\.0$/);
  });

  test('a per-method Average over the sets, read against zero-shot\'s average on the same sets', () => {
    const avg = t.rows.filter((r) => r[0].text.startsWith('Average'));
    expect(avg.map((r) => r[2].text)).toEqual(['Zero-shot', 'SFT', 'CLS-RL', 'No-Thinking-CLS-RL']);
    expect(avg[0][0].text).toBe('Average (3 sets)');
    expect(avg[1][7].text).toMatch(/^gain from answering: greedy \+10\.0 = forced choice \+0\.0 \+ answering \+10\.0/);
  });

  test('notes define the columns and the rule, and say what n/a means', () => {
    const notes = t.notes.join(' ');
    expect(notes).toMatch(/In-list: the greedy answer names a listed candidate/);
    expect(notes).toMatch(/A part counts from 2 points/);
    expect(notes).toMatch(/n\/a: not measured/);
  });

  test('Markdown, HTML and CSV carry the same numbers', () => {
    const md = renderMarkdown(doc);
    expect(md).toContain('## Answer diagnostics');
    expect(md).toContain('| EuroSAT | test | SFT | 65.0 | 100.0 | 75.0 | 60.0 | gain from answering: greedy +10.0 = forced choice +0.0 + answering +10.0; in-list 80.0 -> 100.0 |');
    const html = renderHtml(doc, new Map());
    expect(html).toContain('Answer diagnostics');
    expect(html).toContain('gain from seeing, gain from answering');
    const csv = tableCsv(t).split('\n');
    expect(csv[0]).toBe('Dataset,Split,Method,Accuracy,In-list,Forced choice,Sampled (T = 1),Reading');
    expect(csv.find((l) => l.startsWith('EuroSAT,test,SFT,'))).toMatch(/^EuroSAT,test,SFT,65,100,75,60,gain from answering/);
  });

  test('rows stored before diagnostics (all null) show n/a and no sampled column', () => {
    const old = buildReport(makeFixtureSource({ settings: ['base-to-new'], seeds: [1] }), 'fixture');
    const tb = old.sections.find((s) => s.id === 'answer-diagnostics')!.tables[0];
    expect(tb.id).toBe('diagnostics-base-to-new-4shot');
    expect(tb.header).not.toContain('Sampled (T = 1)');
    const sft = tb.rows.find((r) => r[0].text === 'EuroSAT' && r[1].text === 'new' && r[2].text === 'SFT')!;
    expect(sft.slice(4, 6).map((c) => c.text)).toEqual(['n/a', 'n/a']);
    expect(sft[6].text).toMatch(/^n\/a \(no forced choice\)/);
    expect(tb.notes.join(' ')).toMatch(/stored before answer diagnostics/);
  });
});
