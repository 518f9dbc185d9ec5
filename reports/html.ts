// Renders a ReportDoc as one self-contained HTML page: inline CSS, charts as inline SVG (rendered
// beforehand), no scripts and no external resources, so it opens anywhere and prints cleanly.

import type { Cell, ReportDoc, Table } from './document';

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const CSS = `
body{font:14px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1d2733;margin:0;background:#f6f7f9}
main{max-width:1400px;margin:0 auto;padding:22px 20px 60px;background:#fff}
h1{font-size:24px;margin:0 0 6px}h2{font-size:19px;margin:34px 0 8px;padding-top:8px;border-top:1px solid #e3e6ea}
h3{font-size:15px;margin:20px 0 6px}p{margin:6px 0;max-width:900px}
ul.meta{color:#5a6572;margin:4px 0 12px;padding-left:18px}
nav{font-size:13px;margin:8px 0 16px}nav a{margin-right:12px;color:#2458a6;text-decoration:none}
.missing{background:#fff6e0;border:1px solid #f0d58c;border-radius:6px;padding:8px 14px;margin:14px 0}
.missing h2{border:0;margin:4px 0;padding:0;font-size:16px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;margin:6px 0 4px;font-variant-numeric:tabular-nums;font-size:13px}
th,td{padding:3px 7px;border-bottom:1px solid #e8ebef;text-align:left;white-space:nowrap}
th{background:#f0f2f5;font-weight:600;position:sticky;top:0}
td.num{text-align:right}td.best{font-weight:700;background:#e7f3e9}
tr:hover td{background:#f7f9fb}
.note{color:#5a6572;font-size:12px;margin:2px 0}
figure.chart{margin:14px 0;display:inline-block;vertical-align:top;max-width:100%;overflow-x:auto}
figure.chart figcaption{font-size:12px;color:#5a6572}
@media print{body{background:#fff}main{padding:0}nav{display:none}}
`;

function cellHtml(c: Cell | undefined): string {
  if (!c) return '<td></td>';
  const cls = [c.value !== undefined ? 'num' : '', c.best ? 'best' : ''].filter(Boolean).join(' ');
  const title = c.title ? ` title="${escapeHtml(c.title)}"` : '';
  return `<td${cls ? ` class="${cls}"` : ''}${title}>${escapeHtml(c.text)}</td>`;
}

export function tableHtml(t: Table): string {
  const head = `<tr>${t.header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  const body = t.rows.map((r) => `<tr>${t.header.map((_, i) => cellHtml(r[i])).join('')}</tr>`).join('\n');
  const notes = t.notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`).join('');
  return `<h3>${escapeHtml(t.title)}</h3>\n<div class="scroll"><table class="report-table" data-table="${escapeHtml(t.id)}">\n<thead>${head}</thead>\n<tbody>${body}</tbody></table></div>${notes}`;
}

/** `svgs` maps chart id -> rendered SVG text. */
export function renderHtml(doc: ReportDoc, svgs: Map<string, string>): string {
  const nav = doc.sections.map((s) => `<a href="#${escapeHtml(s.id)}">${escapeHtml(s.title)}</a>`).join('');
  const parts: string[] = [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(doc.title)}</title><style>${CSS}</style></head><body><main>`,
    `<h1>${escapeHtml(doc.title)}</h1>`,
    `<ul class="meta">${doc.meta.map((m) => `<li>${escapeHtml(m)}</li>`).join('')}</ul>`,
    `<nav>${nav}</nav>`,
  ];
  if (doc.missing.length > 0) {
    parts.push(`<section class="missing" id="missing"><h2>Missing or incomplete</h2><ul>${doc.missing.map((m) => `<li>${escapeHtml(m)}</li>`).join('')}</ul></section>`);
  }
  for (const s of doc.sections) {
    parts.push(`<section id="${escapeHtml(s.id)}"><h2>${escapeHtml(s.title)}</h2>`);
    parts.push(...s.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`));
    const figures = s.charts.flatMap((c) => {
      const svg = svgs.get(c.id);
      return svg ? [`<figure class="chart" data-chart="${escapeHtml(c.id)}">${svg}<figcaption>${escapeHtml(c.title)}</figcaption></figure>`] : [];
    });
    const tables = s.tables.map(tableHtml);
    parts.push(...(s.chartsFirst ? [...figures, ...tables] : [...tables, ...figures]));
    parts.push('</section>');
  }
  parts.push('</main></body></html>');
  return parts.join('\n');
}
