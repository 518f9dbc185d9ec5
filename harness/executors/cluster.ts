// `clsrl sweep --executor slurm|k8s`: plan (through runSweep's dry run), merge shards already finished,
// write a manifest of what is still pending, then submit it as a Slurm array (optionally following it to
// the end and merging) or write the Kubernetes Indexed Job for the user to apply.

import * as fs from 'fs';
import * as path from 'path';
import type { RunSpec, SuiteDef } from '../contracts';
import { ClsrlError } from '../errors';
import type { SweepOptions } from '../runner/options';
import { runSweep } from '../runner/sweep';
import { suiteEngineConfig } from '../runner/plan';
import { Store } from '../store';
import { loadSuite, validateSuite } from '../../suites/registry';
import { describe, ingestShards, sweepRuns, type IngestSummary } from './ingest';
import { buildK8sJob, checkK8sOptions } from './k8s';
import { defaultSweepDir, readManifest, readMarker, shardsDir, writeManifest } from './manifest';
import type { ExecutorFlags } from './options';
import { checkSlurmOptions, queuedTasks, slurmScript, submitScript, waitForJob } from './slurm';
import type { NodeRunOptions } from './task';

export interface ClusterSweepResult {
  executor: 'slurm' | 'k8s';
  suite: string;
  db: string;
  sweepDir: string;
  dryRun: boolean;
  /** Runs in the plan. */
  total: number;
  /** Runs already done (in the DB, or finished shards merged now). */
  alreadyDone: number;
  /** Runs still executing in an earlier submission of this sweep folder, not resubmitted. */
  inFlight: number;
  /** Runs in this submission (task i = run i). */
  submitted: RunSpec[];
  manifest: string | null;
  /** Batch script (Slurm) or Job file (Kubernetes) written, or null on a dry run / nothing to do. */
  jobFile: string | null;
  /** The batch script or Job JSON: what `--dry-run` prints. */
  jobText: string | null;
  jobId: string | null;
  /** After --wait: the merge of the finished shards. */
  final?: IngestSummary;
}

interface Submission {
  manifest: string;
  jobId: string;
  at: string;
}

const SUBMISSIONS = 'submissions.jsonl';

function readSubmissions(sweepDir: string): Submission[] {
  const f = path.join(sweepDir, SUBMISSIONS);
  if (!fs.existsSync(f)) return [];
  return fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Submission);
}

/** Run ids of earlier Slurm submissions whose tasks squeue still lists (pending or running). */
function slurmInFlight(sweepDir: string): Set<string> {
  const out = new Set<string>();
  for (const s of readSubmissions(sweepDir)) {
    const tasks = queuedTasks(s.jobId);
    if (!tasks || tasks.size === 0 || !fs.existsSync(s.manifest)) continue;
    const runs = readManifest(s.manifest).runs;
    for (const id of tasks.keys()) {
      const idx = Number(id.split('_')[1]);
      if (Number.isInteger(idx) && runs[idx]) out.add(runs[idx].id);
    }
  }
  return out;
}

function doneInDb(db: string, ids: string[]): Set<string> {
  if (!fs.existsSync(db)) return new Set();
  const store = Store.open(db, { readonly: true });
  try {
    return store.doneIds(ids);
  } finally {
    store.close();
  }
}

/** Next manifest file name, for dry runs that write nothing. */
function nextManifestName(sweepDir: string): string {
  const n = fs.existsSync(sweepDir) ? fs.readdirSync(sweepDir).filter((f) => /^manifest-\d+\.json$/.test(f)).length : 0;
  return path.join(sweepDir, `manifest-${n + 1}.json`);
}

async function suiteOf(opts: SweepOptions): Promise<SuiteDef> {
  return typeof opts.suite === 'string' ? loadSuite(opts.suite) : validateSuite(opts.suite, `suite '${opts.suite.name}'`);
}

/** Splits a plan into done (DB or done marker), in flight (an earlier Slurm job's live task) and pending. */
function pendingWork(specs: RunSpec[], db: string, sweepDir: string, ex: ExecutorFlags, dryRun: boolean, log: (l: string) => void) {
  const shards = path.join(sweepDir, 'shards');
  // finished shards of earlier submissions go into the DB first, so they are never run again
  const earlier = sweepRuns(sweepDir);
  if (!dryRun && earlier.length > 0) {
    const s = ingestShards(db, shards, earlier);
    if (s.imported > 0) log(`merged ${s.imported} finished shard(s) from ${sweepDir} into ${db}`);
  }
  const ids = specs.map((s) => s.id);
  const done = doneInDb(db, ids);
  for (const id of ids) if (readMarker(shards, id)?.status === 'done') done.add(id);
  const live = ex.executor === 'slurm' ? slurmInFlight(sweepDir) : new Set<string>();
  const inFlight = ids.filter((id) => live.has(id) && !done.has(id));
  return { done: done.size, inFlight: inFlight.length, pending: specs.filter((s) => !done.has(s.id) && !live.has(s.id)) };
}

/** What nodes need to rebuild a run's context; materialises a generated suite's data first. */
async function nodeOptions(suite: SuiteDef, opts: SweepOptions, planned: { dataRoot: string | null; engine: string }, db: string): Promise<NodeRunOptions> {
  let dataRoot = planned.dataRoot;
  if (dataRoot === null && suite.prepare) {
    const cacheDir = path.resolve(opts.cacheDir ?? path.join(path.dirname(db), 'cache'));
    dataRoot = (await suite.prepare({ cacheDir })).dataRoot;
  }
  return {
    suiteName: suite.name,
    dataRoot: dataRoot === null ? null : path.resolve(dataRoot),
    engineOpt: { ...suiteEngineConfig(suite, planned.engine), ...opts.engineOpt },
    customDatasets: suite.customDatasets ?? [],
    require: (opts.require ?? []).map((m) => path.resolve(m)),
  };
}

/** Follows a submitted array job to its end, then merges its finished shards into `db`. */
async function followAndMerge(jobId: string, manifest: string, db: string, ex: ExecutorFlags, log: (l: string) => void): Promise<IngestSummary> {
  const m = readManifest(manifest);
  const shards = shardsDir(manifest, m);
  const states = await waitForJob(jobId, m.runs, shards, {
    pollMs: ex.pollMs,
    onProgress: (p) => log(`job ${jobId}: ${p.done}/${p.total} done, ${p.running} running, ${p.queued} queued, ${p.failed} failed`),
  });
  const final = ingestShards(db, shards, m.runs);
  log(`job ${jobId} ended: ${describe(final)}; merged ${final.imported} run(s) into ${db}`);
  const bad = [...(states ?? [])].filter(([, st]) => !/^COMPLETED/.test(st));
  if (bad.length) log(`sacct: ${bad.map(([id, st]) => `${id} ${st}`).join(', ')}`);
  return final;
}

/** Plans the sweep and submits (or, with dryRun, shows) what is not done yet. */
export async function runClusterSweep(
  opts: SweepOptions,
  ex: ExecutorFlags,
  log: (line: string) => void = (l) => process.stderr.write(l + '\n'),
): Promise<ClusterSweepResult> {
  if (ex.executor === 'local') throw new Error('runClusterSweep is for slurm and k8s; local sweeps call runSweep');
  if (ex.executor === 'slurm') checkSlurmOptions(ex.slurm);
  else checkK8sOptions(ex.k8s!);
  if (opts.jobs !== undefined && opts.jobs > 1) log('note: --jobs applies to local sweeps; the cluster runs one run per task');
  if (ex.wait && ex.executor === 'k8s') log('note: --wait applies to --executor slurm; follow the Job with kubectl');
  const planned = await runSweep({ ...opts, dryRun: true, reporters: [] });
  const suite = await suiteOf(opts);
  const db = path.resolve(planned.db);
  const sweepDir = path.resolve(ex.sweepDir ?? defaultSweepDir(db, suite.name, planned.specs));
  const dryRun = !!opts.dryRun;
  const { done, inFlight, pending } = pendingWork(planned.specs, db, sweepDir, ex, dryRun, log);
  const base: ClusterSweepResult = {
    executor: ex.executor, suite: suite.name, db, sweepDir, dryRun, total: planned.specs.length, alreadyDone: done, inFlight,
    submitted: pending, manifest: null, jobFile: null, jobText: null, jobId: null,
  };
  if (pending.length === 0) {
    log(`nothing to submit: ${done}/${planned.specs.length} done` + (inFlight ? `, ${inFlight} still in an earlier job` : ''));
    return base;
  }
  const render = (manifestFile: string) =>
    ex.executor === 'slurm'
      ? slurmScript(manifestFile, pending.length, ex.slurm, suite.name)
      : JSON.stringify(buildK8sJob(manifestFile, pending.length, ex.k8s!, suite.name), null, 2) + '\n';
  if (dryRun) return { ...base, manifest: nextManifestName(sweepDir), jobText: render(nextManifestName(sweepDir)) };

  const runOptions = await nodeOptions(suite, opts, planned, db);
  const { file: manifest } = writeManifest(sweepDir, { suite: suite.name, db, runOptions: runOptions as unknown as Record<string, unknown>, runs: pending });
  const jobText = render(manifest);
  const jobFile = manifest.replace(/manifest-(\d+)\.json$/, ex.executor === 'slurm' ? 'job-$1.sh' : 'job-$1.json');
  fs.writeFileSync(jobFile, jobText, { mode: 0o644 });
  const written = { ...base, manifest, jobFile, jobText };
  if (ex.executor === 'k8s') {
    log(`wrote ${jobFile} (${pending.length} runs); apply it with: kubectl apply -f ${jobFile}`);
    log(`then merge finished runs with: clsrl ingest --manifest ${manifest}`);
    return written;
  }

  const jobId = submitScript(jobFile);
  fs.appendFileSync(path.join(sweepDir, SUBMISSIONS), JSON.stringify({ manifest, jobId, at: new Date().toISOString() } satisfies Submission) + '\n');
  log(`submitted Slurm array job ${jobId}: ${pending.length} run(s), manifest ${manifest}`);
  if (!ex.wait) {
    log(`follow with squeue -j ${jobId}; merge with: clsrl ingest --manifest ${manifest}`);
    return { ...written, jobId };
  }
  return { ...written, jobId, final: await followAndMerge(jobId, manifest, db, ex, log) };
}

/** The error a waited sweep ends with when some runs did not finish (after the result was printed). */
export function unfinishedError(r: ClusterSweepResult): ClsrlError | undefined {
  if (!r.final) return undefined;
  const failed = Object.keys(r.final.failed).length;
  if (failed === 0 && r.final.pending.length === 0) return undefined;
  const first = Object.entries(r.final.failed)[0];
  return new ClsrlError(
    'RUN_FAILED',
    `${failed} run(s) failed and ${r.final.pending.length} did not finish in job ${r.jobId}` + (first ? ` (first: ${first[0]}: ${first[1]})` : ''),
    { hint: `logs are in ${path.join(r.sweepDir, 'logs')}; rerun the same sweep command to resubmit only what is not done` },
  );
}
