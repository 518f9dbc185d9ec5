// `threads` is declared an operational tiny option (left out of run ids: harness/engines/tiny/options.ts),
// which holds only if the number of intra-op threads does not change results. Checked on the shipped
// checkpoint: sampled generations, their log-probs, one optimizer step and the log-probs after it are
// identical with 1 and 2 threads.

import type { PromptInput, TokenSeq } from '../../harness/contracts';
import { createTinyEngine } from '../../harness/engines/tiny';
import { colourImages, prompts } from './fixtures';

let ps: PromptInput[];
beforeAll(async () => {
  ps = prompts(await colourImages()).slice(0, 4);
});

async function trace(threads: number): Promise<unknown> {
  const eng = await createTinyEngine({ threads });
  const model = await eng.load(eng.baseModel());
  const gen = await eng.generate(model, ps, { n: 2, temperature: 1, maxTokens: 24, seed: 3 });
  const seqs: TokenSeq[] = gen.flatMap((c, i) => c.map((x) => ({ promptIndex: i, tokens: x.tokens })));
  const before = await eng.logprobs(model, ps, seqs);
  const opt = eng.createOptimizer(model, { lr: 1e-3, weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8, gradClip: 1, warmupSteps: 0, schedule: 'constant', totalSteps: 1 });
  const stats = await eng.step(model, ps, seqs, seqs.map((s) => s.tokens.map(() => 0.1)), opt);
  const after = await eng.logprobs(model, ps, seqs);
  return { gen, before, loss: stats.loss, gradNorm: stats.gradNorm, after };
}

test('1 and 2 intra-op threads give identical generations, log-probs and updates', async () => {
  expect(await trace(2)).toEqual(await trace(1));
}, 120_000);
