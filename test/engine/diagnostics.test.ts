// Forced choice on the tiny engine: the batched computation (all names of a prompt in one logprobs call,
// the think context sent once as the assistant prefix) equals the argmax of log-probs computed separately,
// one name at a time, from the whole sequence (context + name) with the context's own log-probs removed.

import type { PromptInput } from '../../harness/contracts';
import { continuation, forcedChoices, argmaxFirst } from '../../harness/diagnostics';
import { createTinyEngine, type TinyEngine, type TinyModel } from '../../harness/engines/tiny';
import { ADAM, SMALL, colourImages, prompts } from './fixtures';

const NAMES = ['red', 'green', 'blue', 'gold', 'dark red'];
const LIST = `What colour is the photo?\nPlease choose one from list [ ${NAMES.join(', ')}].`;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

let eng: TinyEngine;
let model: TinyModel;
let ps: PromptInput[];

beforeAll(async () => {
  ps = prompts(await colourImages(), LIST);
  eng = await createTinyEngine({ config: { ...SMALL, maxContext: 256 }, seed: 3, threads: 1 });
  model = await eng.load(eng.baseModel());
  // a few SFT steps on the colour names so their scores are far apart (not float noise)
  const seqs = ps.map((p, i) => ({ promptIndex: i, tokens: eng.encodeTarget(p.id) }));
  const w = seqs.map((s) => s.tokens.map(() => 1 / s.tokens.length));
  const opt = eng.createOptimizer(model, ADAM({ lr: 1e-2, warmupSteps: 3, totalSteps: 30 }));
  for (let i = 0; i < 30; i++) await eng.step(model, ps, seqs, w, opt);
});
afterAll(() => eng.close());

/** Each name alone: one logprobs call per (prompt, name) on the whole text, minus the context's tokens. */
async function separately(template: 'think' | 'direct', p: PromptInput, output: string): Promise<number[]> {
  const out: number[] = [];
  for (const name of NAMES) {
    const c = continuation(template, name, output);
    const whole = eng.encodeTarget(c.context + c.scored);
    const ctx = c.context === '' ? 0 : eng.tokenizer.encode(c.context).length;
    expect(whole.slice(0, ctx)).toEqual(eng.tokenizer.encode(c.context)); // the context tokenizes alike in both
    const [lp] = await eng.logprobs(model, [p], [{ promptIndex: 0, tokens: whole }]);
    out.push(sum(lp.slice(ctx)));
  }
  return out;
}

describe('forced choice on tiny', () => {
  test.each([
    ['direct', () => ''],
    ['think', (i: number) => (i % 2 === 0 ? '<think>it looks warm</think>\n<answer>x</answer>' : '<think>no idea')],
  ] as const)('%s: batched scores = separately computed log-probs, choice = their argmax', async (template, outputOf) => {
    const items = ps.map((p, i) => ({ prompt: p, candidates: NAMES, output: outputOf(i) }));
    const batched = await forcedChoices(eng, model, template, items, { promptsPerCall: 3 });
    for (let i = 0; i < ps.length; i++) {
      const alone = await separately(template, ps[i], items[i].output);
      for (let j = 0; j < NAMES.length; j++) expect(batched[i].scores[j]).toBeCloseTo(alone[j], 3);
      expect(batched[i].choice).toBe(NAMES[argmaxFirst(alone)]);
    }
    // the names' scores differ by more than float noise, so the argmax comparison means something
    for (const c of batched) {
      const sorted = [...c.scores].sort((a, b) => b - a);
      expect(sorted[0] - sorted[1]).toBeGreaterThan(0.01);
    }
  });
});
