// Whole-model gradient check: the float64 build of the tiny VLM train graph (vision encoder, shared
// prompt stream, completions over N samples, tied head, weighted log-prob loss) against central finite differences on sampled parameters.

import { ort } from '../../harness/onnx/ort';
import { dims, resolveConfig } from '../../harness/engines/tiny/config';
import { buildGroupGraph } from '../../harness/engines/tiny/train-graph';
import { initParams, layout } from '../../harness/engines/tiny/params';
import { rng } from './gradcheck';

it('tiny model gradients match finite differences (float64)', async () => {
  const cfg = resolveConfig({ dModel: 8, nHeads: 2, nLayers: 2, visionLayers: 1, mlpRatio: 2, imageSize: 8, patchSize: 4, maxContext: 16 });
  const d = dims(cfg);
  const lay = layout(cfg);
  const [G, N, Tp, Tc] = [2, 2, 3, 4];
  const Sp = d.P + Tp;
  const g = buildGroupGraph(cfg, G, N, Tp, Tc, true, 'float64');
  const sess = await ort.InferenceSession.create(g.toModel(), { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
  const r = rng(7);
  const params = Float64Array.from(initParams(lay, 3), (x) => x * 10); // larger weights: non-trivial gradients
  const tok = (n: number) => BigInt64Array.from({ length: n }, () => BigInt(Math.floor(r() * d.V)));
  const patches = Float64Array.from({ length: G * d.P * d.PD }, () => r());
  const pmask = Float64Array.from({ length: G * Sp }, (_, i) => (i === Sp - 1 ? -1e9 : 0)); // prompt 0 has one pad slot
  const cpos = BigInt64Array.from({ length: G * Tc }, (_, i) => BigInt(Sp - 1 + (i % Tc)));
  const weights = Float64Array.from({ length: G * N * Tc }, () => r());
  const [ptokD, ctok, ctgt] = [tok(G * Tp), tok(G * N * Tc), tok(G * N * Tc)];
  const feeds = (): Record<string, ort.Tensor> => {
    const f: Record<string, ort.Tensor> = {
      patches: new ort.Tensor('float64', patches, [G, d.P, d.PD]),
      ptok: new ort.Tensor('int64', ptokD, [G, Tp]),
      pmask: new ort.Tensor('float64', pmask, [G, 1, 1, 1, Sp]),
      ctok: new ort.Tensor('int64', ctok, [G, N, Tc]),
      cpos: new ort.Tensor('int64', cpos, [G, Tc]),
      ctgt: new ort.Tensor('int64', ctgt, [G, N, Tc]),
      cw: new ort.Tensor('float64', weights, [G, N, Tc]),
    };
    for (const s of lay.specs) f[s.name] = new ort.Tensor('float64', params.subarray(s.offset, s.offset + s.size), s.shape);
    return f;
  };
  const out = await sess.run(feeds());
  let worst = 0;
  const h = 1e-5;
  for (const s of lay.specs) {
    const an = out[`d_${s.name}`].data as Float64Array;
    let scale = 1e-6;
    for (const v of an) scale = Math.max(scale, Math.abs(v));
    for (let k = 0; k < 3; k++) {
      const j = Math.floor(r() * s.size);
      const i = s.offset + j;
      const x0 = params[i];
      params[i] = x0 + h;
      const lp = ((await sess.run(feeds())).loss.data as Float64Array)[0];
      params[i] = x0 - h;
      const lm = ((await sess.run(feeds())).loss.data as Float64Array)[0];
      params[i] = x0;
      worst = Math.max(worst, Math.abs((lp - lm) / (2 * h) - an[j]) / scale);
    }
  }
  await sess.release();
  expect(worst).toBeLessThan(1e-5);
});
