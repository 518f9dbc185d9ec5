// math_verify's parse + verify as the CLS-RL accuracy reward uses them (harness/mathverify.ts), against the
// real library: test/vectors/math-verify.json comes from math-verify 0.7.0 (test/vectors/make_math_verify_vectors.py).
import fs from 'fs';
import path from 'path';
import { formatMvValue, mathVerifyMatch, mvParse } from '../../harness/mathverify';
import { accuracyReward, scoreCompletion } from '../../harness/scoring';
import { TASKS } from '../../suites/synthetic/world';
import { SMOKE_TASKS, suite as smoke } from '../../suites/smoke';
import { suite as replicaB2n } from '../../suites/replica-b2n';
import { suite as replicaFewshot } from '../../suites/replica-fewshot';

interface Described { str?: string; sympy?: string; number?: boolean }
interface Case { completion: string; label: string; parsedCompletion: Described[]; parsedLabel: Described[]; verify: boolean; reward: number }
const V: { versions: Record<string, string>; cases: Case[] } = JSON.parse(
  fs.readFileSync(path.join(__dirname, '../vectors/math-verify.json'), 'utf8'),
);

/** parse()'s list by kind: numbers, other parsed values, and the fallback string verbatim. */
const shape = (vs: ReturnType<typeof mvParse>): string[] =>
  vs.map((v) => (v.kind === 'string' ? `str:${v.text}` : v.kind === 'number' ? 'number' : 'expr')); // sets: sympy non-numbers
const wantShape = (ds: Described[]): string[] => ds.map((d) => (d.str !== undefined ? `str:${d.str}` : d.number ? 'number' : 'expr'));

test('the vectors come from math-verify 0.7.0', () => {
  expect(V.versions['math-verify']).toBe('0.7.0');
  expect(V.versions.latex2sympy2_extended).toBe('1.10.1');
  expect(V.cases.length).toBeGreaterThan(90);
});

describe.each(V.cases.map((c) => [c.completion, c.label, c] as const))('%j vs label %j', (completion, label, c) => {
  test('parse() finds the same kinds of value and the same fallback string', () => {
    expect(shape(mvParse(completion))).toEqual(wantShape(c.parsedCompletion));
    expect(shape(mvParse(label))).toEqual(wantShape(c.parsedLabel));
  });
  test('numbers parse to the library value', () => {
    const ours = mvParse(completion).filter((v) => v.kind === 'number').map(formatMvValue);
    const theirs = c.parsedCompletion.filter((d) => d.number && /^-?\d+$/.test(d.sympy ?? '')).map((d) => d.sympy);
    for (const t of theirs) expect(ours).toContain(t);
  });
  test(`verify = ${c.verify}, paper accuracy reward = ${c.reward}`, () => {
    expect(mathVerifyMatch(completion, label)).toBe(c.verify);
    expect(accuracyReward(completion, label, { mathVerify: true })).toBe(c.reward);
  });
});

describe("the issue's cases (label, completion): math_verify on, then off", () => {
  test.each([
    ['Saab 2000', '<think>The aircraft is a Falcon 2000</think><answer>Falcon 2000</answer>', 1, 0],
    ['Challenger 600', '<think>A business jet.</think><answer>Embraer Legacy 600</answer>', 1, 0],
    ['Saab 2000', '<think>It looks like a Saab 2000</think><answer>Boeing</answer>', 1, 0], // the think text's number
    ['Beechcraft 1900', '<think>twin turboprop</think><answer>\\boxed{1900}</answer>', 1, 0],
    // negatives: another number, a number only in the think text when the answer has its own, no number in the label
    ['Saab 2000', '<think>The aircraft is a Falcon 900</think><answer>Falcon 900</answer>', 0, 0],
    ['Challenger 600', '<think>A business jet.</think><answer>Embraer Legacy 650</answer>', 0, 0],
    ['Saab 2000', '<think>The tail says 2000</think><answer>Falcon 900</answer>', 0, 0],
    ['Beechcraft 1900', '<think>twin turboprop</think><answer>\\boxed{1950}</answer>', 0, 0],
    ['Abyssinian', '<think>x</think><answer>Saab 2000</answer>', 0, 0],
    // the string match still decides when there is nothing to verify
    ['Abyssinian', '<think>x</think><answer>abyssinian</answer>', 1, 1],
    ['Saab 2000', '<think>x</think><answer>Saab 2000</answer>', 1, 1],
  ])('label %j, %j -> %d with math_verify, %d without', (label, completion, withMv, without) => {
    expect(accuracyReward(completion, label, { mathVerify: true })).toBe(withMv);
    expect(accuracyReward(completion, label, { mathVerify: false })).toBe(without);
    expect(accuracyReward(completion, label)).toBe(without); // the function's default is the string match
    expect(scoreCompletion(['format', 'accuracy'], completion, label, { mathVerify: true }).rewards.accuracy).toBe(withMv);
  });
});

describe('parse details', () => {
  test.each([
    ['Boeing 707-320', ['387', 'str:707-320']], // digits with an operator form an evaluated expression
    ['Fokker 70+30 x', ['100', 'str:70+30']],
    ['x 2 ** 3', ['8', 'str:2 ** 3']],
    ['x 1 / 0 ', ['expr:1 / 0 ', 'str:1 / 0 ']], // parses, but is no number
    ['x 3 × 2 ', ['2', 'str:3 × 2 ']], // × is a Python syntax error: the expression fails, the rightmost number follows
    ['x 12.5%', ['1/8', 'str:12.5']],
    ['x 1,234,567.5', ['2469135/2', 'str:1234567.5']],
    ['$\\frac{1}{3}$ and $2$', ['{1/3, 2}', 'str:\\frac{1}{3} and 2']],
    ['$1900$ and $1900$', ['{1900}', 'str:1900 and 1900']], // a set of one number equals that number
    ['\\boxed{\\text{Saab 2000}}', ['expr:\\text{Saab 2000}', 'str:\\text{Saab 2000}']],
    ['no digits here', []],
  ])('%j -> %j', (text, want) => {
    const got = mvParse(text).map((v) => (v.kind === 'string' ? `str:${v.text}` : formatMvValue(v)));
    expect(got).toEqual(want);
  });

  test('bounded: a 200 kB completion of digits, operators and tags parses in one pass', () => {
    const text = `<think>${'1+ '.repeat(30000)}</think><answer>${'$1$ '.repeat(10000)}answer: 7</answer>`;
    expect(() => mvParse(text)).not.toThrow();
  });
});

describe('the synthetic world', () => {
  const names = (task: string): string[] => TASKS.find((t) => t.name === task)!.classes.map((c) => c.name);

  test("the smoke suite's class names hold no number, so mathVerify changes none of its rewards", () => {
    for (const n of SMOKE_TASKS.flatMap(names)) expect([n, mvParse(n)]).toEqual([n, []]);
  });

  test("SynthCars' names lead with a year: with math_verify a think text naming any car of that year is rewarded", () => {
    const cars = names('SynthCars');
    const byYear = new Map<string, string[]>();
    for (const n of cars) byYear.set(n.slice(0, 4), [...(byYear.get(n.slice(0, 4)) ?? []), n]);
    const [a, b] = [...byYear.values()].find((ns) => ns.length >= 2)!;
    const other = cars.find((n) => n.slice(0, 4) !== a.slice(0, 4))!;
    const says = (name: string): string => `<think>it looks like a ${name}</think><answer>${name}</answer>`;
    expect(accuracyReward(says(b), a, { mathVerify: true })).toBe(1);
    expect(accuracyReward(says(b), a, { mathVerify: false })).toBe(0);
    expect(accuracyReward(says(other), a, { mathVerify: true })).toBe(0);
    // inside the tag the year follows '>', which math_verify's number anchor (start, space or '=') does not accept
    expect(accuracyReward(`<think>x</think><answer>${b}</answer>`, a, { mathVerify: true })).toBe(0);
  });

  test('the synthetic suites keep the string match (mathVerify false), the value their stored runs were scored with', () => {
    for (const s of [smoke, replicaB2n, replicaFewshot]) expect([s.name, s.methodConfig?.['cls-rl']?.mathVerify]).toEqual([s.name, false]);
  });
});
