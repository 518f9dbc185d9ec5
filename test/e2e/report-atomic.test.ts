// End to end: `clsrl report` publishes its folder atomically. A report SIGKILLed at random moments leaves
// the old report or the new one, never new charts beside an old report.md; a report run removes only the
// files its own earlier runs wrote (the user's files in the folder stay); the database may not sit inside
// --out (the folder is swapped whole).

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { makeCoopFixture } from '../fixtures/coop';
import { cli, cliSpawn, fixtureSuite, json, writeSuite } from '../helpers/cli';

jest.setTimeout(10 * 60_000); // child processes on a loaded machine; limits are not pass/fail criteria

let dir: string;
let db: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-report-atomic-'));
  const root = path.join(dir, 'data');
  await makeCoopFixture(root, { datasets: ['EuroSAT', 'OxfordPets'] });
  const suite = writeSuite(dir, fixtureSuite('atomic', ['EuroSAT', 'OxfordPets']));
  db = path.join(dir, 'results', 'clsrl.sqlite');
  json(cli(['sweep', '--suite', suite, '--data-root', root, '--db', db, '--json'], { timeoutMs: 10 * 60_000 }));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Every file under `d`, relative, sorted (the manifest left out). */
function tree(d: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(d, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...tree(d, r));
    else if (r !== '.clsrl-report.json') out.push(r);
  }
  return out.sort();
}

const report = (out: string, format: string) => cli(['report', '--db', db, '--out', out, '--format', format, '--json'], { timeoutMs: 10 * 60_000 });

test('a report run removes the files of its own earlier runs and keeps the files it did not write', () => {
  const out = path.join(dir, 'own');
  json(report(out, 'md,csv,svg'));
  expect(tree(out).some((f) => f.startsWith('csv/'))).toBe(true);
  fs.writeFileSync(path.join(out, 'notes.txt'), 'mine');
  fs.writeFileSync(path.join(out, 'charts', 'sketch.txt'), 'mine too');
  json(report(out, 'md'));
  const files = tree(out);
  expect(files.filter((f) => f.startsWith('csv/') || f.endsWith('.svg'))).toEqual([]); // the earlier run's own files are gone
  expect(files).toEqual(expect.arrayContaining(['notes.txt', 'charts/sketch.txt', 'report.md']));
  expect(fs.readFileSync(path.join(out, 'notes.txt'), 'utf8')).toBe('mine');
  expect(fs.readdirSync(dir).filter((f) => f.startsWith('.own.'))).toEqual([]); // no staging or lock left
});

test('--out holding the database is refused before anything is written', () => {
  const r = cli(['report', '--db', db, '--out', path.dirname(db)]);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(/contains the results database/);
});

test('a report killed at random moments leaves the old report or the new one, never a mix', async () => {
  const seed = Number(process.env.REPORT_KILL_SEED ?? Date.now() % 100000);
  let s = seed;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  // the two reports differ in files and in report.md (which links the SVG charts only when written)
  const refOld = path.join(dir, 'ref-old');
  const refNew = path.join(dir, 'ref-new');
  json(report(refOld, 'md'));
  const t0 = Date.now();
  json(report(refNew, 'md,svg,csv'));
  const fullMs = Date.now() - t0;
  const snapshot = (d: string) => ({ files: tree(d), md: fs.readFileSync(path.join(d, 'report.md'), 'utf8') });
  const oldSnap = snapshot(refOld);
  const newSnap = snapshot(refNew);
  expect(newSnap.files).not.toEqual(oldSnap.files);

  const out = path.join(dir, 'killed');
  const outcomes: string[] = [];
  for (let i = 0; i < 5; i++) {
    fs.rmSync(out, { recursive: true, force: true });
    json(report(out, 'md'));
    const delay = Math.floor((0.4 + 0.6 * rand()) * fullMs); // start-up (tsx, vega) is the first third or so
    await new Promise<void>((resolve) => {
      const child = cliSpawn(['report', '--db', db, '--out', out, '--format', 'md,svg,csv']);
      const timer = setTimeout(() => child.kill('SIGKILL'), delay);
      child.stdout.resume();
      child.stderr.resume();
      child.on('exit', () => (clearTimeout(timer), resolve()));
    });
    // killed between the swap's two renames, the old folder waits under its aside name for the next run
    const aside = fs.readdirSync(dir).find((f) => f.startsWith('.killed.old-'));
    const now = fs.existsSync(out) ? snapshot(out) : aside ? snapshot(path.join(dir, aside)) : null;
    const state = JSON.stringify(now) === JSON.stringify(oldSnap) ? 'old' : JSON.stringify(now) === JSON.stringify(newSnap) ? 'new' : 'MIX';
    outcomes.push(state);
    expect({ seed, i, delay, state }).toEqual({ seed, i, delay, state: state === 'MIX' ? 'old or new' : state });
  }
  // the next report cleans what the killed ones left (their staging folders) and publishes
  json(report(out, 'md,svg,csv'));
  expect(snapshot(out)).toEqual(newSnap);
  expect(fs.readdirSync(dir).filter((f) => f.startsWith('.killed.'))).toEqual([]);
  console.log(`report kills (seed ${seed}): ${outcomes.join(' ')}`);
});
