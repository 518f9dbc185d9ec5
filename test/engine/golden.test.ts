// Whole-model golden test: the engine's float32 graphs against an independent PyTorch implementation
// (scripts/torch_ref.py's Tiny class, run in float64 on the checkpoint this test's seed produces, with
// the same patches and tokens). Values below come from `npx tsx scripts/golden-spec.ts` (Debian
// python3-torch 1.13); Python is not needed to run this test.

import { createTinyEngine } from '../../harness/engines/tiny';
import { ADAM, SMALL, colourImages, prompts } from './fixtures';
import { goldenSeqs } from './golden-inputs';

const TORCH = {
  loss: 21.399429682427275,
  gradNorm: 9.708475458080626,
  seqLogprobSums: [-22.32148411717928, -28.286977091987563, -38.24169526579125],
  firstLogprobs: [-5.669822183334305, -5.669822183334305, -5.7651383701010985],
};

it('matches the PyTorch reference: log-probs, weighted loss and gradient norm', async () => {
  const ps = prompts(await colourImages()).slice(0, 2); // red, green
  const eng = await createTinyEngine({ config: SMALL, seed: 11, threads: 1 });
  const model = await eng.load(eng.baseModel());
  const { seqs, weights } = goldenSeqs((t) => eng.encodeTarget(t));
  const lp = await eng.logprobs(model, ps, seqs);
  lp.forEach((row, k) => {
    expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(TORCH.seqLogprobSums[k], 4);
    expect(row[0]).toBeCloseTo(TORCH.firstLogprobs[k], 5);
  });
  const st = await eng.step(model, ps, seqs, weights, eng.createOptimizer(model, ADAM()));
  expect(st.loss).toBeCloseTo(TORCH.loss, 4);
  expect(st.gradNorm).toBeCloseTo(TORCH.gradNorm, 4);
  await eng.close();
});
