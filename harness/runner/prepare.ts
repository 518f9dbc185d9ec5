// "Write the folders, then stop" (`clsrl sweep --prepare`, or an engine configured to only write run
// folders, e.g. trl writeOnly=true): every training run not done yet gets its run folder from the engine's
// prepareRun hook and is stored as `prepared` (spec, resolved config, code version, data fingerprint).
// Runs that only evaluate (zero-shot) have no folder and stay pending. Generic over engines: any engine
// that trains outside the process may implement prepareRun. The next sweep without --prepare ingests the
// folders that finished (trainExternally) and evaluates them.

import * as path from 'path';
import type { Engine, MethodPlugin, PreparedRun, PromptInput, Question, RunSpec } from '../contracts';
import { ClsrlError } from '../errors';
import { applyTemplate } from '../prompts';
import type { Store } from '../store';
import { dataFingerprint, getDataset, splitFor, trainQuestions } from './data';

export interface PreparedFolder extends PreparedRun {
  runId: string;
  method: string;
}

export interface PrepareOptions {
  engine: Engine;
  dataRoot: string;
  /** `<workRoot>/<run id>` is each run's work dir (results/runs). */
  workRoot: string;
  getMethod(name: string): MethodPlugin<object>;
  /** Where prepared runs are recorded (absent for a dry run, which stores nothing). */
  store?: Store;
  codeVersion: string;
  /** Called after each folder is written. */
  onPrepared?(spec: RunSpec, folder: PreparedFolder): void;
}

/** Throws unless the engine can write run folders. */
export function requirePrepareHook(engine: Engine): asserts engine is Engine & { prepareRun: NonNullable<Engine['prepareRun']> } {
  if (!engine.prepareRun) {
    throw new ClsrlError('BAD_FLAG', `engine '${engine.name}' trains in this process: it has no run folders to prepare`, {
      hint: 'use --prepare with an engine that trains outside clsrl (--engine trl), or drop --prepare',
    });
  }
}

/** Writes the folder of every training spec (skipping those the store has done); returns what was written. */
export async function prepareRuns(specs: RunSpec[], o: PrepareOptions): Promise<PreparedFolder[]> {
  requirePrepareHook(o.engine);
  const done = o.store?.doneIds(specs.map((s) => s.id)) ?? new Set<string>();
  const out: PreparedFolder[] = [];
  for (const spec of specs) {
    const method = o.getMethod(spec.method);
    if (!method.meta.trains || done.has(spec.id)) continue;
    const ds = await getDataset(spec.dataset, o.dataRoot);
    const split = await splitFor(spec, ds);
    const kind = method.meta.template;
    const folder = await o.engine.prepareRun({
      spec,
      method: method.meta,
      methodConfig: spec.config.method,
      train: trainQuestions(spec, split),
      prompt: (q: Question): PromptInput => ({ id: q.id, image: q.image, text: applyTemplate(q.problem, kind, 'train') }),
      workDir: path.join(o.workRoot, spec.id),
      dryRun: true,
      hooks: {},
    });
    const transfers = await Promise.all(spec.transferTo.map((d) => getDataset(d, o.dataRoot)));
    o.store?.markPrepared(spec, { codeVersion: o.codeVersion, dataFingerprint: dataFingerprint([ds, ...transfers]), engineFingerprint: o.engine.fingerprint() });
    const written = { ...folder, runId: spec.id, method: spec.method };
    out.push(written);
    o.onPrepared?.(spec, written);
  }
  return out;
}
