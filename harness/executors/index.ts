// Executors: where a sweep's runs execute. `local` is the runner's in-process runSweep; `slurm` submits a
// job array, `k8s` writes an Indexed Job. This is the extension point the `sweep` command calls.

import type { Argv } from 'yargs';
import type { SweepOptions } from '../runner/options';
import { runClusterSweep, unfinishedError, type ClusterSweepResult } from './cluster';
import { EXECUTOR_FLAGS, parseExecutorFlags, type ExecutorName } from './options';

export { runClusterSweep, type ClusterSweepResult } from './cluster';
export { ingestManifest, ingestShards, type IngestSummary } from './ingest';
export { runManifestTask } from './task';
export { EXECUTOR_NAMES, parseExecutorFlags, type ExecutorFlags, type ExecutorName } from './options';

export const EXECUTORS: Record<ExecutorName, string> = {
  k8s: 'writes a Kubernetes Indexed Job (one index per run) for `kubectl apply`; merge with `clsrl ingest`',
  local: 'runs in this process (or --jobs worker processes): the runner itself',
  slurm: 'submits one sbatch --array job (one task per run); --wait follows it and merges the shards',
};

/** Adds --executor and the Slurm/Kubernetes flags to the sweep command's yargs builder. */
export function withExecutorOptions<T>(y: Argv<T>): Argv<T> {
  return y.options(EXECUTOR_FLAGS) as unknown as Argv<T>;
}

/** Summary document of a cluster sweep (what `sweep --executor slurm|k8s --json` prints). */
export function clusterDocument(r: ClusterSweepResult): Record<string, unknown> {
  return {
    executor: r.executor,
    suite: r.suite,
    db: r.db,
    sweepDir: r.sweepDir,
    dryRun: r.dryRun,
    total: r.total,
    alreadyDone: r.alreadyDone,
    inFlight: r.inFlight,
    submitted: r.submitted.map((s, index) => ({ index, id: s.id, method: s.method, dataset: s.dataset, setting: s.setting, shots: s.shots, seed: s.seed })),
    manifest: r.manifest,
    jobFile: r.jobFile,
    jobId: r.jobId,
    jobText: r.jobText,
    final: r.final ?? null,
  };
}

/**
 * The sweep command's hook: when `--executor` is slurm or k8s, plans, submits and prints the result
 * (the script or Job on --dry-run) and returns true; for local (the default) does nothing and returns
 * false, so the command goes on with runSweep. Throws RUN_FAILED after printing when a waited job left
 * runs unfinished.
 */
export async function sweepOnExecutor(argv: Record<string, unknown>, opts: SweepOptions): Promise<boolean> {
  const ex = parseExecutorFlags(argv);
  if (ex.executor === 'local') return false;
  const json = argv.json === true;
  const r = await runClusterSweep(opts, ex);
  if (json) process.stdout.write(JSON.stringify(clusterDocument(r), null, 2) + '\n');
  else if (r.dryRun && r.jobText) {
    process.stdout.write(r.jobText);
    process.stderr.write(`dry run: ${r.submitted.length} of ${r.total} runs would be submitted (manifest ${r.manifest}); nothing written\n`);
  } else {
    const what = r.jobId ? `Slurm job ${r.jobId}` : r.jobFile ? r.jobFile : 'nothing';
    process.stdout.write(`sweep ${r.suite} (${r.executor}): ${r.total} runs, ${r.alreadyDone} done, ${r.submitted.length} submitted -> ${what}\n`);
    if (r.final) process.stdout.write(`after the job: ${r.final.done}/${r.final.total} of the submitted runs done; results in ${r.db}\n`);
  }
  const err = unfinishedError(r);
  if (err) throw err;
  return true;
}
