// The `sweep` command's executor flags (--executor local|slurm|k8s and the scheduler options), as one
// flag table (harness/flags.ts, as every command's flags) plus a parser into typed options.

import { parseFlag, parseFlags, yargsOptions, type FlagSpec } from '../flags';
import { K8S_DEFAULTS, type K8sOptions } from './k8s';
import type { SlurmOptions } from './slurm';

export const EXECUTOR_NAMES = ['k8s', 'local', 'slurm'] as const;
export type ExecutorName = (typeof EXECUTOR_NAMES)[number];

const G = { any: 'Executors:', slurm: 'Slurm (--executor slurm):', k8s: 'Kubernetes (--executor k8s):' };

/** The executor flags as a flag table (harness/flags.ts). `--cpus`, `--mem`, `--gpus`, `--max-concurrent`, `--job-name` serve both. */
export const EXECUTOR_FLAG_TABLE = {
  executor: { kind: 'choice', choices: EXECUTOR_NAMES, group: G.any, describe: 'where runs execute: local (this process), slurm (sbatch job array), k8s (Indexed Job manifest)' },
  sweepDir: { kind: 'string', group: G.any, describe: 'sweep folder on storage shared with the nodes (default: <db folder>/sweeps/<suite>-<plan hash>)' },
  maxConcurrent: { kind: 'int', min: 1, group: G.any, describe: 'most runs executing at once (Slurm %K, Job parallelism)' },
  cpus: { kind: 'int', min: 1, group: G.any, describe: 'CPUs per run' },
  mem: { kind: 'string', group: G.any, describe: 'memory per run (Slurm 16G, Kubernetes 16Gi)' },
  gpus: { kind: 'string', group: G.any, describe: 'GPUs per run (Slurm also type:count, e.g. a100:1)' },
  jobName: { kind: 'string', group: G.any, describe: 'job name (default from suite and sweep folder)' },
  wait: { kind: 'boolean', group: G.slurm, describe: 'follow the job to its end with progress, then merge the shards into --db' },
  poll: { kind: 'number', min: 0.01, group: G.slurm, describe: 'seconds between squeue polls with --wait (default 10)' },
  partition: { kind: 'string', group: G.slurm, describe: 'Slurm partition' },
  time: { kind: 'string', group: G.slurm, describe: 'time limit per run (HH:MM:SS or D-HH:MM:SS)' },
  sbatch: { kind: 'lines', group: G.slurm, describe: 'extra #SBATCH line, e.g. --sbatch=--account=proj (repeatable)' },
  setup: { kind: 'lines', group: G.slurm, describe: 'shell line run on the node before clsrl, e.g. "module load nodejs" (repeatable)' },
  clsrlCommand: { kind: 'string', group: G.slurm, describe: 'how nodes start clsrl (default: this node + this checkout\'s bin/clsrl.js)' },
  image: { kind: 'string', group: G.k8s, describe: 'container image with clsrl installed (required)' },
  namespace: { kind: 'string', group: G.k8s, describe: 'namespace of the Job' },
  volumeClaim: { kind: 'string', group: G.k8s, describe: 'ReadWriteMany PersistentVolumeClaim holding the sweep folder (default clsrl-shared)' },
  mountPath: { kind: 'string', group: G.k8s, describe: `where pods mount the claim (default ${K8S_DEFAULTS.mountPath}); the sweep folder is <mount-path>/<its name>` },
  podDataRoot: { kind: 'string', group: G.k8s, describe: 'data root inside the pods (default: the image\'s CLSRL_DATA)' },
  retries: { kind: 'int', min: 0, group: G.k8s, describe: `retries per run index (backoffLimitPerIndex, default ${K8S_DEFAULTS.retries})` },
  maxFailedIndexes: { kind: 'int', min: 0, group: G.k8s, describe: 'failed runs tolerated before the Job stops (default: all)' },
  gpuResource: { kind: 'string', group: G.k8s, describe: `extended resource name of GPUs (default ${K8S_DEFAULTS.gpuResource})` },
  k8sCommand: { kind: 'string', group: G.k8s, describe: 'command starting clsrl in the image, space-separated (default clsrl)' },
} as const satisfies Record<string, FlagSpec>;

/** yargs options, kebab-case. */
export const EXECUTOR_FLAGS = yargsOptions(EXECUTOR_FLAG_TABLE);

export interface ExecutorFlags {
  executor: ExecutorName;
  sweepDir?: string;
  wait: boolean;
  pollMs: number;
  slurm: SlurmOptions;
  /** Undefined when --executor is not k8s (its --image is required only then). */
  k8s?: K8sOptions;
}

const camel = (k: string) => k.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Reads the executor flags from parsed argv (camelCase or kebab-case keys). */
export function parseExecutorFlags(argv: Record<string, unknown>): ExecutorFlags {
  const raw = Object.fromEntries(Object.entries(argv).map(([k, v]) => [camel(k), v]));
  const f = parseFlags('sweep', EXECUTOR_FLAG_TABLE, raw);
  const executor = (f.executor ?? 'local') as ExecutorName;
  const common = { cpus: f.cpus, mem: f.mem, maxConcurrent: f.maxConcurrent, jobName: f.jobName };
  const slurm: SlurmOptions = {
    ...common,
    gpus: f.gpus,
    partition: f.partition,
    time: f.time,
    sbatchExtra: f.sbatch,
    setup: f.setup,
    clsrlCommand: f.clsrlCommand,
  };
  let k8s: K8sOptions | undefined;
  if (executor === 'k8s') {
    k8s = {
      ...common,
      image: f.image ?? '',
      namespace: f.namespace,
      volumeClaim: f.volumeClaim ?? 'clsrl-shared',
      mountPath: f.mountPath ?? K8S_DEFAULTS.mountPath,
      dataRoot: f.podDataRoot,
      retries: f.retries ?? K8S_DEFAULTS.retries,
      maxFailedIndexes: f.maxFailedIndexes,
      gpus: f.gpus === undefined ? undefined : (parseFlag('sweep', 'gpus', { kind: 'int', min: 0, describe: '' }, f.gpus) as number), // Kubernetes: a count
      gpuResource: f.gpuResource ?? K8S_DEFAULTS.gpuResource,
      command: f.k8sCommand?.trim().split(/\s+/) ?? K8S_DEFAULTS.command,
    };
  }
  return { executor, sweepDir: f.sweepDir, wait: !!f.wait, pollMs: f.poll !== undefined ? f.poll * 1000 : 10_000, slurm, k8s };
}
