// The node side of a cluster sweep: one array task runs run `index` of a manifest into its own shard DB
// (through the runner's runSpecs) and then writes the run's done marker atomically.

import * as os from 'os';
import { z } from 'zod';
import type { RunStatus, SplitJsonDatasetDef } from '../contracts';
import { ClsrlError } from '../errors';
import { runSpecs } from '../runner/sweep';
import { clearShard, markerPath, readManifest, readMarker, shardPath, shardsDir, writeAtomic, type DoneMarker } from './manifest';

/** What the node needs besides the spec to rebuild a run's context (manifest.runOptions). */
export interface NodeRunOptions {
  suiteName: string;
  dataRoot: string | null;
  engineOpt: Record<string, unknown>;
  customDatasets: SplitJsonDatasetDef[];
  /** Absolute paths of modules registering extra methods/engines/datasets. */
  require: string[];
}

const nodeRunOptions = z.object({
  suiteName: z.string(),
  dataRoot: z.string().nullable(),
  engineOpt: z.record(z.string(), z.unknown()),
  customDatasets: z.array(z.object({ name: z.string(), folder: z.string(), splitFile: z.string(), imagePrefix: z.string() }).passthrough()),
  require: z.array(z.string()),
});

export interface TaskResult {
  runId: string;
  index: number;
  status: RunStatus;
  /** True when the run already had a done marker (a retried or duplicate task): nothing was run. */
  skipped: boolean;
  shard: string;
  error?: string;
}

/** Scheduler identity of this task for the marker (`<job>_<task>` on Slurm, the pod name on Kubernetes). */
function taskLabel(env: NodeJS.ProcessEnv): string | undefined {
  if (env.SLURM_ARRAY_JOB_ID) return `${env.SLURM_ARRAY_JOB_ID}_${env.SLURM_ARRAY_TASK_ID ?? ''}`;
  if (env.JOB_COMPLETION_INDEX !== undefined) return env.HOSTNAME;
  return undefined;
}

/** Runs task `index` of the manifest at `file`. A failed run still writes its marker and returns `failed`. */
export async function runManifestTask(file: string, index: number, o: { dataRoot?: string } = {}): Promise<TaskResult> {
  const m = readManifest(file);
  if (index >= m.runs.length) {
    throw new ClsrlError('BAD_FLAG', `--index ${index} is beyond manifest ${file} (${m.runs.length} runs, indices 0-${m.runs.length - 1})`, {
      hint: 'the array range must be 0-(N-1) for the manifest it was written with',
    });
  }
  const parsed = nodeRunOptions.safeParse(m.runOptions);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ClsrlError('BAD_CONFIG', `sweep manifest ${file}: field 'runOptions.${issue.path.join('.')}': ${issue.message}`, {
      hint: 'the manifest was written by another clsrl version; rerun `clsrl sweep` to write a new one',
    });
  }
  const ro = parsed.data as NodeRunOptions;
  const spec = m.runs[index];
  const dir = shardsDir(file, m);
  const shard = shardPath(dir, spec.id);
  if (readMarker(dir, spec.id)?.status === 'done') return { runId: spec.id, index, status: 'done', skipped: true, shard };

  const dataRoot = o.dataRoot ?? ro.dataRoot;
  if (!dataRoot) {
    throw new ClsrlError('DATA_ROOT', `sweep manifest ${file} has no data root`, { hint: 'pass --data-root DIR to clsrl run' });
  }
  // a killed earlier attempt may have left a half-written shard: this run starts from nothing
  clearShard(dir, spec.id);
  const res = await runSpecs([spec], {
    db: shard,
    dataRoot,
    engineOpt: ro.engineOpt,
    customDatasets: ro.customDatasets,
    require: ro.require,
    suiteName: ro.suiteName,
    jobs: 1,
  });
  const status = res.status[spec.id];
  const error = res.failed.find((f) => f.id === spec.id)?.error ?? (status === 'done' ? undefined : `run ended ${status}`);
  const marker: DoneMarker = {
    runId: spec.id,
    status: status === 'done' ? 'done' : 'failed',
    finishedAt: new Date().toISOString(),
    host: os.hostname(),
    task: taskLabel(process.env),
    ...(error ? { error } : {}),
  };
  writeAtomic(markerPath(dir, spec.id), JSON.stringify(marker, null, 2) + '\n');
  return { runId: spec.id, index, status: marker.status, skipped: false, shard, error };
}
