// `clsrl ingest --manifest M`: merges the finished shard DBs of a cluster sweep into the results DB.
// Idempotent: runs already in the DB are skipped, unfinished shards are left for a later ingest.

import type { Argv } from 'yargs';
import type { Command } from './index';
import { describe as describeSummary, ingestManifest } from '../executors/ingest';
import { jsonOption, printJson, printLine } from './output';

export const command: Command = {
  command: 'ingest',
  describe: 'merge the finished shards of a Slurm/Kubernetes sweep into the results database (idempotent)',
  builder: (y: Argv) =>
    jsonOption(
      y
        .option('manifest', { type: 'string', describe: 'manifest-<n>.json of the sweep (its folder holds the shards)' })
        .option('db', { type: 'string', describe: "results database (default: the one the manifest names)" })
        .demandOption('manifest'),
    ),
  handler: async (argv: Record<string, unknown>) => {
    const r = ingestManifest(argv.manifest as string, argv.db as string | undefined);
    if (argv.json === true) printJson(r);
    else {
      printLine(`merged ${r.imported} run(s) into ${r.db} (${r.alreadyIngested} already there): ${describeSummary(r)}`);
      for (const [id, err] of Object.entries(r.failed)) printLine(`failed ${id}: ${err}`);
    }
  },
};
