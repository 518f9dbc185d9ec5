// `clsrl sweep --executor k8s` through the CLI: the dry run prints a Job the schema accepts and writes
// nothing; the written Job's pods (simulated by `clsrl run` with JOB_COMPLETION_INDEX) and `clsrl ingest`
// store what the local executor stores; a second sweep has nothing left to submit.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Store } from '../../harness/store';
import { makeCoopFixture } from '../fixtures/coop';
import { jobSchema } from '../helpers/k8s-job-schema';

describe('clsrl sweep --executor k8s', () => {
  const CLI = path.resolve(__dirname, '..', '..', 'bin', 'clsrl.js');
  let dir: string;
  const clsrl = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  const evals = (db: string) => {
    const s = Store.open(db, { readonly: true });
    try {
      return s.evaluations().map((e) => `${e.runId} ${e.evalDataset} ${e.evalSplit} ${e.correct}/${e.n}`).sort();
    } finally {
      s.close();
    }
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-k8s-cli-'));
    await makeCoopFixture(path.join(dir, 'data'), { datasets: ['DescribableTextures'] });
    fs.writeFileSync(
      path.join(dir, 'suite.json'),
      JSON.stringify({
        name: 'k8s-cli',
        description: 'DTD fixture, zero-shot and SFT on the double engine',
        datasets: ['DescribableTextures'],
        settings: [{ setting: 'few-shot', shots: [2], seeds: [1] }],
        methods: ['zero-shot', 'sft'],
        engine: 'double',
        methodConfig: { sft: { epochs: 1, batchSize: 4 } },
      }),
    );
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('dry run prints a Job the schema accepts and writes nothing; pods + ingest match the local executor', () => {
    const flags = ['--suite', 'suite.json', '--data-root', 'data', '--db', 'k8s.sqlite', '--executor', 'k8s', '--sweep-dir', 'sweep',
      '--image', 'registry.example/clsrl:0.1', '--max-concurrent', '4', '--gpus', '1'];
    const dry = clsrl(['sweep', ...flags, '--dry-run']);
    expect(dry.status).toBe(0);
    const job = jobSchema.parse(JSON.parse(dry.stdout));
    expect(job.spec).toMatchObject({ completions: 2, parallelism: 2 });
    expect(job.spec.template.spec.containers[0].args).toEqual(['run', '--manifest', '/shared/sweep/manifest-1.json']);
    expect(fs.existsSync(path.join(dir, 'sweep'))).toBe(false);

    const real = clsrl(['sweep', ...flags, '--json']);
    expect(real.status).toBe(0);
    const doc = JSON.parse(real.stdout) as { manifest: string; jobFile: string; submitted: unknown[] };
    expect(doc.submitted).toHaveLength(2);
    expect(jobSchema.safeParse(JSON.parse(fs.readFileSync(doc.jobFile, 'utf8'))).success).toBe(true);
    // what each pod runs, with the index from the environment the Job controller sets
    for (const i of [0, 1]) expect(clsrl(['run', '--manifest', doc.manifest], { JOB_COMPLETION_INDEX: String(i) }).status).toBe(0);
    expect(clsrl(['ingest', '--manifest', doc.manifest]).status).toBe(0);
    expect(clsrl(['sweep', '--suite', 'suite.json', '--data-root', 'data', '--db', 'local.sqlite']).status).toBe(0);
    const local = evals(path.join(dir, 'local.sqlite'));
    expect(local).toHaveLength(2);
    expect(evals(path.join(dir, 'k8s.sqlite'))).toEqual(local);
    // nothing left to do: a second sweep writes no new Job
    const again = JSON.parse(clsrl(['sweep', ...flags, '--json']).stdout) as { submitted: unknown[]; jobFile: string | null };
    expect(again).toMatchObject({ submitted: [], jobFile: null });
  }, 120_000);
});
