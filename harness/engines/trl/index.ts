// Engine `trl`: training handed to Hugging Face TRL on GPUs (GRPO for CLS-RL / No-Thinking, SFT), with
// rewards served by clsrl; evaluation through an OpenAI-compatible server (`vllm serve <checkpoint>`).
// Implements `trainExternally` (write the run folder, launch it, ingest trainer_state.json) and
// `generate` via the openai client; in-process policy calls throw ClsrlError('ENGINE').

import fs from 'fs';
import path from 'path';
import { createHash } from 'crypto';
import type { Engine, ExternalTrainContext, LoadedModel, ModelRef, PreparedRun, TrainStepRecord } from '../../contracts';
import { ClsrlError } from '../../errors';
import type { EngineContext, EngineOptions } from '../registry';
import { OpenAIGenerator, resolveOpenAIOptions } from '../openai';
import { DISTRIBUTED, TRL_DEFAULTS, distributedFor, type Distributed, type TrainerConfig, type TrlOptions } from './config';
import { detectGpus, type GpuCount } from './gpus';
import { writeRunFolder, type RunFolder } from './folder';
import { completionsPerStep, launchRun, type LaunchOptions } from './launch';
import { readTrainerState } from './state';
import { startVllm, type VllmServer } from './vllm';
import { kindsOf } from '../options';
import { TRL_OPTIONS } from './options';

export interface TrlEngineOptions extends TrlOptions, LaunchOptions {
  /** Write run folders only, even when the runner asks to train (for the user's own scheduler). */
  writeOnly: boolean;
  /** OpenAI-compatible server for evaluation (`vllm serve`); without it (and without `vllm`) `generate` throws. */
  baseUrl?: string;
  /** Start `vllm serve <model>` per evaluated model (one GPU node), stopped when the runner disposes it. */
  vllm: boolean;
  vllmCommand: string;
  vllmArgs: string[];
  vllmStartTimeoutMs: number;
  /** Sent with every evaluation request: Qwen2-VL's generation_config (which the paper's eval used) has 1.05. */
  repetitionPenalty: number;
  /** True when `gpus` was neither given nor detected: folders may be written (for another machine), never launched. */
  gpusUnknown: boolean;
}

const NUMBER_KEYS = ['gpus', 'nodes', 'perDeviceBatch', 'maxPixels', 'minPixels', 'trainerSeed'] as const;

function positiveInt(key: string, v: unknown): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n < 1) throw new ClsrlError('BAD_CONFIG', `trl engine option ${key} must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

/** `detect` counts the GPUs of this machine when `gpus` is not given (gpus.ts; injectable for tests). */
export function resolveTrlOptions(raw: EngineOptions, detect: () => GpuCount | undefined = detectGpus): TrlEngineOptions {
  const o: TrlEngineOptions = {
    ...TRL_DEFAULTS, writeOnly: false, launcher: 'bash', rewardUrl: undefined,
    vllm: false, vllmCommand: 'vllm', vllmArgs: [], vllmStartTimeoutMs: 900_000, repetitionPenalty: 1.05, gpusUnknown: false,
  };
  if (raw.model !== undefined) o.model = String(raw.model);
  for (const k of NUMBER_KEYS) if (raw[k] !== undefined) (o as unknown as Record<string, number>)[k] = positiveInt(k, raw[k]);
  if (raw.attnImplementation !== undefined) {
    const a = String(raw.attnImplementation);
    if (!['flash_attention_2', 'sdpa', 'eager'].includes(a)) throw new ClsrlError('BAD_CONFIG', `trl engine option attnImplementation '${a}' is not flash_attention_2, sdpa or eager`);
    o.attnImplementation = a as TrlOptions['attnImplementation'];
  }
  if (raw.reportTo !== undefined) o.reportTo = String(raw.reportTo);
  if (raw.gradientCheckpointing !== undefined) o.gradientCheckpointing = raw.gradientCheckpointing === true || raw.gradientCheckpointing === 'true';
  if (raw.writeOnly !== undefined) o.writeOnly = raw.writeOnly === true || raw.writeOnly === 'true';
  if (raw.launcher !== undefined) o.launcher = String(raw.launcher);
  if (raw.rewardUrl !== undefined) o.rewardUrl = String(raw.rewardUrl);
  if (raw.baseUrl !== undefined) o.baseUrl = String(raw.baseUrl);
  if (raw.vllm !== undefined) o.vllm = raw.vllm === true || raw.vllm === 'true' || raw.vllm === 'spawn';
  if (raw.vllmCommand !== undefined) o.vllmCommand = String(raw.vllmCommand);
  if (raw.vllmArgs !== undefined) o.vllmArgs = Array.isArray(raw.vllmArgs) ? raw.vllmArgs.map(String) : String(raw.vllmArgs).split(/\s+/).filter(Boolean);
  if (raw.vllmStartTimeoutMs !== undefined) o.vllmStartTimeoutMs = positiveInt('vllmStartTimeoutMs', raw.vllmStartTimeoutMs);
  if (raw.repetitionPenalty !== undefined) {
    o.repetitionPenalty = Number(raw.repetitionPenalty);
    if (!(o.repetitionPenalty > 0)) throw new ClsrlError('BAD_CONFIG', `trl engine option repetitionPenalty must be > 0, got ${JSON.stringify(raw.repetitionPenalty)}`);
  }
  if (raw.distributed !== undefined) {
    const d = String(raw.distributed);
    if (!(DISTRIBUTED as readonly string[]).includes(d)) {
      throw new ClsrlError('BAD_CONFIG', `trl engine option distributed '${d}' is not one of ${DISTRIBUTED.join(', ')}`, { hint: 'docs/reproduce-the-paper.md explains each, with memory estimates' });
    }
    o.distributed = d as Distributed;
  }
  if (raw.gpus === undefined) {
    const found = detect();
    if (found) {
      o.gpus = found.count;
      o.gpusNote = `gpus=${found.count} detected from ${found.source} where clsrl ran (override with --engine-opt gpus=N).`;
    } else {
      o.gpusUnknown = true;
      o.gpusNote = `no GPU detected where clsrl ran (CUDA_VISIBLE_DEVICES unset, nvidia-smi absent or empty): folder written for gpus=${o.gpus}, the paper's node; pass --engine-opt gpus=N for the machine that will run it.`;
    }
  }
  distributedFor(o); // refuses distributed=single on several GPUs before anything is written
  if (o.vllm && o.baseUrl) throw new ClsrlError('BAD_CONFIG', 'trl engine options vllm and baseUrl exclude each other', { hint: 'vllm=true starts a server per model; baseUrl uses yours' });
  return o;
}

interface TrlModel extends LoadedModel {
  /** Model name sent to the OpenAI-compatible server. */
  readonly served: string;
  /** The server this model is evaluated on: started by the engine (vllm=true) or the configured one. */
  generator?: OpenAIGenerator;
  server?: VllmServer;
}

function noInProcess(what: string): never {
  throw new ClsrlError('ENGINE', `the trl engine trains outside this process; it cannot ${what}`, {
    hint: 'the runner calls trainExternally for trl; for in-process training use --engine tiny',
  });
}

function generatorFor(raw: EngineOptions, o: TrlEngineOptions, baseUrl: string, ctx: EngineContext): OpenAIGenerator {
  // vLLM batches concurrent requests; 32 in flight matches the paper's eval batch of 32 per GPU.
  return new OpenAIGenerator(resolveOpenAIOptions({ concurrency: 32, ...raw, baseUrl, model: o.model, repetitionPenalty: o.repetitionPenalty }, { model: false }, ctx));
}

export async function createTrlEngine(raw: EngineOptions, ctx: EngineContext = {}): Promise<Engine> {
  const o = resolveTrlOptions(raw);
  const shared = o.baseUrl ? generatorFor(raw, o, o.baseUrl, ctx) : undefined;
  const engine: Engine = {
    name: 'trl',
    trains: false,
    optionKinds: kindsOf(TRL_OPTIONS),
    baseModel: (): ModelRef => ({ engine: 'trl', id: 'base', path: o.model }),
    async load(ref: ModelRef): Promise<LoadedModel> {
      // vLLM serves a model under the path or id it was started with.
      const served = ref.path ?? o.model;
      if (!o.vllm) return { ref, served, generator: shared } as TrlModel;
      const logDir = fs.existsSync(served) ? served : path.resolve('results', 'vllm-logs');
      const server = await startVllm(served, { command: o.vllmCommand, extraArgs: o.vllmArgs, startTimeoutMs: o.vllmStartTimeoutMs, seed: o.trainerSeed, logDir });
      return { ref, served, server, generator: generatorFor(raw, o, server.url, ctx) } as TrlModel;
    },
    freeze: async () => noInProcess('freeze a reference model'),
    async generate(model, prompts, gen) {
      const m = model as TrlModel;
      if (!m.generator) {
        throw new ClsrlError('ENGINE', 'the trl engine evaluates through an OpenAI-compatible server (e.g. `vllm serve <checkpoint>`), and no baseUrl is configured', {
          hint: 'pass --engine-opt vllm=true to let clsrl start `vllm serve` per model, or serve the checkpoint yourself and pass --engine-opt baseUrl=http://127.0.0.1:8000/v1 (docs/reproduce-the-paper.md)',
        });
      }
      return m.generator.generate(m.served, prompts, gen);
    },
    logprobs: async () => noInProcess('score log-probs'),
    createOptimizer: () => noInProcess('create an optimizer'),
    step: async () => noInProcess('take optimizer steps'),
    encodeTarget: () => noInProcess('encode targets'),
    save: async () => noInProcess('save checkpoints'),
    async dispose(model) {
      const m = model as TrlModel;
      if (m.server) {
        m.generator?.close();
        await m.server.stop();
      }
    },
    fingerprint: () =>
      createHash('sha256')
        .update(JSON.stringify(['trl', o.model, o.maxPixels, o.minPixels, o.attnImplementation, o.trainerSeed, o.repetitionPenalty]))
        .digest('hex')
        .slice(0, 16),
    trainExternally: (ctx) => trainExternally(ctx, o),
    prepareRun: async (ctx) => prepareRun(ctx, o),
    preflight: async () => (await import('./doctor')).trlPreflight(o, raw),
    prepareOnly: o.writeOnly,
  };
  return engine;
}

let warnedGpus = false;

function noteAssumedGpus(o: TrlEngineOptions): void {
  if (o.gpusUnknown && !warnedGpus) {
    warnedGpus = true;
    process.stderr.write(`note: ${o.gpusNote}\n`);
  }
}

/**
 * The run folder under `workDir` when it holds a finished training (train.py writes clsrl-done.json
 * last), read as it was written: a finished folder is ingested as is, never rewritten (its launch files
 * record the GPU layout it trained with, which may differ from this machine's).
 */
export function finishedFolder(workDir: string): RunFolder | undefined {
  const dir = path.join(workDir, 'trl');
  const outputDir = path.join(dir, 'output');
  const finalDir = path.join(outputDir, 'final');
  if (!fs.existsSync(path.join(outputDir, 'clsrl-done.json')) || !fs.existsSync(finalDir)) return undefined;
  let config: TrainerConfig;
  try {
    config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as TrainerConfig;
  } catch (err) {
    throw new ClsrlError('EXTERNAL', `finished run folder ${dir} has no readable config.json: ${(err as Error).message}`, { hint: 'restore the folder as it was written, or delete output/clsrl-done.json to train it again', cause: err });
  }
  return { dir, config, launch: path.join(dir, 'launch.sh'), outputDir, finalDir };
}

/** Steps of a finished folder: completions per step from its own batch layout (the method's update size). */
function ingestFinished(folder: RunFolder, batchSize: number): TrainStepRecord[] {
  const a = folder.config.args;
  const processes = folder.config.trainer === 'grpo' ? batchSize / (Number(a.per_device_train_batch_size) * Number(a.gradient_accumulation_steps)) : 1;
  return readTrainerState(path.join(folder.outputDir, 'trainer_state.json'), completionsPerStep(folder, { gpus: processes, nodes: 1 }));
}

/** Writes the run folder and stops (`sweep --prepare`, writeOnly): the user's scheduler runs launch.sh. */
export function prepareRun(ctx: ExternalTrainContext, o: TrlEngineOptions): PreparedRun {
  const done = finishedFolder(ctx.workDir);
  if (done) return { dir: done.dir, launch: `bash ${done.launch}`, finished: true };
  noteAssumedGpus(o);
  const folder = writeRunFolder(ctx, o);
  return { dir: folder.dir, launch: `bash ${folder.launch}`, finished: false };
}

/** Writes the run folder; unless dry-run/writeOnly, launches it and ingests what it logged. */
export async function trainExternally(ctx: ExternalTrainContext, o: TrlEngineOptions): Promise<{ model: ModelRef; steps: TrainStepRecord[] }> {
  // A folder trained elsewhere (--prepare + the user's scheduler) is ingested, not trained again: the
  // folder is named by the run id, a hash of everything that changes results, so a finished one matches.
  const done = finishedFolder(ctx.workDir);
  if (done) return { model: { engine: 'trl', id: ctx.spec.id, path: done.finalDir }, steps: ingestFinished(done, Number(ctx.methodConfig.batchSize ?? 64)) };
  const launches = !(ctx.dryRun || o.writeOnly);
  if (launches && o.gpusUnknown) {
    throw new ClsrlError('BAD_CONFIG', `run ${ctx.spec.id} would train with TRL here, but no GPU is visible (CUDA_VISIBLE_DEVICES unset, \`nvidia-smi -L\` lists none)`, {
      hint: 'run clsrl on the GPU machine, or pass --engine-opt gpus=N; to only write the run folders use --prepare (or --dry-run)',
    });
  }
  const folder = writeRunFolder(ctx, o);
  const model: ModelRef = { engine: 'trl', id: ctx.spec.id, path: folder.finalDir };
  if (!launches) {
    noteAssumedGpus(o);
    return { model, steps: [] };
  }
  await ctx.beforeLaunch?.();
  return { model, steps: await launchRun(folder, ctx, o) };
}

export { writeRunFolder } from './folder';
export { readTrainerState, stepsFromLogHistory } from './state';
export const TRL_FOLDER = (workDir: string) => path.join(workDir, 'trl');
