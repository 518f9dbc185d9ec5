// The double engine (a test double, not a model): exact factorised log-probs, exact gradients,
// deterministic sampling, learning, checkpoints.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Engine, OptimizerConfig, PromptInput } from '../../harness/contracts';
import { ClsrlError } from '../../harness/errors';
import { createDoubleEngine, decodeTokens, parseCandidates, renderAction } from '../../harness/engines/double';

const THINK =
  '\n Please output the thinking process in <think> </think> and final answer in <answer> </answer> tags.';
const prompt = (id: string, cands: string[], suffix = THINK): PromptInput => ({
  id,
  image: `/data/pets/images/${id}.jpg`,
  text: `What type of object is in the photo?\n Please choose one from list [ ${cands.join(', ')}].${suffix}`,
});
const OPT: OptimizerConfig = {
  lr: 1e-5, weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8, gradClip: 0, warmupSteps: 0, schedule: 'constant', totalSteps: 10,
};
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('double engine', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await createDoubleEngine({ seed: 3 });
  });

  test('parses the candidate list of the paper prompt', () => {
    expect(parseCandidates(prompt('x', ['cat', 'dog', 'sphynx_cat']).text)).toEqual(['cat', 'dog', 'sphynx_cat']);
    expect(parseCandidates('no list here')).toEqual(['unknown']);
  });

  test('sequence probabilities over all outputs sum to ~1 and logprobs match generate', async () => {
    const model = await engine.load(engine.baseModel());
    const p = prompt('a', ['cat', 'dog', 'cow']);
    const outs = ['think', 'direct', 'answer-tag', 'sentence'].flatMap((t) =>
      ['cat', 'dog', 'cow'].map((c) => engine.encodeTarget(renderAction(t as never, c))));
    const lps = await engine.logprobs(model, [p], outs.map((tokens) => ({ promptIndex: 0, tokens })));
    expect(sum(lps.map((l) => Math.exp(sum(l))))).toBeCloseTo(1, 5);
    const [gen] = await engine.generate(model, [p], { n: 5, temperature: 1, maxTokens: 200, seed: 1 });
    const again = await engine.logprobs(model, [p], gen.map((c) => ({ promptIndex: 0, tokens: c.tokens })));
    gen.forEach((c, i) => {
      expect(c.text).toBe(decodeTokens(c.tokens));
      expect(c.finishReason).toBe('stop');
      again[i].forEach((x, t) => expect(x).toBeCloseTo(c.logprobs[t], 10));
    });
    // Determinism: same seed, same samples.
    const [gen2] = await engine.generate(model, [p], { n: 5, temperature: 1, maxTokens: 200, seed: 1 });
    expect(gen2.map((c) => c.text)).toEqual(gen.map((c) => c.text));
  });

  test('greedy follows the prompt instruction; truncation reports length', async () => {
    const model = await engine.load(engine.baseModel());
    const [[think]] = await engine.generate(model, [prompt('a', ['cat', 'dog'])], { n: 1, temperature: 0, maxTokens: 500, seed: 0 });
    expect(think.text).toMatch(/^<think>.*<\/think>\s*<answer>(cat|dog)<\/answer>$/s);
    const direct = prompt('a', ['cat', 'dog'], '\n Please directly output the answer.');
    const [[d]] = await engine.generate(model, [direct], { n: 1, temperature: 0, maxTokens: 2, seed: 0 });
    expect(d.tokens).toHaveLength(2);
    expect(d.finishReason).toBe('length');
    expect(d.logprobs.every(Number.isFinite)).toBe(true);
  });

  test('step applies the exact gradient (finite differences on the loss)', async () => {
    const eng = await createDoubleEngine({ lrScale: 1 });
    const model = await eng.load(eng.baseModel());
    const p = prompt('g', ['cat', 'dog', 'cow']);
    const seqs = [{ promptIndex: 0, tokens: eng.encodeTarget('dog') }];
    const w = [seqs[0].tokens.map((_, t) => (t % 2 ? 0.3 : -0.2))];
    const lossOf = async () => -sum((await eng.logprobs(model, [p], seqs))[0].map((x, t) => x * w[0][t]));
    const before = await lossOf();
    const lr = 1e-4;
    const stats = await eng.step(model, [p], seqs, w, eng.createOptimizer(model, { ...OPT, lr }));
    expect(stats.loss).toBeCloseTo(before, 10);
    const after = await lossOf();
    // A small SGD step lowers the loss by ~ lr * |grad|^2.
    expect((before - after) / (lr * stats.gradNorm ** 2)).toBeCloseTo(1, 2);
  });

  test('SFT-like weights raise the target probability; checkpoints round-trip', async () => {
    const model = await engine.load(engine.baseModel());
    const p = prompt('s', ['cat', 'dog', 'cow']);
    const seqs = [{ promptIndex: 0, tokens: engine.encodeTarget('cow') }];
    const lp0 = sum((await engine.logprobs(model, [p], seqs))[0]);
    const opt = engine.createOptimizer(model, OPT);
    for (let i = 0; i < 5; i++) await engine.step(model, [p], seqs, [seqs[0].tokens.map(() => 1 / seqs[0].tokens.length)], opt);
    const lp1 = sum((await engine.logprobs(model, [p], seqs))[0]);
    expect(lp1).toBeGreaterThan(lp0 + 0.5);

    const frozen = await engine.freeze(model);
    await expect(engine.step(frozen, [p], seqs, [[1, 1, 1, 1]], opt)).rejects.toThrow(ClsrlError);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'double-'));
    const ref = await engine.save(model, dir);
    const loaded = await engine.load(ref);
    expect(sum((await engine.logprobs(loaded, [p], seqs))[0])).toBeCloseTo(lp1, 10);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('bad options name the option', async () => {
    await expect(createDoubleEngine({ answer: 'oracle' })).rejects.toThrow(/option 'answer'/);
    expect((await createDoubleEngine({})).fingerprint()).not.toBe((await createDoubleEngine({ seed: 9 })).fingerprint());
  });
});

describe('double engine answer modes', () => {
  test("'path' answers the candidate named in the image path; 'first' the first listed", async () => {
    const p: PromptInput = {
      id: 'q', image: '/data/oxford_pets/images/Bengal_12.jpg',
      text: 'What?\n Please choose one from list [ abyssinian, bengal, basset_hound].\n Please directly output the answer.',
    };
    const g = { n: 1, temperature: 0, maxTokens: 100, seed: 0 };
    const byPath = await createDoubleEngine({ answer: 'path' });
    expect((await byPath.generate(await byPath.load(byPath.baseModel()), [p], g))[0][0].text).toBe('bengal');
    const first = await createDoubleEngine({ answer: 'first' });
    expect((await first.generate(await first.load(first.baseModel()), [p], g))[0][0].text).toBe('abyssinian');
    await expect(first.logprobs(await first.load(first.baseModel()), [p], [{ promptIndex: 3, tokens: [0] }])).rejects.toThrow(/prompt 3/);
  });
});
