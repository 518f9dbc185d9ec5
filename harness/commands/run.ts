// `clsrl run --manifest M --index I`: the node side of a cluster sweep. Runs run I of a sweep manifest
// into its own shard DB and writes its done marker; the index defaults to the scheduler's task index.

import type { Argv } from 'yargs';
import type { Command } from './index';
import { ClsrlError } from '../errors';
import { taskIndex } from '../executors/manifest';
import { runManifestTask } from '../executors/task';
import { jsonOption, printJson, printLine } from './output';

export const command: Command = {
  command: 'run',
  describe: 'run one run of a sweep manifest into its shard (what Slurm/Kubernetes tasks execute)',
  builder: (y: Argv) =>
    jsonOption(
      y
        .option('manifest', { type: 'string', describe: 'manifest-<n>.json written by `clsrl sweep --executor slurm|k8s`' })
        .option('index', { type: 'string', describe: 'run index in the manifest (default: $SLURM_ARRAY_TASK_ID or $JOB_COMPLETION_INDEX)' })
        .option('data-root', { type: 'string', describe: "data root on this node (default: the manifest's)" })
        .demandOption('manifest'),
    ),
  handler: async (argv: Record<string, unknown>) => {
    const raw = argv.index as string | undefined;
    if (raw !== undefined && !/^\d+$/.test(raw)) {
      throw new ClsrlError('BAD_FLAG', `--index ${JSON.stringify(raw)}: expected an integer >= 0`, { hint: 'task i runs run i of the manifest' });
    }
    const index = taskIndex(raw === undefined ? undefined : Number(raw));
    const r = await runManifestTask(argv.manifest as string, index, { dataRoot: argv.dataRoot as string | undefined });
    if (argv.json === true) printJson(r);
    else printLine(r.skipped ? `run ${r.runId} (index ${index}) was already done; nothing run` : `run ${r.runId} (index ${index}): ${r.status}; shard ${r.shard}`);
    if (r.status !== 'done') {
      throw new ClsrlError('RUN_FAILED', `run ${r.runId} (index ${index}) failed: ${r.error ?? 'unknown error'}`, {
        hint: 'its marker records the failure; rerunning the sweep resubmits it',
      });
    }
  },
};
