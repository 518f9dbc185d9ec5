// The results store: one SQLite file (better-sqlite3, WAL, busy timeout) holding runs, evaluations,
// predictions, training steps and the shared base-model evaluation cache. Reads implement ResultsSource.
// A run's results are written in ONE transaction: a run is either fully stored or not at all.

import Database from 'better-sqlite3';
import * as fs from 'fs';
import * as path from 'path';
import type {
  EvaluationRow,
  PredictionRow,
  ResultsSource,
  RunRow,
  RunSpec,
  RunStatus,
  SettingName,
  TrainStepRecord,
} from '../contracts';
import { countDiagnostics } from '../diagnostics';
import { ClsrlError, storageCondition, storageError } from '../errors';
import { checkTables, openReadonly, refuseForeign } from './guard';
import { bool, num, real, specColumns, toRunRow, type DbPrediction, type DbRun, type DbStep } from './rows';
import { currentVersion, DIAGNOSTICS_VERSION, migrate, READABLE_FROM, SCHEMA_VERSION } from './schema';

export { SCHEMA_VERSION } from './schema';
export { importRuns, type ImportSummary } from './merge';
export { dbChecksum } from './checksum';

export const DEFAULT_DB = 'results/clsrl.sqlite';

/** One scored example of an evaluation. */
export interface PredictionRecord {
  exampleId: string;
  label: string;
  output: string;
  extracted: string;
  correct: boolean;
  strictCorrect: boolean;
  /** Answer diagnostics (harness/diagnostics.ts); null or absent: not measured. */
  inList?: boolean | null;
  forcedChoice?: string | null;
  forcedCorrect?: boolean | null;
  sampledOutput?: string | null;
  sampledCorrect?: boolean | null;
}

/** One evaluation set of a run (n, correct and the accuracies are derived from the predictions). */
export interface EvaluationRecord {
  evalDataset: string;
  evalSplit: string;
  template: string;
  evalMs: number;
  /** Time of the diagnostics beyond greedy evaluation (forced choice, T = 1 samples), included in evalMs. */
  diagnosticsMs?: number;
  cacheKey?: string;
  fromCache?: boolean;
  predictions: PredictionRecord[];
}

/** Greedy completions of a base model on an evaluation set (see runner/evaluate.ts for the key). */
export interface EvalCacheEntry {
  key: string;
  engine: string;
  modelId: string;
  outputs: { id: string; text: string; tokens: number }[];
}

/** Everything a finished (or failed) run stores, written atomically by `saveRun`. */
export interface RunRecord {
  spec: RunSpec;
  status: 'done' | 'failed';
  error?: string | null;
  startedAt: string;
  finishedAt: string;
  trainMs: number;
  evalMs: number;
  trainSteps: number;
  tokensGenerated: number;
  codeVersion: string;
  dataFingerprint: string;
  engineFingerprint: string;
  evaluations: EvaluationRecord[];
  steps: TrainStepRecord[];
  cacheEntries?: EvalCacheEntry[];
}

/** Who holds a run lease: one sweep process. */
export interface LeaseHolder {
  holder: string;
  host: string;
  pid: number;
}

export interface LeaseRow extends LeaseHolder {
  runId: string;
  acquiredAt: string;
  heartbeatAt: number;
  expiresAt: number;
}

export type ClaimResult =
  | { state: 'claimed'; takenOver?: LeaseRow }
  | { state: 'done' }
  | { state: 'held'; by: LeaseRow }
  | { state: 'failed-elsewhere' };

interface DbLease {
  run_id: string;
  holder: string;
  host: string;
  pid: number;
  acquired_at: string;
  heartbeat_at: number;
  expires_at: number;
}

const leaseRow = (l: DbLease): LeaseRow => ({
  runId: l.run_id,
  holder: l.holder,
  host: l.host,
  pid: l.pid,
  acquiredAt: l.acquired_at,
  heartbeatAt: l.heartbeat_at,
  expiresAt: l.expires_at,
});

export interface OpenOptions {
  /** Open for reading only; the file must exist and have a readable schema (no migration). */
  readonly?: boolean;
}

const pct = (num: number, den: number): number => (den === 0 ? 0 : (100 * num) / den);

/** Runs `check` on a freshly opened database, closing it if the check throws. */
function guarded(db: Database.Database, check: () => void): void {
  try {
    check();
  } catch (e) {
    db.close();
    throw e;
  }
}

/** 0/1 of a measured flag, NULL when not measured. */
const flag = (b: boolean | null | undefined): number | null => (b === null || b === undefined ? null : b ? 1 : 0);


export class Store implements ResultsSource {
  readonly file: string;
  readonly db: Database.Database;
  /** Schema version of the file (a readonly open may read an older one; its diagnostics read as NULL). */
  readonly version: number;

  private constructor(file: string, db: Database.Database) {
    this.file = file;
    this.db = db;
    this.version = currentVersion(db);
  }

  /**
   * Opens (creating folders and file unless readonly) and migrates the database at `file`. A foreign
   * SQLite file is refused, a clsrl one missing a table is named as damaged; read-only opens work on a
   * read-only location too (see guard.ts); disk full / read-only while writing is a STORAGE error.
   */
  static open(file: string, opts: OpenOptions = {}): Store {
    const abs = path.resolve(file);
    if (opts.readonly && !fs.existsSync(abs)) {
      throw new ClsrlError('NOT_FOUND', `no results database at ${file}`, {
        hint: 'run `clsrl sweep` (or `npm start`) first, or pass --db FILE',
      });
    }
    let db: Database.Database;
    try {
      if (!opts.readonly) fs.mkdirSync(path.dirname(abs), { recursive: true });
      db = opts.readonly ? openReadonly(abs, file) : new Database(abs);
      db.pragma('busy_timeout = 30000');
      guarded(db, () => refuseForeign(db, file)); // before anything (journal mode, tables) changes the file
      if (!opts.readonly) {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
      }
      db.pragma('foreign_keys = ON');
    } catch (e) {
      if (e instanceof ClsrlError) throw e;
      if (storageCondition(e) && !/NOTADB|CORRUPT/.test(String((e as { code?: string }).code))) throw storageError(e, 'cannot open results database', file);
      throw new ClsrlError('STORE', `cannot open results database ${file}: ${(e as Error).message}`, {
        hint: 'check the --db path and its permissions',
        cause: e,
      });
    }
    try {
      if (opts.readonly) {
        // Older databases are read as they are (columns added since read as NULL); newer ones are refused.
        const v = currentVersion(db);
        if (v < READABLE_FROM || v > SCHEMA_VERSION) {
          throw new ClsrlError('STORE', `${file} has schema version ${v}, expected ${READABLE_FROM} to ${SCHEMA_VERSION}`, {
            hint: v === 0 ? 'it holds no clsrl results yet; run a sweep with --db on it' : v < SCHEMA_VERSION ? 'run a sweep on it once to migrate it' : 'update clsrl',
          });
        }
      } else {
        migrate(db, file);
      }
      const version = currentVersion(db);
      if (version > 0) checkTables(db, file, version);
    } catch (e) {
      db.close();
      if (e instanceof ClsrlError) throw e;
      if (storageCondition(e) && !/NOTADB|CORRUPT/.test(String((e as { code?: string }).code))) throw storageError(e, 'cannot write results database', file);
      throw new ClsrlError('STORE', `${file} is not a clsrl results database: ${(e as Error).message}`, {
        hint: 'pass another --db FILE',
        cause: e,
      });
    }
    return new Store(file, db);
  }

  /**
   * Closes the database. A writer that is the last connection checkpoints the write-ahead log and
   * switches the file to rollback-journal mode, so a finished database is readable read-only anywhere
   * (also where no -shm file can be created); with other connections open this is skipped (they finish it).
   */
  close(): void {
    if (!this.db.open) return;
    if (!this.db.readonly && !this.db.memory) {
      try {
        this.db.pragma('busy_timeout = 0');
        this.db.pragma('wal_checkpoint(TRUNCATE)');
        this.db.pragma('journal_mode = DELETE');
      } catch {
        /* busy (another process has it open) or not writable: the next closer does it */
      }
    }
    this.db.close();
  }

  /** Runs a write; disk full / read-only / I/O errors become a STORAGE error naming the database. */
  private write<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw storageError(e, `cannot write ${what} to results database`, this.file);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Run lifecycle

  status(id: string): RunStatus | undefined {
    const row = this.db.prepare('SELECT status FROM runs WHERE id = ?').get(id) as { status: RunStatus } | undefined;
    return row?.status;
  }

  /** Ids of runs stored as done (optionally only among `ids`). */
  doneIds(ids?: readonly string[]): Set<string> {
    const rows = this.db.prepare("SELECT id FROM runs WHERE status = 'done'").all() as { id: string }[];
    const done = new Set(rows.map((r) => r.id));
    return ids ? new Set(ids.filter((id) => done.has(id))) : done;
  }

  /** Records that a run started (status running, attempts + 1). A done run is left untouched. */
  markRunning(spec: RunSpec, meta: { codeVersion: string; startedAt?: string }): void {
    const now = meta.startedAt ?? new Date().toISOString();
    this.write(`the start of run ${spec.id}`, () => this.db
      .prepare(
        `INSERT INTO runs (id, suite, dataset, setting, shots, seed, method, engine, status, spec, config,
                           code_version, started_at, attempts)
         VALUES (@id, @suite, @dataset, @setting, @shots, @seed, @method, @engine, 'running', @spec, @config,
                 @codeVersion, @now, 1)
         ON CONFLICT (id) DO UPDATE SET status = 'running', error = NULL, started_at = @now,
                 code_version = @codeVersion, attempts = attempts + 1
         WHERE runs.status != 'done'`,
      )
      .run({ ...specColumns(spec), codeVersion: meta.codeVersion, now }));
  }

  /**
   * Records that a run's folder was written for an external trainer and nothing ran yet (status
   * prepared, with the spec, code version and data fingerprint). A done run is left untouched.
   */
  markPrepared(spec: RunSpec, meta: { codeVersion: string; dataFingerprint: string; engineFingerprint: string }): void {
    this.db
      .prepare(
        `INSERT INTO runs (id, suite, dataset, setting, shots, seed, method, engine, status, spec, config,
                           code_version, data_fingerprint, engine_fingerprint, finished_at)
         VALUES (@id, @suite, @dataset, @setting, @shots, @seed, @method, @engine, 'prepared', @spec, @config,
                 @codeVersion, @dataFingerprint, @engineFingerprint, @now)
         ON CONFLICT (id) DO UPDATE SET status = 'prepared', error = NULL, finished_at = @now, code_version = @codeVersion,
                 data_fingerprint = @dataFingerprint, engine_fingerprint = @engineFingerprint
         WHERE runs.status != 'done'`,
      )
      .run({ ...specColumns(spec), ...meta, now: new Date().toISOString() });
  }

  /**
   * Moves a run stored under `oldId` (with its evaluations, predictions and steps) to `spec.id`, storing
   * `spec` as its spec. Used when a run's id changed but not its content (operational engine options left
   * out of ids). Returns false when there is nothing under `oldId` or something already under `spec.id`.
   */
  rekeyRun(oldId: string, spec: RunSpec): boolean {
    const tx = this.db.transaction((): boolean => {
      if (oldId === spec.id || !this.status(oldId) || this.status(spec.id)) return false;
      const cols = (this.db.prepare('PRAGMA table_info(runs)').all() as { name: string }[]).map((c) => c.name);
      const pick = cols.map((c) => (c === 'id' ? '@id' : c === 'spec' ? '@spec' : c)).join(', ');
      this.db.prepare(`INSERT INTO runs (${cols.join(', ')}) SELECT ${pick} FROM runs WHERE id = @old`).run({ id: spec.id, spec: JSON.stringify(spec), old: oldId });
      for (const t of ['evaluations', 'predictions', 'train_steps']) this.db.prepare(`UPDATE ${t} SET run_id = ? WHERE run_id = ?`).run(spec.id, oldId);
      this.db.prepare('DELETE FROM runs WHERE id = ?').run(oldId);
      return true;
    });
    return tx.immediate();
  }

  /**
   * Claims a run for `lease.holder` unless it is done or another live holder has it: a lease row with
   * an expiry, renewed by `renewLeases`. A lease past its expiry, or one whose pid is dead on this host
   * (`isGone`), is taken over. `failedSince`: a run another process stored as failed at or after this
   * time is left alone (it was tried in this round; the next sweep retries it).
   */
  claimRun(
    id: string,
    lease: LeaseHolder,
    ttlMs: number,
    opts: { failedSince?: string; isGone?: (l: LeaseRow) => boolean; now?: number } = {},
  ): ClaimResult {
    const tx = this.db.transaction((): ClaimResult => {
      const now = opts.now ?? Date.now();
      const run = this.db.prepare('SELECT status, finished_at FROM runs WHERE id = ?').get(id) as
        | { status: RunStatus; finished_at: string | null }
        | undefined;
      if (run?.status === 'done') return { state: 'done' };
      const cur = this.db.prepare('SELECT * FROM run_leases WHERE run_id = ?').get(id) as DbLease | undefined;
      if (cur && cur.holder !== lease.holder) {
        const row = leaseRow(cur);
        const live = cur.expires_at > now && !(opts.isGone?.(row) ?? false);
        if (live) return { state: 'held', by: row };
      }
      if (!cur && run?.status === 'failed' && opts.failedSince && run.finished_at && run.finished_at >= opts.failedSince) {
        return { state: 'failed-elsewhere' };
      }
      this.db
        .prepare(
          `INSERT INTO run_leases (run_id, holder, host, pid, acquired_at, heartbeat_at, expires_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (run_id) DO UPDATE SET holder = excluded.holder, host = excluded.host, pid = excluded.pid,
             acquired_at = excluded.acquired_at, heartbeat_at = excluded.heartbeat_at, expires_at = excluded.expires_at`,
        )
        .run(id, lease.holder, lease.host, lease.pid, new Date(now).toISOString(), now, now + ttlMs);
      return { state: 'claimed', takenOver: cur && cur.holder !== lease.holder ? leaseRow(cur) : undefined };
    });
    return tx.immediate();
  }

  /** Heartbeat: pushes the expiry of every lease `holder` has to now + ttl. Returns how many it holds. */
  renewLeases(holder: string, ttlMs: number, now = Date.now()): number {
    return this.db.prepare('UPDATE run_leases SET heartbeat_at = ?, expires_at = ? WHERE holder = ?').run(now, now + ttlMs, holder).changes;
  }

  /** Gives a run's lease back (only `holder`'s own). */
  releaseRun(id: string, holder: string): void {
    this.db.prepare('DELETE FROM run_leases WHERE run_id = ? AND holder = ?').run(id, holder);
  }

  /** Every live lease, for status displays and tests. */
  leases(): LeaseRow[] {
    return (this.db.prepare('SELECT * FROM run_leases ORDER BY run_id').all() as DbLease[]).map(leaseRow);
  }

  /**
   * Stores a run with all its evaluations, predictions, steps and cache entries in one transaction.
   * Returns false (and writes nothing) when the run is already stored as done, so nothing is stored twice.
   */
  saveRun(rec: RunRecord): boolean {
    const tx = this.db.transaction((r: RunRecord): boolean => {
      const prev = this.db.prepare('SELECT status, attempts FROM runs WHERE id = ?').get(r.spec.id) as
        | { status: RunStatus; attempts: number }
        | undefined;
      if (prev?.status === 'done') return false;
      this.deleteRun(r.spec.id);
      this.db
        .prepare(
          `INSERT INTO runs (id, suite, dataset, setting, shots, seed, method, engine, status, error, spec, config,
                             code_version, data_fingerprint, engine_fingerprint, started_at, finished_at,
                             train_ms, eval_ms, train_steps, tokens_generated, attempts)
           VALUES (@id, @suite, @dataset, @setting, @shots, @seed, @method, @engine, @status, @error, @spec, @config,
                   @codeVersion, @dataFingerprint, @engineFingerprint, @startedAt, @finishedAt,
                   @trainMs, @evalMs, @trainSteps, @tokensGenerated, @attempts)`,
        )
        .run({
          ...specColumns(r.spec),
          status: r.status,
          error: r.error ?? null,
          codeVersion: r.codeVersion,
          dataFingerprint: r.dataFingerprint,
          engineFingerprint: r.engineFingerprint,
          startedAt: r.startedAt,
          finishedAt: r.finishedAt,
          trainMs: r.trainMs,
          evalMs: r.evalMs,
          trainSteps: r.trainSteps,
          tokensGenerated: r.tokensGenerated,
          attempts: Math.max(1, prev?.attempts ?? 1),
        });
      this.insertEvaluations(r.spec.id, r.evaluations);
      this.insertSteps(r.spec.id, r.steps);
      for (const c of r.cacheEntries ?? []) this.putCache(c);
      return true;
    });
    return this.write(`run ${rec.spec.id}`, () => tx.immediate(rec));
  }

  private deleteRun(id: string): void {
    for (const t of ['predictions', 'evaluations', 'train_steps', 'runs']) {
      this.db.prepare(`DELETE FROM ${t} WHERE ${t === 'runs' ? 'id' : 'run_id'} = ?`).run(id);
    }
  }

  private insertEvaluations(runId: string, evals: EvaluationRecord[]): void {
    const ev = this.db.prepare(
      `INSERT INTO evaluations (run_id, eval_dataset, eval_split, n, correct, strict_correct, accuracy,
                                strict_accuracy, eval_ms, template, cache_key, from_cache, in_list, in_list_rate,
                                forced_correct, forced_accuracy, sampled_correct, sampled_accuracy, diagnostics_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const pr = this.db.prepare(
      `INSERT INTO predictions (run_id, eval_dataset, eval_split, example_id, label, output, extracted, correct,
                                strict_correct, in_list, forced_choice, forced_correct, sampled_output, sampled_correct)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const rate = (k: number | null, n: number): number | null => (k === null ? null : pct(k, n));
    for (const e of evals) {
      const n = e.predictions.length;
      const correct = e.predictions.filter((p) => p.correct).length;
      const strict = e.predictions.filter((p) => p.strictCorrect).length;
      // an evaluation is measured whole or not (countDiagnostics: null unless every prediction has it)
      const { inList: listed, forcedCorrect: forced, sampledCorrect: sampled } = countDiagnostics(e.predictions);
      ev.run(runId, e.evalDataset, e.evalSplit, n, correct, strict, pct(correct, n), pct(strict, n), e.evalMs,
        e.template, e.cacheKey ?? null, e.fromCache ? 1 : 0, listed, rate(listed, n), forced, rate(forced, n),
        sampled, rate(sampled, n), e.diagnosticsMs ?? null);
      for (const p of e.predictions) {
        pr.run(runId, e.evalDataset, e.evalSplit, p.exampleId, p.label, p.output, p.extracted, p.correct ? 1 : 0,
          p.strictCorrect ? 1 : 0, flag(p.inList), p.forcedChoice ?? null, flag(p.forcedCorrect), p.sampledOutput ?? null,
          flag(p.sampledCorrect));
      }
    }
  }

  private insertSteps(runId: string, steps: TrainStepRecord[]): void {
    const st = this.db.prepare(
      `INSERT OR REPLACE INTO train_steps (run_id, step, epoch, loss, rewards, reward_std, completion_length, kl, lr,
                               grad_norm, tokens_generated, wall_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const s of steps) {
      st.run(runId, s.step, s.epoch, num(s.loss), JSON.stringify(s.rewards), num(s.rewardStd), num(s.completionLength),
        num(s.kl), num(s.lr), num(s.gradNorm), s.tokensGenerated, num(s.wallMs));
    }
  }

  // -------------------------------------------------------------------------------------------
  // Evaluation cache

  getCache(key: string): EvalCacheEntry | undefined {
    const row = this.db.prepare('SELECT key, engine, model_id, outputs FROM eval_cache WHERE key = ?').get(key) as
      | { key: string; engine: string; model_id: string; outputs: string }
      | undefined;
    if (!row) return undefined;
    return { key: row.key, engine: row.engine, modelId: row.model_id, outputs: JSON.parse(row.outputs) };
  }

  putCache(c: EvalCacheEntry): void {
    this.write('an evaluation cache entry', () =>
      this.db
        .prepare('INSERT OR IGNORE INTO eval_cache (key, engine, model_id, n, outputs, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(c.key, c.engine, c.modelId, c.outputs.length, JSON.stringify(c.outputs), new Date().toISOString()));
  }

  // -------------------------------------------------------------------------------------------
  // ResultsSource

  runs(filter: { suite?: string } = {}): RunRow[] {
    const rows = this.db
      .prepare(`SELECT * FROM runs ${filter.suite ? 'WHERE suite = ?' : ''} ORDER BY suite, dataset, setting, method, shots, seed, id`)
      .all(...(filter.suite ? [filter.suite] : [])) as DbRun[];
    return rows.map(toRunRow);
  }

  evaluations(filter: { suite?: string } = {}): EvaluationRow[] {
    const diag = this.version >= DIAGNOSTICS_VERSION;
    const rows = this.db
      .prepare(
        `SELECT r.id AS runId, r.suite, r.dataset, r.setting, r.shots, r.seed, r.method, r.engine,
                e.eval_dataset AS evalDataset, e.eval_split AS evalSplit, e.n, e.correct, e.accuracy,
                e.strict_accuracy AS strictAccuracy,
                ${diag ? 'e.in_list_rate' : 'NULL'} AS inListRate, ${diag ? 'e.forced_accuracy' : 'NULL'} AS forcedChoiceAccuracy,
                ${diag ? 'e.sampled_accuracy' : 'NULL'} AS sampledAccuracy
         FROM evaluations e JOIN runs r ON r.id = e.run_id
         WHERE r.status = 'done' ${filter.suite ? 'AND r.suite = ?' : ''}
         ORDER BY r.suite, r.dataset, r.setting, r.method, r.shots, r.seed, r.id, e.eval_dataset, e.eval_split`,
      )
      .all(...(filter.suite ? [filter.suite] : [])) as EvaluationRow[];
    return rows.map((r) => ({ ...r, setting: r.setting as SettingName }));
  }

  trainSteps(runId: string): TrainStepRecord[] {
    const rows = this.db.prepare('SELECT * FROM train_steps WHERE run_id = ? ORDER BY step').all(runId) as DbStep[];
    return rows.map((s) => ({
      step: s.step,
      epoch: s.epoch,
      loss: real(s.loss),
      rewards: JSON.parse(s.rewards) as Record<string, number>,
      rewardStd: real(s.reward_std),
      completionLength: real(s.completion_length),
      kl: real(s.kl),
      lr: real(s.lr),
      gradNorm: real(s.grad_norm),
      tokensGenerated: s.tokens_generated,
      wallMs: real(s.wall_ms),
    }));
  }

  predictions(runId: string, evalDataset?: string, evalSplit?: string): PredictionRow[] {
    const where = ['run_id = ?'];
    const args: string[] = [runId];
    if (evalDataset !== undefined) (where.push('eval_dataset = ?'), args.push(evalDataset));
    if (evalSplit !== undefined) (where.push('eval_split = ?'), args.push(evalSplit));
    const rows = this.db
      .prepare(`SELECT * FROM predictions WHERE ${where.join(' AND ')} ORDER BY eval_dataset, eval_split, rowid`)
      .all(...args) as DbPrediction[];
    return rows.map((p) => ({
      runId: p.run_id,
      evalDataset: p.eval_dataset,
      evalSplit: p.eval_split,
      exampleId: p.example_id,
      label: p.label,
      output: p.output,
      extracted: p.extracted,
      correct: p.correct === 1,
      strictCorrect: p.strict_correct === 1,
      inList: bool(p.in_list),
      forcedChoice: p.forced_choice ?? null,
      forcedCorrect: bool(p.forced_correct),
      sampledOutput: p.sampled_output ?? null,
      sampledCorrect: bool(p.sampled_correct),
    }));
  }
}

/** Opens a store, runs `fn`, and closes it. */
export function withStore<T>(file: string, opts: OpenOptions, fn: (s: Store) => T): T {
  const s = Store.open(file, opts);
  try {
    return fn(s);
  } finally {
    s.close();
  }
}
