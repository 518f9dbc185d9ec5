// repetition_penalty as Hugging Face / vLLM define it, in the tiny engine and through `clsrl serve`:
// the logit rule itself, greedy generation that changes under it while reporting the model's own
// log-probs, and the OpenAI-compatible server accepting it for tiny and refusing it (400) for an engine
// that does not apply it.

import fs from 'fs';
import os from 'os';
import path from 'path';
import type { PromptInput, TokenSeq } from '../../harness/contracts';
import { createTinyEngine } from '../../harness/engines/tiny';
import { applyRepetitionPenalty } from '../../harness/engines/tiny/generate';
import { createEngine } from '../../harness/engines/registry';
import { startOpenAIServer } from '../../harness/serve/openai-server';
import { SMALL, colourImages, prompts } from './fixtures';

let ps: PromptInput[];
beforeAll(async () => {
  ps = prompts(await colourImages());
});

test('the logit rule: seen tokens divided when positive, multiplied when negative, once each', () => {
  const logits = Float32Array.from([2, -1, 0.5, 3, -4]);
  applyRepetitionPenalty(logits, [[0, 1, 1], [1, 4, 99]], 2);
  expect([...logits]).toEqual([1, -2, 0.5, 3, -8]);
});

test('tiny greedy generation applies it and still reports the model\'s own log-probs', async () => {
  const eng = await createTinyEngine({ config: SMALL, seed: 3, threads: 1 });
  const model = await eng.load(eng.baseModel());
  const greedy = { n: 1, temperature: 0, maxTokens: 12, seed: 0 };
  const plain = await eng.generate(model, ps, greedy);
  expect(await eng.generate(model, ps, { ...greedy, repetitionPenalty: 1 })).toEqual(plain);
  const pen = await eng.generate(model, ps, { ...greedy, repetitionPenalty: 3 });
  // a randomly initialised model repeats itself; a strong penalty changes what greedy decoding picks
  expect(pen.map((c) => c[0].tokens)).not.toEqual(plain.map((c) => c[0].tokens));
  const seqs: TokenSeq[] = pen.map((c, i) => ({ promptIndex: i, tokens: c[0].tokens }));
  const lp = await eng.logprobs(model, ps, seqs);
  pen.forEach((c, i) => c[0].logprobs.forEach((v, t) => expect(v).toBeCloseTo(lp[i][t], 4)));
});

describe('clsrl serve', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-penalty-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const image = () => `data:image/png;base64,${fs.readFileSync(ps[0].image).toString('base64')}`;
  const ask = (url: string, penalty: number) =>
    fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'm', temperature: 0, max_tokens: 8, repetition_penalty: penalty,
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: image() } }, { type: 'text', text: ps[0].text }] }],
      }),
    });

  test('tiny answers with the penalty applied; an engine without it says so with a 400', async () => {
    const eng = await createTinyEngine({ config: SMALL, seed: 3, threads: 1 });
    const model = await eng.load(eng.baseModel());
    const server = await startOpenAIServer({ engine: eng, model, modelName: 'm', port: 0, imageDir: path.join(dir, 'a') });
    try {
      const res = await ask(server.url, 3);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { choices: { message: { content: string } }[] };
      const [direct] = await eng.generate(model, [{ ...ps[0], image: ps[0].image }], { n: 1, temperature: 0, maxTokens: 8, seed: 0, repetitionPenalty: 3 });
      expect(body.choices[0].message.content).toBe(direct[0].text);
      expect((await ask(server.url, -1)).status).toBe(400);
    } finally {
      await server.close();
    }
    const double = await createEngine('double', {});
    const other = await startOpenAIServer({ engine: double, model: await double.load(double.baseModel()), modelName: 'm', port: 0, imageDir: path.join(dir, 'b') });
    try {
      const res = await ask(other.url, 1.05);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/repetition_penalty.*applies no repetition penalty/);
      expect((await ask(other.url, 1)).status).toBe(200);
    } finally {
      await other.close();
    }
  });
});
