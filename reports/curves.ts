// Training curves: per (setting, dataset), one chart with a panel per metric (each reward by name,
// reward std, completion length, KL, loss) and a line per method, averaged over seeds per step.
// Long runs are thinned to at most MAX_POINTS per line by averaging consecutive steps.

import type { ResultsSource, TrainStepRecord } from '../harness/contracts';
import type { SuiteData } from './aggregate';
import { curves, type CurveDatum } from './charts';
import { fileSafe, numCell, textCell, type Cell, type Chart, type Section } from './document';
import { datasetTitle, isZeroShot, methodTitle } from './names';
import { fmt, mean } from './stats';

const MAX_POINTS = 200;
const FIXED_METRICS = ['reward std', 'completion length', 'kl', 'loss'];

function metricsOf(rec: TrainStepRecord): Record<string, number> {
  return { ...rec.rewards, 'reward std': rec.rewardStd, 'completion length': rec.completionLength, kl: rec.kl, loss: rec.loss };
}

/** Mean over seeds at each step, per metric: step -> metric -> value. */
function meanBySteps(seedRuns: TrainStepRecord[][]): Map<number, Record<string, number>> {
  const acc = new Map<number, Record<string, number[]>>();
  for (const steps of seedRuns) for (const s of steps) {
    const slot = acc.get(s.step) ?? {};
    for (const [k, v] of Object.entries(metricsOf(s))) if (Number.isFinite(v)) (slot[k] ??= []).push(v);
    acc.set(s.step, slot);
  }
  const out = new Map<number, Record<string, number>>();
  for (const step of [...acc.keys()].sort((a, b) => a - b)) {
    out.set(step, Object.fromEntries(Object.entries(acc.get(step) as Record<string, number[]>).map(([k, vs]) => [k, mean(vs)])));
  }
  return out;
}

function thin(points: Array<{ step: number; value: number }>): Array<{ step: number; value: number }> {
  if (points.length <= MAX_POINTS) return points;
  const size = Math.ceil(points.length / MAX_POINTS);
  const out: Array<{ step: number; value: number }> = [];
  for (let i = 0; i < points.length; i += size) {
    const chunk = points.slice(i, i + size);
    out.push({ step: chunk[chunk.length - 1].step, value: mean(chunk.map((p) => p.value)) });
  }
  return out;
}

export function curvesSection(source: ResultsSource, data: SuiteData, missing: string[]): Section | undefined {
  const trained = data.runs.filter((r) => !isZeroShot(r.method) && r.status === 'done');
  if (trained.length === 0) return undefined;
  const charts: Chart[] = [];
  const rows: Cell[][] = [];
  const without: string[] = [];
  const groups = [...new Set(trained.map((r) => `${r.setting}\u0000${r.dataset}`))];
  const order = (g: string): number => data.datasets.indexOf(g.split('\u0000')[1]) + (g.startsWith('few-shot') ? 1000 : 0);
  for (const g of groups.sort((a, b) => order(a) - order(b))) {
    const [setting, dataset] = g.split('\u0000');
    const points: CurveDatum[] = [];
    const metrics = new Set<string>();
    for (const method of data.methods) {
      const runs = trained.filter((r) => r.setting === setting && r.dataset === dataset && r.method === method);
      if (runs.length === 0) continue;
      const seedRuns = runs.map((r) => source.trainSteps(r.id)).filter((s) => s.length > 0);
      if (seedRuns.length < runs.length) without.push(`${dataset} ${setting} ${methodTitle(method)} (${runs.length - seedRuns.length}/${runs.length} runs)`);
      if (seedRuns.length === 0) continue;
      const bySteps = meanBySteps(seedRuns);
      const names = new Set<string>();
      for (const rec of bySteps.values()) Object.keys(rec).forEach((k) => names.add(k));
      for (const metric of names) {
        metrics.add(metric);
        const series = [...bySteps].filter(([, rec]) => rec[metric] !== undefined).map(([step, rec]) => ({ step, value: rec[metric] }));
        for (const p of thin(series)) points.push({ step: p.step, metric, method: methodTitle(method), value: p.value });
      }
      rows.push(summaryRow(setting, dataset, method, seedRuns, bySteps));
    }
    if (points.length === 0) continue;
    const ordered = [...[...metrics].filter((m) => !FIXED_METRICS.includes(m)).sort(), ...FIXED_METRICS.filter((m) => metrics.has(m))];
    const methods = data.methods.map(methodTitle).filter((m) => points.some((p) => p.method === m));
    charts.push({ id: `curves-${fileSafe(setting)}-${fileSafe(dataset)}`, title: `${datasetTitle(dataset)} (${setting})`, spec: curves(`Training curves: ${datasetTitle(dataset)} (${setting})`, points, ordered, methods) });
  }
  if (without.length > 0) missing.push(`Training curves: no steps stored for ${without.join('; ')}.`);
  if (charts.length === 0) return undefined;
  return {
    id: 'training-curves',
    title: 'Training curves',
    paragraphs: ['Per step, averaged over seeds: each reward by name (TRL-style names), the within-group reward std, completion length in tokens, the KL to the reference model and the loss.'],
    tables: [{
      id: 'training-summary', title: 'Training summary (last step, mean over seeds)',
      header: ['Setting', 'Dataset', 'Method', 'Seeds', 'Steps', 'Reward (sum)', 'Reward std', 'Completion length', 'KL', 'Loss'], rows, notes: [],
    }],
    charts,
  };
}

function summaryRow(setting: string, dataset: string, method: string, seedRuns: TrainStepRecord[][], bySteps: Map<number, Record<string, number>>): Cell[] {
  const last = [...bySteps.values()].pop() ?? {};
  const reward = Object.entries(last).filter(([k]) => k.startsWith('reward/')).reduce((s, [, v]) => s + v, 0);
  const n = (k: string): Cell => numCell(last[k], fmt(last[k], 3));
  return [
    textCell(setting), textCell(datasetTitle(dataset)), textCell(methodTitle(method)), numCell(seedRuns.length, String(seedRuns.length)),
    numCell(bySteps.size, String(bySteps.size)), numCell(reward, fmt(reward, 3)), n('reward std'), n('completion length'), n('kl'), n('loss'),
  ];
}
