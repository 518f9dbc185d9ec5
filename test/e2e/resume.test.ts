// End to end: a sweep killed with SIGKILL at random moments (mid-run, between runs, with worker
// processes) and started again finishes with every run stored exactly once, with the same results
// as a sweep that was never interrupted.

import Database from 'better-sqlite3';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { makeCoopFixture } from '../fixtures/coop';
import { cli, cliSpawn, fixtureSuite, json, writeSuite } from '../helpers/cli';

let dir: string;
let root: string;
let suiteFile: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-resume-'));
  root = path.join(dir, 'data');
  await makeCoopFixture(root, { datasets: ['EuroSAT', 'DescribableTextures', 'OxfordPets'] });
  suiteFile = writeSuite(dir, fixtureSuite('resume', ['EuroSAT', 'DescribableTextures', 'OxfordPets']));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Small seeded PRNG so a failing kill schedule can be replayed from the printed seed. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/**
 * Starts a sweep and SIGKILLs it after `afterRuns` finished-run lines plus `extraMs`; resolves with
 * whether the kill happened (false = the sweep finished first).
 */
function killDuring(args: string[], afterRuns: number, extraMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const child = cliSpawn(args);
    let seen = 0;
    let killed = false;
    const kill = () => {
      if (child.exitCode === null && !killed) {
        killed = true;
        child.kill('SIGKILL');
      }
    };
    child.stderr.on('data', (b: Buffer) => {
      seen += (b.toString().match(/^\[\d+\/\d+\]/gm) ?? []).length;
      if (seen >= afterRuns) setTimeout(kill, extraMs);
    });
    child.stdout.resume();
    if (afterRuns === 0) setTimeout(kill, extraMs);
    child.on('exit', () => setTimeout(() => resolve(killed), 200)); // let orphaned workers notice the disconnect
  });
}

test('SIGKILL at random moments, restart: every run stored exactly once, same results', async () => {
  const seed = Number(process.env.RESUME_SEED ?? Date.now() % 100000);
  const rand = lcg(seed);
  const db = path.join(dir, 'killed.sqlite');
  const base = ['sweep', '--suite', suiteFile, '--data-root', root, '--db', db];
  // one kill during start-up (before or while the DB is created), then kills after 1..6 finished runs
  await killDuring(base, 0, Math.floor(rand() * 400));
  let kills = 0;
  let remaining = 24;
  for (let attempt = 0; attempt < 3 && remaining > 1; attempt++) {
    const jobs = attempt === 1 ? ['--jobs', '2'] : [];
    const afterRuns = 1 + Math.floor(rand() * Math.min(6, remaining - 1));
    if (await killDuring([...base, ...jobs], afterRuns, Math.floor(rand() * 40))) kills++;
    remaining -= afterRuns;
  }
  expect(kills).toBeGreaterThan(0);

  const done = json<{ counts: Record<string, number>; total: number }>(cli([...base, '--json']));
  expect({ seed, counts: done.counts }).toEqual({ seed, counts: { done: 24 } });

  const ref = path.join(dir, 'ref.sqlite');
  json(cli(['sweep', '--suite', suiteFile, '--data-root', root, '--db', ref, '--json']));
  const results = (file: string) => cli(['results', '--db', file, '--json']).stdout;
  expect(results(db)).toBe(results(ref));

  // exactly once, table by table: no duplicate or orphaned rows
  const count = (file: string, sql: string) => {
    const d = new Database(file, { readonly: true });
    try {
      return (d.prepare(sql).get() as { c: number }).c;
    } finally {
      d.close();
    }
  };
  for (const sql of [
    'SELECT COUNT(*) c FROM runs',
    "SELECT COUNT(*) c FROM runs WHERE status = 'done'",
    'SELECT COUNT(*) c FROM evaluations',
    'SELECT COUNT(*) c FROM predictions',
    'SELECT COUNT(*) c FROM train_steps',
    'SELECT COUNT(*) c FROM predictions p WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = p.run_id)',
    'SELECT COALESCE(SUM(n), 0) - (SELECT COUNT(*) FROM predictions) c FROM evaluations',
  ]) {
    expect({ seed, sql, c: count(db, sql) }).toEqual({ seed, sql, c: count(ref, sql) });
  }
});
