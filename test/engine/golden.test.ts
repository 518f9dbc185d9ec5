// Whole-model golden test: the engine's float32 graphs against an independent PyTorch implementation
// (scripts/torch_ref.py's Tiny class, run in float64 on the checkpoint this test's seed produces, with
// the same patches and tokens). Values below were generated once with Debian python3-torch 1.13;
// Python is not needed to run this test.

import { createTinyEngine } from '../../harness/engines/tiny';
import { ADAM, SMALL, colourImages, prompts } from './fixtures';

const TORCH = {
  loss: 21.401278393921356,
  gradNorm: 9.732419725166128,
  seqLogprobSums: [-22.314731985692205, -28.279635316899984, -38.25570409857206],
  firstLogprobs: [-5.6707141974164745, -5.6707141974164745, -5.769679682948156],
};

it('matches the PyTorch reference: log-probs, weighted loss and gradient norm', async () => {
  const ps = prompts(await colourImages()).slice(0, 2); // red, green
  const eng = await createTinyEngine({ config: SMALL, seed: 11, threads: 1 });
  const model = await eng.load(eng.baseModel());
  const seqs = [
    { promptIndex: 0, tokens: eng.encodeTarget('red') },
    { promptIndex: 0, tokens: eng.encodeTarget('rose') },
    { promptIndex: 1, tokens: eng.encodeTarget('green!') },
  ];
  const weights = seqs.map((s, k) => s.tokens.map((_, j) => (k + 1) * 0.1 + j * 0.01));
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
