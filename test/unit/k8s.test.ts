// The Kubernetes executor's Indexed Job against a hand-written schema of the batch/v1 Job fields it may
// emit (test/helpers/k8s-job-schema.ts, written from the Kubernetes API reference), plus its flag checks.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ClsrlError } from '../../harness/errors';
import { buildK8sJob, dnsLabel, K8S_DEFAULTS, type K8sOptions } from '../../harness/executors/k8s';
import { jobSchema } from '../helpers/k8s-job-schema';

const base: K8sOptions = { ...K8S_DEFAULTS, image: 'registry.example/clsrl:0.1', volumeClaim: 'clsrl-shared' };
const manifest = '/mnt/clsrl/paper-fewshot/manifest-2.json';

describe('k8s Indexed Job', () => {
  test('a full set of options gives a Job the schema accepts, one index per run', () => {
    const job = buildK8sJob(manifest, 40, { ...base, namespace: 'ml', maxConcurrent: 8, cpus: 4, mem: '16Gi', gpus: 1, dataRoot: '/shared/data', maxFailedIndexes: 5 }, 'Paper Few-Shot');
    const parsed = jobSchema.parse(job);
    expect(parsed.spec).toMatchObject({ completions: 40, parallelism: 8, backoffLimitPerIndex: 2, maxFailedIndexes: 5 });
    const c = parsed.spec.template.spec.containers[0];
    expect(c.args).toEqual(['run', '--manifest', '/shared/paper-fewshot/manifest-2.json', '--data-root', '/shared/data']);
    expect(c.resources?.limits).toEqual({ memory: '16Gi', 'nvidia.com/gpu': '1' });
    expect(c.env?.find((e) => e.name === 'JOB_COMPLETION_INDEX')?.valueFrom?.fieldRef.fieldPath).toContain('job-completion-index');
    expect(parsed.metadata.name).toBe('clsrl-paper-few-shot-paper-fewshot-manifest-2');
  });

  test('minimal options are accepted; parallelism never exceeds completions', () => {
    const job = jobSchema.parse(buildK8sJob(manifest, 3, { ...base, maxConcurrent: 10 }, 'smoke'));
    expect(job.spec.parallelism).toBe(3);
    expect(job.metadata.namespace).toBeUndefined();
  });

  test('the schema itself rejects what the API server would (it can fail)', () => {
    const job = buildK8sJob(manifest, 3, base, 'smoke') as { spec: Record<string, unknown> };
    expect(jobSchema.safeParse({ ...job, spec: { ...job.spec, completionMode: 'NonIndexed' } }).success).toBe(false);
    expect(jobSchema.safeParse({ ...job, spec: { ...job.spec, unknownField: 1 } }).success).toBe(false);
    expect(jobSchema.safeParse({ ...job, metadata: { name: 'Bad_Name' } }).success).toBe(false);
  });

  test('bad flags fail with BAD_FLAG naming the flag', () => {
    const cases: [Partial<K8sOptions>, RegExp][] = [
      [{ image: '' }, /--image/],
      [{ volumeClaim: 'Not A Claim' }, /--volume-claim/],
      [{ mem: '16 gigs' }, /--mem/],
      [{ retries: -1 }, /--retries/],
      [{ mountPath: 'relative/dir' }, /--mount-path/],
    ];
    for (const [over, msg] of cases) {
      let err: unknown;
      try {
        buildK8sJob(manifest, 3, { ...base, ...over }, 'smoke');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ClsrlError);
      expect((err as ClsrlError).code).toBe('BAD_FLAG');
      expect((err as Error).message).toMatch(msg);
    }
  });

  test('job names become DNS labels', () => {
    expect(dnsLabel('CLS-RL / Paper_Sweep!!')).toBe('cls-rl-paper-sweep');
    expect(dnsLabel('x'.repeat(80)).length).toBe(52);
    expect(dnsLabel('___')).toBe('clsrl');
  });

  test('the written job.json round-trips through JSON', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-k8s-'));
    try {
      const file = path.join(dir, 'job.json');
      fs.writeFileSync(file, JSON.stringify(buildK8sJob(path.join(dir, 'manifest-1.json'), 2, base, 'smoke'), null, 2));
      expect(jobSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8'))).success).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
