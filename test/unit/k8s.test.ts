// The Kubernetes executor's Indexed Job against a hand-written schema of the batch/v1 Job fields it may
// emit (written from the Kubernetes API reference, not from the generator), plus its flag checks.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { z } from 'zod';
import { ClsrlError } from '../../harness/errors';
import { buildK8sJob, dnsLabel, K8S_DEFAULTS, type K8sOptions } from '../../harness/executors/k8s';

// --- schema (Kubernetes API reference: batch/v1 Job, core/v1 PodSpec/Container/ResourceRequirements) ---
const dns1123Label = z.string().max(63).regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
const labelValue = z.string().max(63).regex(/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/);
const labels = z.record(z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/), labelValue);
const quantity = z.string().regex(/^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|Pi|k|K|M|G|T|P)?$/);
const resourceList = z.record(z.string().regex(/^([a-z0-9.-]+\/)?[a-z0-9-]+$/), quantity);
const envVar = z.strictObject({
  name: z.string().regex(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/),
  value: z.string().optional(),
  valueFrom: z.strictObject({ fieldRef: z.strictObject({ fieldPath: z.string().min(1) }) }).optional(),
});
const container = z.strictObject({
  name: dns1123Label,
  image: z.string().min(1),
  command: z.array(z.string()).min(1).optional(),
  args: z.array(z.string()).optional(),
  env: z.array(envVar).optional(),
  workingDir: z.string().optional(),
  resources: z.strictObject({ requests: resourceList.optional(), limits: resourceList.optional() }).optional(),
  volumeMounts: z.array(z.strictObject({ name: dns1123Label, mountPath: z.string().startsWith('/'), readOnly: z.boolean().optional() })).optional(),
});
const volume = z.strictObject({
  name: dns1123Label,
  persistentVolumeClaim: z.strictObject({ claimName: dns1123Label, readOnly: z.boolean().optional() }),
});
const jobSchema = z
  .strictObject({
    apiVersion: z.literal('batch/v1'),
    kind: z.literal('Job'),
    metadata: z.strictObject({ name: dns1123Label, namespace: dns1123Label.optional(), labels: labels.optional() }),
    spec: z.strictObject({
      completionMode: z.literal('Indexed'),
      completions: z.number().int().min(1),
      parallelism: z.number().int().min(1),
      backoffLimitPerIndex: z.number().int().min(0),
      maxFailedIndexes: z.number().int().min(0),
      ttlSecondsAfterFinished: z.number().int().min(0).optional(),
      template: z.strictObject({
        metadata: z.strictObject({ labels: labels.optional() }).optional(),
        spec: z.strictObject({
          restartPolicy: z.enum(['Never', 'OnFailure']),
          containers: z.array(container).min(1),
          volumes: z.array(volume).optional(),
          nodeSelector: z.record(z.string(), z.string()).optional(),
        }),
      }),
    }),
  })
  // API-server rules across fields
  .refine((j) => j.spec.parallelism <= j.spec.completions, 'parallelism above completions')
  .refine((j) => j.spec.maxFailedIndexes <= j.spec.completions, 'maxFailedIndexes must be <= completions')
  .refine((j) => j.spec.template.spec.restartPolicy === 'Never', 'backoffLimitPerIndex requires restartPolicy Never')
  .refine(
    (j) => j.spec.template.spec.containers.every((c) => (c.volumeMounts ?? []).every((m) => (j.spec.template.spec.volumes ?? []).some((v) => v.name === m.name))),
    'every volumeMount names a volume',
  );

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
