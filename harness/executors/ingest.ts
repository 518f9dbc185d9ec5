// Gathering a cluster sweep's results: which runs of a sweep folder are done, failed or still pending,
// and the idempotent merge of finished shard databases into the main results DB.

import * as fs from 'fs';
import * as path from 'path';
import type { RunSpec } from '../contracts';
import { importRuns, Store } from '../store';
import { readManifest, readMarker, shardPath, shardsDir, type DoneMarker } from './manifest';

export interface IngestSummary {
  /** Finished shards newly copied into the main DB. */
  imported: number;
  /** Finished shards whose run the main DB already had (a repeated ingest). */
  alreadyIngested: number;
  /** Runs whose task ended in failure: id -> error. */
  failed: Record<string, string>;
  /** Runs with neither a result nor a marker yet (queued, running, killed). */
  pending: string[];
  /** Runs of the manifest(s) now done in the main DB. */
  done: number;
  total: number;
}

/** Status of one run given the main DB's done ids and the shard folder. */
export function runState(dir: string, runId: string, doneInDb: Set<string>): 'ingested' | DoneMarker['status'] | 'pending' {
  if (doneInDb.has(runId)) return 'ingested';
  return readMarker(dir, runId)?.status ?? 'pending';
}

/**
 * Merges every finished shard of `runs` (those with a `done` marker) from `dir` into the DB at `db`.
 * Safe to repeat and to run while tasks are still running: a shard is only read after its marker exists.
 */
export function ingestShards(db: string, dir: string, runs: RunSpec[]): IngestSummary {
  const summary: IngestSummary = { imported: 0, alreadyIngested: 0, failed: {}, pending: [], done: 0, total: runs.length };
  const store = Store.open(db);
  try {
    const ids = runs.map((r) => r.id);
    for (const id of ids) {
      const marker = readMarker(dir, id);
      if (marker?.status === 'done' && fs.existsSync(shardPath(dir, id))) {
        const r = importRuns(store, shardPath(dir, id));
        summary.imported += r.imported;
        summary.alreadyIngested += r.skipped;
      }
    }
    const done = store.doneIds(ids);
    summary.done = done.size;
    for (const id of ids) {
      if (done.has(id)) continue;
      const marker = readMarker(dir, id);
      if (marker?.status === 'failed') summary.failed[id] = marker.error ?? 'failed';
      else summary.pending.push(id);
    }
  } finally {
    store.close();
  }
  return summary;
}

/** `clsrl ingest --manifest M`: merges the manifest's finished shards into its DB (or `dbOverride`). */
export function ingestManifest(manifestFile: string, dbOverride?: string): IngestSummary & { db: string } {
  const m = readManifest(manifestFile);
  const db = dbOverride ?? m.db;
  return { ...ingestShards(db, shardsDir(manifestFile, m), m.runs), db };
}

/** All runs of every manifest in a sweep folder (deduplicated by id, first manifest first). */
export function sweepRuns(sweepDir: string): RunSpec[] {
  if (!fs.existsSync(sweepDir)) return [];
  const files = fs
    .readdirSync(sweepDir)
    .filter((f) => /^manifest-\d+\.json$/.test(f))
    .sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]));
  const byId = new Map<string, RunSpec>();
  for (const f of files) for (const r of readManifest(path.join(sweepDir, f)).runs) if (!byId.has(r.id)) byId.set(r.id, r);
  return [...byId.values()];
}

/** One line for logs: `3/5 done, 1 failed, 1 pending`. */
export function describe(s: IngestSummary): string {
  const failed = Object.keys(s.failed).length;
  return `${s.done}/${s.total} done` + (failed ? `, ${failed} failed` : '') + (s.pending.length ? `, ${s.pending.length} pending` : '');
}
