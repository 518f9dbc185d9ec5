// Answer diagnostics: WHY an accuracy moved. Beside the lenient and strict accuracy of the greedy answer,
// every evaluation can record
//   - in-list rate: the greedy answer names one of the listed candidates (inList),
//   - forced-choice accuracy: the listed name with the highest log p(continuation | prompt) under the
//     model is the label (forcedChoices, argmax over the list, ties to the first listed),
//   - sampled accuracy at T = 1 (one seeded sample per question; the runner does the sampling),
// and a one-line reading of a method's change against zero-shot: "gain from seeing" (forced choice itself
// rose) vs "gain from answering" (greedy rose toward an unchanged forced choice). Pure functions plus one
// engine call (forcedChoices), so a measurement script can use them without the runner.

import type { Engine, LoadedModel, PromptInput, TemplateKind } from './contracts';
import { ClsrlError } from './errors';
import { evalMatch } from './scoring';

// ---------------------------------------------------------------------------------------------
// Options

/** `full`: in-list + forced choice (where the engine scores log-probs); `off`: in-list only. */
export type DiagnosticsMode = 'full' | 'off';
export const DIAGNOSTICS_MODES: readonly DiagnosticsMode[] = ['full', 'off'];

export interface DiagnosticsOptions {
  mode: DiagnosticsMode;
  /** Also sample one completion per question at T = 1 (seed SAMPLED_SEED) and score it. */
  sampled: boolean;
}

export const DEFAULT_DIAGNOSTICS: DiagnosticsOptions = { mode: 'full', sampled: false };

/** Seed of the T = 1 samples (batch b of the evaluation uses SAMPLED_SEED + b). */
export const SAMPLED_SEED = 1;

/** Whether the engine can score sequences in-process (tiny, the test double); else forced choice is n/a. */
export function canScore(engine: Pick<Engine, 'scores'>): boolean {
  return engine.scores === true;
}

// ---------------------------------------------------------------------------------------------
// In-list

/**
 * The listed name the greedy answer gives, by the evaluation's own lenient match (scoring.evalMatch:
 * equal or contains, case-insensitive, `_` retried as space), or undefined. When several listed names
 * match (an answer naming two, or `cat` inside `wild cat`), the longest wins, then the first listed.
 * With the same match as accuracy, a correct answer is always in the list (accuracy <= in-list rate).
 */
export function listedAnswer(extracted: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const c of candidates) {
    if (c.length === 0 || !evalMatch(extracted, c)) continue;
    if (best === undefined || c.length > best.length) best = c;
  }
  return best;
}

/** Whether the extracted greedy answer is one of the listed names (see listedAnswer). */
export function inList(extracted: string, candidates: readonly string[]): boolean {
  return listedAnswer(extracted, candidates) !== undefined;
}

// ---------------------------------------------------------------------------------------------
// Forced choice

const ANSWER_OPEN = '<answer>';
const ANSWER_CLOSE = '</answer>';
const THINK_CLOSE = '</think>';

/**
 * What a think-template answer is conditioned on: the model's own greedy reasoning. The text before the
 * greedy completion's first `<answer>`; without one, the text through its first `</think>`; without either,
 * the whole completion with `</think>` appended (closing the thought the model left open).
 */
export function thinkContext(greedyOutput: string): string {
  const a = greedyOutput.indexOf(ANSWER_OPEN);
  if (a >= 0) return greedyOutput.slice(0, a);
  const t = greedyOutput.indexOf(THINK_CLOSE);
  if (t >= 0) return greedyOutput.slice(0, t + THINK_CLOSE.length);
  return greedyOutput + THINK_CLOSE;
}

/**
 * What is scored for one listed name: the answer as the method's template closes it, after `context`
 * (the assistant's text so far, shared by every name; sent as PromptInput.assistantPrefix, not scored).
 * - direct: context '', scored `name` (then the end token: encodeTarget adds it);
 * - think: context thinkContext(greedy) + `<answer>`, scored `name</answer>` (then the end token).
 */
export function continuation(template: TemplateKind, name: string, greedyOutput: string): { context: string; scored: string } {
  if (template === 'direct') return { context: '', scored: name };
  return { context: thinkContext(greedyOutput) + ANSWER_OPEN, scored: `${name}${ANSWER_CLOSE}` };
}

/** Index of the largest score; ties (and NaN-free equal maxima) go to the lowest index, i.e. the first listed. */
export function argmaxFirst(scores: readonly number[]): number {
  let best = -1;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i];
    if (Number.isNaN(s)) continue;
    if (best < 0 || s > scores[best]) best = i;
  }
  return best;
}

export interface ForcedChoiceItem {
  /** The prompt exactly as the greedy evaluation saw it (template applied). */
  prompt: PromptInput;
  candidates: readonly string[];
  /** The greedy completion (think template: the reasoning the answer is conditioned on). */
  output: string;
}

export interface ForcedChoice {
  /** The listed name with the highest score (ties: the first listed); null: the question does not fit the model's context. */
  choice: string | null;
  /** Per listed name: log p(scored continuation + end | prompt, context), the sum of its token log-probs. */
  scores: number[];
}

export interface ForcedChoiceOptions {
  /** Prompts per engine.logprobs call (each with all its names); default 16. */
  promptsPerCall?: number;
  onProgress?(done: number, total: number): void;
}

/**
 * Forced choice for each item: every listed name's continuation (see `continuation`) is encoded with
 * engine.encodeTarget (so it ends with the end token) and scored by ONE engine.logprobs call per chunk of
 * prompts; a prompt carries the shared context as its assistantPrefix, so the tiny engine runs prompt and
 * reasoning once for all the names. A name's score is the sum of its token log-probs,
 * log p(name ... end | prompt, context). Deterministic for a deterministic engine.
 */
export async function forcedChoices(
  engine: Engine,
  model: LoadedModel,
  template: TemplateKind,
  items: readonly ForcedChoiceItem[],
  opts: ForcedChoiceOptions = {},
): Promise<ForcedChoice[]> {
  if (!canScore(engine)) {
    throw new ClsrlError('ENGINE', `engine '${engine.name}' cannot score log-probs, so forced choice is n/a`, {
      hint: 'check canScore(engine) first, or evaluate with diagnostics off',
    });
  }
  const per = Math.max(1, Math.floor(opts.promptsPerCall ?? 16));
  const out: ForcedChoice[] = [];
  for (let start = 0; start < items.length; start += per) {
    const chunk = items.slice(start, start + per);
    const prompts: PromptInput[] = [];
    const seqs: { promptIndex: number; tokens: number[] }[] = [];
    chunk.forEach((it, i) => {
      if (it.candidates.length === 0) {
        throw new ClsrlError('BAD_CONFIG', `question ${it.prompt.id} lists no candidates`, { hint: 'every evaluation prompt lists at least its label' });
      }
      const context = continuation(template, '', it.output).context;
      prompts.push(context === '' ? it.prompt : { ...it.prompt, assistantPrefix: context });
      for (const name of it.candidates) seqs.push({ promptIndex: i, tokens: engine.encodeTarget(continuation(template, name, it.output).scored) });
    });
    const lps = await scoreChunk(engine, model, prompts, seqs);
    let k = 0;
    for (const it of chunk) {
      const mine = lps.slice(k, (k += it.candidates.length));
      if (mine.some((lp) => lp === null)) {
        out.push({ choice: null, scores: [] });
        continue;
      }
      const scores = mine.map((lp) => (lp as number[]).reduce((a, b) => a + b, 0));
      out.push({ choice: it.candidates[argmaxFirst(scores)], scores });
    }
    opts.onProgress?.(Math.min(start + per, items.length), items.length);
  }
  return out;
}

/** An engine's refusal of a sequence longer than its context (tiny: `... over maxContext N`). */
function tooLong(e: unknown): boolean {
  return e instanceof ClsrlError && e.code === 'ENGINE' && /maxContext/.test(e.message);
}

/**
 * One logprobs call for the chunk; when the engine refuses it as too long for its context (a reasoning
 * that ran to the limit, then the answer), each question is scored alone and the ones that do not fit
 * get null (no forced choice). Any other error propagates.
 */
async function scoreChunk(
  engine: Engine,
  model: LoadedModel,
  prompts: PromptInput[],
  seqs: { promptIndex: number; tokens: number[] }[],
): Promise<Array<number[] | null>> {
  try {
    return await engine.logprobs(model, prompts, seqs);
  } catch (e) {
    if (!tooLong(e)) throw e;
  }
  const out: Array<number[] | null> = [];
  for (let i = 0; i < prompts.length; i++) {
    const mine = seqs.filter((q) => q.promptIndex === i).map((q) => ({ promptIndex: 0, tokens: q.tokens }));
    try {
      out.push(...(await engine.logprobs(model, [prompts[i]], mine)));
    } catch (e) {
      if (!tooLong(e)) throw e;
      out.push(...mine.map(() => null));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Counting an evaluation

/** What one scored example says (PredictionRecord/PredictionRow fit); null or absent: not measured. */
export interface DiagnosedExample {
  correct: boolean;
  inList?: boolean | null;
  forcedCorrect?: boolean | null;
  sampledCorrect?: boolean | null;
}

export interface DiagnosticCounts {
  n: number;
  correct: number;
  /** null unless every example measured it: an evaluation is measured whole or not. */
  inList: number | null;
  forcedCorrect: number | null;
  sampledCorrect: number | null;
}

/** Counts of an evaluation's examples (the store keeps these and their percentages). */
export function countDiagnostics(examples: readonly DiagnosedExample[]): DiagnosticCounts {
  const count = (get: (e: DiagnosedExample) => boolean | null | undefined): number | null =>
    examples.length === 0 || examples.some((e) => get(e) === null || get(e) === undefined) ? null : examples.filter((e) => get(e)).length;
  return {
    n: examples.length,
    correct: examples.filter((e) => e.correct).length,
    inList: count((e) => e.inList),
    forcedCorrect: count((e) => e.forcedCorrect),
    sampledCorrect: count((e) => e.sampledCorrect),
  };
}

/** Percentages of countDiagnostics (null stays null): accuracy, in-list rate, forced choice, sampled. */
export function diagnosticRates(examples: readonly DiagnosedExample[]): { accuracy: number; inList: number | null; forcedChoice: number | null; sampled: number | null } {
  const c = countDiagnostics(examples);
  const pct = (k: number | null): number | null => (k === null || c.n === 0 ? null : (100 * k) / c.n);
  return { accuracy: c.n === 0 ? 0 : (100 * c.correct) / c.n, inList: pct(c.inList), forcedChoice: pct(c.forcedCorrect), sampled: pct(c.sampledCorrect) };
}

// ---------------------------------------------------------------------------------------------
// Reading a change

/** Changes smaller than this (points, absolute) read as no change. */
export const READING_THRESHOLD = 2;

/** Seed-mean percentages of one cell (null: not measured, n/a). */
export interface DiagnosticMeans {
  accuracy: number;
  inList: number | null;
  forcedChoice: number | null;
}

export type ReadingKind = 'baseline' | 'no change' | 'answering' | 'seeing' | 'mixed' | 'n/a';

export interface Reading {
  kind: ReadingKind;
  /** The one line shown in the report. */
  text: string;
  /** Greedy accuracy change against the baseline (points). */
  greedy?: number;
  /** Forced-choice change: what the model can tell apart among the listed names. */
  seeing?: number;
  /** greedy - seeing: the change of the gap between the greedy answer and the forced choice. */
  answering?: number;
}

const signed = (x: number): string => `${x >= 0 ? '+' : '-'}${Math.abs(x).toFixed(1)}`;
const pct = (x: number | null): string => (x === null ? 'n/a' : x.toFixed(1));

/**
 * The one-line reading of a cell against its zero-shot baseline (same dataset, setting and split).
 * greedy change = seeing + answering, where seeing = forced-choice change and answering = the rest (the
 * greedy answer moving toward or away from the model's own forced choice; the in-list change shows how).
 * A component counts when |change| >= READING_THRESHOLD points; the reading names the counting ones,
 * larger first ("gain from answering", "loss from answering, gain from seeing"); none: "no change".
 * Without a baseline the cell is the baseline itself; without forced choice on either side: "n/a".
 */
export function readDiagnostics(cell: DiagnosticMeans, baseline?: DiagnosticMeans, threshold = READING_THRESHOLD): Reading {
  if (baseline === undefined) {
    if (cell.forcedChoice === null) return { kind: 'n/a', text: `baseline; forced choice n/a, in-list ${pct(cell.inList)}` };
    const gap = cell.forcedChoice - cell.accuracy;
    return { kind: 'baseline', text: `baseline: forced choice ${signed(gap)} over greedy, in-list ${pct(cell.inList)}` };
  }
  const greedy = cell.accuracy - baseline.accuracy;
  const listed = cell.inList !== null && baseline.inList !== null ? `; in-list ${pct(baseline.inList)} -> ${pct(cell.inList)}` : '';
  if (cell.forcedChoice === null || baseline.forcedChoice === null) {
    return { kind: 'n/a', text: `n/a (no forced choice): greedy ${signed(greedy)}${listed}`, greedy };
  }
  const seeing = cell.forcedChoice - baseline.forcedChoice;
  const answering = greedy - seeing;
  const parts = (
    [
      ['seeing', seeing],
      ['answering', answering],
    ] as const
  )
    .filter(([, v]) => Math.abs(v) >= threshold)
    .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]));
  const detail = `greedy ${signed(greedy)} = forced choice ${signed(seeing)} + answering ${signed(answering)}${listed}`;
  if (parts.length === 0) return { kind: 'no change', text: `no change: ${detail}`, greedy, seeing, answering };
  const label = parts.map(([what, v]) => `${v > 0 ? 'gain' : 'loss'} from ${what}`).join(', ');
  const kind: ReadingKind = parts.length === 2 ? 'mixed' : parts[0][0];
  return { kind, text: `${label}: ${detail}`, greedy, seeing, answering };
}
