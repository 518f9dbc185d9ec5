// executeRun: one RunSpec from data to a store-ready RunRecord. Steps: load dataset -> split ->
// questions -> base model -> method.train (or engine.trainExternally) -> greedy eval on every eval set
// (base/new or test, plus transfer sets) -> scores. Writes nothing to the store (the caller does, atomically).

import * as fs from 'fs';
import * as path from 'path';
import type {
  Engine, EvalSet, LoadedModel, MethodPlugin, PromptInput, Question, RunSpec, TemplateUse, TrainHooks, TrainStepRecord,
} from '../contracts';
import type { DiagnosticsOptions } from '../diagnostics';
import { applyTemplate, evalTemplateUse } from '../prompts';
import type { EvalCacheEntry, EvaluationRecord, RunRecord } from '../store';
import { dataFingerprint, evalQuestions, getDataset, splitFor, trainQuestions, transferSet } from './data';
import { evaluateSet, limitQuestions, splitName, type EvalCache } from './evaluate';
import type { SweepReporter } from './reporters';

export interface RunContext {
  engine: Engine;
  dataRoot: string;
  /** Folder of per-run work dirs (`<workRoot>/<run id>`), e.g. `results/runs`. */
  workRoot: string;
  codeVersion: string;
  getMethod(name: string): MethodPlugin<object>;
  cache?: EvalCache;
  reporter?: SweepReporter;
  /** External trainers write their run folder but do not launch. */
  externalDryRun?: boolean;
  /** Called by an external trainer before it launches a training (the sweep's preflight). */
  beforeExternalLaunch?(): Promise<void>;
}

type Phase = 'data' | 'train' | 'eval';

function toInput(q: Question, text: string): PromptInput {
  return { id: q.id, image: q.image, text };
}

/** Runs one spec end to end and returns what to store. Throws on failure (the caller records it). */
export async function executeRun(spec: RunSpec, ctx: RunContext): Promise<RunRecord> {
  const startedAt = new Date().toISOString();
  const phase = (p: Phase, done: number, total: number) => ctx.reporter?.onPhase?.(spec, p, done, total);
  const method = ctx.getMethod(spec.method);
  const kind = method.meta.template;

  // 1. data
  phase('data', 0, 1);
  const ds = await getDataset(spec.dataset, ctx.dataRoot);
  const split = await splitFor(spec, ds);
  const transfers = await Promise.all(spec.transferTo.map((d) => getDataset(d, ctx.dataRoot)));
  const evalSets: EvalSet[] = [...split.evals, ...(await Promise.all(transfers.map((t) => transferSet(t, spec.config.prompt))))];
  phase('data', 1, 1);

  // 2. train
  const workDir = path.join(ctx.workRoot, spec.id);
  const steps: TrainStepRecord[] = [];
  const hooks: TrainHooks = {
    onStepEnd: (rec) => {
      steps.push(rec);
      ctx.reporter?.onStepEnd?.(spec, rec);
    },
    onProgress: (done, total) => phase('train', done, total),
  };
  const trainStart = Date.now();
  const { model, trainTokens } = await train(spec, ctx, method, trainQuestions(spec, split), kind, workDir, hooks, steps);
  const trainMs = Date.now() - trainStart;

  // 3. evaluate
  const evalStart = Date.now();
  const evaluations: EvaluationRecord[] = [];
  const cacheEntries: EvalCacheEntry[] = [];
  let evalTokens = 0;
  try {
    const sets = evalSets.map((set) => {
      const use: TemplateUse = evalTemplateUse(spec.setting, set.name);
      const all = evalQuestions(spec, set, splitName(set));
      const questions = limitQuestions(all, spec.config.prompt.evalLimit, spec.config.prompt.evalPromptSeed);
      return { set, use, questions };
    });
    const total = sets.reduce((n, s) => n + s.questions.length, 0);
    let before = 0;
    for (const { set, use, questions } of sets) {
      const res = await evaluateSet({
        engine: ctx.engine,
        model,
        set,
        questions,
        prompt: (q) => toInput(q, applyTemplate(q.problem, kind, use)),
        template: kind,
        templateUse: use,
        rewards: method.meta.rewards,
        maxTokens: spec.config.eval.maxTokens,
        isBaseModel: !method.meta.trains,
        cache: ctx.cache,
        diagnostics: diagnosticsOf(spec),
        onProgress: (done) => phase('eval', before + done, total),
      });
      before += questions.length;
      evaluations.push(res.record);
      evalTokens += res.tokens;
      cacheEntries.push(...res.cacheEntries);
    }
  } finally {
    await ctx.engine.dispose(model);
    removeIfEmpty(workDir);
  }

  return {
    spec,
    status: 'done',
    error: null,
    startedAt,
    finishedAt: new Date().toISOString(),
    trainMs,
    evalMs: Date.now() - evalStart,
    trainSteps: steps.length,
    tokensGenerated: trainTokens + evalTokens,
    codeVersion: ctx.codeVersion,
    dataFingerprint: dataFingerprint([ds, ...transfers]),
    engineFingerprint: ctx.engine.fingerprint(),
    evaluations,
    steps,
    cacheEntries,
  };
}

/** The spec's answer diagnostics; specs planned before them (no field) measure none (in-list only). */
export function diagnosticsOf(spec: RunSpec): DiagnosticsOptions {
  return { mode: spec.config.eval.diagnostics ?? 'off', sampled: spec.config.eval.sampled ?? false };
}

/** The training phase: in-process method.train, or the engine's external trainer for training methods. */
async function train(
  spec: RunSpec,
  ctx: RunContext,
  method: MethodPlugin<object>,
  questions: Question[],
  kind: 'think' | 'direct',
  workDir: string,
  hooks: TrainHooks,
  steps: TrainStepRecord[],
): Promise<{ model: LoadedModel; trainTokens: number }> {
  const engine = ctx.engine;
  const prompt = (q: Question) => toInput(q, applyTemplate(q.problem, kind, 'train'));
  if (method.meta.trains) fs.mkdirSync(workDir, { recursive: true });
  if (method.meta.trains && engine.trainExternally) {
    const out = await engine.trainExternally({
      spec,
      method: method.meta,
      methodConfig: spec.config.method,
      train: questions,
      prompt,
      workDir,
      dryRun: !!ctx.externalDryRun,
      hooks,
      beforeLaunch: ctx.beforeExternalLaunch,
    });
    // steps reported through hooks are already collected; take the returned list when hooks stayed silent
    if (steps.length === 0) steps.push(...out.steps);
    return { model: await engine.load(out.model), trainTokens: out.steps.reduce((n, s) => n + s.tokensGenerated, 0) };
  }
  const base = await engine.load(engine.baseModel());
  try {
    const res = await method.train({
      engine,
      model: base,
      config: spec.config.method,
      train: questions,
      prompt,
      seed: spec.seed,
      dataset: spec.dataset,
      workDir,
      hooks,
    });
    if (res.model !== base) await engine.dispose(base);
    return { model: res.model, trainTokens: res.tokensGenerated };
  } catch (e) {
    await engine.dispose(base);
    throw e;
  }
}

/** Methods that wrote nothing leave no empty run folder behind. */
function removeIfEmpty(dir: string): void {
  try {
    if (fs.readdirSync(dir).length === 0) fs.rmdirSync(dir);
  } catch {
    /* absent or not removable: nothing to tidy */
  }
}
