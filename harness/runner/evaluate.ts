// Evaluating one model on one evaluation set: greedy generation in batches, scoring with the method's
// rewards, and the shared cache of base-model completions (computed once, reused by every run asking again).

import type { Engine, EvalSet, LoadedModel, PromptInput, Question, RewardName, TemplateKind, TemplateUse } from '../contracts';
import { canScore, forcedChoices, inList, SAMPLED_SEED, type DiagnosticsOptions } from '../diagnostics';
import { PyRandom } from '../random/pyrandom';
import { evalMatch, extractAnswer, scoreCompletion } from '../scoring';
import type { EvalCacheEntry, EvaluationRecord } from '../store';
import { hashOf } from './hash';

/** Cache access the runner gives executeRun (the store, or nothing). */
export interface EvalCache {
  getCache(key: string): EvalCacheEntry | undefined;
}

export interface EvaluateArgs {
  engine: Engine;
  model: LoadedModel;
  set: EvalSet;
  questions: Question[];
  /** Applies the method's evaluation template. */
  prompt(q: Question): PromptInput;
  template: TemplateKind;
  templateUse: TemplateUse;
  rewards: RewardName[];
  maxTokens: number;
  /**
   * Whether the model is the untouched base model (a method that does not train). Only then are the
   * completions cached: a trained model may still carry the base ref, since methods train in place.
   */
  isBaseModel: boolean;
  cache?: EvalCache;
  batchSize?: number;
  /** Answer diagnostics (default: none beyond the in-list rate, as specs planned before them). */
  diagnostics?: DiagnosticsOptions;
  onProgress?(done: number, total: number): void;
}

export interface EvaluateResult {
  record: EvaluationRecord;
  tokens: number;
  /** New cache entries to store with the run (base model evaluations computed here). */
  cacheEntries: EvalCacheEntry[];
}

type Output = { id: string; text: string; tokens: number };

/**
 * At most `limit` questions, chosen by a seeded shuffle so a limited set still covers the classes
 * (CoOp test lists are grouped by class), kept in their original order. 0 keeps all.
 */
export function limitQuestions(questions: Question[], limit: number, seed: number): Question[] {
  if (limit <= 0 || questions.length <= limit) return questions;
  const idx = questions.map((_, i) => i);
  new PyRandom(seed).shuffle(idx);
  return idx
    .slice(0, limit)
    .sort((a, b) => a - b)
    .map((i) => questions[i]);
}

/** `test`, `base`, `new`; transfer sets (`transfer:<Dataset>`) are the other dataset's `test`. */
export function splitName(set: EvalSet): string {
  return set.name.startsWith('transfer:') ? 'test' : set.name;
}

/** Greedy-generates, scores and (for the base model) caches the completions of one evaluation set. */
export async function evaluateSet(a: EvaluateArgs): Promise<EvaluateResult> {
  const started = Date.now();
  const prompts = a.questions.map((q) => a.prompt(q));
  const isBase = a.isBaseModel;
  const keyOf = (generation: object): string | undefined =>
    isBase
      ? hashOf(
          {
            engine: a.engine.name,
            fingerprint: a.engine.fingerprint(),
            model: a.model.ref.id,
            items: prompts.map((p, i) => [p.id, a.questions[i].imageRel, p.text]),
            template: [a.template, a.templateUse],
            generation,
          },
          32,
        )
      : undefined;
  const cacheEntries: EvalCacheEntry[] = [];
  /** Cached outputs for `key` (base model only), else computed and queued for the cache. */
  const cachedOr = async (key: string | undefined, compute: () => Promise<Output[]>): Promise<{ outputs: Output[]; reused: boolean }> => {
    const hit = key ? a.cache?.getCache(key) : undefined;
    if (hit && hit.outputs.length === prompts.length && hit.outputs.every((o, i) => o.id === prompts[i].id)) return { outputs: hit.outputs, reused: true };
    const outputs = await compute();
    if (key) cacheEntries.push({ key, engine: a.engine.name, modelId: a.model.ref.id, outputs });
    return { outputs, reused: false };
  };
  // Progress in questions, through the greedy pass and then each diagnostic pass (equal shares).
  const diag = a.diagnostics;
  const passes = 1 + (diag?.mode === 'full' && canScore(a.engine) ? 1 : 0) + (diag?.sampled ? 1 : 0);
  const progress = (pass: number) => (done: number) => a.onProgress?.(Math.round(((pass + done / Math.max(1, prompts.length)) * prompts.length) / passes), prompts.length);
  const generateAll = async (temperature: number, seedOf: (batchStart: number) => number, onDone: (done: number) => void): Promise<Output[]> => {
    const outputs: Output[] = [];
    const bs = a.batchSize ?? 32;
    for (let i = 0; i < prompts.length; i += bs) {
      const batch = prompts.slice(i, i + bs);
      const groups = await a.engine.generate(a.model, batch, { n: 1, temperature, maxTokens: a.maxTokens, seed: seedOf(i) });
      groups.forEach((g, j) => outputs.push({ id: batch[j].id, text: g[0]?.text ?? '', tokens: g[0]?.tokens.length ?? 0 }));
      onDone(Math.min(i + bs, prompts.length));
    }
    return outputs;
  };

  const key = keyOf({ temperature: 0, n: 1, maxTokens: a.maxTokens, seed: 0 });
  const greedy = await cachedOr(key, () => generateAll(0, () => 0, progress(0)));
  const outputs = greedy.outputs;
  let tokens = greedy.reused ? 0 : outputs.reduce((n, o) => n + o.tokens, 0);

  // Answer diagnostics beyond the in-list rate: forced choice (engines that score) and T = 1 samples.
  const diagStarted = Date.now();
  let pass = 1;
  let forced: Output[] | undefined;
  if (diag?.mode === 'full' && canScore(a.engine)) {
    // The choice depends on the greedy completions (think context), which the key of those covers.
    const fkey = key ? hashOf({ greedy: key, forcedChoice: 1 }, 32) : undefined;
    forced = (
      await cachedOr(fkey, async () => {
        const items = a.questions.map((q, i) => ({ prompt: prompts[i], candidates: q.candidates, output: outputs[i].text }));
        const fc = await forcedChoices(a.engine, a.model, a.template, items, { onProgress: progress(pass) });
        // '' (never a listed name): the question did not fit the model's context, no forced choice
        return fc.map((c, i) => ({ id: prompts[i].id, text: c.choice ?? '', tokens: 0 }));
      })
    ).outputs;
    pass++;
  }
  let sampled: Output[] | undefined;
  if (diag?.sampled) {
    const skey = keyOf({ temperature: 1, n: 1, maxTokens: a.maxTokens, seed: SAMPLED_SEED, batch: a.batchSize ?? 32 });
    const res = await cachedOr(skey, () => generateAll(1, (i) => SAMPLED_SEED + i, progress(pass)));
    sampled = res.outputs;
    if (!res.reused) tokens += sampled.reduce((n, o) => n + o.tokens, 0);
  }
  const diagnosticsMs = Date.now() - diagStarted;
  a.onProgress?.(prompts.length, prompts.length); // also when everything came from the cache

  const predictions = a.questions.map((q, i) => {
    const s = scoreCompletion(a.rewards, outputs[i].text, q.classname);
    const sampledText = sampled?.[i].text;
    return {
      exampleId: q.id,
      label: q.classname,
      output: outputs[i].text,
      extracted: s.extracted,
      correct: s.correct,
      strictCorrect: s.strictCorrect,
      inList: inList(s.extracted, q.candidates),
      forcedChoice: forced && forced[i].text !== '' ? forced[i].text : null,
      forcedCorrect: forced && forced[i].text !== '' ? forced[i].text === q.classname : null,
      sampledOutput: sampledText ?? null,
      sampledCorrect: sampledText === undefined ? null : evalMatch(extractAnswer(sampledText), q.classname),
    };
  });
  return {
    record: {
      evalDataset: a.set.dataset,
      evalSplit: splitName(a.set),
      template: `${a.template}/${a.templateUse}`,
      evalMs: Date.now() - started,
      diagnosticsMs,
      cacheKey: key,
      fromCache: greedy.reused,
      predictions,
    },
    tokens,
    cacheEntries,
  };
}
