// Merging result databases: copies finished runs (with their evaluations, predictions, steps) and the
// evaluation cache from another DB file into this one. Idempotent: runs already done here are skipped.
// Used to gather the shard databases of a Slurm/Kubernetes job array into one results file.

import Database from 'better-sqlite3';
import * as fs from 'fs';
import { ClsrlError } from '../errors';
import { currentVersion, READABLE_FROM, SCHEMA_VERSION } from './schema';
import type { Store } from './index';

export interface ImportSummary {
  /** Done runs copied into the target. */
  imported: number;
  /** Done runs the target already had. */
  skipped: number;
  /** Runs in the source that were not done (running/failed), left out. */
  unfinished: number;
  /** Evaluation-cache entries copied. */
  cacheEntries: number;
}

type Row = Record<string, unknown>;

function insertRows(target: Database.Database, table: string, rows: Row[], orIgnore = false): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]);
  const stmt = target.prepare(
    `INSERT ${orIgnore ? 'OR IGNORE ' : ''}INTO ${table} (${cols.join(', ')}) VALUES (${cols.map((c) => '@' + c).join(', ')})`,
  );
  for (const r of rows) stmt.run(r);
}

/** Copies the done runs of `sourceFile` (optionally one suite) into `target` in one transaction. */
export function importRuns(target: Store, sourceFile: string, opts: { suite?: string } = {}): ImportSummary {
  if (!fs.existsSync(sourceFile)) {
    throw new ClsrlError('NOT_FOUND', `no results database at ${sourceFile}`, { hint: 'check the path of the shard DB' });
  }
  const src = new Database(sourceFile, { readonly: true, fileMustExist: true });
  try {
    src.pragma('busy_timeout = 30000');
    // An older source's rows lack the columns added since; they are inserted as NULL (not measured).
    const v = currentVersion(src);
    if (v < READABLE_FROM || v > SCHEMA_VERSION) {
      throw new ClsrlError('STORE', `${sourceFile} has schema version ${v}, the target has ${SCHEMA_VERSION}`, {
        hint: v < 1 ? 'check the path of the shard DB' : 'open both with the same clsrl version',
      });
    }
    const runs = src
      .prepare(`SELECT * FROM runs ${opts.suite ? 'WHERE suite = ?' : ''} ORDER BY id`)
      .all(...(opts.suite ? [opts.suite] : [])) as Row[];
    const summary: ImportSummary = { imported: 0, skipped: 0, unfinished: 0, cacheEntries: 0 };
    const tx = target.db.transaction(() => {
      for (const run of runs) {
        const id = run.id as string;
        if (run.status !== 'done') {
          summary.unfinished++;
          continue;
        }
        if (target.status(id) === 'done') {
          summary.skipped++;
          continue;
        }
        for (const t of ['predictions', 'evaluations', 'train_steps']) target.db.prepare(`DELETE FROM ${t} WHERE run_id = ?`).run(id);
        target.db.prepare('DELETE FROM runs WHERE id = ?').run(id);
        insertRows(target.db, 'runs', [run]);
        for (const t of ['evaluations', 'predictions', 'train_steps']) {
          insertRows(target.db, t, src.prepare(`SELECT * FROM ${t} WHERE run_id = ? ORDER BY rowid`).all(id) as Row[]);
        }
        summary.imported++;
      }
      const before = (target.db.prepare('SELECT COUNT(*) AS c FROM eval_cache').get() as { c: number }).c;
      insertRows(target.db, 'eval_cache', src.prepare('SELECT * FROM eval_cache ORDER BY key').all() as Row[], true);
      summary.cacheEntries = (target.db.prepare('SELECT COUNT(*) AS c FROM eval_cache').get() as { c: number }).c - before;
    });
    tx.immediate();
    return summary;
  } finally {
    src.close();
  }
}
