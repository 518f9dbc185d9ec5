// Method plugins: registry, config defaults and validation messages, and training with the double
// engine (GRPO raises the mean reward, SFT raises the label's probability, runs are deterministic).

import type { Engine, PromptInput, Question, TemplateKind, TrainContext, TrainStepRecord } from '../../harness/contracts';
import { ClsrlError } from '../../harness/errors';
import { createDoubleEngine } from '../../harness/engines/double';
import { getMethod, listMethods, methodNames, registerMethod } from '../../methods/registry';
import { clsRl } from '../../methods/cls-rl';
import { noThinkingClsRl } from '../../methods/no-thinking-cls-rl';
import { sft } from '../../methods/sft';
import { zeroShot } from '../../methods/zero-shot';
import { planSteps } from '../../methods/grpo-loop';
import { meanKl } from '../../harness/grpo';

const SUFFIX: Record<TemplateKind, string> = {
  think: '\n Please output the thinking process in <think> </think> and final answer in <answer> </answer> tags.',
  direct: '\n Please directly output the answer.',
};

const CLASSES = ['abyssinian', 'beagle', 'boxer', 'chihuahua', 'pug'];
function questions(n: number): Question[] {
  return Array.from({ length: n }, (_, i) => {
    const classname = CLASSES[i % CLASSES.length];
    const candidates = [...CLASSES.slice(i % 3), ...CLASSES.slice(0, i % 3)];
    return {
      id: `Pets/train/${i}`, dataset: 'Pets', image: `/data/pets/img_${i}.jpg`, imageRel: `pets/img_${i}.jpg`,
      label: i % CLASSES.length, classname, candidates,
      problem: `What type of object is in the photo?\n Please choose one from list [ ${candidates.join(', ')}].`,
    };
  });
}

async function context<C>(engine: Engine, template: TemplateKind, config: C, train: Question[], steps: TrainStepRecord[]): Promise<TrainContext<C>> {
  return {
    engine,
    model: await engine.load(engine.baseModel()),
    config,
    train,
    prompt: (q): PromptInput => ({ id: q.id, image: q.image, text: q.problem + SUFFIX[template] }),
    seed: 1,
    dataset: 'Pets',
    workDir: '/nonexistent',
    hooks: { onStepEnd: (r) => steps.push(r) },
  };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const totalReward = (r: TrainStepRecord) => Object.values(r.rewards).reduce((a, b) => a + b, 0);

describe('registry', () => {
  test('built-ins sorted, paper keys, unknown names with suggestions', () => {
    expect(methodNames()).toEqual(expect.arrayContaining(['cls-rl', 'no-thinking-cls-rl', 'sft', 'zero-shot']));
    expect(listMethods().map((m) => m.meta.name)).toEqual([...methodNames()]);
    expect(['zero-shot', 'sft', 'cls-rl', 'no-thinking-cls-rl'].map((n) => getMethod(n).meta.paperKey))
      .toEqual(['zero_shot', 'SFT', 'CLS-RL', 'No-Thinking-CLS-RL']);
    try {
      getMethod('cls_rl');
      throw new Error('no throw');
    } catch (e) {
      expect(e).toBeInstanceOf(ClsrlError);
      expect((e as ClsrlError).code).toBe('UNKNOWN_NAME');
      expect((e as ClsrlError).hint).toMatch(/did you mean 'cls-rl'/);
    }
  });

  test('registerMethod refuses built-in and malformed names', () => {
    expect(() => registerMethod({ ...zeroShot, meta: { ...zeroShot.meta } })).toThrow(/built in/);
    expect(() => registerMethod({ ...zeroShot, meta: { ...zeroShot.meta, name: 'My Method' } })).toThrow(/kebab-case/);
  });
});

describe('configs', () => {
  test('paper defaults per dataset', () => {
    expect(['ImageNet', 'SUN397', 'EuroSAT', 'DTD', 'Caltech101'].map((d) => clsRl.defaults(d).epochs)).toEqual([10, 25, 100, 50, 50]);
    expect(clsRl.defaults('DTD')).toMatchObject({
      groupSize: 4, batchSize: 64, beta: 0.04, lr: 1e-6, temperature: 1, maxCompletionTokens: 1024, lossType: 'grpo', maxSteps: 0,
    });
    const { mathVerify, ...grpoShared } = clsRl.defaults('EuroSAT');
    expect(mathVerify).toBe(true); // the paper's grpo.py runs math_verify before the string match
    expect(noThinkingClsRl.defaults('EuroSAT')).toEqual(grpoShared);
    expect(clsRl.validate({ mathVerify: false }, 'EuroSAT').mathVerify).toBe(false);
    expect(() => noThinkingClsRl.validate({ mathVerify: false }, 'EuroSAT')).toThrow(/no config field 'mathVerify'/);
    expect(sft.defaults('SUN397')).toMatchObject({ epochs: 25, lr: 1e-5, batchSize: 16, target: 'label' });
    expect(zeroShot.validate({}, 'DTD')).toEqual({});
  });

  test('validate fills defaults and keeps overrides', () => {
    expect(clsRl.validate({ epochs: 2, maxSteps: 3 }, 'ImageNet')).toMatchObject({ epochs: 2, maxSteps: 3, beta: 0.04 });
    expect(clsRl.validate(undefined, 'ImageNet').epochs).toBe(10);
  });

  test('messages say what to change', () => {
    const bad = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(ClsrlError);
        expect((e as ClsrlError).code).toBe('BAD_CONFIG');
        return `${(e as Error).message} | ${(e as ClsrlError).hint}`;
      }
      throw new Error('expected a BAD_CONFIG error');
    };
    expect(bad(() => clsRl.validate({ batchSize: 10 }, 'DTD'))).toMatch(/batchSize 10 is not a multiple of groupSize 4.*e\.g\. 8 or 12/);
    expect(bad(() => clsRl.validate({ groupSize: 1 }, 'DTD'))).toMatch(/'groupSize'.*>= 2/);
    expect(bad(() => clsRl.validate({ temperature: 0 }, 'DTD'))).toMatch(/temperature > 0/);
    expect(bad(() => clsRl.validate({ lossType: 'ppo' }, 'DTD'))).toMatch(/'lossType'/);
    expect(bad(() => sft.validate({ learningRate: 1 }, 'DTD'))).toMatch(/no config field 'learningRate'.*fields: epochs/);
    expect(bad(() => zeroShot.validate({ epochs: 1 }, 'DTD'))).toMatch(/zero-shot.*'epochs'/);
    expect(bad(() => sft.validate('fast', 'DTD'))).toMatch(/must be an object/);
  });
});

describe('training with the double engine', () => {
  test('plan: seeded shuffles per epoch, short last batch, maxSteps cap', () => {
    const qs = questions(5);
    const plan = planSteps(qs, 2, 3, 7, 0);
    expect(plan.map((p) => p.questions.length)).toEqual([2, 2, 1, 2, 2, 1, 2, 2, 1]);
    expect(new Set(plan.slice(0, 3).flatMap((p) => p.questions.map((q) => q.id))).size).toBe(5);
    expect(planSteps(qs, 2, 3, 7, 4)).toHaveLength(4);
    expect(planSteps(qs, 2, 3, 7, 0)).toEqual(plan);
  });

  test('CLS-RL raises the mean reward; records are complete and deterministic', async () => {
    const run = async () => {
      const engine = await createDoubleEngine({});
      const steps: TrainStepRecord[] = [];
      const cfg = clsRl.validate({ epochs: 40, batchSize: 8, lr: 1e-5 }, 'Pets');
      const ctx = await context(engine, 'think', cfg, questions(4), steps);
      const res = await clsRl.train(ctx);
      return { res, steps };
    };
    const { res, steps } = await run();
    expect(res.steps).toBe(80); // 4 questions / 2 prompts per step x 40 epochs
    expect(steps).toHaveLength(80);
    expect(Object.keys(steps[0].rewards).sort()).toEqual(['reward/accuracy', 'reward/format']);
    const first = mean(steps.slice(0, 10).map(totalReward));
    const last = mean(steps.slice(-10).map(totalReward));
    expect(last).toBeGreaterThan(first + 0.5);
    expect(steps.some((s) => s.kl > 0)).toBe(true);
    expect(steps.every((s) => s.tokensGenerated > 0 && s.completionLength > 0 && Number.isFinite(s.loss))).toBe(true);
    expect(res.tokensGenerated).toBe(steps.reduce((a, s) => a + s.tokensGenerated, 0));
    const again = await run();
    const strip = (r: TrainStepRecord) => ({ ...r, wallMs: 0 });
    expect(again.steps.map(strip)).toEqual(steps.map(strip));
  });

  test('No-Thinking learns the exact answer (equality reward only)', async () => {
    const engine = await createDoubleEngine({ templatePrior: 'uniform' });
    const steps: TrainStepRecord[] = [];
    const cfg = noThinkingClsRl.validate({ epochs: 40, batchSize: 8, maxSteps: 60 }, 'Pets');
    await noThinkingClsRl.train(await context(engine, 'direct', cfg, questions(4), steps));
    expect(steps).toHaveLength(60);
    expect(Object.keys(steps[0].rewards)).toEqual(['reward/equality']);
    expect(mean(steps.slice(-10).map(totalReward))).toBeGreaterThan(mean(steps.slice(0, 10).map(totalReward)) + 0.3);
  });

  test('beta = 0 trains without a reference model and reports zero KL', async () => {
    const engine = await createDoubleEngine({});
    const freeze = jest.spyOn(engine, 'freeze');
    const steps: TrainStepRecord[] = [];
    await clsRl.train(await context(engine, 'think', clsRl.validate({ beta: 0, maxSteps: 2, batchSize: 8 }, 'Pets'), questions(4), steps));
    expect(freeze).not.toHaveBeenCalled();
    expect(steps.map((s) => s.kl)).toEqual([0, 0]);
  });

  test("GRPO takes the current policy's log-probs from generation: the reference is the only extra forward pass", async () => {
    const engine = await createDoubleEngine({});
    const logprobs = jest.spyOn(engine, 'logprobs');
    const steps: TrainStepRecord[] = [];
    const ctx = await context(engine, 'think', clsRl.validate({ maxSteps: 3, batchSize: 8, lr: 1e-5 }, 'Pets'), questions(4), steps);
    await clsRl.train(ctx);
    expect(logprobs).toHaveBeenCalledTimes(3);
    expect(logprobs.mock.calls.every(([m]) => m !== ctx.model)).toBe(true);
    expect(steps.some((s) => s.kl > 0)).toBe(true);

    // The logged KL is the one recomputed from logprobs() on the policy (what a second forward would give).
    const spied = await createDoubleEngine({});
    let recomputed = 0;
    const gen = spied.generate.bind(spied);
    const steps2: TrainStepRecord[] = [];
    const ctx2 = await context(spied, 'think', clsRl.validate({ maxSteps: 1, batchSize: 8, lr: 1e-5 }, 'Pets'), questions(4), steps2);
    jest.spyOn(spied, 'generate').mockImplementation(async (m, ps, o) => {
      const groups = await gen(m, ps, o);
      const seqs = groups.flatMap((g, i) => g.map((c) => ({ promptIndex: i, tokens: c.tokens })));
      const pol = await spied.logprobs(m, ps, seqs);
      const ref = await spied.logprobs(await spied.freeze(await spied.load(spied.baseModel())), ps, seqs);
      recomputed = meanKl(pol, ref);
      return groups;
    });
    await clsRl.train(ctx2);
    expect(steps2[0].kl).toBeCloseTo(recomputed, 12);

    // An engine that reports no per-token log-probs cannot train with GRPO.
    const broken = await createDoubleEngine({});
    const g3 = broken.generate.bind(broken);
    jest.spyOn(broken, 'generate').mockImplementation(async (m, ps, o) => (await g3(m, ps, o)).map((g) => g.map((c) => ({ ...c, logprobs: [] }))));
    const ctx3 = await context(broken, 'think', clsRl.validate({ maxSteps: 1, batchSize: 8 }, 'Pets'), questions(4), []);
    await expect(clsRl.train(ctx3)).rejects.toThrow(/completion 0 has \d+ tokens but 0 finite log-probs/);
  });

  test('SFT raises the probability of the label', async () => {
    const engine = await createDoubleEngine({});
    const qs = questions(5);
    const steps: TrainStepRecord[] = [];
    const ctx = await context(engine, 'direct', sft.validate({ epochs: 3 }, 'Pets'), qs, steps);
    const seqs = qs.map((q, i) => ({ promptIndex: i, tokens: engine.encodeTarget(q.classname) }));
    const prompts = qs.map(ctx.prompt);
    const logp = async () => (await engine.logprobs(ctx.model, prompts, seqs)).map((r) => r.reduce((a, b) => a + b, 0));
    const before = await logp();
    const res = await sft.train(ctx);
    const after = await logp();
    expect(res.steps).toBe(3);
    after.forEach((lp, i) => expect(lp).toBeGreaterThan(before[i]));
    expect(steps[2].loss).toBeLessThan(steps[0].loss);
  });

  test("SFT style paper trains the paper's sft.py pair: system prompt + bare problem -> <answer>label</answer>", async () => {
    const engine = await createDoubleEngine({});
    const seen: { text: string; target: number[] }[] = [];
    const step = engine.step.bind(engine);
    engine.step = async (model, prompts, seqs, weights, opt) => {
      prompts.forEach((p, i) => seen.push({ text: p.text, target: seqs[i].tokens }));
      return step(model, prompts, seqs, weights, opt);
    };
    const qs = questions(2);
    const ctx = await context(engine, 'direct', sft.validate({ epochs: 1, style: 'paper' }, 'Pets'), qs, []);
    await sft.train(ctx);
    const byText = new Map(seen.map((s) => [s.text, s.target]));
    for (const q of qs) {
      const text = `Output the thinking process in <think> </think> and final answer in <answer> </answer> tags.\n${q.problem}`;
      expect(byText.get(text)).toEqual(engine.encodeTarget(`<answer>${q.classname}</answer>`));
    }
    // style direct (the default): the method's template and the class name
    seen.length = 0;
    await sft.train(await context(engine, 'direct', sft.validate({ epochs: 1 }, 'Pets'), qs, []));
    expect(seen.map((s) => s.text).sort()).toEqual(qs.map((q) => `${q.problem}${SUFFIX.direct}`).sort());
    expect(sft.defaults('Pets').style).toBe('direct');
    expect(() => sft.validate({ style: 'chat' }, 'Pets')).toThrow(/style/);
  });

  test('zero-shot returns the base model untouched', async () => {
    const engine = await createDoubleEngine({});
    const ctx = await context(engine, 'think', {}, questions(2), []);
    const res = await zeroShot.train(ctx);
    expect(res).toEqual({ model: ctx.model, steps: 0, tokensGenerated: 0 });
  });

  test('an engine that cannot train gives an ENGINE error', async () => {
    const engine = { ...(await createDoubleEngine({})), trains: false, name: 'server' };
    const ctx = await context(engine, 'think', clsRl.defaults('Pets'), questions(2), []);
    await expect(clsRl.train(ctx)).rejects.toThrow(/cannot train in-process/);
  });
});
