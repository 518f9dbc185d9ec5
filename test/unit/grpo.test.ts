// GRPO/SFT arithmetic against values computed by hand (see the comments next to each number).

import {
  aggregationFactors, groupAdvantages, groupStats, grpoLoss, grpoTokenWeights, k3, meanKl, objectiveGrad,
  sampleStd, scalesAdvantages, sftTokenWeights, type GrpoBatch,
} from '../../harness/grpo';
import { ClsrlError } from '../../harness/errors';

const E = Math.E;

describe('group advantages', () => {
  test('unbiased std as torch.std', () => {
    // [1,0,0,0]: mean 0.25, squared deviations 0.5625 + 3*0.0625 = 0.75, /3 = 0.25, sqrt 0.5
    expect(sampleStd([1, 0, 0, 0])).toBeCloseTo(0.5, 12);
    expect(sampleStd([3])).toBeNaN();
    expect(groupStats([1, 0, 0, 0, 2, 2, 2, 2], 4)).toEqual({ mean: [0.25, 2], std: [0.5, 0] });
  });

  test('(r - mean) / (std + 1e-4) per group; equal rewards give zero advantage', () => {
    const a = groupAdvantages([1, 0, 0, 0, 2, 2, 2, 2], 4);
    expect(a[0]).toBeCloseTo(0.75 / 0.5001, 12); // 1.4997000...
    expect(a[1]).toBeCloseTo(-0.25 / 0.5001, 12);
    expect(a.slice(4)).toEqual([0, 0, 0, 0]);
    // unscaled (dr-grpo): r - mean
    expect(groupAdvantages([1, 0, 0, 0], 4, false)).toEqual([0.75, -0.25, -0.25, -0.25]);
    // G = 2: [2, 0] -> mean 1, std sqrt(2)
    expect(groupAdvantages([2, 0], 2)[0]).toBeCloseTo(1 / (Math.SQRT2 + 1e-4), 12);
  });

  test('bad group layout is a BAD_CONFIG error', () => {
    expect(() => groupAdvantages([1, 2, 3], 2)).toThrow(ClsrlError);
    expect(() => groupAdvantages([1, 2], 1)).toThrow(/groups of 1/);
  });
});

describe('KL and the per-token objective', () => {
  test('k3 estimator', () => {
    expect(k3(-1, -2)).toBeCloseTo(E - 2, 12); // d = 1: e - 1 - 1
    expect(k3(-2, -1)).toBeCloseTo(1 / E, 12); // d = -1: e^-1 + 1 - 1
    expect(k3(-0.7, -0.7)).toBe(0);
  });

  test('derivative A - beta (1 - exp(ref - logp))', () => {
    expect(objectiveGrad(1, -2, -1, 0.04)).toBeCloseTo(1 + 0.04 * (E - 1), 12);
    expect(objectiveGrad(0.5, -2, null, 0.04)).toBe(0.5);
    expect(objectiveGrad(0.5, -2, -1, 0)).toBe(0.5);
  });
});

describe('aggregation and token weights', () => {
  const batch = (lossType: GrpoBatch['lossType']): GrpoBatch => ({
    advantages: [1, -1],
    logprobs: [[-1, -2], [-1, -1, -1, -1]],
    refLogprobs: [[-1, -1], [-1, -1, -1, -1]],
    beta: 0.04,
    lossType,
    maxTokens: 8,
  });

  test('factors per loss type', () => {
    expect(aggregationFactors('grpo', [2, 4], 8)).toEqual([1 / 4, 1 / 8]); // 1/(len * N), N = 2
    expect(aggregationFactors('bnpo', [2, 4], 8)).toEqual([1 / 6, 1 / 6]); // 1/total tokens
    expect(aggregationFactors('dr-grpo', [2, 4], 8)).toEqual([1 / 16, 1 / 16]); // 1/(N * max tokens)
    expect(scalesAdvantages('grpo')).toBe(true);
    expect(scalesAdvantages('dr-grpo')).toBe(false);
  });

  test('grpo weights and loss by hand', () => {
    const w = grpoTokenWeights(batch('grpo'));
    expect(w[0][0]).toBeCloseTo(0.25, 12); // ref = logp: A / (2 * 2)
    expect(w[0][1]).toBeCloseTo(0.25 * (1 + 0.04 * (E - 1)), 12); // 0.2671828...
    expect(w[1]).toEqual([-0.125, -0.125, -0.125, -0.125]); // -1 / (4 * 2)
    // loss: seq0 -(1/4)(1 + 1 - 0.04 (e - 2)); seq1 +(1/8)*4 = 0.5; total 0.01 (e - 2)
    expect(grpoLoss(batch('grpo'))).toBeCloseTo(0.01 * (E - 2), 12);
  });

  test('weights are the gradient of -loss in the KL part (finite differences, A = 0)', () => {
    const b = { ...batch('grpo'), advantages: [0, 0], logprobs: [[-1.3, -2.1], [-0.4, -1, -0.2, -3]] };
    const w = grpoTokenWeights(b);
    const h = 1e-6;
    b.logprobs.forEach((row, i) => row.forEach((_, t) => {
      const bump = (d: number) => grpoLoss({ ...b, logprobs: b.logprobs.map((r, j) => r.map((x, s) => (j === i && s === t ? x + d : x))) });
      expect(-(bump(h) - bump(-h)) / (2 * h)).toBeCloseTo(w[i][t], 6);
    }));
  });

  test('beta = 0 needs no reference model', () => {
    const w = grpoTokenWeights({ ...batch('bnpo'), refLogprobs: null, beta: 0 });
    expect(w).toEqual([[1 / 6, 1 / 6], [-1 / 6, -1 / 6, -1 / 6, -1 / 6]]);
  });

  test('mean KL: token mean per sequence, then sequence mean', () => {
    const b = batch('grpo');
    expect(meanKl(b.logprobs, b.refLogprobs!)).toBeCloseTo((E - 2) / 4, 12); // ((0 + (e-2))/2 + 0)/2
  });

  test('SFT weights 1/(len * N)', () => {
    expect(sftTokenWeights([2, 4])).toEqual([[0.25, 0.25], [0.125, 0.125, 0.125, 0.125]]);
  });
});
