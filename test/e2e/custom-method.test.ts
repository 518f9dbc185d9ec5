// A method defined in this file, registered with registerMethod and run through runSweep on a
// generated CoOp fixture with the double engine, without touching the harness (docs/adding-a-method.md).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import type { MethodPlugin, SuiteDef } from '../../harness/contracts';
import { runSweep } from '../../harness/runner/sweep';
import { Store } from '../../harness/store';
import { budgetFields, optimizerConfig, optimizerFields, paperEpochs, parseConfig } from '../../methods/common';
import { planSteps, requireTrainingEngine } from '../../methods/grpo-loop';
import { getMethod, methodNames, registerMethod, unregisterMethod } from '../../methods/registry';
import { makeCoopFixture } from '../fixtures/coop';

// The guide's example: SFT on the class name, with half the weight on the end token.
const schema = z.object({
  epochs: z.number().int().min(1).default(50).describe('passes over the data; paper RL epochs per dataset'),
  ...budgetFields,
  batchSize: z.number().int().min(1).default(16).describe('questions per update'),
  lr: z.number().positive().default(1e-5).describe('learning rate (ours)'),
  ...optimizerFields,
});
type Config = z.infer<typeof schema>;
const defaults = (dataset: string): Config => ({ ...schema.parse({}), epochs: paperEpochs(dataset) });
let trainCalls = 0;

const halfEndSft: MethodPlugin<Config> = {
  meta: {
    name: 'half-end-sft', title: 'Half-end SFT', description: 'SFT on the label, end token at half weight (test plugin)',
    template: 'direct', trains: true, rewards: ['equality'],
  },
  defaults,
  validate: (partial, dataset) => parseConfig('half-end-sft', schema, defaults(dataset), partial),
  async train(ctx) {
    trainCalls++;
    requireTrainingEngine(ctx, 'half-end-sft');
    const plan = planSteps(ctx.train, ctx.config.batchSize, ctx.config.epochs, ctx.seed, ctx.config.maxSteps);
    const opt = ctx.engine.createOptimizer(ctx.model, optimizerConfig(ctx.config, plan.length));
    for (const [i, { epoch, questions }] of plan.entries()) {
      const seqs = questions.map((q, p) => ({ promptIndex: p, tokens: ctx.engine.encodeTarget(q.classname) }));
      const weights = seqs.map((s) => s.tokens.map((_, t) => (t === s.tokens.length - 1 ? 0.5 : 1) / (s.tokens.length * seqs.length)));
      const st = await ctx.engine.step(ctx.model, questions.map(ctx.prompt), seqs, weights, opt);
      ctx.hooks.onStepEnd?.({
        step: i + 1, epoch, loss: st.loss, rewards: {}, rewardStd: 0, completionLength: st.tokens / seqs.length,
        kl: 0, lr: st.lr, gradNorm: st.gradNorm, tokensGenerated: 0, wallMs: st.wallMs,
      });
      ctx.hooks.onProgress?.(i + 1, plan.length);
    }
    return { model: ctx.model, steps: plan.length, tokensGenerated: 0 };
  },
};

const suite: SuiteDef = {
  name: 'custom-method-e2e',
  description: 'zero-shot vs a method registered from a test file',
  datasets: ['Caltech101'],
  settings: [{ setting: 'few-shot', shots: [2], seeds: [1] }],
  methods: ['zero-shot', 'half-end-sft'],
  engine: 'double',
  // keyed by class folder, so what the double learns on train images carries over to test images
  engineConfig: { stateKey: 'dir' },
  methodConfig: { 'half-end-sft': { epochs: 8 } },
};

describe('a method registered from a test file runs through a sweep', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-custom-method-'));
    registerMethod(halfEndSft);
  });
  afterAll(() => {
    unregisterMethod('half-end-sft');
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('registered, planned, trained, evaluated, stored; a second sweep skips it', async () => {
    expect(methodNames()).toContain('half-end-sft');
    expect(getMethod('half-end-sft')).toBe(halfEndSft);
    const fx = await makeCoopFixture(path.join(tmp, 'data'), { datasets: ['Caltech101'] });
    const db = path.join(tmp, 'results.sqlite');

    const first = await runSweep({ suite, dataRoot: fx.root, db, jobs: 1 });
    expect(first.failed).toEqual([]);
    expect(first.ran).toBe(2);
    expect(trainCalls).toBe(1);

    const store = Store.open(db, { readonly: true });
    try {
      const rows = store.evaluations({ suite: suite.name });
      const byMethod = Object.fromEntries(rows.map((r) => [r.method, r]));
      expect(Object.keys(byMethod).sort()).toEqual(['half-end-sft', 'zero-shot']);
      const custom = byMethod['half-end-sft'];
      expect(custom.n).toBe(fx.datasets.Caltech101.counts.test);
      // 2 shots x 6 classes = 12 questions < batch 16: one update per epoch
      const run = store.runs({ suite: suite.name }).find((r) => r.method === 'half-end-sft')!;
      expect(run.spec.config.method).toMatchObject({ epochs: 8, lr: 1e-5, batchSize: 16 });
      const steps = store.trainSteps(run.id);
      expect(steps).toHaveLength(8);
      expect(steps[7].loss).toBeLessThan(steps[0].loss);
      // trained on every class folder: the double now answers every test image's class
      expect(custom.accuracy).toBe(100);
      expect(byMethod['zero-shot'].accuracy).toBeLessThan(100);
    } finally {
      store.close();
    }

    const second = await runSweep({ suite, dataRoot: fx.root, db, jobs: 1 });
    expect(second.ran).toBe(0);
    expect(second.skipped).toBe(2);
    expect(trainCalls).toBe(1);
  });
});
