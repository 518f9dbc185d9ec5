// Pretraining corpus v4 (issue 15): label forms only inside lists, lists that always hold the label
// and often drop its nearest neighbours, think styles whose most frequent one is a habit (the first
// listed name sharing the label's first attribute). Pure text over fake image records: no rendering.

import { corpusBatchV4, corpusExampleV4, hastyPick, listClasses, plainName, thinkTarget, THINK_STYLES_V4 } from '../../suites/synthetic/corpus-v4';
import type { PretrainImage } from '../../suites/synthetic/materialise';
import { rngFrom } from '../../suites/synthetic/prng';
import { OPEN_TASKS, TASKS, anyTaskByName, taskByName } from '../../suites/synthetic/world';
import { pretrainImages } from '../../suites/synthetic/materialise';

const images: PretrainImage[] = TASKS.flatMap((t) => t.classes.map((c, label) => ({ task: t.name, label, classname: c.name, absPath: `/x/${t.folder}/${label}.png` })));
const norm = (s: string) => s.toLowerCase().replace(/[\s_-]+/g, ' ');
const labels = new Set(TASKS.flatMap((t) => t.classes.map((c) => norm(c.name))));

describe('corpus v4', () => {
  test('deterministic, every kind and think style present', () => {
    const a = corpusBatchV4(images, rngFrom('c'), 600);
    expect(corpusBatchV4(images, rngFrom('c'), 600)).toEqual(a);
    expect(new Set(a.map((e) => e.kind))).toEqual(new Set(['caption', 'attribute', 'name', 'choice', 'think']));
    expect(new Set(a.filter((e) => e.kind === 'think').map((e) => e.style))).toEqual(new Set(Object.keys(THINK_STYLES_V4)));
  });

  test('a label is only ever answered when a list shows it, in the listed spelling', () => {
    for (const e of corpusBatchV4(images, rngFrom('l'), 800)) {
      const answer = e.kind === 'think' ? /<answer>(.*)<\/answer>$/.exec(e.target)?.[1] ?? '' : e.target;
      if (e.kind === 'choice' || e.kind === 'think') {
        expect(e.prompt).toContain(answer); // copied from the list
      } else {
        expect({ kind: e.kind, target: e.target, isLabel: labels.has(norm(e.target.replace(/\.$/, ''))) }).toEqual({ kind: e.kind, target: e.target, isLabel: false });
      }
    }
  });

  test('open naming answers the plain description, not the label', () => {
    const t = taskByName('SynthCaltech');
    const e = corpusExampleV4({ task: t.name, label: 0, classname: t.classes[0].name, absPath: '/x' }, rngFrom('n'), 'name');
    expect(e.target).toBe(plainName(t, 0));
    expect(e.target).not.toContain('_');
  });

  test('lists hold the label, 2 to all classes, and some drop every nearest neighbour', () => {
    const t = taskByName('SynthPets');
    const rng = rngFrom('lists');
    const sizes = new Set<number>();
    let dropped = 0;
    for (let i = 0; i < 400; i++) {
      const label = i % t.classes.length;
      const l = listClasses(t, label, rng);
      expect(l).toContain(label);
      expect(new Set(l).size).toBe(l.length);
      sizes.add(l.length);
      const near = t.classes.map((_, c) => c).filter((c) => c !== label && Object.keys(t.classes[c].attrs).filter((k) => t.classes[c].attrs[k] === t.classes[label].attrs[k]).length === 2);
      if (l.length >= 6 && near.every((c) => !l.includes(c))) dropped++;
    }
    expect(Math.min(...sizes)).toBe(2);
    expect(Math.max(...sizes)).toBe(t.classes.length);
    expect(dropped).toBeGreaterThan(10);
  });

  test('the hasty habit answers the first listed class sharing the first attribute; careful answers the label', () => {
    const t = taskByName('SynthObjects'); // attrs: colour, shape
    const label = t.classes.findIndex((c) => c.name === 'red ball');
    const redKite = t.classes.findIndex((c) => c.name === 'red kite');
    const blueBall = t.classes.findIndex((c) => c.name === 'blue ball');
    const listed = [blueBall, redKite, label];
    expect(hastyPick(t, label, listed)).toBe(redKite);
    const shown = (c: number) => t.classes[c].name;
    expect(thinkTarget(t, label, listed, 'hasty', shown)).toBe('<think>colour red.</think><answer>red kite</answer>');
    expect(thinkTarget(t, label, listed, 'careful', shown)).toBe('<think>colour red, shape circle.</think><answer>red ball</answer>');
    expect(thinkTarget(t, label, listed, 'verbose', shown)).toMatch(/<answer>red ball<\/answer>$/);
    expect(THINK_STYLES_V4.hasty).toBeGreaterThan(THINK_STYLES_V4.careful); // the habit is what greedy decoding follows
  });

  test('the open vocabulary: over 1,000 drawn concepts, none a task label, only for pretraining', () => {
    const things = anyTaskByName('SynthThings');
    expect(OPEN_TASKS).toContain(things);
    expect(() => taskByName('SynthThings')).toThrow(); // never a task a suite can name
    expect(things.classes.length).toBeGreaterThanOrEqual(1000);
    expect(new Set(things.classes.map((c) => c.name)).size).toBe(things.classes.length);
    expect(new Set(things.classes.map((_, i) => things.describe(i))).size).toBe(things.classes.length);
    for (const c of things.classes) expect(labels.has(norm(c.name))).toBe(false);
    const world = { seed: 1, train: 1, val: 1, test: 1, pretrain: 2 };
    const imgs = pretrainImages('/nowhere', world, ['SynthSat'], 3);
    expect(imgs.filter((i) => i.task === 'SynthThings')).toHaveLength(3 * things.classes.length);
    expect(pretrainImages('/nowhere', world, ['SynthSat'])).toHaveLength(2 * taskByName('SynthSat').classes.length);
    const rng = rngFrom('big');
    const longest = Math.max(...Array.from({ length: 200 }, () => listClasses(things, 5, rng).length));
    expect(longest).toBe(30); // fits the context, unlike a list of all 1,078
    const e = corpusExampleV4(imgs[imgs.length - 1], rngFrom('o'), 'think');
    expect(e.task).toBe('SynthThings');
    expect(e.prompt).toContain(/<answer>(.*)<\/answer>$/.exec(e.target)?.[1]);
  });
});
