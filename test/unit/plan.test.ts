// Unit tests of sweep planning (suite -> RunSpec[]) and of suite loading/validation.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { MethodPlugin, SuiteDef } from '../../harness/contracts';
import { ClsrlError, unknownName } from '../../harness/errors';
import { legacyRunId, planDatasets, planSweep, suiteEngineConfig } from '../../harness/runner/plan';
import { parseSweepFlags } from '../../harness/runner/options';
import { kindsOf } from '../../harness/engines/options';
import { TRL_OPTIONS } from '../../harness/engines/trl/options';
import { stableStringify } from '../../harness/runner/hash';
import { getSuite, loadSuite, suiteNames } from '../../suites/registry';
import { getMethod as realMethod } from '../../methods/registry';

/** Method plugins shaped like the real ones, so planning is tested without the methods package. */
function fakeMethod(name: string, trains: boolean): MethodPlugin<object> {
  return {
    meta: { name, title: name, description: '', template: 'think', trains, rewards: ['accuracy'] },
    defaults: (ds) => ({ epochs: ds === 'EuroSAT' ? 100 : 50, lr: 1e-6 }),
    validate(partial, ds) {
      const c = { ...this.defaults(ds), ...(partial as object) } as { epochs: number; lr: number };
      if (!(c.epochs > 0)) throw new ClsrlError('BAD_CONFIG', `epochs must be > 0, got ${c.epochs}`, { hint: 'set epochs >= 1' });
      return c;
    },
    train: async () => {
      throw new Error('not used');
    },
  };
}
const METHODS: Record<string, MethodPlugin<object>> = {
  'zero-shot': fakeMethod('zero-shot', false),
  sft: fakeMethod('sft', true),
  'cls-rl': fakeMethod('cls-rl', true),
  'no-thinking-cls-rl': fakeMethod('no-thinking-cls-rl', true),
};
const getMethod = (n: string) => METHODS[n] ?? (() => { throw unknownName('method', n, Object.keys(METHODS)); })();

test('paper-fewshot: one zero-shot spec per dataset, trained methods x seeds, transfer to the 10 others', () => {
  const specs = planSweep({ suite: getSuite('paper-fewshot'), engine: 'double', getMethod });
  expect(specs).toHaveLength(11 + 3 * 11 * 3);
  const zs = specs.filter((s) => s.method === 'zero-shot');
  expect(zs).toHaveLength(11);
  expect(zs.every((s) => s.shots === 0 && s.seed === 0 && s.transferTo.length === 0)).toBe(true);
  const rl = specs.filter((s) => s.method === 'cls-rl' && s.dataset === 'EuroSAT');
  expect(rl.map((s) => [s.shots, s.seed])).toEqual([[4, 1], [4, 2], [4, 3]]);
  expect(rl[0].transferTo).toHaveLength(10);
  expect(rl[0].transferTo).not.toContain('EuroSAT');
  expect(rl[0].config.method).toEqual({ epochs: 100, lr: 1e-6 });
  expect(rl[0].config.prompt).toEqual({ candidateRule: 'code', evalSplit: 'test+val', evalPromptSeed: 100, evalLimit: 0 });
  expect(new Set(specs.map((s) => s.id)).size).toBe(specs.length);
  expect(specs.every((s) => /^[0-9a-f]{16}$/.test(s.id))).toBe(true);
  expect(planDatasets(specs)[0]).toBe('ImageNet');
});

test('paper-b2n has no transfer and the paper dataset order', () => {
  const specs = planSweep({ suite: getSuite('paper-b2n'), engine: 'double', getMethod });
  expect(specs).toHaveLength(110);
  expect(specs.every((s) => s.setting === 'base-to-new' && s.transferTo.length === 0)).toBe(true);
  expect([...new Set(specs.map((s) => s.dataset))]).toEqual(getSuite('paper-b2n').datasets);
});

test('smoke (npm start): all four methods on both settings, each setting on its own task', () => {
  const specs = planSweep({ suite: getSuite('smoke'), engine: 'tiny', getMethod });
  const methods = ['zero-shot', 'sft', 'cls-rl', 'no-thinking-cls-rl'];
  expect(specs.map((s) => `${s.setting}/${s.dataset}/${s.method}`)).toEqual([
    ...methods.map((m) => `base-to-new/SynthActions/${m}`),
    ...methods.map((m) => `few-shot/SynthFlowers/${m}`),
  ]);
});

test('ids are deterministic, content-addressed, and stable under narrowing filters', () => {
  const suite = getSuite('paper-fewshot');
  const a = planSweep({ suite, engine: 'double', getMethod });
  const b = planSweep({ suite: JSON.parse(JSON.stringify(suite)), engine: 'double', getMethod });
  expect(b.map((s) => s.id)).toEqual(a.map((s) => s.id));
  const narrow = planSweep({ suite, engine: 'double', getMethod, datasets: ['EuroSAT'], methods: ['cls-rl'], seeds: [2] });
  expect(narrow).toHaveLength(1);
  expect(a.find((s) => s.id === narrow[0].id)).toEqual(narrow[0]);
  const changed = planSweep({ suite: { ...suite, methodConfig: { 'cls-rl': { epochs: 3 } } }, engine: 'double', getMethod, datasets: ['EuroSAT'], methods: ['cls-rl'], seeds: [2] });
  expect(changed[0].id).not.toBe(narrow[0].id);
  const otherEngine = planSweep({ suite, engine: 'double', engineFingerprint: 'w2', getMethod, datasets: ['EuroSAT'], methods: ['cls-rl'], seeds: [2] });
  expect(otherEngine[0].id).not.toBe(narrow[0].id);
  // zero-shot does not depend on seeds or shots
  const zs1 = planSweep({ suite, engine: 'double', getMethod, methods: ['zero-shot'], seeds: [7], shots: [16] });
  expect(zs1.map((s) => s.id)).toEqual(a.filter((s) => s.method === 'zero-shot').map((s) => s.id));
});

test('filters that name unknown things fail with a hint', () => {
  const suite = getSuite('paper-b2n');
  const err = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e as ClsrlError;
    }
    throw new Error('expected a throw');
  };
  const e1 = err(() => planSweep({ suite, engine: 'double', getMethod, datasets: ['EuroSat'] }));
  expect(e1.code).toBe('UNKNOWN_NAME');
  expect(e1.hint).toMatch(/did you mean 'EuroSAT'/);
  expect(err(() => planSweep({ suite, engine: 'double', getMethod, methods: ['cls_rl'] })).message).toMatch(/unknown method 'cls_rl'/);
  expect(err(() => planSweep({ suite, engine: 'double', getMethod, settings: ['few-shot'] })).code).toBe('UNKNOWN_NAME');
  const bad = err(() => planSweep({ suite: { ...suite, methodConfig: { sft: { epochs: 0 } } }, engine: 'double', getMethod }));
  expect(bad.message).toMatch(/method 'sft', dataset 'ImageNet': epochs must be > 0/);
});

test('stableStringify sorts keys and ignores undefined', () => {
  expect(stableStringify({ b: 1, a: [{ d: 2, c: undefined, e: 3 }] })).toBe('{"a":[{"d":2,"e":3}],"b":1}');
});

describe('suite files', () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-suite-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, body: unknown) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, typeof body === 'string' ? body : JSON.stringify(body));
    return f;
  };
  const good: SuiteDef = {
    name: 'mine', description: 'x', datasets: ['EuroSAT', 'DescribableTextures'],
    settings: [{ setting: 'few-shot', shots: [2], seeds: [1], transfer: true }], methods: ['zero-shot', 'sft'],
  };

  test('a valid JSON suite loads and plans', () => {
    const suite = loadSuite(write('ok.json', good));
    expect(planSweep({ suite, engine: 'double', getMethod })).toHaveLength(2 + 2);
  });

  test("a setting's own datasets narrow it; transfer targets stay the whole suite", () => {
    const suite = loadSuite(write('per-setting.json', {
      ...good,
      datasets: ['EuroSAT', 'DescribableTextures', 'OxfordPets'],
      settings: [
        { setting: 'few-shot', shots: [2], seeds: [1], transfer: true, datasets: ['EuroSAT'] },
        { setting: 'base-to-new', shots: [2], seeds: [1], datasets: ['DescribableTextures', 'OxfordPets'] },
      ],
    }));
    const specs = planSweep({ suite, engine: 'double', getMethod });
    const cells = specs.map((s) => `${s.setting}/${s.dataset}/${s.method}`);
    expect(cells).toEqual([
      'few-shot/EuroSAT/zero-shot', 'few-shot/EuroSAT/sft',
      'base-to-new/DescribableTextures/zero-shot', 'base-to-new/DescribableTextures/sft',
      'base-to-new/OxfordPets/zero-shot', 'base-to-new/OxfordPets/sft',
    ]);
    expect(specs[1].transferTo).toEqual(['DescribableTextures', 'OxfordPets']);
    // --datasets narrows further; a filter that leaves a setting nothing drops it, one that leaves nothing fails
    expect(planSweep({ suite, engine: 'double', getMethod, datasets: ['OxfordPets'] }).map((s) => s.setting)).toEqual(['base-to-new', 'base-to-new']);
    expect(() => planSweep({ suite, engine: 'double', getMethod, datasets: ['OxfordPets'], settings: ['few-shot'] })).toThrow(/leave nothing to run/);
    const bad = (datasets: string[]) => loadSuite(write('bad-own.json', { ...good, settings: [{ ...good.settings[0], datasets }] }));
    expect(() => bad(['Food101'])).toThrow(/settings\.0\.datasets names 'Food101', which is not in the suite's datasets/);
    expect(() => bad(['EuroSAT', 'EuroSAT'])).toThrow(/settings\.0\.datasets lists 'EuroSAT' twice/);
    expect(() => bad([])).toThrow(/settings\.0\.datasets/);
  });

  test('a .ts suite file exporting `suite` loads', () => {
    const f = write('s.ts', `exports.suite = ${JSON.stringify({ ...good, name: 'ts-suite' })};`);
    expect(loadSuite(f).name).toBe('ts-suite');
  });

  test('bad suite files name the field and give a hint', () => {
    const bad = { ...good, settings: [{ setting: 'fewshot', shots: [0], seeds: [1] }], extra: 1 };
    const f = write('bad.json', bad);
    expect(() => loadSuite(f)).toThrow(/bad\.json is not a valid suite: .*settings\.0\.setting.*settings\.0\.shots\.0/);
    expect(() => loadSuite(write('syntax.json', '{"name": '))).toThrow(/cannot read suite file/);
    expect(() => loadSuite(path.join(dir, 'nope.json'))).toThrow(/does not exist/);
    expect(() => loadSuite(write('dup.json', { ...good, methods: ['sft', 'sft'] }))).toThrow(/'sft' twice/);
  });

  test('unknown registered names suggest close ones', () => {
    expect(suiteNames()).toEqual(expect.arrayContaining(['paper-b2n', 'paper-fewshot']));
    expect(() => loadSuite('paper-fewshoot')).toThrow(/unknown suite 'paper-fewshoot'/);
  });
});

describe('run ids leave operational engine options out', () => {
  const realMethods = () => require('../../methods/registry').getMethod as (n: string) => MethodPlugin<object>;
  // Ids of the smoke and replica plans on the shipped tiny checkpoint (fingerprint 654fc01a974542c7) as
  // databases made before engine options had kinds store them: they must not change.
  test('stored tiny-engine ids are unchanged', () => {
    const { TINY_OPTIONS } = require('../../harness/engines/tiny/options');
    const kinds = kindsOf(TINY_OPTIONS);
    const plan = (suite: string) =>
      planSweep({ suite: loadSuite(suite), engine: 'tiny', engineFingerprint: '654fc01a974542c7', engineOptionKinds: kinds, getMethod: realMethods() })
        .slice(0, 4).map((s) => s.id);
    expect(plan('smoke')).toEqual(['a99d6faa354de0be', '562e16b534bccdde', '1be0f2e0844d9519', 'ee775400b44e4028']);
    expect(plan('replica-b2n')).toEqual(['3f47935b398fbf82', '272342b4cb69ed6b', '6ad459b88c5a8789', 'f17c3007d64dd57b']);
  });

  test('operational options keep the id (and stay in the spec); result options change it', () => {
    const suite = getSuite('paper-fewshot');
    const kinds = kindsOf(TRL_OPTIONS);
    const plan = (engineConfig: Record<string, unknown>) =>
      planSweep({ suite, engine: 'trl', engineConfig, engineFingerprint: 'f', engineOptionKinds: kinds, getMethod, datasets: ['EuroSAT'], seeds: [1], methods: ['cls-rl'] })[0];
    const base = plan({});
    for (const op of [{ baseUrl: 'http://127.0.0.1:8000/v1' }, { vllm: true }, { writeOnly: true }, { gpus: 1, nodes: 2 }, { concurrency: 4, cache: 'off' }, { launcher: 'srun' }]) {
      const s = plan(op);
      expect([op, s.id]).toEqual([op, base.id]);
      expect(s.config.engine).toEqual({ ...base.config.engine, ...op }); // the resolved config still records what was used (the suite's trl defaults included)
    }
    for (const res of [{ model: 'Qwen/Qwen2-VL-7B-Instruct' }, { attnImplementation: 'sdpa' }, { maxPixels: 1000 }, { repetitionPenalty: 1 }, { imageSize: 512 }, { somethingNew: 1 }]) {
      expect([res, plan(res).id]).not.toEqual([res, base.id]);
    }
    // without declared kinds (an engine that has none) every option counts
    expect(planSweep({ suite, engine: 'trl', engineConfig: { vllm: true }, engineFingerprint: 'f', getMethod, datasets: ['EuroSAT'], seeds: [1], methods: ['cls-rl'] })[0].id).not.toBe(base.id);
  });

  test('legacyRunId is the id every option used to give (what a sweep adopts stored runs from)', () => {
    const suite = getSuite('paper-fewshot');
    const args = { suite, engine: 'trl', engineFingerprint: 'f', getMethod, datasets: ['EuroSAT'], seeds: [1], methods: ['cls-rl'] };
    const old = planSweep({ ...args, engineConfig: { vllm: true } })[0]; // no kinds: the old hashing
    const now = planSweep({ ...args, engineConfig: { vllm: true }, engineOptionKinds: kindsOf(TRL_OPTIONS) })[0];
    expect(now.id).not.toBe(old.id);
    expect(legacyRunId(now, 'f')).toBe(old.id);
    const plain = planSweep({ ...args, engineOptionKinds: kindsOf(TRL_OPTIONS) })[0];
    expect(legacyRunId(plain, 'f')).toBe(plain.id);
  });
});
describe('run ids of stored runs survive options added later (legacyConfig)', () => {
  const SMALL: SuiteDef = {
    name: 'small',
    description: '',
    datasets: ['EuroSAT'],
    settings: [{ setting: 'few-shot', shots: [4], seeds: [1] }],
    methods: ['cls-rl'],
  };
  // Ids of the synthetic suites' runs as planned before mathVerify, sft style and the paper suites' defaults
  // existed (commit ffa5f76, engine fingerprint 'pinned'): databases holding these runs must keep finding them.
  const BEFORE: Record<string, [string, string, string, string][]> = {
    smoke: [
      ['zero-shot', 'SynthActions', 'base-to-new', '07a60c908edc950c'], ['sft', 'SynthActions', 'base-to-new', 'a09e90dbbf3be74c'],
      ['cls-rl', 'SynthActions', 'base-to-new', '00baf447c6a3d68e'], ['no-thinking-cls-rl', 'SynthActions', 'base-to-new', '3bae35f7f37f39a0'],
      ['zero-shot', 'SynthFlowers', 'few-shot', '35de4a5a25ba2177'], ['sft', 'SynthFlowers', 'few-shot', '54468da35f3f310b'],
      ['cls-rl', 'SynthFlowers', 'few-shot', '3998824c962334f6'], ['no-thinking-cls-rl', 'SynthFlowers', 'few-shot', '5a657fca8f00d850'],
    ],
    'replica-b2n': [
      ['zero-shot', 'SynthCars', 'base-to-new', '2c066438bf2cf1d9'], ['sft', 'SynthCars', 'base-to-new', '922860a5e4098fa3'],
      ['cls-rl', 'SynthCars', 'base-to-new', '747ee7020a4def81'], ['no-thinking-cls-rl', 'SynthCars', 'base-to-new', 'a12833afc50ab86e'],
    ],
    'replica-fewshot': [
      ['zero-shot', 'SynthCars', 'few-shot', '058fa91e35686072'], ['sft', 'SynthCars', 'few-shot', '3c8f1c55c31cfa8d'],
      ['cls-rl', 'SynthCars', 'few-shot', '74211816d25fe84c'], ['no-thinking-cls-rl', 'SynthCars', 'few-shot', '1e2498be07d1063d'],
    ],
  };
  test.each(Object.keys(BEFORE))('%s', (name) => {
    const specs = planSweep({ suite: getSuite(name), engine: 'tiny', engineFingerprint: 'pinned', getMethod: realMethod });
    const got = specs.filter((s) => s.seed <= 1 && (name === 'smoke' || s.dataset === 'SynthCars')).map((s) => [s.method, s.dataset, s.setting, s.id]);
    expect(got).toEqual(BEFORE[name]);
    // the stored spec still says what ran
    expect(specs.find((s) => s.method === 'cls-rl')!.config.method.mathVerify).toBe(false);
  });

  test("a field at its legacy value is left out of the id; any other value changes it", () => {
    const base = fakeMethod('cls-rl', true);
    const withFlag: MethodPlugin<object> = {
      ...base,
      defaults: (ds) => ({ ...base.defaults(ds), flag: true }),
      validate: (partial, ds) => ({ ...base.defaults(ds), flag: true, ...(partial as object) }),
      legacyConfig: { flag: false },
    };
    const plan = (plugin: MethodPlugin<object>, methodConfig: Record<string, unknown> = {}) =>
      planSweep({ suite: { ...SMALL, methods: ['cls-rl'], methodConfig: { 'cls-rl': methodConfig } }, engine: 'double', getMethod: () => plugin })[0];
    const legacy = plan(withFlag, { flag: false });
    expect(legacy.id).toBe(plan(base).id);
    expect(legacy.config.method.flag).toBe(false);
    expect(plan(withFlag).id).not.toBe(plan(base).id);
  });
});

test('--eval-split takes test or test+val and names the flag otherwise', () => {
  expect(parseSweepFlags({ evalSplit: 'test' }).evalSplit).toBe('test');
  expect(() => parseSweepFlags({ evalSplit: 'valid' })).toThrow(/--eval-split "valid": expected one of test, test\+val/);
});

test("paper suites give the real engines the paper's image sizes and leave the tiny engine its own", () => {
  for (const name of ['paper-b2n', 'paper-fewshot']) {
    const engineOf = (engine: string, engineConfig?: Record<string, unknown>) =>
      planSweep({ suite: getSuite(name), engine, engineConfig, getMethod, datasets: ['EuroSAT'], methods: ['cls-rl'], seeds: [1] })[0].config.engine;
    expect(engineOf('openai')).toEqual({ imageSize: 384 });
    expect(engineOf('trl')).toEqual({ imageSize: 384, maxPixels: 401408 });
    expect(engineOf('tiny')).toEqual({});
    expect(engineOf('openai', { imageSize: 0 })).toEqual({ imageSize: 0 }); // --engine-opt imageSize=0 sends the files as they are
  }
  const suite: SuiteDef = { ...getSuite('smoke'), engineConfig: { a: 1, b: 1 }, engineConfigs: { openai: { b: 2 } } };
  expect(suiteEngineConfig(suite, 'openai')).toEqual({ a: 1, b: 2 });
  expect(suiteEngineConfig(suite, 'tiny')).toEqual({ a: 1, b: 1 });
});
