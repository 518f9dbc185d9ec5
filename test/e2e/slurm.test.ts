// End to end against a real one-node Slurm cluster (started here, see test/helpers/slurm.ts): a sweep on
// the double engine through `--executor slurm --wait` must store exactly what the local executor stores;
// a task killed mid-run (scancel) is retried by resubmission with nothing stored twice.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Store } from '../../harness/store';
import { makeCoopFixture } from '../fixtures/coop';
import { startSlurmCluster, type SlurmCluster } from '../helpers/slurm';

jest.setTimeout(300_000);

const REPO = path.resolve(__dirname, '..', '..');
const CLI = path.join(REPO, 'bin', 'clsrl.js');

let cluster: SlurmCluster;
let tmp: string;
let suiteFile: string;
let dataRoot: string;

interface Cli {
  code: number | null;
  stdout: string;
  stderr: string;
}

function clsrl(args: string[]): Cli {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: tmp, env: cluster.env, encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json<T = Record<string, unknown>>(r: Cli): T {
  if (r.code !== 0) throw new Error(`clsrl exited ${r.code}\n${r.stderr}\n${r.stdout}`);
  return JSON.parse(r.stdout) as T;
}

/** Evaluations keyed by `<key(run)>|<eval dataset>|<split>` -> `correct/n accuracy`. */
function evaluations(db: string, key: (runId: string) => string = (id) => id): Map<string, string> {
  const s = Store.open(db, { readonly: true });
  try {
    return new Map(s.evaluations().map((e) => [`${key(e.runId)}|${e.evalDataset}|${e.evalSplit}`, `${e.correct}/${e.n} ${e.accuracy.toFixed(4)}`]));
  } finally {
    s.close();
  }
}

function tableCounts(db: string): Record<string, number> {
  const s = Store.open(db, { readonly: true });
  try {
    const count = (t: string) => (s.db.prepare(`SELECT COUNT(*) AS c FROM ${t}`).get() as { c: number }).c;
    return { runs: count('runs'), evaluations: count('evaluations'), predictions: count('predictions'), train_steps: count('train_steps') };
  } finally {
    s.close();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

const squeueTasks = (jobId: string) =>
  spawnSync('squeue', ['-h', '-r', '-j', jobId, '-o', '%i'], { env: cluster.env, encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);

beforeAll(async () => {
  cluster = await startSlurmCluster(); // throws with the daemons' logs when Slurm cannot start here
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-slurm-e2e-'));
  dataRoot = path.join(tmp, 'data');
  await makeCoopFixture(dataRoot, { datasets: ['EuroSAT'] });
  suiteFile = path.join(tmp, 'suite.json');
  fs.writeFileSync(
    suiteFile,
    JSON.stringify({
      name: 'slurm-e2e',
      description: 'EuroSAT fixture, few-shot 2 shots, seed 1, on the double engine',
      datasets: ['EuroSAT'],
      settings: [{ setting: 'few-shot', shots: [2], seeds: [1] }],
      methods: ['zero-shot', 'sft', 'cls-rl'],
      engine: 'double',
      methodConfig: { sft: { epochs: 2, batchSize: 4 }, 'cls-rl': { epochs: 2, batchSize: 4, groupSize: 2 } },
    }),
  );
  // engine `slow-double`: the double engine whose generate waits while <holdDir>/hold exists, so a
  // test can catch a task in the middle of its run
  fs.writeFileSync(
    path.join(tmp, 'slow-engine.js'),
    `const fs = require('fs'), path = require('path');
const { registerEngine } = require(${JSON.stringify(path.join(REPO, 'harness', 'engines', 'registry'))});
const { createDoubleEngine } = require(${JSON.stringify(path.join(REPO, 'harness', 'engines', 'double'))});
registerEngine('slow-double', async ({ holdDir, ...opts }) => {
  const e = await createDoubleEngine(opts);
  const generate = e.generate.bind(e);
  e.generate = async (...args) => {
    fs.writeFileSync(path.join(holdDir, 'started-' + process.pid), '');
    while (fs.existsSync(path.join(holdDir, 'hold'))) await new Promise((r) => setTimeout(r, 100));
    return generate(...args);
  };
  return e;
});
`,
  );
});

afterAll(async () => {
  await cluster?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const common = () => ['--suite', suiteFile, '--data-root', dataRoot];
const slurmFlags = (db: string, sweepDir: string) =>
  ['--db', db, '--executor', 'slurm', '--sweep-dir', sweepDir, '--partition', cluster.partition, '--max-concurrent', '2', '--poll', '0.5', '--json'];

test('a sweep through sbatch --array stores exactly what the local executor stores; ingest is idempotent', () => {
  const localDb = path.join(tmp, 'local.sqlite');
  const local = json<{ total: number; failed: unknown[] }>(clsrl(['sweep', ...common(), '--db', localDb, '--json']));
  expect(local.failed).toEqual([]);
  expect(local.total).toBe(3); // zero-shot, sft, cls-rl

  const db = path.join(tmp, 'slurm.sqlite');
  const sweepDir = path.join(tmp, 'sweep-a');
  const dry = clsrl(['sweep', ...common(), ...slurmFlags(db, sweepDir).filter((f) => f !== '--json'), '--dry-run']);
  expect(dry.code).toBe(0);
  expect(dry.stdout).toMatch(/^#SBATCH --array=0-2%2$/m);
  expect(dry.stdout).toMatch(/run --manifest \S+manifest-1\.json --index "\$SLURM_ARRAY_TASK_ID"/);
  expect(fs.existsSync(sweepDir)).toBe(false); // a dry run writes nothing

  const res = json<{ jobId: string; submitted: unknown[]; manifest: string; final: { done: number; total: number } }>(
    clsrl(['sweep', ...common(), ...slurmFlags(db, sweepDir), '--wait']),
  );
  expect(res.jobId).toMatch(/^\d+$/);
  expect(res.submitted).toHaveLength(3);
  expect(res.final).toMatchObject({ done: 3, total: 3 });
  const localEvals = evaluations(localDb);
  expect(localEvals.size).toBe(3);
  expect(evaluations(db)).toEqual(localEvals);

  // resubmitting a finished sweep submits nothing; ingesting again copies nothing
  const counts = tableCounts(db);
  const again = json<{ submitted: unknown[]; jobId: string | null; alreadyDone: number }>(clsrl(['sweep', ...common(), ...slurmFlags(db, sweepDir)]));
  expect(again).toMatchObject({ submitted: [], jobId: null, alreadyDone: 3 });
  const ingest = json<{ imported: number; alreadyIngested: number }>(clsrl(['ingest', '--manifest', res.manifest, '--json']));
  expect(ingest).toMatchObject({ imported: 0, alreadyIngested: 3 });
  expect(tableCounts(db)).toEqual(counts);
});

test('a task killed mid-run is retried on resubmission, nothing duplicated', async () => {
  const holdDir = path.join(tmp, 'hold');
  fs.mkdirSync(holdDir);
  fs.writeFileSync(path.join(holdDir, 'hold'), '');
  const db = path.join(tmp, 'killed.sqlite');
  const sweepDir = path.join(tmp, 'sweep-b');
  const flags = [
    ...common(), ...slurmFlags(db, sweepDir),
    '--engine', 'slow-double', '--engine-opt', `holdDir=${holdDir}`, '--require', path.join(tmp, 'slow-engine.js'),
    '--methods', 'zero-shot,sft',
  ];
  const first = json<{ jobId: string; manifest: string; submitted: { id: string; method: string }[] }>(clsrl(['sweep', ...flags]));
  expect(first.submitted.map((s) => s.method)).toEqual(['zero-shot', 'sft']);
  const [victim, survivor] = first.submitted.map((s) => s.id);

  // both tasks are inside their run (generating) when task 0 is cancelled
  await until('both tasks to start generating', () => fs.readdirSync(holdDir).filter((f) => f.startsWith('started-')).length >= 2);
  const cancel = spawnSync('scancel', [`${first.jobId}_0`], { env: cluster.env, encoding: 'utf8' });
  expect(cancel.status).toBe(0);
  await until('task 0 to leave the queue', () => !squeueTasks(first.jobId).includes(`${first.jobId}_0`));
  fs.rmSync(path.join(holdDir, 'hold'));
  await until('the job to end', () => squeueTasks(first.jobId).length === 0);

  const shards = path.join(sweepDir, 'shards');
  expect(fs.existsSync(path.join(shards, `${victim}.done.json`))).toBe(false);
  expect(JSON.parse(fs.readFileSync(path.join(shards, `${survivor}.done.json`), 'utf8'))).toMatchObject({ status: 'done' });
  const half = Store.open(path.join(shards, `${victim}.sqlite`), { readonly: true });
  expect(half.status(victim)).toBe('running'); // killed in the middle: the shard holds no result
  half.close();

  const second = json<{ submitted: { id: string }[]; alreadyDone: number; final: { done: number; total: number } }>(
    clsrl(['sweep', ...flags, '--wait']),
  );
  expect(second.submitted.map((s) => s.id)).toEqual([victim]);
  expect(second.alreadyDone).toBe(1);
  expect(second.final).toMatchObject({ done: 1, total: 1 });

  const counts = tableCounts(db);
  expect(counts.runs).toBe(2);
  const s = Store.open(db, { readonly: true });
  const runs = s.runs();
  s.close();
  expect(runs.map((r) => r.status)).toEqual(['done', 'done']);
  // same results as the local executor for the same (method, seed): the engine name only renames ids
  const label = new Map(runs.map((r) => [r.id, `${r.method}/${r.seed}`]));
  const localLabel = (id: string) => {
    const ls = Store.open(path.join(tmp, 'local.sqlite'), { readonly: true });
    try {
      const r = ls.runs().find((x) => x.id === id)!;
      return `${r.method}/${r.seed}`;
    } finally {
      ls.close();
    }
  };
  const local = evaluations(path.join(tmp, 'local.sqlite'), localLabel);
  const here = evaluations(db, (id) => label.get(id)!);
  for (const [k, v] of here) expect([k, local.get(k)]).toEqual([k, v]);
  expect(here.size).toBeGreaterThan(0);

  // ingesting every manifest again changes nothing
  for (const m of fs.readdirSync(sweepDir).filter((f) => /^manifest-\d+\.json$/.test(f))) {
    expect(clsrl(['ingest', '--manifest', path.join(sweepDir, m)]).code).toBe(0);
  }
  expect(tableCounts(db)).toEqual(counts);
});
