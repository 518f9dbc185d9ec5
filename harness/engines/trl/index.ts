// Engine `trl`: training handed to Hugging Face TRL on GPUs (GRPO for CLS-RL / No-Thinking, SFT), with
// rewards served by clsrl; evaluation through an OpenAI-compatible server (`vllm serve <checkpoint>`).
// Implements `trainExternally` (write the run folder, launch it, ingest trainer_state.json) and
// `generate` via the openai client; in-process policy calls throw ClsrlError('ENGINE').

import path from 'path';
import { createHash } from 'crypto';
import type { Engine, ExternalTrainContext, LoadedModel, ModelRef, TrainStepRecord } from '../../contracts';
import { ClsrlError } from '../../errors';
import type { EngineOptions } from '../registry';
import { OpenAIGenerator, resolveOpenAIOptions } from '../openai';
import { TRL_DEFAULTS, type TrlOptions } from './config';
import { writeRunFolder } from './folder';
import { launchRun, type LaunchOptions } from './launch';

export interface TrlEngineOptions extends TrlOptions, LaunchOptions {
  /** Write run folders only, even when the runner asks to train (for the user's own scheduler). */
  writeOnly: boolean;
  /** OpenAI-compatible server for evaluation (`vllm serve`); without it `generate` throws. */
  baseUrl?: string;
}

const NUMBER_KEYS = ['gpus', 'nodes', 'perDeviceBatch', 'maxPixels', 'minPixels', 'trainerSeed'] as const;

function positiveInt(key: string, v: unknown): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n < 1) throw new ClsrlError('BAD_CONFIG', `trl engine option ${key} must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

export function resolveTrlOptions(raw: EngineOptions): TrlEngineOptions {
  const o: TrlEngineOptions = { ...TRL_DEFAULTS, writeOnly: false, launcher: 'bash', rewardUrl: undefined };
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
  return o;
}

interface TrlModel extends LoadedModel {
  /** Model name sent to the OpenAI-compatible server. */
  readonly served: string;
}

function noInProcess(what: string): never {
  throw new ClsrlError('ENGINE', `the trl engine trains outside this process; it cannot ${what}`, {
    hint: 'the runner calls trainExternally for trl; for in-process training use --engine tiny',
  });
}

export async function createTrlEngine(raw: EngineOptions): Promise<Engine> {
  const o = resolveTrlOptions(raw);
  let generator: OpenAIGenerator | undefined;
  const evaluator = (): OpenAIGenerator => {
    if (!o.baseUrl) {
      throw new ClsrlError('ENGINE', 'the trl engine evaluates through an OpenAI-compatible server (e.g. `vllm serve <checkpoint>`), and no baseUrl is configured', {
        hint: 'serve the checkpoint with `vllm serve <checkpoint dir>` and pass --engine-opt baseUrl=http://127.0.0.1:8000/v1 (docs/reproduce-the-paper.md)',
      });
    }
    generator ??= new OpenAIGenerator(resolveOpenAIOptions({ ...raw, model: o.model }, { model: false }));
    return generator;
  };
  const engine: Engine = {
    name: 'trl',
    trains: false,
    baseModel: (): ModelRef => ({ engine: 'trl', id: 'base', path: o.model }),
    async load(ref: ModelRef): Promise<LoadedModel> {
      // vLLM serves a model under the path or id it was started with.
      return { ref, served: ref.path ?? o.model } as TrlModel;
    },
    freeze: async () => noInProcess('freeze a reference model'),
    generate: async (model, prompts, gen) => evaluator().generate((model as TrlModel).served, prompts, gen),
    logprobs: async () => noInProcess('score log-probs'),
    createOptimizer: () => noInProcess('create an optimizer'),
    step: async () => noInProcess('take optimizer steps'),
    encodeTarget: () => noInProcess('encode targets'),
    save: async () => noInProcess('save checkpoints'),
    dispose: async () => undefined,
    fingerprint: () =>
      createHash('sha256')
        .update(JSON.stringify(['trl', o.model, o.maxPixels, o.minPixels, o.attnImplementation, o.trainerSeed]))
        .digest('hex')
        .slice(0, 16),
    trainExternally: (ctx) => trainExternally(ctx, o),
  };
  return engine;
}

/** Writes the run folder; unless dry-run/writeOnly, launches it and ingests what it logged. */
export async function trainExternally(ctx: ExternalTrainContext, o: TrlEngineOptions): Promise<{ model: ModelRef; steps: TrainStepRecord[] }> {
  const folder = writeRunFolder(ctx, o);
  const model: ModelRef = { engine: 'trl', id: ctx.spec.id, path: folder.finalDir };
  if (ctx.dryRun || o.writeOnly) return { model, steps: [] };
  const steps = await launchRun(folder, ctx, o);
  return { model, steps };
}

export { writeRunFolder } from './folder';
export { readTrainerState, stepsFromLogHistory } from './state';
export const TRL_FOLDER = (workDir: string) => path.join(workDir, 'trl');
