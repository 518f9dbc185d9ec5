// runSweep: the function the `sweep` CLI command is a thin shell over. Plans the suite, validates every
// input BEFORE the database is touched, skips finished runs, re-runs runs a killed process left behind,
// runs the rest (in-process, or in worker processes with --jobs N) and stores each one atomically.

import * as path from 'path';
import type { Engine, MethodPlugin, RunSpec, RunStatus, SuiteDef } from '../contracts';
import { resolveDataRoot } from '../data';
import { createEngine } from '../engines/registry';
import { ClsrlError } from '../errors';
import { DEFAULT_DB, Store } from '../store';
import { getMethod as registryGetMethod } from '../../methods/registry';
import { loadSuite, validateSuite } from '../../suites/registry';
import { getDataset, registerSuiteDatasets } from './data';
import { executeRun, type RunContext } from './execute';
import { DEFAULT_ENGINE, DEFAULT_JOBS, type SweepOptions } from './options';
import { planDatasets, planSweep } from './plan';
import { runInWorkers } from './pool';
import { fanOut, type RunOutcome, type SweepReporter } from './reporters';
import { codeVersion } from './version';

export interface SweepResult {
  suite: string;
  engine: string;
  db: string;
  dataRoot: string | null;
  dryRun: boolean;
  specs: RunSpec[];
  /** Status of every planned run after the sweep (`pending` = not in the DB). */
  status: Record<string, RunStatus>;
  /** Runs finished by this sweep. */
  ran: number;
  /** Runs found done and skipped. */
  skipped: number;
  failed: { id: string; error: string; hint?: string }[];
}

function loadRequires(mods: string[] | undefined): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  for (const m of mods ?? []) require(path.resolve(m));
}

/** Prepares the data of a suite: its generated data (`prepare`), or the user's data root, then validates it. */
async function resolveData(suite: SuiteDef, specs: RunSpec[], opts: SweepOptions, db: string): Promise<string | null> {
  registerSuiteDatasets(suite.customDatasets);
  let root: string | null;
  if (suite.prepare) {
    if (opts.dryRun) return null;
    const cacheDir = path.resolve(opts.cacheDir ?? path.join(path.dirname(db), 'cache'));
    root = (await suite.prepare({ cacheDir })).dataRoot;
  } else {
    root = resolveDataRoot(opts.dataRoot);
  }
  // every dataset is read (and its images checked) before any run starts or the DB is opened
  for (const d of planDatasets(specs)) await getDataset(d, root);
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
  const engine = await createEngine(engineName, { ...suite.engineConfig, ...opts.engineOpt });
  const specs = planSweep({
    suite,
    engine: engineName,
    engineConfig: opts.engineOpt,
    engineFingerprint: engine.fingerprint(),
    getMethod,
    datasets: opts.datasets,
    methods: opts.methods,
    settings: opts.settings,
    seeds: opts.seeds,
    shots: opts.shots,
    diagnostics: opts.diagnostics,
    sampled: opts.sampled,
  });
  const dataRoot = await resolveData(suite, specs, opts, db);
  const base = { suite: suite.name, engine: engineName, db, dataRoot, specs };

  if (opts.dryRun) {
    // engines that train outside the process write each training run's folder (data, config, launch script)
    if (engine.trainExternally && dataRoot) await (await import('../engines/trl/dry-run')).writeExternalRunFolders(engine, specs, { dataRoot, workRoot: path.join(path.dirname(path.resolve(db)), 'runs'), getMethod });
    const status = existingStatus(db, specs);
    const skipped = Object.values(status).filter((s) => s === 'done').length;
    return { ...base, dryRun: true, status, ran: 0, skipped, failed: [] };
  }
  const res = await runSpecs(specs, {
    db,
    dataRoot: dataRoot!,
    engine,
    engineOpt: { ...suite.engineConfig, ...opts.engineOpt },
    customDatasets: suite.customDatasets,
    jobs: opts.jobs ?? DEFAULT_JOBS,
    reporters: opts.reporters,
    getMethod,
    require: opts.require,
    suiteName: suite.name,
  });
  return { ...base, dryRun: false, ...res };
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
}

/**
 * Runs the given specs (skipping those already done) and stores each atomically. The entry point for
 * executors that bring their own plan (a Slurm array task runs `runSpecs([spec], {db: shard, ...})`).
 */
export async function runSpecs(
  specs: RunSpec[],
  o: RunSpecsOptions,
): Promise<{ status: Record<string, RunStatus>; ran: number; skipped: number; failed: SweepResult['failed'] }> {
  loadRequires(o.require);
  registerSuiteDatasets(o.customDatasets);
  const rep = fanOut(o.reporters ?? []);
  const store = Store.open(o.db);
  const failed: SweepResult['failed'] = [];
  let ran = 0;
  try {
    const done = store.doneIds(specs.map((s) => s.id));
    const todo = specs.filter((s) => !done.has(s.id));
    const jobs = Math.max(1, Math.min(o.jobs ?? 1, todo.length));
    rep.onSweepStart({ suite: o.suiteName ?? specs[0]?.suite ?? '', specs, todo, skipped: [...done], jobs });
    const finish = (spec: RunSpec, outcome: RunOutcome, err?: unknown) => {
      if (outcome.status === 'done') ran++;
      else failed.push({ id: spec.id, error: outcome.error ?? 'failed', hint: err instanceof ClsrlError ? err.hint : undefined });
      rep.onRunEnd(spec, outcome);
    };
    if (jobs === 1) {
      // o.engine is the engine of these specs (runSweep plans all specs on one engine)
      const engines = new Map<string, Engine>(o.engine && specs.length > 0 ? [[specs[0].engine, o.engine]] : []);
      for (const spec of todo) {
        let engine = engines.get(spec.engine);
        if (!engine) engines.set(spec.engine, (engine = await createEngine(spec.engine, o.engineOpt ?? {})));
        const ctx: RunContext = {
          engine,
          dataRoot: o.dataRoot,
          workRoot: path.join(path.dirname(path.resolve(o.db)), 'runs'),
          codeVersion: codeVersion(),
          getMethod: o.getMethod ?? (registryGetMethod as (n: string) => MethodPlugin<object>),
          cache: store,
          reporter: rep,
        };
        const { outcome, error } = await runAndStore(spec, ctx, store);
        finish(spec, outcome, error);
      }
    } else {
      await runInWorkers(todo, {
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
    const status: Record<string, RunStatus> = {};
    for (const s of specs) status[s.id] = store.status(s.id) ?? 'pending';
    rep.onSweepEnd({ done: ran, failed: failed.length, skipped: done.size });
    return { status, ran, skipped: done.size, failed };
  } finally {
    store.close();
  }
}

/** markRunning -> executeRun -> saveRun (done), or saveRun (failed) with the error. Never throws for run errors. */
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
    const msg = e instanceof Error ? e.message : String(e);
    store.saveRun(failedRecord(spec, msg, startedAt, ctx.codeVersion));
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
