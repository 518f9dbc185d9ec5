// Unit tests of the cluster executors without a scheduler: manifests and their checks, atomic markers,
// task index resolution, shard ingest (idempotent, skips unfinished shards), Slurm script and flags.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { RunSpec } from '../../harness/contracts';
import { ClsrlError } from '../../harness/errors';
import { ingestShards, sweepRuns } from '../../harness/executors/ingest';
import {
  clearShard, defaultSweepDir, markerPath, readManifest, readMarker, shardPath, taskIndex, writeAtomic, writeManifest,
} from '../../harness/executors/manifest';
import { parseExecutorFlags } from '../../harness/executors/options';
import { shq, slurmScript } from '../../harness/executors/slurm';
import { Store, type RunRecord } from '../../harness/store';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-exec-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function spec(id: string): RunSpec {
  return {
    id, suite: 'unit', dataset: 'EuroSAT', setting: 'few-shot', shots: 4, seed: 1, method: 'sft', engine: 'double', transferTo: [],
    config: { method: {}, prompt: { candidateRule: 'code', evalSplit: 'test', evalPromptSeed: 100, evalLimit: 0 }, engine: {}, eval: { maxTokens: 8 } },
  };
}

function record(s: RunSpec, status: 'done' | 'failed' = 'done'): RunRecord {
  return {
    spec: s, status, startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:01Z', trainMs: 1, evalMs: 1, trainSteps: 0,
    tokensGenerated: 0, codeVersion: 't', dataFingerprint: 'f', engineFingerprint: 'e', steps: [],
    evaluations: [{ evalDataset: 'EuroSAT', evalSplit: 'test', template: 'direct', evalMs: 1, predictions: [
      { exampleId: 'a', label: 'River', output: 'River', extracted: 'River', correct: true, strictCorrect: true },
      { exampleId: 'b', label: 'Forest', output: 'River', extracted: 'River', correct: false, strictCorrect: false },
    ] }],
  };
}

const runs = ['aaaa', 'bbbb', 'cccc'].map(spec);
const nodeOpts = { suiteName: 'unit', dataRoot: '/data', engineOpt: {}, customDatasets: [], require: [] };

function finishShard(shards: string, s: RunSpec, status: 'done' | 'failed', marker = true): void {
  const st = Store.open(shardPath(shards, s.id));
  st.saveRun(record(s, status));
  st.close();
  if (marker) writeAtomic(markerPath(shards, s.id), JSON.stringify({ runId: s.id, status, finishedAt: 'x', host: 'h', error: status === 'failed' ? 'boom' : undefined }));
}

test('manifests are numbered per submission, keep relative shard paths and are checked on read', () => {
  const sweep = path.join(dir, 'sweep');
  const a = writeManifest(sweep, { suite: 'unit', db: path.join(dir, 'r.sqlite'), runOptions: nodeOpts, runs });
  const b = writeManifest(sweep, { suite: 'unit', db: path.join(dir, 'r.sqlite'), runOptions: nodeOpts, runs: runs.slice(1) });
  expect([path.basename(a.file), path.basename(b.file)]).toEqual(['manifest-1.json', 'manifest-2.json']);
  expect(readManifest(a.file)).toMatchObject({ shardsDir: 'shards', runs: [{ id: 'aaaa' }, { id: 'bbbb' }, { id: 'cccc' }] });
  expect(sweepRuns(sweep).map((r) => r.id)).toEqual(['aaaa', 'bbbb', 'cccc']);

  fs.writeFileSync(b.file, JSON.stringify({ ...b.manifest, runs: [{ noId: 1 }] }));
  expect(() => readManifest(b.file)).toThrow(/manifest-2\.json: field 'runs\.0\.id'/);
  expect(() => readManifest(path.join(dir, 'nope.json'))).toThrow(ClsrlError);
});

test('default sweep folder depends on the plan, not its order', () => {
  const db = path.join(dir, 'results', 'clsrl.sqlite');
  const d = defaultSweepDir(db, 'paper-fewshot', runs);
  expect(d).toBe(defaultSweepDir(db, 'paper-fewshot', [...runs].reverse()));
  expect(d).not.toBe(defaultSweepDir(db, 'paper-fewshot', runs.slice(1)));
  expect(path.dirname(d)).toBe(path.join(dir, 'results', 'sweeps'));
});

test('task index: flag, then Slurm, then Kubernetes environment; bad values name the flag', () => {
  expect(taskIndex(3, {})).toBe(3);
  expect(taskIndex(undefined, { SLURM_ARRAY_TASK_ID: '7', JOB_COMPLETION_INDEX: '2' })).toBe(7);
  expect(taskIndex(undefined, { JOB_COMPLETION_INDEX: '2' })).toBe(2);
  expect(() => taskIndex(undefined, {})).toThrow(/--index/);
  expect(() => taskIndex(undefined, { SLURM_ARRAY_TASK_ID: 'x' })).toThrow(ClsrlError);
});

test('ingest merges only shards with a done marker, is idempotent, and reports failed and pending runs', () => {
  const shards = path.join(dir, 'shards');
  fs.mkdirSync(shards);
  finishShard(shards, runs[0], 'done');
  finishShard(shards, runs[1], 'failed');
  finishShard(shards, runs[2], 'done', false); // finished writing but no marker yet: not read
  const db = path.join(dir, 'main.sqlite');
  const first = ingestShards(db, shards, runs);
  expect(first).toMatchObject({ imported: 1, alreadyIngested: 0, done: 1, total: 3, failed: { bbbb: 'boom' }, pending: ['cccc'] });
  const again = ingestShards(db, shards, runs);
  expect(again).toMatchObject({ imported: 0, alreadyIngested: 1, done: 1 });
  const s = Store.open(db, { readonly: true });
  expect(s.evaluations()).toHaveLength(1);
  expect(s.evaluations()[0]).toMatchObject({ runId: 'aaaa', n: 2, correct: 1, accuracy: 50 });
  s.close();

  clearShard(shards, 'bbbb');
  expect(fs.readdirSync(shards).filter((f) => f.startsWith('bbbb'))).toEqual([]);
  expect(readMarker(shards, 'bbbb')).toBeUndefined();
});

test('atomic writes leave no temp files and replace the target', () => {
  const f = path.join(dir, 'm.json');
  writeAtomic(f, '1');
  writeAtomic(f, '2');
  expect(fs.readFileSync(f, 'utf8')).toBe('2');
  expect(fs.readdirSync(dir)).toEqual(['m.json']);
});

test('the Slurm script carries every option and runs task i as run i', () => {
  const manifest = path.join(dir, 'sweep dir', 'manifest-3.json');
  const script = slurmScript(manifest, 12, {
    partition: 'gpu', gpus: 'a100:1', time: '1-02:00:00', cpus: 8, mem: '64G', maxConcurrent: 4,
    sbatchExtra: ['--account=proj', '#SBATCH --qos=high'], setup: ['module load nodejs/20'], clsrlCommand: 'clsrl',
  }, 'paper few-shot');
  const directives = script.split('\n').filter((l) => l.startsWith('#SBATCH')).map((l) => l.slice(8));
  expect(directives).toEqual([
    '--job-name=clsrl-paper_few-shot', '--array=0-11%4', `--output=${path.join(dir, 'sweep dir', 'logs', '%A_%a.out')}`, '--ntasks=1',
    '--partition=gpu', '--gres=gpu:a100:1', '--time=1-02:00:00', '--cpus-per-task=8', '--mem=64G', '--account=proj', '--qos=high',
  ]);
  expect(script).toContain('module load nodejs/20\n');
  expect(script).toContain(`exec clsrl run --manifest ${shq(manifest)} --index "$SLURM_ARRAY_TASK_ID"`);
  expect(shq(manifest)).toBe(`'${manifest}'`);
  expect(() => slurmScript(manifest, 2, { time: 'soon' }, 's')).toThrow(/--time/);
  expect(() => slurmScript(manifest, 2, { sbatchExtra: ['a\nb'] }, 's')).toThrow(ClsrlError);
  expect(() => slurmScript(manifest, 0, {}, 's')).toThrow(/nothing to submit/);
});

test('executor flags: defaults, k8s only when asked, bad values are BAD_FLAG', () => {
  expect(parseExecutorFlags({})).toMatchObject({ executor: 'local', wait: false, pollMs: 10_000, k8s: undefined });
  const f = parseExecutorFlags({ executor: 'k8s', image: 'img', gpus: '2', 'max-concurrent': '3', poll: '0.5' });
  expect(f.k8s).toMatchObject({ image: 'img', gpus: 2, maxConcurrent: 3, volumeClaim: 'clsrl-shared', mountPath: '/shared', retries: 2 });
  expect(f.pollMs).toBe(500);
  expect(() => parseExecutorFlags({ executor: 'pbs' })).toThrow(/--executor "pbs"/);
  expect(() => parseExecutorFlags({ executor: 'slurm', cpus: 'many' })).toThrow(/--cpus/);
});
