// "Write the folders, then stop" and run ids that ignore operational engine options, end to end through
// the real CLI with stand-ins for `accelerate` and `vllm` (test/helpers/fake-trl.ts):
// - `sweep --prepare` (and --engine-opt writeOnly=true) writes every training run's folder and records the
//   runs as `prepared`, not failed; a user trains the folders by hand (launch.sh + a reward server); the next
//   sweep ingests them without launching anything and evaluates;
// - a sweep whose evaluation failed (dead baseUrl) and is repeated with another serving option (vllm=true)
//   finds the same runs and their trained checkpoints: nothing is trained twice.

import fs from 'fs';
import os from 'os';
import path from 'path';
import { spawn } from 'child_process';
import type { SuiteDef } from '../../harness/contracts';
import { startRewardServer } from '../../harness/serve/rewards';
import { Store } from '../../harness/store';
import { cli, type CliResult } from '../helpers/cli';
import { writeFakeTrlPrograms } from '../helpers/fake-trl';
import { makeCoopFixture } from '../fixtures/coop';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-trl-prep-'));
const bin = path.join(tmp, 'bin');
const launches = path.join(tmp, 'launches.log');
let dataRoot = '';
let suiteFile = '';
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

beforeAll(async () => {
  dataRoot = (await makeCoopFixture(path.join(tmp, 'data'), { datasets: ['OxfordPets'] })).root;
  writeFakeTrlPrograms(bin, path.join(tmp, 'served-images'));
  const suite: SuiteDef = {
    name: 'prep', description: 'trl prepare e2e', datasets: ['OxfordPets'],
    settings: [{ setting: 'few-shot', shots: [2], seeds: [1] }],
    methods: ['zero-shot', 'sft', 'cls-rl'],
    engine: 'trl',
    // the double behind the fake vllm takes no repetition penalty; two GPUs launch through (fake) accelerate
    engineConfig: { gpus: 2, repetitionPenalty: 1, cache: 'off', vllmStartTimeoutMs: 60_000, maxRetries: 0 },
    methodConfig: { sft: { epochs: 1, maxSteps: 2, batchSize: 4 }, 'cls-rl': { epochs: 1, maxSteps: 2, batchSize: 8, maxCompletionTokens: 64 } },
    prompt: { evalLimit: 3 },
    eval: { maxTokens: 64 },
  };
  suiteFile = path.join(tmp, 'prep.json');
  fs.writeFileSync(suiteFile, JSON.stringify(suite));
});

interface Doc { prepared: number; counts: Record<string, number>; failed: unknown[]; runs: { id: string; method: string; status: string }[] }

function sweep(db: string, extra: string[], env: Record<string, string> = {}): CliResult {
  return cli(['sweep', '--suite', suiteFile, '--data-root', dataRoot, '--db', db, '--json', ...extra], {
    env: { PATH: `${bin}${path.delimiter}${process.env.PATH}`, FAKE_TRL_LAUNCH_LOG: launches, ...env },
    timeoutMs: 240_000,
  });
}

/** Runs a script without blocking the event loop (the reward server lives in this process). */
function bash(script: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

const launched = (): string[] => (fs.existsSync(launches) ? fs.readFileSync(launches, 'utf8').trim().split('\n').filter(Boolean) : []);
const idsOf = (d: Doc) => Object.fromEntries(d.runs.map((r) => [r.method, r.id]));

test('--prepare records prepared runs; folders trained by hand are ingested by the next sweep, nothing launched', async () => {
  const db = path.join(tmp, 'a', 'clsrl.sqlite');
  const res = sweep(db, ['--prepare']);
  expect(res.stderr).not.toMatch(/error/);
  expect(res.code).toBe(0);
  const doc = JSON.parse(res.stdout) as Doc;
  expect(doc.prepared).toBe(2);
  expect(doc.counts).toEqual({ prepared: 2, pending: 1 }); // zero-shot has no folder
  const store = Store.open(db, { readonly: true });
  for (const r of doc.runs) expect([r.method, store.status(r.id) ?? 'absent']).toEqual([r.method, r.method === 'zero-shot' ? 'absent' : 'prepared']);
  store.close();
  expect(launched()).toEqual([]);

  // writeOnly is the same request through the engine: same ids, prepared again, never failed
  const again = sweep(db, ['--engine-opt', 'writeOnly=true']);
  expect(again.code).toBe(0);
  const doc2 = JSON.parse(again.stdout) as Doc;
  expect(idsOf(doc2)).toEqual(idsOf(doc));
  expect(doc2).toMatchObject({ prepared: 2, failed: [], counts: { prepared: 2, pending: 1 } });

  // the user's scheduler: a reward server and launch.sh in each folder (as docs/reproduce-the-paper.md section 4)
  const server = await startRewardServer({ port: 0 });
  try {
    for (const r of doc.runs.filter((x) => x.method !== 'zero-shot')) {
      const launch = path.join(tmp, 'a', 'runs', r.id, 'trl', 'launch.sh');
      const run = await bash(launch, { PATH: `${bin}${path.delimiter}${process.env.PATH}`, CLSRL_REWARD_URL: server.url });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
    }
  } finally {
    await server.close();
  }
  fs.rmSync(launches, { force: true });

  const ingest = sweep(db, ['--engine-opt', 'vllm=true']);
  expect(ingest.stderr).not.toMatch(/error:/);
  expect(ingest.code).toBe(0);
  const doc3 = JSON.parse(ingest.stdout) as Doc;
  expect(idsOf(doc3)).toEqual(idsOf(doc)); // a serving option does not change ids
  expect(doc3.counts).toEqual({ done: 3 });
  expect(launched()).toEqual([]); // ingested, not trained again
  const done = Store.open(db, { readonly: true });
  for (const r of doc.runs.filter((x) => x.method !== 'zero-shot')) expect(done.trainSteps(r.id).map((s) => s.step)).toEqual([1, 2]);
  done.close();
}, 300_000);

test('an evaluation-only change after a failed evaluation reuses the trained checkpoints', () => {
  const db = path.join(tmp, 'b', 'clsrl.sqlite');
  fs.rmSync(launches, { force: true });
  const first = sweep(db, ['--engine-opt', 'baseUrl=http://127.0.0.1:9/v1', '--skip-doctor']); // nothing listens there
  expect(first.code).toBe(1);
  const doc = JSON.parse(first.stdout) as Doc;
  expect(doc.counts).toEqual({ failed: 3 });
  expect(launched()).toHaveLength(2); // sft and cls-rl trained once each

  const second = sweep(db, ['--engine-opt', 'vllm=true']);
  expect(second.stderr).not.toMatch(/error:/);
  expect(second.code).toBe(0);
  const doc2 = JSON.parse(second.stdout) as Doc;
  expect(idsOf(doc2)).toEqual(idsOf(doc));
  expect(doc2.counts).toEqual({ done: 3 });
  expect(launched()).toHaveLength(2); // no new training
}, 300_000);

test('the smoke suite (generated data) gets its folders from --dry-run (nothing stored) and --prepare (prepared)', () => {
  const db = path.join(tmp, 'smoke', 'clsrl.sqlite');
  const args = ['sweep', '--suite', 'smoke', '--engine', 'trl', '--engine-opt', 'gpus=1', '--db', db, '--json'];
  const dry = cli([...args, '--dry-run'], { timeoutMs: 240_000 });
  expect(dry.stderr).not.toMatch(/error:/);
  expect(dry.code).toBe(0);
  const plan = JSON.parse(dry.stdout) as Doc;
  const training = plan.runs.filter((r) => r.method !== 'zero-shot');
  expect(training.length).toBeGreaterThan(0);
  for (const r of training) expect(fs.existsSync(path.join(tmp, 'smoke', 'runs', r.id, 'trl', 'launch.sh'))).toBe(true);
  expect(fs.existsSync(db)).toBe(false);

  const prep = cli([...args, '--prepare'], { timeoutMs: 240_000 });
  expect(prep.code).toBe(0);
  const doc = JSON.parse(prep.stdout) as Doc;
  expect(idsOf(doc)).toEqual(idsOf(plan));
  expect(doc.prepared).toBe(training.length);
  expect(doc.counts).toEqual({ prepared: training.length, pending: plan.runs.length - training.length });
}, 300_000);

test('--prepare on an engine that trains in process says why it cannot', () => {
  const res = cli(['sweep', '--suite', suiteFile, '--engine', 'double', '--data-root', dataRoot, '--db', path.join(tmp, 'c', 'x.sqlite'), '--prepare']);
  expect(res.code).toBe(2);
  expect(res.stderr).toMatch(/engine 'double' trains in this process[\s\S]*hint: use --prepare with an engine that trains outside clsrl/);
});

test('the sweep runs the doctor before its first launch: problems stop it before anything trains', () => {
  const db = path.join(tmp, 'd', 'clsrl.sqlite');
  fs.rmSync(launches, { force: true });
  const res = sweep(db, ['--engine-opt', 'vllm=true'], { CLSRL_PYTHON: path.join(tmp, 'no-such-python') });
  expect(res.code).toBe(1);
  expect(res.stderr).toMatch(/error: .*preflight of engine 'trl' found \d+ problem\(s\): python: [\s\S]*hint: .*CLSRL_PYTHON.*--skip-doctor launches anyway/);
  expect(launched()).toEqual([]);
  const doc = JSON.parse(res.stdout) as Doc;
  // zero-shot evaluated (no launch), the first training run stopped by the preflight, the next not tried
  expect(Object.fromEntries(doc.runs.map((r) => [r.method, r.status]))).toEqual({ 'zero-shot': 'done', sft: 'failed', 'cls-rl': 'pending' });
}, 120_000);

test('a dry run only plans, even with writeOnly (the cluster executors plan this way); --dry-run with --prepare is refused', () => {
  const db = path.join(tmp, 'e', 'clsrl.sqlite');
  const dry = cli(['sweep', '--suite', suiteFile, '--data-root', dataRoot, '--db', db, '--engine-opt', 'writeOnly=true', '--dry-run', '--json']);
  expect(dry.code).toBe(0);
  expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, prepared: 0, counts: { pending: 3 } });
  expect(fs.existsSync(db)).toBe(false);
  const both = cli(['sweep', '--suite', suiteFile, '--data-root', dataRoot, '--db', db, '--dry-run', '--prepare']);
  expect(both.code).toBe(2);
  expect(both.stderr).toMatch(/--dry-run and --prepare exclude each other/);
});
