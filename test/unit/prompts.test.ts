// Prompts: candidate counts per rule, candidate lists cross-checked with CPython (the notebook's procedure,
// test/vectors/make_prompt_vectors.py), question ids/problem text, and the paper code's templates.
import * as fs from 'fs';
import * as path from 'path';
import type { Example } from '../../harness/contracts';
import { applyTemplate, buildQuestions, candidateCount, choiceText, evalTemplateUse, promptFor } from '../../harness/prompts';

interface PromptCase { classes: string; seed: number; n: number; labels: number[]; out: { candidates: string[]; text: string }[] }
const V: { classes: Record<string, string[]>; cases: PromptCase[] } = JSON.parse(fs.readFileSync(path.join(__dirname, '../vectors/prompts.json'), 'utf8'));

const examples = (classnames: string[], labels: number[]): Example[] =>
  labels.map((label, i) => ({ image: `ds/img/${i}.jpg`, absPath: `/data/ds/img/${i}.jpg`, label, classname: classnames[label] }));

describe('candidateCount', () => {
  // The notebook's per-dataset sizes (reference/coop-datasets.md section 8).
  test.each([
    [1000, 100], [100, 40], [47, 47], [10, 10], [101, 40], [102, 40], [37, 37], [196, 78], [397, 100], [29, 29], [75, 30], [74, 74],
  ])('code rule: %i classes -> %i', (c, n) => expect(candidateCount(c, 'code', 'few-shot')).toBe(n));
  test('text rule: 40% few-shot, 80% base-to-new, same bounds', () => {
    expect(candidateCount(100, 'text', 'few-shot')).toBe(40);
    expect(candidateCount(50, 'text', 'base-to-new')).toBe(40);
    expect(candidateCount(24, 'text', 'base-to-new')).toBe(24);
    expect(candidateCount(500, 'text', 'base-to-new')).toBe(100);
    expect(candidateCount(36, 'text', 'base-to-new')).toBe(36); // int(28.8) = 28 < 30 -> all
  });
  test('clamp rule: all below 30, else clamp(40%, 30, 100)', () => {
    expect([10, 29, 30, 47, 100, 397, 1000].map((c) => candidateCount(c, 'clamp'))).toEqual([10, 29, 30, 30, 40, 100, 100]);
  });
  test('bad input', () => {
    expect(() => candidateCount(0)).toThrow(/at least one class/);
    expect(() => candidateCount(10, 'nope' as never)).toThrow(/unknown candidate rule/);
  });
});

describe('buildQuestions matches CPython running the notebook procedure', () => {
  test.each(V.cases.map((c) => [c.classes, c.seed, c] as const))('%s seed=%i', (name, seed, c) => {
    const classnames = V.classes[name];
    const qs = buildQuestions(examples(classnames, c.labels), classnames, { dataset: 'Toy', setName: 'test', rule: 'code', setting: 'few-shot', seed, questionPrefix: 'Q?' });
    expect(qs.map((q) => q.candidates)).toEqual(c.out.map((o) => o.candidates));
    expect(qs.map((q) => q.problem)).toEqual(c.out.map((o) => `Q?\n${o.text}`));
    for (const q of qs) {
      expect(q.candidates).toHaveLength(c.n);
      expect(q.candidates).toContain(q.classname);
    }
  });
});

describe('questions', () => {
  const names = ['Annual Crop Land', 'Forest', 'Highway or Road'];
  const items = examples(names, [2, 0, 1]);

  test('ids, paths, prefix from the registry, exact choice text', () => {
    const qs = buildQuestions(items, names, { dataset: 'EuroSAT', setName: 'test', rule: 'code', setting: 'few-shot', seed: 100 });
    expect(qs.map((q) => q.id)).toEqual(['EuroSAT/test/0', 'EuroSAT/test/1', 'EuroSAT/test/2']);
    expect(qs[0]).toMatchObject({ dataset: 'EuroSAT', image: '/data/ds/img/0.jpg', imageRel: 'ds/img/0.jpg', label: 2, classname: 'Highway or Road' });
    expect(qs[0].problem).toBe(`What type of object is in the centered satellite photo?\n${choiceText(qs[0].candidates)}`);
    expect(choiceText(['a', 'b_c', 'F-16A/B'])).toBe('Please choose one from list [ a, b_c, F-16A/B].');
  });

  test('reproducible and prefix-stable (the first k questions ignore later items)', () => {
    const many = examples(V.classes.huge, Array.from({ length: 30 }, (_, i) => (i * 37) % 397));
    const opts = { dataset: 'SUN397', setName: 'test', rule: 'code' as const, setting: 'few-shot' as const, seed: 100 };
    const all = buildQuestions(many, V.classes.huge, opts);
    expect(buildQuestions(many, V.classes.huge, opts)).toEqual(all);
    expect(buildQuestions(many.slice(0, 10), V.classes.huge, opts)).toEqual(all.slice(0, 10));
    expect(buildQuestions(many, V.classes.huge, { ...opts, seed: 1 })).not.toEqual(all);
  });

  test('an item whose name disagrees with the class list is an error', () => {
    expect(() => buildQuestions([{ ...items[0], classname: 'River' }], names, { dataset: 'EuroSAT', setName: 'base', rule: 'code', setting: 'base-to-new', seed: 1 })).toThrow(
      /EuroSAT\/base\/0: label 2 is "River"/,
    );
  });
});

describe('templates (the paper code strings)', () => {
  const P = 'What type of object is in the photo?\nPlease choose one from list [ a, b].';
  test.each([
    ['think', 'train', `${P}\n Please output the thinking process in <think> </think> and final answer in <answer> </answer> tags.`],
    ['think', 'eval', `${P} First output the thinking process in <think> </think> and final answer in <answer> </answer> tags.`],
    ['think', 'eval-b2n-base', `${P} Please output the thinking process in <think> </think> and final answer in <answer> </answer> tags.`],
    ['direct', 'train', `${P}\n Please directly output the answer.`],
    ['direct', 'eval', `${P} Please directly output the answer name.`],
    ['direct', 'eval-b2n-base', `${P} Please directly output the answer name.`],
  ] as const)('%s / %s', (kind, use, want) => expect(applyTemplate(P, kind, use)).toBe(want));

  test('problem text with $ patterns is inserted literally', () => {
    expect(applyTemplate('a $& b', 'direct', 'eval')).toBe('a $& b Please directly output the answer name.');
  });
  test('eval template use per set, and promptFor', () => {
    expect(evalTemplateUse('base-to-new', 'base')).toBe('eval-b2n-base');
    expect(evalTemplateUse('base-to-new', 'new')).toBe('eval');
    expect(evalTemplateUse('few-shot', 'test')).toBe('eval');
    const q = buildQuestions(examples(['x', 'y'], [1]), ['x', 'y'], { dataset: 'Food101', setName: 'train', rule: 'code', setting: 'few-shot', seed: 3 })[0];
    expect(promptFor(q, 'think', 'train')).toEqual({ id: 'Food101/train/0', image: '/data/ds/img/0.jpg', text: applyTemplate(q.problem, 'think', 'train') });
  });
  test('unknown template kind', () => expect(() => applyTemplate(P, 'x' as never, 'eval')).toThrow(/no template/));
});
