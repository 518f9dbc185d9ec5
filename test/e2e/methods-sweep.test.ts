// The built-in method plugins through runSweep with the double engine on a CoOp fixture: suite
// overrides reach the configs, training steps are stored with slash-namespaced reward names.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SuiteDef } from '../../harness/contracts';
import { runSweep } from '../../harness/runner/sweep';
import { Store } from '../../harness/store';
import { makeCoopFixture } from '../fixtures/coop';

const small = { maxSteps: 3, batchSize: 8 };
const suite: SuiteDef = {
  name: 'methods-e2e',
  description: 'every built-in method, tiny budgets',
  datasets: ['OxfordPets'],
  settings: [{ setting: 'few-shot', shots: [2], seeds: [1] }],
  methods: ['cls-rl', 'no-thinking-cls-rl', 'sft', 'zero-shot'],
  engine: 'double',
  methodConfig: { 'cls-rl': small, 'no-thinking-cls-rl': { ...small, beta: 0 }, sft: { maxSteps: 2, batchSize: 4 } },
};

describe('built-in methods in a sweep', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-methods-e2e-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('configs resolved, steps stored, every method evaluated', async () => {
    const fx = await makeCoopFixture(path.join(tmp, 'data'), { datasets: ['OxfordPets'] });
    const db = path.join(tmp, 'r.sqlite');
    const res = await runSweep({ suite, dataRoot: fx.root, db, jobs: 1 });
    expect(res.failed).toEqual([]);
    expect(res.ran).toBe(4);

    const store = Store.open(db, { readonly: true });
    try {
      const runs = Object.fromEntries(store.runs({ suite: suite.name }).map((r) => [r.method, r]));
      expect(runs['cls-rl'].spec.config.method).toMatchObject({ epochs: 50, groupSize: 4, beta: 0.04, lr: 1e-6, ...small });
      const rl = store.trainSteps(runs['cls-rl'].id);
      expect(rl).toHaveLength(3);
      expect(Object.keys(rl[0].rewards).sort()).toEqual(['reward/accuracy', 'reward/format']);
      expect(rl.every((s) => s.tokensGenerated > 0 && s.completionLength > 0)).toBe(true);
      const direct = store.trainSteps(runs['no-thinking-cls-rl'].id);
      expect(Object.keys(direct[0].rewards)).toEqual(['reward/equality']);
      expect(direct.map((s) => s.kl)).toEqual([0, 0, 0]);
      expect(store.trainSteps(runs.sft.id)).toHaveLength(2);
      expect(store.trainSteps(runs['zero-shot'].id)).toHaveLength(0);
      const evals = store.evaluations({ suite: suite.name });
      expect(new Set(evals.map((e) => e.method))).toEqual(new Set(suite.methods));
      expect(evals.every((e) => e.n === fx.datasets.OxfordPets.counts.test)).toBe(true);
    } finally {
      store.close();
    }
  });
});
