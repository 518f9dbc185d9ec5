// The `sweep` command's executor flags (--executor local|slurm|k8s and the scheduler options), as one
// table for yargs plus a parser into typed options. The runner's SWEEP_FLAGS stay untouched.

import { ClsrlError } from '../errors';
import { K8S_DEFAULTS, type K8sOptions } from './k8s';
import type { SlurmOptions } from './slurm';

export const EXECUTOR_NAMES = ['k8s', 'local', 'slurm'] as const;
export type ExecutorName = (typeof EXECUTOR_NAMES)[number];

type Flag = { type: 'string' | 'boolean' | 'array'; describe: string; group: string; choices?: readonly string[] };

const G = { any: 'Executors:', slurm: 'Slurm (--executor slurm):', k8s: 'Kubernetes (--executor k8s):' };

/** yargs options, kebab-case. `--cpus`, `--mem`, `--gpus`, `--max-concurrent`, `--job-name` serve both. */
export const EXECUTOR_FLAGS: Record<string, Flag> = {
  executor: { type: 'string', choices: EXECUTOR_NAMES, group: G.any, describe: 'where runs execute: local (this process), slurm (sbatch job array), k8s (Indexed Job manifest)' },
  'sweep-dir': { type: 'string', group: G.any, describe: 'sweep folder on storage shared with the nodes (default: <db folder>/sweeps/<suite>-<plan hash>)' },
  'max-concurrent': { type: 'string', group: G.any, describe: 'most runs executing at once (Slurm %K, Job parallelism)' },
  cpus: { type: 'string', group: G.any, describe: 'CPUs per run' },
  mem: { type: 'string', group: G.any, describe: 'memory per run (Slurm 16G, Kubernetes 16Gi)' },
  gpus: { type: 'string', group: G.any, describe: 'GPUs per run (Slurm also type:count, e.g. a100:1)' },
  'job-name': { type: 'string', group: G.any, describe: 'job name (default from suite and sweep folder)' },
  wait: { type: 'boolean', group: G.slurm, describe: 'follow the job to its end with progress, then merge the shards into --db' },
  poll: { type: 'string', group: G.slurm, describe: 'seconds between squeue polls with --wait (default 10)' },
  partition: { type: 'string', group: G.slurm, describe: 'Slurm partition' },
  time: { type: 'string', group: G.slurm, describe: 'time limit per run (HH:MM:SS or D-HH:MM:SS)' },
  sbatch: { type: 'array', group: G.slurm, describe: 'extra #SBATCH line, e.g. --sbatch=--account=proj (repeatable)' },
  setup: { type: 'array', group: G.slurm, describe: 'shell line run on the node before clsrl, e.g. "module load nodejs" (repeatable)' },
  'clsrl-command': { type: 'string', group: G.slurm, describe: 'how nodes start clsrl (default: this node + this checkout\'s bin/clsrl.js)' },
  image: { type: 'string', group: G.k8s, describe: 'container image with clsrl installed (required)' },
  namespace: { type: 'string', group: G.k8s, describe: 'namespace of the Job' },
  'volume-claim': { type: 'string', group: G.k8s, describe: 'ReadWriteMany PersistentVolumeClaim holding the sweep folder (default clsrl-shared)' },
  'mount-path': { type: 'string', group: G.k8s, describe: `where pods mount the claim (default ${K8S_DEFAULTS.mountPath}); the sweep folder is <mount-path>/<its name>` },
  'pod-data-root': { type: 'string', group: G.k8s, describe: 'data root inside the pods (default: the image\'s CLSRL_DATA)' },
  retries: { type: 'string', group: G.k8s, describe: `retries per run index (backoffLimitPerIndex, default ${K8S_DEFAULTS.retries})` },
  'max-failed-indexes': { type: 'string', group: G.k8s, describe: 'failed runs tolerated before the Job stops (default: all)' },
  'gpu-resource': { type: 'string', group: G.k8s, describe: `extended resource name of GPUs (default ${K8S_DEFAULTS.gpuResource})` },
  'k8s-command': { type: 'string', group: G.k8s, describe: 'command starting clsrl in the image, space-separated (default clsrl)' },
};

export interface ExecutorFlags {
  executor: ExecutorName;
  sweepDir?: string;
  wait: boolean;
  pollMs: number;
  slurm: SlurmOptions;
  /** Undefined when --executor is not k8s (its --image is required only then). */
  k8s?: K8sOptions;
}

const camel = (k: string) => k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function str(argv: Record<string, unknown>, flag: string): string | undefined {
  const v = argv[camel(flag)] ?? argv[flag];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' && typeof v !== 'number') throw new ClsrlError('BAD_FLAG', `--${flag} expects one value`, { hint: 'pass the flag once' });
  return String(v);
}

function int(argv: Record<string, unknown>, flag: string, min: number): number | undefined {
  const s = str(argv, flag);
  if (s === undefined) return undefined;
  if (!/^\d+$/.test(s) || Number(s) < min) {
    throw new ClsrlError('BAD_FLAG', `--${flag} ${JSON.stringify(s)}: expected an integer >= ${min}`, { hint: `clsrl sweep --help describes --${flag}` });
  }
  return Number(s);
}

function lines(argv: Record<string, unknown>, flag: string): string[] | undefined {
  const v = argv[camel(flag)] ?? argv[flag];
  if (v === undefined) return undefined;
  return (Array.isArray(v) ? v : [v]).map(String);
}

/** Reads the executor flags from parsed argv (camelCase or kebab-case keys). */
export function parseExecutorFlags(argv: Record<string, unknown>): ExecutorFlags {
  const executor = (str(argv, 'executor') ?? 'local') as ExecutorName;
  if (!EXECUTOR_NAMES.includes(executor)) {
    throw new ClsrlError('BAD_FLAG', `--executor ${JSON.stringify(executor)} is not one of ${EXECUTOR_NAMES.join(', ')}`, {
      hint: 'local runs here; slurm submits an sbatch array; k8s writes an Indexed Job',
    });
  }
  const poll = str(argv, 'poll');
  if (poll !== undefined && !(Number(poll) > 0)) throw new ClsrlError('BAD_FLAG', `--poll ${JSON.stringify(poll)}: expected seconds > 0`, { hint: 'e.g. --poll 10' });
  const common = {
    cpus: int(argv, 'cpus', 1),
    mem: str(argv, 'mem'),
    maxConcurrent: int(argv, 'max-concurrent', 1),
    jobName: str(argv, 'job-name'),
  };
  const slurm: SlurmOptions = {
    ...common,
    gpus: str(argv, 'gpus'),
    partition: str(argv, 'partition'),
    time: str(argv, 'time'),
    sbatchExtra: lines(argv, 'sbatch'),
    setup: lines(argv, 'setup'),
    clsrlCommand: str(argv, 'clsrl-command'),
  };
  let k8s: K8sOptions | undefined;
  if (executor === 'k8s') {
    k8s = {
      ...common,
      image: str(argv, 'image') ?? '',
      namespace: str(argv, 'namespace'),
      volumeClaim: str(argv, 'volume-claim') ?? 'clsrl-shared',
      mountPath: str(argv, 'mount-path') ?? K8S_DEFAULTS.mountPath,
      dataRoot: str(argv, 'pod-data-root'),
      retries: int(argv, 'retries', 0) ?? K8S_DEFAULTS.retries,
      maxFailedIndexes: int(argv, 'max-failed-indexes', 0),
      gpus: int(argv, 'gpus', 0),
      gpuResource: str(argv, 'gpu-resource') ?? K8S_DEFAULTS.gpuResource,
      command: str(argv, 'k8s-command')?.trim().split(/\s+/) ?? K8S_DEFAULTS.command,
    };
  }
  return { executor, sweepDir: str(argv, 'sweep-dir'), wait: !!(argv.wait ?? false), pollMs: poll ? Number(poll) * 1000 : 10_000, slurm, k8s };
}
