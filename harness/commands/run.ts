// `clsrl run --manifest M --index I`: the node side of a cluster sweep. Runs run I of a sweep manifest
// into its own shard DB and writes its done marker; the index defaults to the scheduler's task index.

import type { Argv } from 'yargs';
import type { Command } from './index';
import { ClsrlError } from '../errors';
import { parseFlags, yargsOptions, type FlagSpec } from '../flags';
import { taskIndex } from '../executors/manifest';
import { runManifestTask } from '../executors/task';
import { COMMON_FLAGS, printJson, printLine } from './output';

export const RUN_FLAGS = {
  manifest: { kind: 'string', required: true, describe: 'manifest-<n>.json written by `clsrl sweep --executor slurm|k8s`' },
  index: { kind: 'int', min: 0, describe: 'run index in the manifest (default: $SLURM_ARRAY_TASK_ID or $JOB_COMPLETION_INDEX)' },
  dataRoot: { kind: 'string', describe: "data root on this node (default: the manifest's)" },
  json: COMMON_FLAGS.json,
} as const satisfies Record<string, FlagSpec>;

export const command: Command = {
  command: 'run',
  describe: 'run one run of a sweep manifest into its shard (what Slurm/Kubernetes tasks execute)',
  builder: (y: Argv) =>
    y.options(yargsOptions(RUN_FLAGS)),
  handler: async (raw: Record<string, unknown>) => {
    const argv = parseFlags('run', RUN_FLAGS, raw);
    const index = taskIndex(argv.index);
    const r = await runManifestTask(argv.manifest!, index, { dataRoot: argv.dataRoot });
    if (argv.json === true) printJson(r);
    else printLine(r.skipped ? `run ${r.runId} (index ${index}) was already done; nothing run` : `run ${r.runId} (index ${index}): ${r.status}; shard ${r.shard}`);
    if (r.status !== 'done') {
      throw new ClsrlError('RUN_FAILED', `run ${r.runId} (index ${index}) failed: ${r.error ?? 'unknown error'}`, {
        hint: 'its marker records the failure; rerunning the sweep resubmits it',
      });
    }
  },
};
