// Issue 15's answer gates: the verdicts from per-task rows, the 2-name question, the listed test.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { gateMeans, gateVerdicts, twoNameQuestion, type GateRow } from '../../scripts/gates-eval';
import { inList } from '../../harness/diagnostics';
import type { Question } from '../../harness/contracts';

const row = (task: string, full: number, twoName: number, unlisted: number, forced: number): GateRow => ({ task, classes: 10, n: 60, listed: 10, full, twoName, unlisted, forced, direct: forced });

describe('answer gates', () => {
  test('verdicts on the task means, at the issue targets', () => {
    const pass = gateVerdicts([row('A', 40, 60, 2, 55), row('B', 50, 64, 4, 55)]);
    expect(pass.map((g) => [g.name, g.pass])).toEqual([['list-reading', true], ['answers-from-list', true], ['answer-gap', true]]);
    expect(pass[0].value).toBeCloseTo(17, 6);
    expect(pass[2].value).toBeCloseTo(10, 6);
    const fail = gateVerdicts([row('A', 50, 64, 5, 59)]);
    expect(fail.map((g) => g.pass)).toEqual([false, false, false]);
    expect(gateMeans([row('A', 40, 60, 2, 55), row('B', 50, 64, 4, 55)]).full).toBe(45);
  });

  test('the 2-name list holds the label and one other class, seeded by the question id', () => {
    const q: Question = { id: 'T/test/3', dataset: 'T', image: '/i.png', imageRel: 'i.png', label: 1, classname: 'b', candidates: ['a', 'b', 'c', 'd'], problem: 'p' };
    const two = twoNameQuestion(q, ['a', 'b', 'c', 'd'], 'What is it?');
    expect(two.candidates).toHaveLength(2);
    expect(two.candidates).toContain('b');
    expect(two.candidates.filter((c) => c !== 'b')).toHaveLength(1);
    expect(two.problem).toBe(`What is it?\nPlease choose one from list [ ${two.candidates.join(', ')}].`);
    expect(twoNameQuestion(q, ['a', 'b', 'c', 'd'], 'What is it?')).toEqual(two);
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) seen.add(twoNameQuestion({ ...q, id: `T/test/${i}` }, ['a', 'b', 'c', 'd'], '').candidates.join('|'));
    expect(seen.size).toBe(6); // 3 distractors x 2 orders
  });

  test("unlisted means no lenient match with a listed name (the report's in-list rate, harness/diagnostics)", () => {
    expect(inList('winged cone', ['winged_cone', 'halo_disc'])).toBe(true);
    expect(inList('cone with wings', ['winged_cone', 'halo_disc'])).toBe(false);
  });
});

describe('npm run gates', () => {
  test('a folder without a checkpoint is a clear error naming the option, exit 1, nothing written', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-gates-'));
    const r = spawnSync(process.execPath, [require.resolve('tsx/cli'), 'scripts/gates.ts', '--model', dir, '--write'], { encoding: 'utf8', cwd: path.join(__dirname, '..', '..') });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`--model ${dir}: no tiny checkpoint`);
    expect(r.stderr).toContain('hint:');
    expect(fs.readdirSync(dir)).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60000);
});
