// Answer diagnostics (harness/diagnostics.ts) on hand-made cases: in-list matching, ties, the think
// context, forced choice over a scripted engine, n/a engines, the reading rule; and evaluateSet's
// diagnostics on the test double (stored per prediction, off switch, n/a engines, T = 1 determinism, cache).

import type { Engine, EvalSet, LoadedModel, MethodPlugin, PromptInput, Question, TokenSeq } from '../../harness/contracts';
import {
  argmaxFirst, canScore, continuation, countDiagnostics, diagnosticRates, forcedChoices, inList, listedAnswer, readDiagnostics, thinkContext,
} from '../../harness/diagnostics';
import { createDoubleEngine } from '../../harness/engines/double';
import { ClsrlError } from '../../harness/errors';
import { applyTemplate } from '../../harness/prompts';
import { evaluateSet, type EvaluateArgs } from '../../harness/runner/evaluate';
import type { EvalCacheEntry } from '../../harness/store';
import { evalMatch } from '../../harness/scoring';
import { diagnosticsOf } from '../../harness/runner/execute';
import { parseSweepFlags } from '../../harness/runner/options';
import { planSweep } from '../../harness/runner/plan';
import { getMethod as registryGetMethod } from '../../methods/registry';
import { getSuite, validateSuite } from '../../suites/registry';

describe('in-list', () => {
  test('matches like the evaluation: case, `_` as space, containment', () => {
    expect(inList('River', ['Forest', 'River'])).toBe(true);
    expect(inList('river', ['Forest', 'River'])).toBe(true);
    expect(inList('annual crop', ['Annual_Crop', 'Forest'])).toBe(true);
    expect(inList('It is a River.', ['Forest', 'River'])).toBe(true);
    expect(inList('Highway', ['Forest', 'River'])).toBe(false);
    // the answer must contain the name, not the other way round
    expect(inList('Riv', ['Forest', 'River'])).toBe(false);
  });

  test('empty answers and empty names are never in the list', () => {
    expect(inList('', ['Forest', 'River'])).toBe(false);
    expect(inList('anything', ['', 'River'])).toBe(false);
    expect(inList('   ', ['Forest'])).toBe(false);
  });

  test('several matching names: the longest, then the first listed', () => {
    expect(listedAnswer('wild cat', ['cat', 'wild cat', 'dog'])).toBe('wild cat');
    expect(listedAnswer('cat or dog', ['cat', 'dog'])).toBe('cat');
    expect(listedAnswer('dog or cat', ['dog', 'cat'])).toBe('dog');
  });

  test('a correct answer is always in the list (accuracy <= in-list rate)', () => {
    const names = ['cat', 'wild_cat', 'Dog', 'sea or lake', 'lake'];
    const answers = ['cat', 'a wild cat', 'DOG!', 'sea or lake', 'lake', 'nothing', '', 'wild_cat'];
    for (const a of answers) for (const label of names) if (evalMatch(a, label)) expect(inList(a, names)).toBe(true);
  });
});

describe('forced choice pieces', () => {
  test('argmax: ties go to the first listed; NaN never wins', () => {
    expect(argmaxFirst([-3, -1, -1, -2])).toBe(1);
    expect(argmaxFirst([-1, -1])).toBe(0);
    expect(argmaxFirst([NaN, -5, -4])).toBe(2);
    expect(argmaxFirst([-Infinity, -Infinity])).toBe(0);
    expect(argmaxFirst([])).toBe(-1);
  });

  test('the think context is the greedy reasoning before its answer', () => {
    expect(thinkContext('<think>red petals</think>\n<answer>rose</answer>')).toBe('<think>red petals</think>\n');
    expect(thinkContext('<think>red petals</think> then nothing')).toBe('<think>red petals</think>');
    expect(thinkContext('<think>red petals')).toBe('<think>red petals</think>');
    expect(thinkContext('<answer>rose</answer>')).toBe('');
  });

  test('continuations: the name alone (direct) or closed as the think template would close it', () => {
    expect(continuation('direct', 'rose', '<think>x</think><answer>tulip</answer>')).toEqual({ context: '', scored: 'rose' });
    expect(continuation('think', 'rose', '<think>x</think> <answer>tulip</answer>')).toEqual({
      context: '<think>x</think> <answer>',
      scored: 'rose</answer>',
    });
  });
});

/**
 * A scripted engine: tokens are char codes + 1, end 0. Every token scores -1 but the last, which scores
 * table[prompt id](assistant prefix + sequence text); the prefix itself is not scored (as the contract says).
 */
function scriptedEngine(table: Record<string, (seq: string) => number>, scores = true): Engine & { calls: number } {
  const decode = (t: number[]) => String.fromCharCode(...t.filter((x) => x !== 0).map((x) => x - 1));
  const e = {
    name: 'scripted',
    trains: false,
    scores,
    calls: 0,
    encodeTarget: (text: string) => [...text].map((c) => c.charCodeAt(0) + 1).concat(0),
    async logprobs(_m: LoadedModel, prompts: PromptInput[], seqs: TokenSeq[]) {
      e.calls++;
      // per token: -1 for the shared context's tokens, and the whole answer's score on the last token
      return seqs.map((s) => {
        const p = prompts[s.promptIndex];
        return s.tokens.map((_, i) => (i === s.tokens.length - 1 ? table[p.id]((p.assistantPrefix ?? '') + decode(s.tokens)) : -1));
      });
    },
  } as unknown as Engine & { calls: number };
  return e;
}

describe('forcedChoices', () => {
  const model = { ref: { engine: 'scripted', id: 'base' } } as LoadedModel;
  const item = (id: string, candidates: string[], output = '') => ({ prompt: { id, image: '/x.png', text: 'q' }, candidates, output });

  test('the highest-scoring listed name; ties to the first listed; shared context not scored', async () => {
    const engine = scriptedEngine({
      a: (s) => (s === 'dog' ? -0.5 : -2),
      b: () => -1, // all tied
      c: (s) => (s.endsWith('cat</answer>') ? -0.1 : -3),
    });
    const out = await forcedChoices(engine, model, 'direct', [item('a', ['cat', 'dog', 'cow']), item('b', ['cow', 'cat'])]);
    expect(out.map((o) => o.choice)).toEqual(['dog', 'cow']);
    // direct: every token is scored: 3 letters at -1 and the end token's score
    expect(out[0].scores).toEqual([-5, -3.5, -5]);
    const think = await forcedChoices(engine, model, 'think', [item('c', ['dog', 'cat'], '<think>fur</think><answer>dog</answer>')]);
    expect(think[0].choice).toBe('cat');
    // the context `<think>fur</think><answer>` is shared and not scored: 3 name letters + `</answer>` (9) at -1, then the end
    expect(think[0].scores).toEqual([-12 - 3, -12 - 0.1]);
  });

  test('one logprobs call per chunk of prompts, all names of a prompt together', async () => {
    const engine = scriptedEngine({ a: () => -1, b: () => -1, c: () => -1 });
    await forcedChoices(engine, model, 'direct', [item('a', ['x', 'y']), item('b', ['x']), item('c', ['z'])], { promptsPerCall: 2 });
    expect(engine.calls).toBe(2);
  });

  test('a question too long for the model\'s context gets no forced choice; other errors propagate', async () => {
    const base = scriptedEngine({ a: () => -1, b: (t) => (t.startsWith('<think>x</think><answer>y') ? -0.5 : -2) });
    const limited = {
      ...base,
      async logprobs(m: LoadedModel, prompts: PromptInput[], seqs: TokenSeq[]) {
        for (const q of seqs) {
          const p = prompts[q.promptIndex];
          if ((p.assistantPrefix ?? '').length + q.tokens.length > 40) throw new ClsrlError('ENGINE', 'sequence 0 needs 99 positions, over maxContext 64');
          if (p.id === 'boom') throw new ClsrlError('ENGINE', 'something else broke');
        }
        return base.logprobs(m, prompts, seqs);
      },
    } as Engine;
    const long = '<think>' + 'z'.repeat(40);
    const out = await forcedChoices(limited, model, 'think', [item('a', ['x', 'y'], long), item('b', ['x', 'y'], '<think>x</think><answer>q</answer>')]);
    expect(out).toEqual([{ choice: null, scores: [] }, { choice: 'y', scores: [-12, -10.5] }]);
    await expect(forcedChoices(limited, model, 'direct', [item('boom', ['x'])])).rejects.toThrow(/something else broke/);
  });

  test('engines that cannot score: canScore false and a clear ENGINE error', async () => {
    const engine = scriptedEngine({ a: () => -1 }, false);
    expect(canScore(engine)).toBe(false);
    await expect(forcedChoices(engine, model, 'direct', [item('a', ['x'])])).rejects.toThrow(/cannot score log-probs/);
    await expect(forcedChoices(engine, model, 'direct', [item('a', ['x'])])).rejects.toBeInstanceOf(ClsrlError);
  });
});

describe('reading', () => {
  const zs = { accuracy: 40, inList: 70, forcedChoice: 60 };

  test('gain from answering: greedy rose toward an unchanged forced choice', () => {
    const r = readDiagnostics({ accuracy: 55, inList: 95, forcedChoice: 61 }, zs);
    expect(r.kind).toBe('answering');
    expect(r.text).toMatch(/^gain from answering: greedy \+15\.0 = forced choice \+1\.0 \+ answering \+14\.0; in-list 70\.0 -> 95\.0$/);
  });

  test('gain from seeing: forced choice itself rose', () => {
    const r = readDiagnostics({ accuracy: 48, inList: 70, forcedChoice: 69 }, zs);
    expect(r).toMatchObject({ kind: 'seeing', greedy: 8, seeing: 9, answering: -1 });
    expect(r.text).toMatch(/^gain from seeing:/);
  });

  test('both parts count: named larger first (the base-to-new drift: knowledge kept, answering broken)', () => {
    const r = readDiagnostics({ accuracy: 25, inList: 50, forcedChoice: 67 }, zs);
    expect(r.kind).toBe('mixed');
    expect(r.text).toMatch(/^loss from answering, gain from seeing:/);
  });

  test('below the threshold on both parts: no change', () => {
    expect(readDiagnostics({ accuracy: 41.5, inList: 70, forcedChoice: 60.5 }, zs).kind).toBe('no change');
    expect(readDiagnostics({ accuracy: 42, inList: 70, forcedChoice: 60 }, zs).kind).toBe('answering'); // 2 points counts
  });

  test('n/a forced choice on either side; the baseline row reads its own gap', () => {
    expect(readDiagnostics({ accuracy: 50, inList: 80, forcedChoice: null }, zs)).toMatchObject({ kind: 'n/a', greedy: 10 });
    expect(readDiagnostics({ accuracy: 50, inList: 80, forcedChoice: 70 }, { ...zs, forcedChoice: null }).kind).toBe('n/a');
    expect(readDiagnostics(zs).text).toBe('baseline: forced choice +20.0 over greedy, in-list 70.0');
    expect(readDiagnostics({ accuracy: 40, inList: null, forcedChoice: null }).text).toBe('baseline; forced choice n/a, in-list n/a');
  });
});

describe('evaluateSet diagnostics on the test double', () => {
  const cands = ['cat', 'dog', 'cow', 'sphynx_cat'];
  const set: EvalSet = { name: 'test', dataset: 'Pets', classnames: cands, items: [] };
  const questions: Question[] = Array.from({ length: 12 }, (_, i) => {
    const classname = cands[i % 4];
    const candidates = i % 3 === 0 ? [...cands].reverse() : cands;
    return {
      id: `Pets/test/${i}`, dataset: 'Pets', image: `/data/pets/${classname}/${i}.jpg`, imageRel: `pets/${classname}/${i}.jpg`,
      label: i % 4, classname, candidates,
      problem: `What type of object is in the photo?\nPlease choose one from list [ ${candidates.join(', ')}].`,
    };
  });
  const args = async (engine: Engine, over: Partial<EvaluateArgs> = {}): Promise<EvaluateArgs> => ({
    engine,
    model: await engine.load(engine.baseModel()),
    set,
    questions,
    prompt: (q) => ({ id: q.id, image: q.image, text: applyTemplate(q.problem, 'direct', 'eval') }),
    template: 'direct',
    templateUse: 'eval',
    rewards: ['equality'],
    maxTokens: 64,
    isBaseModel: true,
    diagnostics: { mode: 'full', sampled: true },
    ...over,
  });

  test('stores in-list, forced choice (the double prefers its greedy answer) and T = 1 samples per prediction', async () => {
    const engine = await createDoubleEngine({ seed: 3, prior: 1 });
    const res = await evaluateSet(await args(engine));
    for (const p of res.record.predictions) {
      expect(p.inList).toBe(true);
      // the double's greedy answer is its most probable action, so forced choice names it
      expect(p.forcedChoice).toBe(p.extracted);
      expect(p.forcedCorrect).toBe(p.forcedChoice === p.label);
      expect(typeof p.sampledOutput).toBe('string');
      expect(p.sampledCorrect).toBe(evalMatch(p.sampledOutput!.trim(), p.label));
    }
    expect(res.record.diagnosticsMs).toBeGreaterThanOrEqual(0);
    // same seed, same numbers
    const again = await evaluateSet(await args(engine));
    expect(again.record.predictions).toEqual(res.record.predictions);
  });

  test('think template: the choice is scored after the greedy reasoning (the double answers its favourite)', async () => {
    const engine = await createDoubleEngine({ seed: 4, prior: 2 });
    const res = await evaluateSet(await args(engine, {
      template: 'think',
      prompt: (q) => ({ id: q.id, image: q.image, text: applyTemplate(q.problem, 'think', 'eval') }),
      rewards: ['format', 'accuracy'],
      maxTokens: 200,
      diagnostics: { mode: 'full', sampled: false },
    }));
    for (const p of res.record.predictions) {
      expect(p.output).toMatch(/^<think>.*<\/think>\n<answer>.*<\/answer>$/s);
      expect(p.forcedChoice).toBe(p.extracted);
    }
    // not always the first listed: the choice follows the model
    expect(new Set(res.record.predictions.map((p) => p.forcedChoice)).size).toBeGreaterThan(1);
  });

  test('progress runs through the greedy pass, then forced choice, then sampling', async () => {
    const engine = await createDoubleEngine({ seed: 3 });
    const seen: Array<[number, number]> = [];
    await evaluateSet(await args(engine, { onProgress: (d, t) => seen.push([d, t]) }));
    // 12 questions, three equal passes of one batch each, then the closing call
    expect(seen).toEqual([[4, 12], [8, 12], [12, 12], [12, 12]]);
  });

  test('off: no forced choice and no samples; in-list is still recorded', async () => {
    const engine = await createDoubleEngine({ seed: 3 });
    const res = await evaluateSet(await args(engine, { diagnostics: { mode: 'off', sampled: false } }));
    for (const p of res.record.predictions) {
      expect(p).toMatchObject({ forcedChoice: null, forcedCorrect: null, sampledOutput: null, sampledCorrect: null });
      expect(typeof p.inList).toBe('boolean');
    }
  });

  test('an engine that cannot score gets n/a forced choice, not an error', async () => {
    const double = await createDoubleEngine({ seed: 3 });
    const engine = { ...double, scores: false, logprobs: () => Promise.reject(new Error('must not be called')) } as Engine;
    const res = await evaluateSet(await args(engine));
    expect(res.record.predictions.every((p) => p.forcedChoice === null && p.forcedCorrect === null)).toBe(true);
    expect(res.record.predictions.every((p) => typeof p.sampledCorrect === 'boolean')).toBe(true);
  });

  test('base-model diagnostics are cached like the greedy answers: a second run scores nothing', async () => {
    const double = await createDoubleEngine({ seed: 3 });
    let calls = 0;
    const engine = { ...double, logprobs: (...a: Parameters<Engine['logprobs']>) => (calls++, double.logprobs(...a)) } as Engine;
    const store = new Map<string, EvalCacheEntry>();
    const cache = { getCache: (k: string) => store.get(k) };
    const first = await evaluateSet(await args(engine, { cache }));
    expect(first.cacheEntries).toHaveLength(3); // greedy, forced choice, T = 1 samples
    for (const c of first.cacheEntries) store.set(c.key, c);
    const n = calls;
    expect(n).toBeGreaterThan(0);
    const second = await evaluateSet(await args(engine, { cache }));
    expect(calls).toBe(n);
    expect(second.cacheEntries).toHaveLength(0);
    expect(second.tokens).toBe(0);
    expect(second.record.predictions).toEqual(first.record.predictions);
    // a trained model (not the base) is never cached
    const trained = await evaluateSet(await args(engine, { cache, isBaseModel: false }));
    expect(trained.cacheEntries).toHaveLength(0);
    expect(calls).toBeGreaterThan(n);
  });
});

describe('configuration', () => {
  const suite = getSuite('smoke');
  const getMethod = (n: string) => registryGetMethod(n) as MethodPlugin<object>;

  test('default full, overridable by the suite and the flags, and kept out of run ids', () => {
    const full = planSweep({ suite, engine: 'tiny', getMethod });
    expect(full.every((s) => s.config.eval.diagnostics === 'full' && s.config.eval.sampled === false)).toBe(true);
    const off = planSweep({ suite: { ...suite, eval: { ...suite.eval, diagnostics: 'off' } }, engine: 'tiny', getMethod });
    expect(off.every((s) => s.config.eval.diagnostics === 'off')).toBe(true);
    const sampled = planSweep({ suite, engine: 'tiny', getMethod, diagnostics: 'off', sampled: true });
    expect(sampled.every((s) => s.config.eval.diagnostics === 'off' && s.config.eval.sampled === true)).toBe(true);
    // the same runs: stored results (with or without diagnostics) stay done
    expect(off.map((s) => s.id)).toEqual(full.map((s) => s.id));
    expect(sampled.map((s) => s.id)).toEqual(full.map((s) => s.id));
    // but maxTokens, which changes the answers, still changes them
    const longer = planSweep({ suite: { ...suite, eval: { maxTokens: 7 } }, engine: 'tiny', getMethod });
    expect(longer[0].id).not.toBe(full[0].id);
  });

  test('the flags: --diagnostics takes one of full, off; a suite with another value is a BAD_CONFIG', () => {
    expect(parseSweepFlags({ diagnostics: 'off', sampled: true })).toMatchObject({ diagnostics: 'off', sampled: true });
    expect(() => parseSweepFlags({ diagnostics: 'some' })).toThrow(/--diagnostics "some": expected one of full, off/);
    expect(() => parseSweepFlags({ diagnostics: 'full,off' })).toThrow(/expected one of full, off/);
    expect(() => validateSuite({ ...suite, eval: { diagnostics: 'most' } }, 'x.json')).toThrow(/eval\.diagnostics/);
  });

  test('specs planned before diagnostics existed measure none beyond in-list', () => {
    const [spec] = planSweep({ suite, engine: 'tiny', getMethod });
    expect(diagnosticsOf(spec)).toEqual({ mode: 'full', sampled: false });
    expect(diagnosticsOf({ ...spec, config: { ...spec.config, eval: { maxTokens: 8 } } })).toEqual({ mode: 'off', sampled: false });
  });
});

describe('counting an evaluation', () => {
  test('rates in percent; a diagnostic missing on any example is null for the whole evaluation', () => {
    const ex = [
      { correct: true, inList: true, forcedCorrect: true, sampledCorrect: null },
      { correct: false, inList: true, forcedCorrect: true, sampledCorrect: null },
      { correct: false, inList: false, forcedCorrect: false },
      { correct: false, inList: true, forcedCorrect: true },
    ];
    expect(countDiagnostics(ex)).toEqual({ n: 4, correct: 1, inList: 3, forcedCorrect: 3, sampledCorrect: null });
    expect(diagnosticRates(ex)).toEqual({ accuracy: 25, inList: 75, forcedChoice: 75, sampled: null });
    expect(diagnosticRates([{ correct: true, inList: true, forcedCorrect: null }])).toMatchObject({ inList: 100, forcedChoice: null });
    expect(diagnosticRates([])).toEqual({ accuracy: 0, inList: null, forcedChoice: null, sampled: null });
  });
});
