// `clsrl ingest --manifest M`: merges the finished shard DBs of a cluster sweep into the results DB.
// Idempotent: runs already in the DB are skipped, unfinished shards are left for a later ingest.

import type { Argv } from 'yargs';
import type { Command } from './index';
import { describe as describeSummary, ingestManifest } from '../executors/ingest';
import { parseFlags, yargsOptions, type FlagSpec } from '../flags';
import { COMMON_FLAGS, printJson, printLine } from './output';

export const INGEST_FLAGS = {
  manifest: { kind: 'string', required: true, describe: 'manifest-<n>.json of the sweep (its folder holds the shards)' },
  db: { kind: 'string', describe: 'results database (default: the one the manifest names)' },
  json: COMMON_FLAGS.json,
} as const satisfies Record<string, FlagSpec>;

export const command: Command = {
  command: 'ingest',
  describe: 'merge the finished shards of a Slurm/Kubernetes sweep into the results database (idempotent)',
  builder: (y: Argv) =>
    y.options(yargsOptions(INGEST_FLAGS)),
  handler: async (raw: Record<string, unknown>) => {
    const argv = parseFlags('ingest', INGEST_FLAGS, raw);
    const r = ingestManifest(argv.manifest!, argv.db);
    if (argv.json === true) printJson(r);
    else {
      printLine(`merged ${r.imported} run(s) into ${r.db} (${r.alreadyIngested} already there): ${describeSummary(r)}`);
      for (const [id, err] of Object.entries(r.failed)) printLine(`failed ${id}: ${err}`);
    }
  },
};
