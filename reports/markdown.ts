// Renders a ReportDoc as Markdown: one pipe table per Table (best values bold), notes as italics,
// charts as image links to the rendered SVG when those files are written.

import type { Cell, ReportDoc, Table } from './document';

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function cellText(c: Cell): string {
  const t = escapeCell(c.text);
  return c.best ? `**${t}**` : t;
}

/** A GitHub-flavoured pipe table; numeric-looking columns are right-aligned. */
export function markdownTable(t: Table): string {
  const numeric = t.header.map((_, i) => t.rows.length > 0 && t.rows.every((r) => r[i]?.value !== undefined || r[i]?.text === '–'));
  const lines = [
    `| ${t.header.map(escapeCell).join(' | ')} |`,
    `|${numeric.map((n) => (n ? '---:' : '---')).join('|')}|`,
    ...t.rows.map((r) => `| ${t.header.map((_, i) => (r[i] ? cellText(r[i]) : '')).join(' | ')} |`),
  ];
  return lines.join('\n');
}

export function renderMarkdown(doc: ReportDoc, chartLink?: (chartId: string) => string | undefined): string {
  const out: string[] = [`# ${doc.title}`, '', ...doc.meta.map((m) => `- ${m}`), ''];
  if (doc.missing.length > 0) {
    out.push('## Missing or incomplete', '', ...doc.missing.map((m) => `- ${m}`), '');
  }
  for (const s of doc.sections) {
    out.push(`## ${s.title}`, '');
    for (const p of s.paragraphs) out.push(p, '');
    const tables = s.tables.flatMap((t) => [`### ${t.title}`, '', t.rows.length > 0 ? markdownTable(t) : '_No rows._', '', ...t.notes.flatMap((n) => [`_${n}_`, ''])]);
    const charts = s.charts.flatMap((c) => {
      const link = chartLink?.(c.id);
      return link ? [`![${c.title}](${link})`, ''] : [];
    });
    out.push(...(s.chartsFirst ? [...charts, ...tables] : [...tables, ...charts]));
  }
  return out.join('\n').replace(/\n{3,}/g, '\n\n');
}
