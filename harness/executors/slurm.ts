// The Slurm executor: one `sbatch --array=0-(N-1)%K` job per submission whose task i runs
// `clsrl run --manifest M --index i`, and following that job with squeue (sacct when accounting exists).
// Scheduling, retries of nodes and placement stay Slurm's job; this file only writes and watches.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ClsrlError } from '../errors';
import { readMarker } from './manifest';
import type { RunSpec } from '../contracts';

export interface SlurmOptions {
  partition?: string;
  /** GPUs per task: a count (`1`) or a typed count (`a100:1`), emitted as `--gres=gpu:<value>`. */
  gpus?: string;
  /** Time limit per task (`HH:MM:SS`, `D-HH:MM:SS` or minutes). */
  time?: string;
  cpus?: number;
  /** Memory per task (`16G`). */
  mem?: string;
  /** Max tasks running at once (the `%K` of the array); unset = Slurm's limit. */
  maxConcurrent?: number;
  jobName?: string;
  /** Extra `#SBATCH` lines, with or without the `#SBATCH` prefix (`--account=x`, `--qos=y`). */
  sbatchExtra?: string[];
  /** Shell lines run on the node before clsrl (`module load nodejs/20`, `source venv/bin/activate`). */
  setup?: string[];
  /** How the node invokes clsrl (default: this node binary + this checkout's bin/clsrl.js). */
  clsrlCommand?: string;
}

/** Shell-quotes one word for bash. */
export function shq(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function defaultClsrlCommand(): string {
  return `${shq(process.execPath)} ${shq(path.resolve(__dirname, '..', '..', 'bin', 'clsrl.js'))}`;
}

/** Checks the Slurm flags (before any planning), naming the bad flag. */
export function checkSlurmOptions(o: SlurmOptions): void {
  const bad = (flag: string, value: unknown, hint: string) =>
    new ClsrlError('BAD_FLAG', `--${flag} ${JSON.stringify(value)} is not valid`, { hint });
  if (o.time !== undefined && !/^(\d+-)?\d+(:\d{1,2}){0,2}$/.test(o.time)) {
    throw bad('time', o.time, 'use minutes, HH:MM:SS or D-HH:MM:SS (sbatch --time)');
  }
  if (o.gpus !== undefined && !/^([A-Za-z0-9_.-]+:)?\d+$/.test(o.gpus)) throw bad('gpus', o.gpus, 'use a count (1) or type:count (a100:1)');
  if (o.mem !== undefined && !/^\d+[KMGT]?$/i.test(o.mem)) throw bad('mem', o.mem, 'use a size like 16G or 16000M (sbatch --mem)');
  for (const [flag, v] of [['cpus', o.cpus], ['max-concurrent', o.maxConcurrent]] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw bad(flag, v, 'use a positive integer');
  }
  for (const line of [...(o.sbatchExtra ?? []), ...(o.setup ?? [])]) {
    if (/[\r\n]/.test(line)) throw bad('sbatch-extra/--setup', line, 'pass one line per flag (repeat the flag)');
  }
}

/** The batch script for `n` tasks of the manifest at `manifestFile`; logs go to `<sweepDir>/logs`. */
export function slurmScript(manifestFile: string, n: number, o: SlurmOptions, suite: string): string {
  checkSlurmOptions(o);
  if (n < 1) throw new ClsrlError('BAD_FLAG', 'nothing to submit', { hint: 'every run of the plan is already done' });
  const sweepDir = path.dirname(path.resolve(manifestFile));
  const directives = [
    `--job-name=${o.jobName ?? `clsrl-${suite.replace(/[^A-Za-z0-9_-]+/g, '_')}`}`,
    `--array=0-${n - 1}${o.maxConcurrent ? `%${o.maxConcurrent}` : ''}`,
    `--output=${path.join(sweepDir, 'logs', '%A_%a.out')}`,
    '--ntasks=1',
    o.partition && `--partition=${o.partition}`,
    o.gpus && `--gres=gpu:${o.gpus}`,
    o.time && `--time=${o.time}`,
    o.cpus && `--cpus-per-task=${o.cpus}`,
    o.mem && `--mem=${o.mem}`,
    ...(o.sbatchExtra ?? []).map((l) => l.replace(/^#SBATCH\s+/, '').trim()),
  ].filter((d): d is string => !!d);
  return [
    '#!/bin/bash',
    `# clsrl sweep of suite ${suite}: ${n} run(s), task i runs run i of the manifest below.`,
    ...directives.map((d) => `#SBATCH ${d}`),
    '',
    // no `set -u`: module/conda/venv setup scripts commonly read unset variables
    'set -eo pipefail',
    ...(o.setup ?? []),
    `cd ${shq(process.cwd())}`,
    `exec ${o.clsrlCommand ?? defaultClsrlCommand()} run --manifest ${shq(path.resolve(manifestFile))} --index "$SLURM_ARRAY_TASK_ID"`,
    '',
  ].join('\n');
}

function slurmTool(cmd: string, args: string[]): { ok: boolean; out: string; err: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new ClsrlError('EXTERNAL', `${cmd} not found on PATH`, {
      hint: 'run clsrl sweep --executor slurm on a Slurm login node (or install slurm-client), or use --dry-run',
    });
  }
  return { ok: r.status === 0, out: r.stdout ?? '', err: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

/** Submits the script with sbatch; returns the array job id. */
export function submitScript(scriptFile: string): string {
  fs.mkdirSync(path.join(path.dirname(scriptFile), 'logs'), { recursive: true });
  const r = slurmTool('sbatch', ['--parsable', scriptFile]);
  const id = r.out.trim().split(';')[0];
  if (!r.ok || !/^\d+$/.test(id)) {
    throw new ClsrlError('EXTERNAL', `sbatch rejected ${scriptFile}: ${r.err.trim() || r.out.trim()}`, {
      hint: 'check --partition, --time, --gpus and --sbatch-extra against `sinfo`; `--dry-run` prints the script',
    });
  }
  return id;
}

/** Array tasks of `jobId` still known to squeue, by state (PENDING, RUNNING, ...). */
export function queuedTasks(jobId: string): Map<string, string> | undefined {
  const r = slurmTool('squeue', ['-h', '-r', '-j', jobId, '-o', '%i|%T']);
  if (!r.ok) return /Invalid job id/i.test(r.err) ? new Map() : undefined; // undefined = transient failure
  const out = new Map<string, string>();
  for (const line of r.out.split('\n')) {
    const [id, state] = line.trim().split('|');
    if (id && state) out.set(id, state);
  }
  return out;
}

/** Final states per task from sacct, or undefined where accounting is not configured. */
export function accountedStates(jobId: string): Map<string, string> | undefined {
  const r = spawnSync('sacct', ['-n', '-X', '-P', '-j', jobId, '-o', 'JobID,State'], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0 || !r.stdout.trim()) return undefined;
  return new Map(r.stdout.trim().split('\n').map((l) => l.split('|') as [string, string]));
}

export interface WaitProgress {
  done: number;
  failed: number;
  running: number;
  queued: number;
  total: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Follows an array job until squeue no longer lists any of its tasks, reporting progress (from the
 * done markers and squeue) whenever it changes. Returns the sacct states when accounting exists.
 */
export async function waitForJob(
  jobId: string,
  runs: RunSpec[],
  shards: string,
  opts: { pollMs?: number; onProgress?: (p: WaitProgress) => void },
): Promise<Map<string, string> | undefined> {
  const pollMs = opts.pollMs ?? 5000;
  let last = '';
  let failures = 0;
  for (;;) {
    const queued = queuedTasks(jobId);
    if (queued === undefined) {
      if (++failures >= 10) throw new ClsrlError('EXTERNAL', `squeue keeps failing for job ${jobId}`, { hint: 'check the Slurm controller (`scontrol ping`)' });
    } else {
      failures = 0;
      const markers = runs.map((r) => readMarker(shards, r.id)?.status);
      const states = [...queued.values()];
      const p: WaitProgress = {
        done: markers.filter((s) => s === 'done').length,
        failed: markers.filter((s) => s === 'failed').length,
        running: states.filter((s) => s === 'RUNNING' || s === 'COMPLETING').length,
        queued: states.filter((s) => s === 'PENDING' || s === 'CONFIGURING' || s === 'REQUEUED').length,
        total: runs.length,
      };
      const key = JSON.stringify(p);
      if (key !== last) opts.onProgress?.(p);
      last = key;
      if (queued.size === 0) return accountedStates(jobId);
    }
    await sleep(pollMs);
  }
}

/** Cancels a job (or one array task `123_4`). */
export function cancelJob(jobId: string): void {
  slurmTool('scancel', [jobId]);
}
