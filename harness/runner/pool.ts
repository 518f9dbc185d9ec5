// --jobs N: runs specs in N worker processes (engines are CPU-bound). Workers execute and send results
// back; this process is the only writer of the store (and holds the runs' leases), so SQLite sees one
// writer per sweep whatever N is. The next spec comes from `next()`, which claims it in the store.

import { fork, type ChildProcess } from 'child_process';
import * as path from 'path';
import type { RunSpec, SplitJsonDatasetDef } from '../contracts';
import { ClsrlError } from '../errors';
import type { RunRecord, Store } from '../store';
import type { RunOutcome, RunPhase, SweepReporter } from './reporters';
import { failedRecord } from './sweep';
import { codeVersion } from './version';

/** What a worker needs to run specs (serialisable). */
export interface WorkerInit {
  db: string;
  dataRoot: string;
  engineOpt: Record<string, unknown>;
  customDatasets: SplitJsonDatasetDef[];
  require: string[];
}

export type ToWorker = { t: 'init'; init: WorkerInit } | { t: 'run'; spec: RunSpec };
export type FromWorker =
  | { t: 'ready' }
  | { t: 'phase'; id: string; phase: RunPhase; done: number; total: number }
  | { t: 'step'; id: string; rec: import('../contracts').TrainStepRecord }
  | { t: 'done'; record: RunRecord }
  | { t: 'failed'; id: string; error: string; hint?: string }
  | { t: 'fatal'; error: string; hint?: string };

interface PoolOptions {
  jobs: number;
  store: Store;
  init: WorkerInit;
  reporter: Required<SweepReporter>;
  finish(spec: RunSpec, outcome: RunOutcome, err?: unknown): void;
}

interface Slot {
  child: ChildProcess;
  current?: { spec: RunSpec; started: number; startedAt: string };
  exited: boolean;
  /** Asked for work and got none (a worker still starting up is not idle). */
  idle: boolean;
}

export function runInWorkers(next: () => RunSpec | undefined, o: PoolOptions): Promise<void> {
  const slots: Slot[] = [];
  let respawns = 0;
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const fail = (e: unknown) => {
      if (settled) return;
      settled = true;
      for (const s of slots) s.child.kill('SIGKILL');
      reject(e);
    };
    const maybeDone = () => {
      if (!settled && slots.every((s) => s.exited || s.idle)) {
        settled = true;
        for (const s of slots) if (!s.exited) s.child.disconnect();
        resolve();
      }
    };
    const dispatch = (slot: Slot) => {
      slot.current = undefined;
      if (settled) return void slot.child.disconnect(); // a respawned worker that came up after the end
      let spec: RunSpec | undefined;
      try {
        spec = next();
      } catch (e) {
        return fail(e);
      }
      slot.idle = !spec;
      if (!spec) return maybeDone();
      const startedAt = new Date().toISOString();
      slot.current = { spec, started: Date.now(), startedAt };
      try {
        o.store.markRunning(spec, { codeVersion: codeVersion(), startedAt });
      } catch (e) {
        return fail(e); // the results DB cannot be written (a STORAGE error): stop, never throw inside an event handler
      }
      o.reporter.onRunStart(spec);
      slot.child.send({ t: 'run', spec } satisfies ToWorker);
    };
    const endRun = (slot: Slot, status: 'done' | 'failed', record?: RunRecord, error?: string, hint?: string) => {
      const cur = slot.current!;
      const ms = Date.now() - cur.started;
      try {
        if (record) o.store.saveRun(record);
        else o.store.saveRun(failedRecord(cur.spec, error ?? 'failed', cur.startedAt, codeVersion()));
      } catch (e) {
        return fail(e);
      }
      const err = hint !== undefined ? new ClsrlError('RUN_FAILED', error ?? '', { hint }) : undefined;
      o.finish(cur.spec, { status, record, error, ms }, err);
    };
    const spawn = () => {
      const child = fork(path.join(__dirname, 'worker.ts'), [], {
        execArgv: ['--import', 'tsx'],
        serialization: 'advanced',
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
      // worker output goes to stderr: stdout is reserved for --json documents
      child.stdout?.pipe(process.stderr, { end: false });
      child.stderr?.pipe(process.stderr, { end: false });
      const slot: Slot = { child, exited: false, idle: false };
      slots.push(slot);
      child.on('message', (m: FromWorker) => {
        const id = slot.current?.spec.id;
        if (m.t === 'ready') dispatch(slot);
        else if (m.t === 'phase' && slot.current) o.reporter.onPhase(slot.current.spec, m.phase, m.done, m.total);
        else if (m.t === 'step' && slot.current) o.reporter.onStepEnd(slot.current.spec, m.rec);
        else if (m.t === 'done' && m.record.spec.id === id) (endRun(slot, 'done', m.record), dispatch(slot));
        else if (m.t === 'failed' && m.id === id) (endRun(slot, 'failed', undefined, m.error, m.hint), dispatch(slot));
        else if (m.t === 'fatal') fail(new ClsrlError('RUN_FAILED', `worker failed to start: ${m.error}`, { hint: m.hint }));
      });
      child.on('exit', (code, signal) => {
        slot.exited = true;
        if (settled) return;
        if (slot.current) {
          endRun(slot, 'failed', undefined, `worker process exited (${signal ?? `code ${code}`}) during the run`);
          slot.current = undefined;
          if (respawns++ < 2 * o.jobs) spawn();
        }
        if (slots.every((s) => s.exited)) {
          // every worker is gone and none may be respawned: the remaining runs fail instead of hanging
          const why = `no worker process left (the last exited with ${signal ?? `code ${code}`})`;
          try {
            for (let spec = next(); spec; spec = next()) {
              const startedAt = new Date().toISOString();
              o.store.saveRun(failedRecord(spec, why, startedAt, codeVersion()));
              o.finish(spec, { status: 'failed', error: why, ms: 0 });
            }
          } catch (e) {
            return fail(e);
          }
        }
        maybeDone();
      });
      child.send({ t: 'init', init: o.init } satisfies ToWorker);
    };
    for (let i = 0; i < o.jobs; i++) spawn();
  });
}
