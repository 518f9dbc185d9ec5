// Thinking consistency: for completions with a <think> block, does the reasoning name the same
// candidate as the <answer>? The think's choice is the candidate it mentions last; the answer's is the
// candidate the extracted answer equals (else the last one it mentions). Reports the inconsistent
// share and the accuracy of consistent vs inconsistent completions per setting and method.

import type { PredictionRow, ResultsSource } from '../harness/contracts';
import type { SuiteData } from './aggregate';
import { groupedBars, type BarDatum } from './charts';
import { numCell, textCell, type Cell, type Section } from './document';
import { methodThinks, methodTitle } from './names';
import { fmt } from './stats';

/** PredictionRow plus the proposed optional candidate list of its prompt (see the report notes). */
type PredictionWithCandidates = PredictionRow & { candidates?: string[] };

const MAX_SCAN = 8192;

function norm(s: string): string {
  return s.toLowerCase().replace(/_/g, ' ');
}

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[a-z0-9]/i.test(c);
}

/**
 * The candidate mentioned last in `text` (whole-word, case-insensitive, `_` as space). Longer names
 * win over names they contain ("sea or lake" over "lake"). Linear scans only: safe on long text.
 */
export function lastMentioned(text: string, candidates: string[]): string | undefined {
  // Only the tail is read: the last mention is what counts, and runaway completions stay cheap.
  const t = norm(text.length > MAX_SCAN ? text.slice(-MAX_SCAN) : text);
  const byLength = [...new Set(candidates)].sort((a, b) => b.length - a.length);
  const taken: Array<[number, number]> = [];
  let best: { pos: number; name: string } | undefined;
  for (const name of byLength) {
    const n = norm(name).trim();
    if (n.length === 0) continue;
    for (let pos = t.indexOf(n); pos >= 0; pos = t.indexOf(n, pos + 1)) {
      const end = pos + n.length;
      if (isWordChar(t[pos - 1]) || isWordChar(t[end])) continue;
      if (taken.some(([a, b]) => pos < b && end > a)) continue;
      taken.push([pos, end]);
      if (!best || pos > best.pos) best = { pos, name };
    }
  }
  return best?.name;
}

function thinkText(output: string): string | undefined {
  const open = output.indexOf('<think>');
  if (open < 0) return undefined;
  const close = output.indexOf('</think>', open + 7);
  return output.slice(open + 7, close < 0 ? undefined : close);
}

export type Verdict = 'no-think' | 'undetermined' | 'consistent' | 'inconsistent';

export function judge(p: PredictionRow, candidates: string[]): Verdict {
  const think = thinkText(p.output);
  if (think === undefined) return 'no-think';
  const ex = norm(p.extracted).trim();
  const answer = candidates.find((c) => norm(c).trim() === ex) ?? lastMentioned(p.extracted, candidates);
  const thought = lastMentioned(think, candidates);
  if (answer === undefined || thought === undefined) return 'undetermined';
  return answer === thought ? 'consistent' : 'inconsistent';
}

interface Tally {
  total: number;
  withThink: number;
  consistent: number;
  consistentCorrect: number;
  inconsistent: number;
  inconsistentCorrect: number;
}

export function consistencySection(source: ResultsSource, data: SuiteData, missing: string[]): Section | undefined {
  const tallies = new Map<string, Tally>();
  // Own evaluation sets only (not the transfer ones): the same completions style, a tenth of the rows.
  const predsByRun = data.runs.filter((r) => r.status === 'done').map((r) => ({ run: r, preds: source.predictions(r.id, r.dataset) as PredictionWithCandidates[] }));
  // Without a candidate list in the row, the class names seen as labels of the same eval set stand in.
  const classes = new Map<string, Set<string>>();
  for (const { preds } of predsByRun) for (const p of preds) {
    const key = `${p.evalDataset}\u0000${p.evalSplit}`;
    const set = classes.get(key) ?? new Set<string>();
    set.add(p.label);
    classes.set(key, set);
  }
  let usedFallback = false;
  for (const { run, preds } of predsByRun) {
    const key = `${run.setting}\u0000${run.method}`;
    const t = tallies.get(key) ?? { total: 0, withThink: 0, consistent: 0, consistentCorrect: 0, inconsistent: 0, inconsistentCorrect: 0 };
    for (const p of preds) {
      if (!p.candidates) usedFallback = true;
      const v = judge(p, p.candidates ?? [...(classes.get(`${p.evalDataset}\u0000${p.evalSplit}`) ?? [])]);
      t.total++;
      if (v === 'no-think') continue;
      t.withThink++;
      if (v === 'consistent') { t.consistent++; if (p.correct) t.consistentCorrect++; }
      if (v === 'inconsistent') { t.inconsistent++; if (p.correct) t.inconsistentCorrect++; }
    }
    tallies.set(key, t);
  }
  const rank = (key: string): number => {
    const [setting, method] = key.split('\u0000');
    return (setting === 'base-to-new' ? 0 : 1) * 1000 + data.methods.indexOf(method);
  };
  const thinking = [...tallies].filter(([, t]) => t.withThink > 0).sort((a, b) => rank(a[0]) - rank(b[0]));
  if (predsByRun.every((x) => x.preds.length === 0)) {
    if (predsByRun.length > 0) missing.push('Thinking consistency: no predictions stored.');
    return undefined;
  }
  const silent = [...tallies].filter(([key, t]) => t.total > 0 && t.withThink === 0 && methodThinks(key.split('\u0000')[1])).sort((a, b) => rank(a[0]) - rank(b[0]));
  for (const [key, t] of silent) {
    const [setting, method] = key.split('\u0000');
    missing.push(`Thinking consistency: none of the ${t.total} ${methodTitle(method)} completions (${setting}) has a <think> block, so there is nothing to judge.`);
  }
  if (thinking.length === 0) return undefined;
  const rows: Cell[][] = [];
  const bars: BarDatum[] = [];
  const pct = (a: number, b: number): number | undefined => (b > 0 ? (100 * a) / b : undefined);
  for (const [key, t] of thinking) {
    const [setting, method] = key.split('\u0000');
    const judged = t.consistent + t.inconsistent;
    const share = pct(t.inconsistent, judged);
    const accC = pct(t.consistentCorrect, t.consistent);
    const accI = pct(t.inconsistentCorrect, t.inconsistent);
    rows.push([
      textCell(setting), textCell(methodTitle(method)), numCell(t.total, String(t.total)), numCell(t.withThink, String(t.withThink)),
      numCell(judged, String(judged)), numCell(share, fmt(share)), numCell(accC, fmt(accC)), numCell(accI, fmt(accI)),
    ]);
    const label = `${methodTitle(method)} (${setting})`;
    if (accC !== undefined) bars.push({ dataset: label, method: 'consistent', value: accC });
    if (accI !== undefined) bars.push({ dataset: label, method: 'inconsistent', value: accI });
  }
  const notes = ['Judged = completions where both the think and the answer name a candidate. Inconsistent = the last candidate named in <think> differs from the answer\'s.'];
  if (usedFallback) notes.push('Prediction rows carry no candidate list, so the class names of each evaluation set (as seen in its labels) stand in for the prompt\'s candidates.');
  return {
    id: 'thinking-consistency',
    title: 'Thinking consistency',
    paragraphs: ['Does the reasoning agree with the answer? The later version of the paper reports that thinking often names a different class than the final answer, and that answers are no worse when it does.'],
    tables: [{ id: 'thinking-consistency', title: 'Think vs answer', header: ['Setting', 'Method', 'Completions', 'With <think>', 'Judged', 'Inconsistent (%)', 'Acc. consistent (%)', 'Acc. inconsistent (%)'], rows, notes }],
    charts: bars.length > 0 ? [{ id: 'thinking-consistency', title: 'Accuracy, consistent vs inconsistent', spec: groupedBars('Accuracy of consistent vs inconsistent completions', bars, [...new Set(bars.map((b) => b.dataset))], ['consistent', 'inconsistent'], 'accuracy (%)') }] : [],
  };
}
