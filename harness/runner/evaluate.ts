// Evaluating one model on one evaluation set: greedy generation in batches, scoring with the method's
// rewards, and the shared cache of base-model completions (computed once, reused by every run asking again).

import type { Engine, EvalSet, LoadedModel, PromptInput, Question, RewardName, TemplateUse } from '../contracts';
import { PyRandom } from '../random/pyrandom';
import { scoreCompletion } from '../scoring';
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
  template: string;
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
  onProgress?(done: number, total: number): void;
}

export interface EvaluateResult {
  record: EvaluationRecord;
  tokens: number;
  /** A new cache entry to store with the run (base model evaluations computed here). */
  cacheEntry?: EvalCacheEntry;
}

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
  const key = isBase
    ? hashOf(
        {
          engine: a.engine.name,
          fingerprint: a.engine.fingerprint(),
          model: a.model.ref.id,
          items: prompts.map((p, i) => [p.id, a.questions[i].imageRel, p.text]),
          template: [a.template, a.templateUse],
          generation: { temperature: 0, n: 1, maxTokens: a.maxTokens, seed: 0 },
        },
        32,
      )
    : undefined;
  const cached = key ? a.cache?.getCache(key) : undefined;
  const reuse = cached && cached.outputs.length === prompts.length && cached.outputs.every((o, i) => o.id === prompts[i].id);
  let outputs: { id: string; text: string; tokens: number }[];
  if (reuse) {
    outputs = cached.outputs;
    a.onProgress?.(prompts.length, prompts.length);
  } else {
    outputs = [];
    const bs = a.batchSize ?? 32;
    for (let i = 0; i < prompts.length; i += bs) {
      const batch = prompts.slice(i, i + bs);
      const groups = await a.engine.generate(a.model, batch, { n: 1, temperature: 0, maxTokens: a.maxTokens, seed: 0 });
      groups.forEach((g, j) => outputs.push({ id: batch[j].id, text: g[0]?.text ?? '', tokens: g[0]?.tokens.length ?? 0 }));
      a.onProgress?.(Math.min(i + bs, prompts.length), prompts.length);
    }
  }
  const predictions = a.questions.map((q, i) => {
    const s = scoreCompletion(a.rewards, outputs[i].text, q.classname);
    return {
      exampleId: q.id,
      label: q.classname,
      output: outputs[i].text,
      extracted: s.extracted,
      correct: s.correct,
      strictCorrect: s.strictCorrect,
    };
  });
  return {
    record: {
      evalDataset: a.set.dataset,
      evalSplit: splitName(a.set),
      template: `${a.template}/${a.templateUse}`,
      evalMs: Date.now() - started,
      cacheKey: key,
      fromCache: !!reuse,
      predictions,
    },
    tokens: reuse ? 0 : outputs.reduce((n, o) => n + o.tokens, 0),
    cacheEntry: key && !reuse ? { key, engine: a.engine.name, modelId: a.model.ref.id, outputs } : undefined,
  };
}
