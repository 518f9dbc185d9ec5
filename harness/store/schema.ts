// The SQLite schema of the results store as ordered migrations. A migration is appended, never edited:
// `schema_version` records which ones a database has, and `migrate` applies the missing ones in order.

import type Database from 'better-sqlite3';
import { ClsrlError } from '../errors';

export interface Migration {
  version: number;
  description: string;
  sql: string;
  /** Rebuilds a table other tables reference: applied with foreign-key enforcement off (SQLite's
   * documented table-rebuild procedure), then checked with PRAGMA foreign_key_check. */
  rebuilds?: boolean;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'runs, evaluations, predictions, train steps, evaluation cache',
    sql: `
      CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        suite TEXT NOT NULL,
        dataset TEXT NOT NULL,
        setting TEXT NOT NULL,
        shots INTEGER NOT NULL,
        seed INTEGER NOT NULL,
        method TEXT NOT NULL,
        engine TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
        error TEXT,
        spec TEXT NOT NULL,            -- RunSpec JSON
        config TEXT NOT NULL,          -- resolved config JSON (spec.config)
        code_version TEXT NOT NULL DEFAULT '',
        data_fingerprint TEXT NOT NULL DEFAULT '',
        engine_fingerprint TEXT NOT NULL DEFAULT '',
        started_at TEXT,
        finished_at TEXT,
        train_ms REAL NOT NULL DEFAULT 0,
        eval_ms REAL NOT NULL DEFAULT 0,
        train_steps INTEGER NOT NULL DEFAULT 0,
        tokens_generated INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX runs_suite ON runs (suite, status);

      CREATE TABLE evaluations (
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        eval_dataset TEXT NOT NULL,
        eval_split TEXT NOT NULL,      -- test | base | new (transfer sets: split of the other dataset)
        n INTEGER NOT NULL,
        correct INTEGER NOT NULL,
        strict_correct INTEGER NOT NULL,
        accuracy REAL NOT NULL,        -- percent, the paper's lenient match
        strict_accuracy REAL NOT NULL, -- percent, exact match
        eval_ms REAL NOT NULL,
        template TEXT NOT NULL,
        cache_key TEXT,                -- set when the completions came from / went to eval_cache
        from_cache INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (run_id, eval_dataset, eval_split)
      );

      CREATE TABLE predictions (
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        eval_dataset TEXT NOT NULL,
        eval_split TEXT NOT NULL,
        example_id TEXT NOT NULL,
        label TEXT NOT NULL,
        output TEXT NOT NULL,
        extracted TEXT NOT NULL,
        correct INTEGER NOT NULL,
        strict_correct INTEGER NOT NULL,
        PRIMARY KEY (run_id, eval_dataset, eval_split, example_id)
      );

      CREATE TABLE train_steps (
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        step INTEGER NOT NULL,
        epoch REAL NOT NULL,
        loss REAL,                     -- NULL when not finite (a diverged step)
        rewards TEXT NOT NULL,         -- JSON {'reward/format': 0.5, ...}
        reward_std REAL,
        completion_length REAL,
        kl REAL,
        lr REAL,
        grad_norm REAL,
        tokens_generated INTEGER NOT NULL,
        wall_ms REAL,
        PRIMARY KEY (run_id, step)
      );

      -- Greedy completions of a base model on an evaluation set, shared by every run that asks again.
      CREATE TABLE eval_cache (
        key TEXT PRIMARY KEY,          -- hash(engine fingerprint, model id, eval set content, template, generation)
        engine TEXT NOT NULL,
        model_id TEXT NOT NULL,
        n INTEGER NOT NULL,
        outputs TEXT NOT NULL,         -- JSON [{id, text, tokens}]
        created_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    description: "runs.status may be 'prepared' (run folder written for an external trainer, not run yet)",
    rebuilds: true,
    sql: `
      CREATE TABLE runs_v2 (
        id TEXT PRIMARY KEY,
        suite TEXT NOT NULL,
        dataset TEXT NOT NULL,
        setting TEXT NOT NULL,
        shots INTEGER NOT NULL,
        seed INTEGER NOT NULL,
        method TEXT NOT NULL,
        engine TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'prepared', 'running', 'done', 'failed')),
        error TEXT,
        spec TEXT NOT NULL,
        config TEXT NOT NULL,
        code_version TEXT NOT NULL DEFAULT '',
        data_fingerprint TEXT NOT NULL DEFAULT '',
        engine_fingerprint TEXT NOT NULL DEFAULT '',
        started_at TEXT,
        finished_at TEXT,
        train_ms REAL NOT NULL DEFAULT 0,
        eval_ms REAL NOT NULL DEFAULT 0,
        train_steps INTEGER NOT NULL DEFAULT 0,
        tokens_generated INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0
      );
      INSERT INTO runs_v2 SELECT * FROM runs;
      DROP TABLE runs;
      ALTER TABLE runs_v2 RENAME TO runs;
      CREATE INDEX runs_suite ON runs (suite, status);
    `,
  },
  {
    version: 3,
    description: 'run leases: which live process executes a run (concurrent sweeps on one database)',
    sql: `
      -- A run being executed by a process: other sweeps skip it while the lease is live. The holder
      -- renews expires_at with a heartbeat; an expired lease (or a dead pid on this host) is taken over.
      CREATE TABLE run_leases (
        run_id TEXT PRIMARY KEY,
        holder TEXT NOT NULL,          -- '<host>:<pid>:<random>', one per sweep process
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        acquired_at TEXT NOT NULL,
        heartbeat_at INTEGER NOT NULL, -- epoch ms
        expires_at INTEGER NOT NULL    -- epoch ms
      );
      CREATE INDEX run_leases_holder ON run_leases (holder);
    `,
  },
  {
    version: 4,
    description: 'answer diagnostics per evaluation and prediction (NULL: not measured)',
    sql: `
      ALTER TABLE evaluations ADD COLUMN in_list INTEGER;          -- greedy answers naming a listed candidate
      ALTER TABLE evaluations ADD COLUMN in_list_rate REAL;        -- percent
      ALTER TABLE evaluations ADD COLUMN forced_correct INTEGER;   -- forced choice (argmax of listed names) = label
      ALTER TABLE evaluations ADD COLUMN forced_accuracy REAL;     -- percent
      ALTER TABLE evaluations ADD COLUMN sampled_correct INTEGER;  -- one T = 1 sample, lenient match
      ALTER TABLE evaluations ADD COLUMN sampled_accuracy REAL;    -- percent
      ALTER TABLE evaluations ADD COLUMN diagnostics_ms REAL;      -- part of eval_ms spent on the above
      ALTER TABLE predictions ADD COLUMN in_list INTEGER;
      ALTER TABLE predictions ADD COLUMN forced_choice TEXT;
      ALTER TABLE predictions ADD COLUMN forced_correct INTEGER;
      ALTER TABLE predictions ADD COLUMN sampled_output TEXT;
      ALTER TABLE predictions ADD COLUMN sampled_correct INTEGER;
    `,
  },
];

/**
 * Oldest schema a reader (results, report, merge source, worker cache) can read without migrating:
 * migration 2 only widened a CHECK, migration 3 only added what concurrent writers use, migration 4 only
 * nullable diagnostics columns (read as NULL before it).
 */
export const READABLE_FROM = 1;

/** The first version with answer-diagnostics columns (older databases read them as NULL). */
export const DIAGNOSTICS_VERSION = 4;

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** The schema version of an open database (0 for an empty one). */
export function currentVersion(db: Database.Database): number {
  const has = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get();
  if (!has) return 0;
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number | null };
  return row.v ?? 0;
}

/** Applies the missing migrations in one transaction; refuses databases from a newer clsrl. */
export function migrate(db: Database.Database, file: string): void {
  const have = currentVersion(db);
  const rebuild = MIGRATIONS.some((m) => m.version > have && m.rebuilds);
  // a table rebuild must not cascade deletes: enforcement is off (it cannot change inside a transaction)
  const fkWasOn = db.pragma('foreign_keys', { simple: true }) === 1;
  if (rebuild) db.pragma('foreign_keys = OFF');
  const apply = db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
    const have = currentVersion(db);
    if (have > SCHEMA_VERSION) {
      throw new ClsrlError('STORE', `${file} has schema version ${have}, newer than this clsrl (${SCHEMA_VERSION})`, {
        hint: 'update clsrl, or pass another --db',
      });
    }
    for (const m of MIGRATIONS) {
      if (m.version <= have) continue;
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)').run(m.version, new Date().toISOString());
    }
    if (rebuild && (db.pragma('foreign_key_check') as unknown[]).length > 0) {
      throw new ClsrlError('STORE', `${file}: migrating to schema ${SCHEMA_VERSION} would break references between tables`, {
        hint: 'the database was not changed; keep a copy and report it',
      });
    }
  });
  try {
    apply.immediate();
  } finally {
    if (rebuild && fkWasOn) db.pragma('foreign_keys = ON');
  }
}
