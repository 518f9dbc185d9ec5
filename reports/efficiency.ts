// Efficiency per setting and method: training wall time, tokens generated (all, and in training from the
// step records) and evaluation time (totals and per run, finished runs only), and training-time ratios
// beside the paper's ImageNet numbers.

import type { ResultsSource } from '../harness/contracts';
import type { SuiteData } from './aggregate';
import { methodBars, type MethodValue } from './charts';
import { markBest, numCell, textCell, type Cell, type Section, type Table } from './document';
import { isZeroShot, methodPaperKey, methodTitle } from './names';
import { paperEfficiency } from './paper';
import { fmt, mean } from './stats';

const MIN = 60_000;

export function efficiencySection(source: ResultsSource, data: SuiteData, missing: string[]): Section | undefined {
  const done = data.runs.filter((r) => r.status === 'done');
  if (done.length === 0) return undefined;
  const rows: Cell[][] = [];
  const bars: MethodValue[] = [];
  const perRunTrain: Record<string, number> = {};
  for (const setting of [...new Set(done.map((r) => r.setting))].sort()) {
    const block: Cell[][] = [];
    for (const m of data.methods) {
      const runs = done.filter((r) => r.setting === setting && r.method === m);
      if (runs.length === 0) continue;
      const train = runs.reduce((s, r) => s + r.trainMs, 0);
      const tokens = runs.reduce((s, r) => s + r.tokensGenerated, 0);
      const evalMs = runs.reduce((s, r) => s + r.evalMs, 0);
      const trainTokens = isZeroShot(m) ? 0 : runs.reduce((s, r) => s + source.trainSteps(r.id).reduce((t, st) => t + st.tokensGenerated, 0), 0);
      const title = methodTitle(m);
      const count = (x: number): string => Math.round(x).toLocaleString('en-US');
      block.push([
        textCell(setting), textCell(title), numCell(runs.length, String(runs.length)),
        numCell(train / MIN, fmt(train / MIN)), numCell(train / MIN / runs.length, fmt(train / MIN / runs.length)),
        numCell(tokens, count(tokens)), numCell(trainTokens / runs.length, count(trainTokens / runs.length)), numCell(tokens / runs.length, count(tokens / runs.length)),
        numCell(evalMs / MIN, fmt(evalMs / MIN)), numCell(evalMs / MIN / runs.length, fmt(evalMs / MIN / runs.length)),
      ]);
      const label = `${title} (${setting})`;
      bars.push({ method: label, group: title, measure: 'train min / run', value: train / MIN / runs.length });
      bars.push({ method: label, group: title, measure: 'tokens generated / run', value: tokens / runs.length });
      bars.push({ method: label, group: title, measure: 'eval min / run', value: evalMs / MIN / runs.length });
    }
    // Zero-shot trains nothing: its zero training cost is not a win worth marking.
    markBest(block.filter((r) => r[1].text !== methodTitle('zero-shot')), [4, 6], false);
    markBest(block, [7, 9], false);
    rows.push(...block);
  }
  for (const m of data.methods.filter((x) => !isZeroShot(x))) {
    const runs = done.filter((r) => r.method === m);
    if (runs.length > 0) perRunTrain[m] = mean(runs.map((r) => r.trainMs));
  }
  if (done.some((r) => !isZeroShot(r.method)) && done.every((r) => r.trainMs === 0)) missing.push('Efficiency: every run has trainMs = 0 (timings not recorded).');
  const tables: Table[] = [{
    id: 'efficiency', title: 'Efficiency per method (finished runs)',
    header: ['Setting', 'Method', 'Runs', 'Train min (total)', 'Train min / run', 'Tokens generated (total)', 'Train tokens / run', 'Tokens / run', 'Eval min (total)', 'Eval min / run'],
    rows, notes: ['Wall-clock on this machine. Lowest per-run cost in bold (training columns among methods that train). Tokens generated = completion tokens a run sampled, training rollouts plus evaluation; train tokens come from the step records.'],
  }];
  const ratio = ratioTable(perRunTrain);
  if (ratio) tables.push(ratio);
  const methods = [...new Set(bars.map((b) => b.method))];
  return {
    id: 'efficiency',
    title: 'Efficiency',
    paragraphs: ['The paper reports CLS-RL training ~17x longer than No-Thinking-CLS-RL on ImageNet (1587 vs 94 min on 8 A100), because thinking completions are long.'],
    tables,
    charts: [{ id: 'efficiency', title: 'Cost per run', spec: methodBars('Cost per run', bars, methods, ['train min / run', 'tokens generated / run', 'eval min / run']) }],
  };
}

/** Training time relative to No-Thinking-CLS-RL, ours vs the paper's (ImageNet 4-shot). */
function ratioTable(perRunTrain: Record<string, number>): Table | undefined {
  const ref = 'no-thinking-cls-rl';
  const paper = paperEfficiency();
  const paperRef = paper['No-Thinking-CLS-RL']?.training_time_min;
  if (perRunTrain[ref] === undefined || !(perRunTrain[ref] > 0)) return undefined;
  const rows = Object.keys(perRunTrain).map((m) => {
    const p = paper[methodPaperKey(m) ?? '']?.training_time_min;
    const pr = p !== undefined && paperRef ? p / paperRef : undefined;
    const ours = perRunTrain[m] / perRunTrain[ref];
    return [textCell(methodTitle(m)), numCell(pr, pr === undefined ? '–' : `${fmt(pr)}x`), numCell(ours, `${fmt(ours)}x`)];
  });
  return { id: 'efficiency-ratio', title: 'Training time relative to No-Thinking-CLS-RL', header: ['Method', 'Paper (ImageNet 4-shot)', 'Ours (mean per run)'], rows, notes: ['Paper: v1 Table 3, minutes on 8 A100.'] };
}
