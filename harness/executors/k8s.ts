// The Kubernetes executor: a batch/v1 Indexed Job (one completion index per manifest run, per-index
// retries) for the user to `kubectl apply`. clsrl never talks to the API server; JSON is valid YAML.

import * as path from 'path';
import { ClsrlError } from '../errors';

export interface K8sOptions {
  /** Container image with clsrl (and its engine) installed. */
  image: string;
  namespace?: string;
  jobName?: string;
  /** PersistentVolumeClaim (ReadWriteMany) holding the sweep folders, mounted in every pod. */
  volumeClaim: string;
  /** Where the claim is mounted in the pod; the sweep folder is `<mountPath>/<sweep folder name>`. */
  mountPath: string;
  /** Data root inside the pod (passed as --data-root); unset = the image's CLSRL_DATA. */
  dataRoot?: string;
  /** Max pods at once (Job parallelism); default: all. */
  maxConcurrent?: number;
  /** Retries of one index before it counts as failed (backoffLimitPerIndex). */
  retries: number;
  /** Failed indexes tolerated before the whole Job stops (maxFailedIndexes); default: all. */
  maxFailedIndexes?: number;
  cpus?: number;
  /** Memory per pod in Kubernetes units (`16Gi`). */
  mem?: string;
  /** GPUs per pod, as `<resource name>` count (`--gpu-resource`, default nvidia.com/gpu). */
  gpus?: number;
  gpuResource: string;
  /** Command that starts clsrl in the image. */
  command: string[];
}

export const K8S_DEFAULTS = { mountPath: '/shared', retries: 2, gpuResource: 'nvidia.com/gpu', command: ['clsrl'] };

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Lower-case DNS-1123 label from free text (for Job names), at most `max` characters. */
export function dnsLabel(text: string, max = 52): string {
  const s = text.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, max).replace(/-+$/, '');
  return s || 'clsrl';
}

/** Checks the Kubernetes flags (before any planning), naming the bad flag; `n` = runs to submit. */
export function checkK8sOptions(o: K8sOptions, n = 1): void {
  const bad = (flag: string, value: unknown, hint: string) =>
    new ClsrlError('BAD_FLAG', `--${flag} ${JSON.stringify(value)} is not valid`, { hint });
  if (!o.image) throw new ClsrlError('BAD_FLAG', '--image is required for --executor k8s', { hint: 'pass the container image that has clsrl, e.g. --image registry.example/clsrl:0.1' });
  if (!o.volumeClaim || !DNS_LABEL.test(o.volumeClaim)) throw bad('volume-claim', o.volumeClaim, 'name an existing ReadWriteMany PersistentVolumeClaim');
  if (!path.posix.isAbsolute(o.mountPath)) throw bad('mount-path', o.mountPath, 'use an absolute path such as /shared');
  if (o.namespace !== undefined && !DNS_LABEL.test(o.namespace)) throw bad('namespace', o.namespace, 'use a lower-case DNS label');
  if (o.jobName !== undefined && (!DNS_LABEL.test(o.jobName) || o.jobName.length > 52)) throw bad('job-name', o.jobName, 'lower-case letters, digits and -, at most 52 characters');
  if (o.mem !== undefined && !/^\d+(\.\d+)?(Ki|Mi|Gi|Ti|K|M|G|T)?$/.test(o.mem)) throw bad('mem', o.mem, 'use a Kubernetes quantity such as 16Gi');
  for (const [flag, v, min] of [['max-concurrent', o.maxConcurrent, 1], ['retries', o.retries, 0], ['max-failed-indexes', o.maxFailedIndexes, 0], ['cpus', o.cpus, 1], ['gpus', o.gpus, 0]] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < min)) throw bad(flag, v, `use an integer >= ${min}`);
  }
  if (o.command.length === 0) throw bad('k8s-command', o.command, 'give the command that starts clsrl in the image');
  if (n < 1) throw new ClsrlError('BAD_FLAG', 'nothing to submit', { hint: 'every run of the plan is already done' });
}

/** Pod path of a manifest written into a local sweep folder: `<mountPath>/<sweep folder>/<file>`. */
export function podManifestPath(manifestFile: string, mountPath: string): string {
  const abs = path.resolve(manifestFile);
  return path.posix.join(mountPath, path.basename(path.dirname(abs)), path.basename(abs));
}

/** The Indexed Job running the `n` runs of `manifestFile` (index i runs run i). */
export function buildK8sJob(manifestFile: string, n: number, o: K8sOptions, suite: string): Record<string, unknown> {
  checkK8sOptions(o, n);
  const manifestTag = path.basename(manifestFile).replace(/\.json$/, '');
  const name = o.jobName ?? dnsLabel(`clsrl-${suite}-${path.basename(path.dirname(path.resolve(manifestFile)))}-${manifestTag}`);
  const labels = { 'app.kubernetes.io/name': 'clsrl', 'app.kubernetes.io/component': 'sweep', 'clsrl/job': name };
  const cpu = o.cpus === undefined ? {} : { cpu: String(o.cpus) };
  const memory = o.mem === undefined ? {} : { memory: o.mem };
  const gpu = o.gpus ? { [o.gpuResource]: String(o.gpus) } : {};
  const args = ['run', '--manifest', podManifestPath(manifestFile, o.mountPath), ...(o.dataRoot ? ['--data-root', o.dataRoot] : [])];
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, ...(o.namespace ? { namespace: o.namespace } : {}), labels },
    spec: {
      completionMode: 'Indexed',
      completions: n,
      parallelism: Math.min(o.maxConcurrent ?? n, n),
      backoffLimitPerIndex: o.retries,
      maxFailedIndexes: o.maxFailedIndexes ?? n,
      template: {
        metadata: { labels },
        spec: {
          // per-index backoff requires restartPolicy Never: a failed pod is replaced, its index retried
          restartPolicy: 'Never',
          containers: [
            {
              name: 'clsrl',
              image: o.image,
              command: o.command,
              // `clsrl run` reads JOB_COMPLETION_INDEX when --index is absent; set from the pod's index
              // annotation explicitly (the controller also injects it from Kubernetes 1.22 on)
              args,
              env: [
                {
                  name: 'JOB_COMPLETION_INDEX',
                  valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } },
                },
              ],
              resources: { requests: { ...cpu, ...memory }, limits: { ...memory, ...gpu } },
              volumeMounts: [{ name: 'shared', mountPath: o.mountPath }],
            },
          ],
          volumes: [{ name: 'shared', persistentVolumeClaim: { claimName: o.volumeClaim } }],
        },
      },
    },
  };
}
