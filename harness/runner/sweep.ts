// runSweep: the function the `sweep` CLI command is a thin shell over. Plans the suite, validates every
// input BEFORE the database is touched, skips finished runs and runs another live sweep holds (leases,
// runner/claims.ts), re-runs runs a killed process left behind, runs the rest (in-process, or in worker
// processes with --jobs N) and stores each one atomically.

import * as fs from 'fs';
import * as path from 'path';
import type { Engine, MethodPlugin, RunSpec, RunStatus, SuiteDef } from '../contracts';
import { resolveDataRoot } from '../data';
import { createEngine } from '../engines/registry';
import { ClsrlError } from '../errors';
import { DEFAULT_DB, Store } from '../store';
import { preflightError, runDoctor } from '../doctor';
import { getMethod as registryGetMethod } from '../../methods/registry';
import { loadSuite, validateSuite } from '../../suites/registry';
import { checkImages } from '../data/image-check';
import { checkPlanData, getDataset, registerSuiteDatasets } from './data';
import { executeRun, type RunContext } from './execute';
import { DEFAULT_ENGINE, DEFAULT_JOBS, type SweepOptions } from './options';
import { ClaimQueue } from './claims';
import { legacyRunId, planDatasets, planSweep, suiteEngineConfig } from './plan';
import { prepareRuns, requirePrepareHook } from './prepare';
import { runInWorkers } from './pool';
import { fanOut, type RunOutcome, type SweepReporter } from './reporters';
import { codeVersion } from './version';

export interface SweepResult {
  suite: string;
  engine: string;
  db: string;
  dataRoot: string | null;
  dryRun: boolean;
  /** Training runs whose folders this sweep wrote and stored as `prepared` (--prepare, writeOnly). */
  prepared: number;
  specs: RunSpec[];
  /** Status of every planned run after the sweep (`pending` = not in the DB). */
  status: Record<string, RunStatus>;
  /** Runs finished by this sweep. */
  ran: number;
  /** Runs found done when this sweep started, skipped. */
  skipped: number;
  /** Runs another live process held (and ran, or was running, or failed) while this sweep went: skipped here. */
  held: number;
  failed: { id: string; error: string; hint?: string }[];
}

function loadRequires(mods: string[] | undefined): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  for (const m of mods ?? []) require(path.resolve(m));
}

/** Prepares the data of a suite: its generated data (`prepare`), or the user's data root, then validates it. */
async function resolveData(suite: SuiteDef, specs: RunSpec[], opts: SweepOptions, db: string, writesFolders: boolean, getMethod: (n: string) => MethodPlugin<object>): Promise<string | null> {
  registerSuiteDatasets(suite.customDatasets);
  let root: string | null;
  if (suite.prepare) {
    // a dry run generates no data, unless it writes run folders (which hold the training data)
    if (opts.dryRun && !writesFolders) return null;
    const cacheDir = path.resolve(opts.cacheDir ?? path.join(path.dirname(db), 'cache'));
    root = (await suite.prepare({ cacheDir })).dataRoot;
  } else {
    root = resolveDataRoot(opts.dataRoot);
  }
  // every dataset is read (and its images checked) before any run starts or the DB is opened
  for (const d of planDatasets(specs)) await getDataset(d, root);
  const { warnings, images } = await checkPlanData(specs, root, (m) => getMethod(m).meta.trains);
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
  if (!opts.dryRun) {
    const tty = process.stderr.isTTY && (opts.reporters?.length ?? 0) > 0;
    await checkImages(`the plan of suite '${suite.name}'`, images, {
      cacheFile: path.join(path.dirname(path.resolve(db)), 'cache', 'image-checks.json'),
      onProgress: tty ? (done, total) => process.stderr.write(`\rchecking images ${done}/${total}${done === total ? '\n' : ''}`) : undefined,
    });
  }
  return root;
}

/** Plans, validates and runs a sweep. Run failures are stored and returned; input errors throw before any write. */
export async function runSweep(opts: SweepOptions): Promise<SweepResult> {
  loadRequires(opts.require);
  if (opts.model !== undefined) opts = { ...opts, engineOpt: { ...opts.engineOpt, model: opts.model } }; // --model = --engine-opt model=
  const suite = typeof opts.suite === 'string' ? loadSuite(opts.suite) : validateSuite(opts.suite, `suite '${opts.suite.name}'`);
  const engineName = opts.engine ?? suite.engine ?? DEFAULT_ENGINE;
  const getMethod = opts.getMethod ?? (registryGetMethod as (n: string) => MethodPlugin<object>);
  const db = opts.db ?? DEFAULT_DB;
  // methods are resolved before the engine so an unknown method fails fast, without loading weights
  for (const m of opts.methods ?? suite.methods) getMethod(m);
  const engine = await createEngine(engineName, { ...suiteEngineConfig(suite, engineName), ...opts.engineOpt }, { db });
  // writeOnly engines prepare instead of running; a dry run (also the cluster executors' planning) still only plans
  const prepare = !opts.dryRun && (!!opts.prepare || !!engine.prepareOnly);
  if (opts.prepare && opts.dryRun) {
    throw new ClsrlError('BAD_FLAG', '--dry-run and --prepare exclude each other', {
      hint: '--dry-run shows the plan (and writes run folders, storing nothing); --prepare writes the folders and records the runs as prepared',
    });
  }
  if (prepare) requirePrepareHook(engine);
  const specs = planSweep({
    suite,
    engine: engineName,
    engineConfig: opts.engineOpt,
    engineFingerprint: engine.fingerprint(),
    engineOptionKinds: engine.optionKinds,
    getMethod,
    datasets: opts.datasets,
    methods: opts.methods,
    settings: opts.settings,
    seeds: opts.seeds,
    shots: opts.shots,
    evalSplit: opts.evalSplit,
    diagnostics: opts.diagnostics,
    sampled: opts.sampled,
  });
  const dataRoot = await resolveData(suite, specs, opts, db, !!engine.prepareRun, getMethod);
  const base = { suite: suite.name, engine: engineName, db, dataRoot, specs };
  const workRoot = path.join(path.dirname(path.resolve(db)), 'runs');
  const prep = { engine, workRoot, getMethod, codeVersion: codeVersion() };

  if (opts.dryRun) {
    // engines that train outside the process write each training run's folder (data, config, launch script)
    if (engine.prepareRun && dataRoot) await prepareRuns(specs, { ...prep, dataRoot });
    const status = existingStatus(db, specs);
    const skipped = Object.values(status).filter((s) => s === 'done').length;
    return { ...base, dryRun: true, prepared: 0, status, ran: 0, skipped, held: 0, failed: [] };
  }
  adoptRenamedRuns(db, specs, engine.fingerprint(), workRoot, getMethod);
  if (prepare) {
    const store = Store.open(db);
    try {
      const written = await prepareRuns(specs, { ...prep, dataRoot: dataRoot!, store });
      const status: Record<string, RunStatus> = {};
      for (const s of specs) status[s.id] = store.status(s.id) ?? 'pending';
      const skipped = Object.values(status).filter((s) => s === 'done').length;
      return { ...base, dryRun: false, prepared: written.length, status, ran: 0, skipped, held: 0, failed: [] };
    } finally {
      store.close();
    }
  }
  const res = await runSpecs(specs, {
    db,
    dataRoot: dataRoot!,
    engine,
    engineOpt: { ...suiteEngineConfig(suite, engineName), ...opts.engineOpt },
    customDatasets: suite.customDatasets,
    jobs: opts.jobs ?? DEFAULT_JOBS,
    reporters: opts.reporters,
    getMethod,
    require: opts.require,
    suiteName: suite.name,
    beforeExternalLaunch: opts.skipDoctor || !engine.preflight ? undefined : preflightOnce(engine),
  });
  return { ...base, dryRun: false, prepared: 0, ...res };
}

/** The engine's preflight (`clsrl doctor`), run once, before the first external launch; problems stop the sweep. */
function preflightOnce(engine: Engine): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () =>
    (done ??= runDoctor(engine).then((r) => {
      if (!r.ok) throw preflightError(r);
    }));
}

/**
 * Runs stored (and run folders written) under the id a spec had while every engine option entered ids
 * (plan.ts legacyRunId) are moved to its current id, so a trained checkpoint is found instead of
 * retrained. A no-op unless the sweep passes operational engine options.
 */
function adoptRenamedRuns(db: string, specs: RunSpec[], engineFingerprint: string, workRoot: string, getMethod: (n: string) => MethodPlugin<object>): void {
  const moves = specs.map((s) => [legacyRunId(s, engineFingerprint, getMethod(s.method)), s] as const).filter(([old, s]) => old !== s.id);
  if (moves.length === 0) return;
  for (const [old, s] of moves) {
    const from = path.join(workRoot, old);
    const to = path.join(workRoot, s.id);
    if (fs.existsSync(from) && !fs.existsSync(to)) fs.renameSync(from, to);
  }
  if (!fs.existsSync(db)) return;
  const store = Store.open(db);
  try {
    for (const [old, s] of moves) store.rekeyRun(old, s);
  } finally {
    store.close();
  }
}

/** Status of each spec in an existing DB, without creating or migrating it. */
function existingStatus(db: string, specs: RunSpec[]): Record<string, RunStatus> {
  const out: Record<string, RunStatus> = Object.fromEntries(specs.map((s) => [s.id, 'pending' as RunStatus]));
  let store: Store;
  try {
    store = Store.open(db, { readonly: true });
  } catch (e) {
    if (e instanceof ClsrlError && e.code === 'NOT_FOUND') return out;
    throw e;
  }
  try {
    for (const s of specs) out[s.id] = store.status(s.id) ?? 'pending';
  } finally {
    store.close();
  }
  return out;
}

export interface RunSpecsOptions {
  db: string;
  dataRoot: string;
  /** The engine instance of the specs' engine, for in-process runs (created once per engine name when absent). */
  engine?: Engine;
  engineOpt?: Record<string, unknown>;
  customDatasets?: SuiteDef['customDatasets'];
  jobs?: number;
  reporters?: SweepReporter[];
  getMethod?: (name: string) => MethodPlugin<object>;
  require?: string[];
  suiteName?: string;
  /** Called by an external trainer before its first launch (the preflight); a PREFLIGHT error stops the sweep. */
  beforeExternalLaunch?(): Promise<void>;
  /** Run lease lifetime without a heartbeat (default LEASE_TTL_MS). */
  leaseTtlMs?: number;
}

/**
 * Runs the given specs (skipping those already done) and stores each atomically. The entry point for
 * executors that bring their own plan (a Slurm array task runs `runSpecs([spec], {db: shard, ...})`).
 */
export async function runSpecs(
  specs: RunSpec[],
  o: RunSpecsOptions,
): Promise<{ status: Record<string, RunStatus>; ran: number; skipped: number; held: number; failed: SweepResult['failed'] }> {
  loadRequires(o.require);
  registerSuiteDatasets(o.customDatasets);
  const rep = fanOut(o.reporters ?? []);
  const store = Store.open(o.db);
  const failed: SweepResult['failed'] = [];
  const queue = new ClaimQueue(specs, store, { ttlMs: o.leaseTtlMs, onElsewhere: (spec, info) => rep.onRunElsewhere(spec, info) });
  try {
    const todo = queue.todo;
    const jobs = Math.max(1, Math.min(o.jobs ?? 1, todo.length));
    rep.onSweepStart({ suite: o.suiteName ?? specs[0]?.suite ?? '', specs, todo, skipped: [...queue.doneAtStart], jobs });
    const finish = (spec: RunSpec, outcome: RunOutcome, err?: unknown) => {
      queue.finish(spec, outcome.status === 'done' ? 'ran' : 'failed');
      if (outcome.status !== 'done') failed.push({ id: spec.id, error: outcome.error ?? 'failed', hint: err instanceof ClsrlError ? err.hint : undefined });
      rep.onRunEnd(spec, outcome);
    };
    if (jobs === 1) {
      // o.engine is the engine of these specs (runSweep plans all specs on one engine)
      const engines = new Map<string, Engine>(o.engine && specs.length > 0 ? [[specs[0].engine, o.engine]] : []);
      for (let spec = queue.next(); spec; spec = queue.next()) {
        let engine = engines.get(spec.engine);
        if (!engine) engines.set(spec.engine, (engine = await createEngine(spec.engine, o.engineOpt ?? {}, { db: o.db })));
        const ctx: RunContext = {
          engine,
          dataRoot: o.dataRoot,
          workRoot: path.join(path.dirname(path.resolve(o.db)), 'runs'),
          codeVersion: codeVersion(),
          getMethod: o.getMethod ?? (registryGetMethod as (n: string) => MethodPlugin<object>),
          cache: store,
          reporter: rep,
          beforeExternalLaunch: o.beforeExternalLaunch,
        };
        const { outcome, error } = await runAndStore(spec, ctx, store);
        finish(spec, outcome, error);
        // a failed preflight fails every launch alike: stop before the next run
        if (error instanceof ClsrlError && error.code === 'PREFLIGHT') break;
      }
    } else {
      // workers cannot ask back: the preflight runs here first when any run may launch a training
      if (o.beforeExternalLaunch && todo.some((s) => (o.getMethod ?? registryGetMethod)(s.method).meta.trains)) await o.beforeExternalLaunch();
      await runInWorkers(() => queue.next(), {
        jobs,
        store,
        init: {
          db: path.resolve(o.db),
          dataRoot: o.dataRoot,
          engineOpt: o.engineOpt ?? {},
          customDatasets: o.customDatasets ?? [],
          require: (o.require ?? []).map((m) => path.resolve(m)),
        },
        reporter: rep,
        finish,
      });
    }
    const counts = queue.close();
    const status: Record<string, RunStatus> = {};
    for (const s of specs) status[s.id] = store.status(s.id) ?? 'pending';
    rep.onSweepEnd({ done: counts.ran, failed: counts.failed, skipped: counts.skipped, held: counts.elsewhere });
    return { status, ran: counts.ran, skipped: counts.skipped, held: counts.elsewhere, failed };
  } finally {
    queue.close();
    store.close();
  }
}

/**
 * markRunning -> executeRun -> saveRun (done), or saveRun (failed) with the error. Never throws for run
 * errors; a results database that cannot be written (disk full, read-only: ClsrlError STORAGE) ends the
 * sweep with that error instead, as recording the failure would fail the same way. Nothing is
 * half-written: each saveRun is one transaction.
 */
export async function runAndStore(
  spec: RunSpec,
  ctx: RunContext,
  store: Store,
): Promise<{ outcome: RunOutcome; error?: unknown }> {
  const started = Date.now();
  const startedAt = new Date().toISOString();
  store.markRunning(spec, { codeVersion: ctx.codeVersion, startedAt });
  ctx.reporter?.onRunStart?.(spec);
  try {
    const record = await executeRun(spec, ctx);
    store.saveRun(record);
    return { outcome: { status: 'done', record, ms: Date.now() - started } };
  } catch (e) {
    if (e instanceof ClsrlError && e.code === 'STORAGE') throw e;
    const msg = e instanceof Error ? e.message : String(e);
    store.saveRun(failedRecord(spec, msg, startedAt, ctx.codeVersion)); // throws STORAGE (a clear error) if the DB cannot be written
    return { outcome: { status: 'failed', error: msg, ms: Date.now() - started }, error: e };
  }
}

export function failedRecord(spec: RunSpec, error: string, startedAt: string, code: string) {
  return {
    spec,
    status: 'failed' as const,
    error,
    startedAt,
    finishedAt: new Date().toISOString(),
    trainMs: 0,
    evalMs: 0,
    trainSteps: 0,
    tokensGenerated: 0,
    codeVersion: code,
    dataFingerprint: '',
    engineFingerprint: '',
    evaluations: [],
    steps: [],
  };
}
