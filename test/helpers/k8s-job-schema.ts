// A hand-written zod schema of the batch/v1 Job fields clsrl's Kubernetes executor may emit, from the
// Kubernetes API reference (Job, PodSpec, Container, ResourceRequirements): independent of the generator.

import { z } from 'zod';

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
export const jobSchema = z
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
