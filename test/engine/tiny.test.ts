// The tiny engine end to end on a small config: SFT learns an image -> text mapping, a GRPO-style
// weighted step raises mean reward, generation matches logprobs, runs are deterministic, checkpoints
// round-trip exactly (bytes and BPE), patches are normalised, and bad input fails with ClsrlError.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { PromptInput, TokenSeq } from '../../harness/contracts';
import { ClsrlError } from '../../harness/errors';
import { createTinyEngine, SPECIALS, Tokenizer, tokenizer, type TinyEngine, type TinyModel } from '../../harness/engines/tiny';
import { patchify } from '../../harness/engines/tiny/batch';
import { resolveConfig } from '../../harness/engines/tiny/config';
import { ADAM, SMALL, colourImages, prompts } from './fixtures';

let images: Record<string, string>;
let ps: PromptInput[];
beforeAll(async () => {
  images = await colourImages();
  ps = prompts(images);
});

const engine = (seed = 1): Promise<TinyEngine> => createTinyEngine({ config: SMALL, seed, threads: 1 });

async function sft(eng: TinyEngine, model: TinyModel, steps: number): Promise<number[]> {
  const seqs: TokenSeq[] = ps.map((p, i) => ({ promptIndex: i, tokens: eng.encodeTarget(p.id) }));
  const w = seqs.map((s) => s.tokens.map(() => 1 / s.tokens.length));
  const opt = eng.createOptimizer(model, ADAM({ lr: 1e-2, warmupSteps: 3, schedule: 'constant', totalSteps: steps }));
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) losses.push((await eng.step(model, ps, seqs, w, opt)).loss);
  return losses;
}

describe('tiny engine', () => {
  it('SFT fits an image -> colour-name mapping', async () => {
    const eng = await engine(1);
    const model = await eng.load(eng.baseModel());
    const losses = await sft(eng, model, 40);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] / 10);
    const out = await eng.generate(model, ps, { n: 1, temperature: 0, maxTokens: 8, seed: 0 });
    expect(out.map((c) => c[0].text)).toEqual(ps.map((p) => p.id));
    expect(out.every((c) => c[0].finishReason === 'stop' && c[0].tokens[c[0].tokens.length - 1] === SPECIALS.end)).toBe(true);
    // 16 rows finishing after 4-6 tokens: the decode batch compacts from 16 to 8 rows mid-way.
    const many = await eng.generate(model, ps, { n: 4, temperature: 0, maxTokens: 8, seed: 0 });
    for (let i = 0; i < ps.length; i++) {
      const alone = (await eng.generate(model, [ps[i]], { n: 4, temperature: 0, maxTokens: 8, seed: 0 }))[0];
      many[i].forEach((c, j) => {
        expect(c.tokens).toEqual(alone[j].tokens);
        c.logprobs.forEach((v, k) => expect(Math.abs(v - alone[j].logprobs[k])).toBeLessThan(1e-4));
      });
    }
    await eng.close();
  });

  // Checked over init seeds 2-5: mean reward goes from ~0.08 to ~0.9 in 15 steps.
  it('a GRPO-style weighted step raises mean reward', async () => {
    const eng = await engine(2);
    const model = await eng.load(eng.baseModel());
    const opt = eng.createOptimizer(model, ADAM({ lr: 2e-2 }));
    // Reward: share of lowercase ASCII letters among the generated tokens (about 10% at random init).
    const reward = (toks: number[]): number => toks.filter((t) => t >= 97 && t <= 122).length / Math.max(1, toks.length);
    const means: number[] = [];
    for (let it = 0; it < 15; it++) {
      const comps = await eng.generate(model, ps, { n: 6, temperature: 1, maxTokens: 6, seed: it });
      const seqs: TokenSeq[] = [];
      const weights: number[][] = [];
      let sum = 0;
      comps.forEach((group, pi) => {
        const r = group.map((c) => reward(c.tokens));
        const mean = r.reduce((a, b) => a + b, 0) / r.length;
        const std = Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / r.length) + 1e-4;
        group.forEach((c, k) => {
          seqs.push({ promptIndex: pi, tokens: c.tokens });
          weights.push(c.tokens.map(() => (r[k] - mean) / std / c.tokens.length));
        });
        sum += mean;
      });
      means.push(sum / comps.length);
      await eng.step(model, ps, seqs, weights, opt);
    }
    const head = (means[0] + means[1]) / 2;
    const tail = (means[13] + means[14]) / 2;
    expect(tail).toBeGreaterThan(head + 0.4);
    await eng.close();
  });

  it('generation log-probs equal logprobs(), and sampling is seeded', async () => {
    const eng = await engine(3);
    const model = await eng.load(eng.baseModel());
    const a = await eng.generate(model, ps, { n: 3, temperature: 1, maxTokens: 10, seed: 5 });
    const b = await eng.generate(model, ps, { n: 3, temperature: 1, maxTokens: 10, seed: 5 });
    const c = await eng.generate(model, ps, { n: 3, temperature: 1, maxTokens: 10, seed: 6 });
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    expect(a.every((g) => g.length === 3 && g.every((x) => x.tokens.length <= 10 && x.logprobs.length === x.tokens.length))).toBe(true);
    const seqs = a.flatMap((g, pi) => g.map((x) => ({ promptIndex: pi, tokens: x.tokens })));
    const lp = await eng.logprobs(model, ps, seqs);
    const flat = a.flat();
    lp.forEach((row, k) => row.forEach((v, j) => expect(Math.abs(v - flat[k].logprobs[j])).toBeLessThan(1e-4)));
    expect(flat[0].text).toBe(tokenizer.decode(flat[0].tokens));
    await eng.close();
  });

  it('is deterministic: same seed, same weights after training', async () => {
    const run = async (): Promise<Float32Array> => {
      const eng = await engine(4);
      const m = await eng.load(eng.baseModel());
      await sft(eng, m, 3);
      await eng.close();
      return m.params;
    };
    const [x, y] = [await run(), await run()];
    expect(Buffer.from(x.buffer).equals(Buffer.from(y.buffer))).toBe(true);
  });

  it('checkpoints round-trip exactly and freeze() is a copy', async () => {
    const eng = await engine(5);
    const model = await eng.load(eng.baseModel());
    const frozen = await eng.freeze(model);
    await sft(eng, model, 2);
    expect(Buffer.from(frozen.params.buffer).equals(Buffer.from(model.params.buffer))).toBe(false);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-ck-'));
    const ref = await eng.save(model, dir);
    const cfgDoc = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(cfgDoc.model_type).toBe('clsrl-tiny');
    expect(cfgDoc.tokenizer.specials.end).toBe(SPECIALS.end);
    const back = await eng.load(ref);
    expect(Buffer.from(back.params.buffer).equals(Buffer.from(model.params.buffer))).toBe(true);
    const eng2 = await createTinyEngine({ checkpoint: dir, threads: 1 });
    expect(eng2.config).toEqual(eng.config);
    // a config.json from before pixel normalisation loads as raw pixels (mean 0, std 1), not the new defaults
    const legacy = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-ck-legacy-'));
    fs.copyFileSync(path.join(dir, 'model.safetensors'), path.join(legacy, 'model.safetensors'));
    const { pixelMean: _m, pixelStd: _s, ...oldCfg } = cfgDoc.config;
    fs.writeFileSync(path.join(legacy, 'config.json'), JSON.stringify({ ...cfgDoc, config: oldCfg }));
    const eng3 = await createTinyEngine({ checkpoint: legacy, threads: 1 });
    expect(eng3.config).toEqual({ ...eng.config, pixelMean: 0, pixelStd: 1 });
    await eng3.close();
    const base2 = await eng2.load(eng2.baseModel());
    const opts = { n: 2, temperature: 0.7, maxTokens: 6, seed: 9 };
    expect(await eng2.generate(base2, ps, opts)).toEqual(await eng.generate(model, ps, opts));
    await expect(eng.step(frozen, ps, [{ promptIndex: 0, tokens: [1] }], [[1]], eng.createOptimizer(frozen, ADAM()))).rejects.toThrow(/frozen/);
    await eng.close();
    await eng2.close();
  });

  it('a BPE tokenizer trains, generates and round-trips through checkpoints', async () => {
    const tok = Tokenizer.train([...Object.keys(images), 'What colour is the photo?'].flatMap((t) => [t, t]), 100);
    expect(tok.merges.length).toBeGreaterThan(5);
    const eng = await createTinyEngine({ config: SMALL, seed: 2, threads: 1, merges: tok.merges });
    expect(eng.config.vocabSize).toBe(tok.vocabSize);
    expect(eng.encodeTarget('green')).toEqual([...tok.encode('green'), SPECIALS.end]);
    expect(eng.encodeTarget('green').length).toBeLessThan(3); // one merged token + end
    const model = await eng.load(eng.baseModel());
    const losses = await sft(eng, model, 30);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.2);
    const out = await eng.generate(model, ps, { n: 1, temperature: 0, maxTokens: 8, seed: 0 });
    expect(out.map((c) => c[0].text)).toEqual(ps.map((p) => p.id));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-bpe-'));
    await eng.save(model, dir);
    const doc = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(doc.tokenizer.type).toBe('bpe');
    expect(doc.tokenizer.merges).toEqual(tok.merges.map((m) => [...m]));
    const eng2 = await createTinyEngine({ checkpoint: dir, threads: 1 });
    expect(eng2.tokenizer.signature).toBe(tok.signature);
    const m2 = await eng2.load(eng2.baseModel());
    expect(await eng2.generate(m2, ps, { n: 1, temperature: 0, maxTokens: 8, seed: 0 })).toEqual(out);
    // prompt BPE-dropout changes training (seeded: two engines agree) but never generation or logprobs
    const trained = async (promptDropout: number) => {
      const e = await createTinyEngine({ config: SMALL, seed: 2, threads: 1, merges: tok.merges, promptDropout });
      const m = await e.load(e.baseModel());
      const seqs: TokenSeq[] = [{ promptIndex: 0, tokens: e.encodeTarget('red') }];
      const before = { gen: await e.generate(m, ps, { n: 2, temperature: 1, maxTokens: 6, seed: 4 }), lp: await e.logprobs(m, ps, seqs) };
      const l = await sft(e, m, 3);
      await e.close();
      return { before, losses: l };
    };
    const [d1, d2, plain] = [await trained(0.5), await trained(0.5), await trained(0)];
    expect(d1.losses).toEqual(d2.losses);
    expect(d1.losses[0]).not.toBeCloseTo(plain.losses[0], 6); // the dropped prompt tokens really differ
    expect(d1.before).toEqual(plain.before);
    // a byte-level engine refuses the BPE model, and a config.json whose vocabSize disagrees is named
    const bytesEng = await engine(3);
    await expect(bytesEng.load({ engine: 'tiny', id: 'x', path: dir })).rejects.toThrow(/different tokenizer/);
    const rewrite = (merges: number[][]) => fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...doc, tokenizer: { ...doc.tokenizer, merges } }));
    rewrite(doc.tokenizer.merges.slice(0, -1));
    await expect(createTinyEngine({ checkpoint: dir })).rejects.toThrow(/config\.json: config\.vocabSize is \d+ but the tokenizer has \d+ ids/);
    rewrite([[SPECIALS.end, 97], ...doc.tokenizer.merges.slice(1)]);
    await expect(createTinyEngine({ checkpoint: dir })).rejects.toThrow(/config\.json: tokenizer merge 0 uses id 261, which is not a byte or an earlier merge/);
    await Promise.all([eng.close(), eng2.close(), bytesEng.close()]);
  });

  it('patchify normalises pixels with pixelMean/pixelStd and lays out (patch, channel, dy, dx)', () => {
    const cfg = resolveConfig({ ...SMALL, imageSize: 4, patchSize: 2, pixelMean: 0.5, pixelStd: 0.25, maxContext: 32 });
    const S = 4;
    const img = new Float32Array(3 * S * S);
    for (let c = 0; c < 3; c++) for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) img[c * S * S + y * S + x] = (c * 16 + y * 4 + x) / 64;
    const out = patchify(img, cfg);
    expect(out).toHaveLength(4 * 12); // P = 4 patches of 3 x 2 x 2
    const norm = (c: number, y: number, x: number) => ((c * 16 + y * 4 + x) / 64 - 0.5) / 0.25;
    // patch 1 is the top-right 2x2 block: channel 0 rows 0-1, x 2-3, then channel 1 ...
    expect(Array.from(out.subarray(12, 16))).toEqual([norm(0, 0, 2), norm(0, 0, 3), norm(0, 1, 2), norm(0, 1, 3)].map(Math.fround));
    expect(out[12 + 4]).toBeCloseTo(norm(1, 0, 2), 6);
    const raw = patchify(img, { ...cfg, pixelMean: 0, pixelStd: 1 });
    expect(raw[12]).toBeCloseTo(2 / 64, 7);
  });

  it('AdamW schedules: warmup then constant, linear or cosine decay', async () => {
    const eng = await engine();
    const m = await eng.load(eng.baseModel());
    const lrs = (schedule: 'constant' | 'linear' | 'cosine'): number[] => {
      const o = eng.createOptimizer(m, ADAM({ lr: 1, warmupSteps: 2, schedule, totalSteps: 6 })) as unknown as { lrAt(s: number): number };
      return [1, 2, 4, 6].map((s) => o.lrAt(s));
    };
    expect(lrs('constant')).toEqual([0.5, 1, 1, 1]);
    expect(lrs('linear')).toEqual([0.5, 1, 0.5, 0]);
    const cos = lrs('cosine');
    expect(cos[2]).toBeCloseTo(0.5, 10);
    expect(cos[3]).toBeCloseTo(0, 10);
    expect(() => eng.createOptimizer(m, ADAM({ beta2: 1 }))).toThrow(/beta2/);
  });

  it('arenaSessions sets how many train-graph sessions stay warm', async () => {
    const warm = async (arenaSessions?: number): Promise<number> => {
      const eng = await createTinyEngine({ config: SMALL, seed: 1, threads: 1, ...(arenaSessions ? { arenaSessions } : {}) });
      const model = await eng.load(eng.baseModel());
      const opt = eng.createOptimizer(model, ADAM());
      // 1, 2, 4 and 8 rows: four batch shapes, four train sessions built.
      for (const rows of [1, 2, 4, 8]) {
        const seqs = Array.from({ length: rows }, () => ({ promptIndex: 0, tokens: [97, 98] }));
        await eng.step(model, [ps[0]], seqs, seqs.map(() => [1, 1]), opt);
      }
      const kept = eng.runtime.keys().filter((k) => k.startsWith('train:')).length;
      await eng.close();
      return kept;
    };
    expect(await warm()).toBe(2);
    expect(await warm(3)).toBe(3);
  });

  it('rejects bad input with ClsrlError', async () => {
    const eng = await engine();
    const model = await eng.load(eng.baseModel());
    const long = [{ ...ps[0], text: 'x'.repeat(200) }];
    await expect(eng.generate(model, long, { n: 1, temperature: 0, maxTokens: 4, seed: 0 })).rejects.toThrow(/maxContext/);
    await expect(eng.logprobs(model, ps, [{ promptIndex: 9, tokens: [1] }])).rejects.toBeInstanceOf(ClsrlError);
    await expect(createTinyEngine({ config: { dModel: 30, nHeads: 4 } })).rejects.toThrow(/nHeads/);
    await expect(createTinyEngine({ thread: 2 })).rejects.toThrow(/unknown/);
    await expect(createTinyEngine({ config: SMALL, promptDropout: 1 })).rejects.toThrow(/promptDropout/);
    await expect(createTinyEngine({ config: SMALL, arenaSessions: 0 })).rejects.toThrow(/arenaSessions/);
    await expect(createTinyEngine({ checkpoint: '/x', merges: [] })).rejects.toThrow(/merges and checkpoint/);
    await expect(createTinyEngine({ checkpoint: '/nonexistent/ck' })).rejects.toThrow(/no tiny checkpoint/);
    await eng.close();
  });
});
