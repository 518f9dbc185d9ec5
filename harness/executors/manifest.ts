// Sweep folders on shared storage: the manifest of RunSpecs a cluster job array runs (task i runs
// runs[i]), the per-run shard databases and their atomic done markers. No scheduler code here.
//
// <sweepDir>/manifest-<n>.json   one per submission, only the runs pending at that time
// <sweepDir>/shards/<runId>.sqlite       written by exactly one task at a time
// <sweepDir>/shards/<runId>.done.json    written (temp + rename) after the shard holds the finished run

import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import type { RunSpec } from '../contracts';
import { ClsrlError } from '../errors';
import { hashOf } from '../runner/hash';

export const MANIFEST_VERSION = 1;

export interface Manifest {
  version: typeof MANIFEST_VERSION;
  createdAt: string;
  /** Suite name (or file) the runs come from. */
  suite: string;
  /** Main results database the shards are merged into (absolute, as seen by the submitting host). */
  db: string;
  /** Folder of the shards, relative to the manifest's folder (so a mounted volume works at any path). */
  shardsDir: string;
  /**
   * JSON-serialisable options the node-side `clsrl run` hands to the runner to rebuild a run's context
   * (suite reference, data root, engine config, ...): whatever the sweep command passes in.
   */
  runOptions: Record<string, unknown>;
  /** Task index i runs runs[i]. */
  runs: RunSpec[];
}

const manifestSchema = z.object({
  version: z.literal(MANIFEST_VERSION),
  createdAt: z.string(),
  suite: z.string(),
  db: z.string(),
  shardsDir: z.string(),
  runOptions: z.record(z.string(), z.unknown()),
  runs: z.array(z.object({ id: z.string().regex(/^[0-9a-zA-Z_-]+$/) }).passthrough()),
});

/** Marker written after a run's shard holds its finished result. */
export interface DoneMarker {
  runId: string;
  status: 'done' | 'failed';
  finishedAt: string;
  host: string;
  /** Scheduler task identity (e.g. `1234_7`), when known. */
  task?: string;
  error?: string;
}

/** Default sweep folder for a plan: next to the DB, named by suite and the hash of the plan's run ids. */
export function defaultSweepDir(db: string, suite: string, specs: RunSpec[]): string {
  const base = path.basename(suite).replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_-]+/g, '_') || 'sweep';
  const ids = specs.map((s) => s.id).sort();
  return path.join(path.dirname(path.resolve(db)), 'sweeps', `${base}-${hashOf(ids, 10)}`);
}

export function shardsDir(manifestFile: string, m: Manifest): string {
  return path.resolve(path.dirname(manifestFile), m.shardsDir);
}

export function shardPath(dir: string, runId: string): string {
  return path.join(dir, `${runId}.sqlite`);
}

export function markerPath(dir: string, runId: string): string {
  return path.join(dir, `${runId}.done.json`);
}

/** Writes `text` to `file` atomically: a temp file in the same folder, fsync, then rename. */
export function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** The done marker of a run, or undefined (absent, or unreadable, which counts as not done). */
export function readMarker(dir: string, runId: string): DoneMarker | undefined {
  try {
    return JSON.parse(fs.readFileSync(markerPath(dir, runId), 'utf8')) as DoneMarker;
  } catch {
    return undefined;
  }
}

/** Removes a run's shard database (with its WAL files) and marker: a retried task starts clean. */
export function clearShard(dir: string, runId: string): void {
  const db = shardPath(dir, runId);
  for (const f of [db, `${db}-wal`, `${db}-shm`, `${db}-journal`, markerPath(dir, runId)]) fs.rmSync(f, { force: true });
}

/** Next free `manifest-<n>.json` in a sweep folder. */
function nextManifestFile(sweepDir: string): string {
  const taken = fs.existsSync(sweepDir)
    ? fs.readdirSync(sweepDir).map((f) => /^manifest-(\d+)\.json$/.exec(f)?.[1]).filter((x): x is string => !!x).map(Number)
    : [];
  return path.join(sweepDir, `manifest-${taken.length ? Math.max(...taken) + 1 : 1}.json`);
}

/** Writes a new manifest for `runs` into `sweepDir` (creating it and its shard folder). */
export function writeManifest(
  sweepDir: string,
  fields: Pick<Manifest, 'suite' | 'db' | 'runOptions' | 'runs'>,
): { file: string; manifest: Manifest } {
  fs.mkdirSync(path.join(sweepDir, 'shards'), { recursive: true });
  const manifest: Manifest = {
    version: MANIFEST_VERSION,
    createdAt: new Date().toISOString(),
    suite: fields.suite,
    db: path.resolve(fields.db),
    shardsDir: 'shards',
    runOptions: fields.runOptions,
    runs: fields.runs,
  };
  const file = nextManifestFile(sweepDir);
  writeAtomic(file, JSON.stringify(manifest, null, 2) + '\n');
  return { file, manifest };
}

/** Reads and checks a manifest, naming the file and the bad field. */
export function readManifest(file: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new ClsrlError(missing ? 'NOT_FOUND' : 'BAD_CONFIG', `cannot read sweep manifest ${file}: ${(e as Error).message}`, {
      hint: missing ? 'pass the manifest-<n>.json that `clsrl sweep --executor slurm|k8s` wrote' : 'the manifest is JSON written by clsrl sweep; do not edit it',
      cause: e,
    });
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ClsrlError('BAD_CONFIG', `sweep manifest ${file}: field '${issue.path.join('.')}': ${issue.message}`, {
      hint: 'the manifest was written by another clsrl version or edited; rerun `clsrl sweep` to write a new one',
    });
  }
  return parsed.data as unknown as Manifest;
}

/** Task index from a flag or the scheduler's environment (Slurm array task, Kubernetes indexed job). */
export function taskIndex(flag: number | undefined, env: NodeJS.ProcessEnv = process.env): number {
  const raw = flag ?? env.SLURM_ARRAY_TASK_ID ?? env.JOB_COMPLETION_INDEX;
  const n = Number(raw);
  if (raw === undefined || raw === '' || !Number.isInteger(n) || n < 0) {
    const got = raw === undefined ? 'no --index and no SLURM_ARRAY_TASK_ID/JOB_COMPLETION_INDEX' : `task index ${JSON.stringify(raw)}`;
    throw new ClsrlError('BAD_FLAG', `${got}: expected --index N (an integer >= 0)`, {
      hint: 'pass --index N, or run inside a Slurm array task (SLURM_ARRAY_TASK_ID) or an Indexed Job (JOB_COMPLETION_INDEX)',
    });
  }
  return n;
}
