// The answer gates of issue 15 on a checkpoint: does the zero-shot gap lie in how the model answers
// (reading the list, answering from it, answering well) rather than in what it can see? Per task, on the
// zero-shot few-shot prompt (harness prompts, the code candidate rule, eval prompt seed 100, the runner's
// seeded eval limit):
//   full      greedy accuracy with the full candidate list, think eval template (the zero-shot row)
//   twoName   greedy accuracy with a list of the label and one seeded distractor, same template
//   unlisted  share of full-list greedy answers that match none of the listed names (the lenient match)
//   forced    forced choice: argmax over the listed names of log p(name, end | prompt), direct eval template
//   direct    greedy accuracy with the full list and the direct eval template (for reading, not a gate)
// Gates (means over tasks): twoName >= full + 15; unlisted < 5; forced >= full + 10.

import type { Engine, LoadedModel, PromptInput, Question } from '../harness/contracts';
import { forcedChoices, inList } from '../harness/diagnostics';
import { loadDataset, registerDataset } from '../harness/data';
import { buildQuestions, makeProblem, promptFor, applyTemplate } from '../harness/prompts';
import { limitQuestions } from '../harness/runner/evaluate';
import { DEFAULT_PROMPT } from '../harness/runner/plan';
import { evalMatch, extractAnswer } from '../harness/scoring';
import { mean } from '../reports/stats';
import { rngFrom } from '../suites/synthetic/prng';
import { datasetDefs } from '../suites/synthetic/world';

export interface GateRow {
  task: string;
  classes: number;
  /** Questions measured. */
  n: number;
  /** Candidates per full list. */
  listed: number;
  /** Percentages. */
  full: number;
  twoName: number;
  unlisted: number;
  forced: number;
  direct: number;
}

export interface Gate {
  name: string;
  /** What is measured, in words. */
  rule: string;
  value: number;
  target: number;
  pass: boolean;
}

export const GATE_TARGETS = { twoNameGain: 15, unlistedMax: 5, forcedGain: 10 } as const;

export const GATE_METRICS = ['full', 'twoName', 'unlisted', 'forced', 'direct'] as const;
export type GateMetric = (typeof GATE_METRICS)[number];

/** Mean of each metric over tasks. */
export function gateMeans(rows: readonly GateRow[]): Record<GateMetric, number> {
  const out = {} as Record<GateMetric, number>;
  for (const m of GATE_METRICS) out[m] = mean(rows.map((r) => r[m]));
  return out;
}

/** The three gates on the task means. */
export function gateVerdicts(rows: readonly GateRow[]): Gate[] {
  const m = gateMeans(rows);
  const t = GATE_TARGETS;
  const twoGain = m.twoName - m.full;
  const forcedGain = m.forced - m.full;
  return [
    { name: 'list-reading', rule: `2-name-list accuracy - full-list accuracy >= ${t.twoNameGain} points`, value: twoGain, target: t.twoNameGain, pass: twoGain >= t.twoNameGain },
    { name: 'answers-from-list', rule: `unlisted answers < ${t.unlistedMax}%`, value: m.unlisted, target: t.unlistedMax, pass: m.unlisted < t.unlistedMax },
    { name: 'answer-gap', rule: `forced choice - greedy accuracy >= ${t.forcedGain} points`, value: forcedGain, target: t.forcedGain, pass: forcedGain >= t.forcedGain },
  ];
}

/** The question with its list cut to the label and one distractor, seeded by the question id. */
export function twoNameQuestion(q: Question, classnames: readonly string[], prefix: string): Question {
  const rng = rngFrom(`two-name|${q.id}`);
  const others = classnames.filter((c) => c !== q.classname);
  const distractor = others[rng.int(others.length)];
  const candidates = rng.next() < 0.5 ? [q.classname, distractor] : [distractor, q.classname];
  return { ...q, id: `${q.id}/two`, candidates, problem: makeProblem(prefix, candidates) };
}

async function greedy(engine: Engine, model: LoadedModel, prompts: PromptInput[], maxTokens: number, batch: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < prompts.length; i += batch) {
    const res = await engine.generate(model, prompts.slice(i, i + batch), { n: 1, temperature: 0, maxTokens, seed: 0 });
    for (const r of res) out.push(extractAnswer(r[0].text));
  }
  return out;
}

/** Forced choice under the direct eval template (log p(name, end | prompt), argmax, ties to the first listed): the
 * same measurement as the report's answer diagnostics (harness/diagnostics.ts forcedChoices). */
async function forcedChoice(engine: Engine, model: LoadedModel, qs: Question[]): Promise<(string | null)[]> {
  const items = qs.map((q) => ({ prompt: promptFor(q, 'direct', 'eval'), candidates: q.candidates, output: '' }));
  return (await forcedChoices(engine, model, 'direct', items, { promptsPerCall: 8 })).map((f) => f.choice);
}

export interface GateOptions {
  /** Questions per task (the runner's seeded subset; 0 = all). */
  limit: number;
  maxTokens: number;
  /** Which split's images: `test` (as the zero-shot row) or `val` (for tuning without touching test images). */
  split: 'test' | 'val';
  onTask?(row: GateRow): void;
}

/** Measures the gate metrics per task. */
export async function measureGates(engine: Engine, model: LoadedModel, dataRoot: string, tasks: readonly string[], opts: GateOptions): Promise<GateRow[]> {
  const rows: GateRow[] = [];
  for (const def of datasetDefs(tasks)) {
    registerDataset(def);
    const ds = await loadDataset(def.name, { dataRoot });
    const seed = DEFAULT_PROMPT.evalPromptSeed;
    const items = opts.split === 'val' ? ds.val : ds.test;
    const all = buildQuestions(items, ds.classnames, { dataset: def.name, setName: opts.split, rule: DEFAULT_PROMPT.candidateRule, setting: 'few-shot', seed });
    const qs = limitQuestions(all, opts.limit, seed);
    const two = qs.map((q) => twoNameQuestion(q, ds.classnames, def.questionPrefix ?? ''));
    const think = (q: Question) => promptFor(q, 'think', 'eval');
    const fullAns = await greedy(engine, model, qs.map(think), opts.maxTokens, 32);
    const twoAns = await greedy(engine, model, two.map(think), opts.maxTokens, 32);
    const directAns = await greedy(engine, model, qs.map((q) => ({ id: q.id, image: q.image, text: applyTemplate(q.problem, 'direct', 'eval') })), opts.maxTokens, 32);
    const picks = await forcedChoice(engine, model, qs);
    const pct = (k: number) => (100 * k) / Math.max(1, qs.length);
    const count = (f: (i: number) => boolean) => qs.reduce((a, _, i) => a + (f(i) ? 1 : 0), 0);
    const row: GateRow = {
      task: def.name,
      classes: ds.classnames.length,
      n: qs.length,
      listed: qs[0]?.candidates.length ?? 0,
      full: pct(count((i) => evalMatch(fullAns[i], qs[i].classname))),
      twoName: pct(count((i) => evalMatch(twoAns[i], two[i].classname))),
      unlisted: pct(count((i) => !inList(fullAns[i], qs[i].candidates))),
      forced: pct(count((i) => picks[i] === qs[i].classname)),
      direct: pct(count((i) => evalMatch(directAns[i], qs[i].classname))),
    };
    opts.onTask?.(row);
    rows.push(row);
  }
  return rows;
}

/** A markdown table of the rows, their means and the gates. */
export function gatesMarkdown(rows: readonly GateRow[]): string {
  const f = (x: number) => x.toFixed(1);
  const lines = [
    '| task | classes | listed | n | full-list greedy % | 2-name greedy % | unlisted % | forced choice % | direct greedy % |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.task} | ${r.classes} | ${r.listed} | ${r.n} | ${f(r.full)} | ${f(r.twoName)} | ${f(r.unlisted)} | ${f(r.forced)} | ${f(r.direct)} |`),
  ];
  const m = gateMeans(rows);
  lines.push(`| **mean** | | | | **${f(m.full)}** | **${f(m.twoName)}** | **${f(m.unlisted)}** | **${f(m.forced)}** | **${f(m.direct)}** |`);
  lines.push('', ...gateVerdicts(rows).map((g) => `- ${g.name} (${g.rule}): ${f(g.value)} -> ${g.pass ? 'pass' : 'FAIL'}`));
  return lines.join('\n');
}
