// The `tiny` engine: the embedded vision-language model implementing the policy contract (generate,
// logprobs, step with token weights) on ONNX Runtime. Entry point: createTinyEngine(opts).
// Models are flat Float32Array parameters; sessions are shared by every model of the same config.

import * as fs from 'fs';
import * as path from 'path';
import type {
  Completion, Engine, GenerateOptions, LoadedModel, ModelRef, OptimizerConfig, OptimizerHandle, PromptInput, StepStats, TokenSeq,
} from '../../contracts';
import { ClsrlError } from '../../errors';
import { loadImage } from '../../images';
import { checkLength, patchify, runRows, type Row } from './batch';
import { CONFIG_FILE, WEIGHTS_FILE, hasCheckpoint, fingerprintOf, loadCheckpoint, saveCheckpoint } from './checkpoint';
import { resolveConfig, type TinyConfig } from './config';
import { generateAll, type GenPrompt } from './generate';
import { AdamW } from './optimizer';
import { initParams, layout, mulberry32 } from './params';
import { Runtime } from './runtime';
import { Tokenizer, type Merge } from './tokenizer';
import { kindsOf } from '../options';
import { TINY_OPTIONS } from './options';

export { DEFAULT_CONFIG, type TinyConfig } from './config';
export { tokenizer, SPECIALS, BASE_VOCAB, Tokenizer } from './tokenizer';
export { layout } from './params';

/** Where the shipped base checkpoint lives (produced by the pretraining script). */
export const BASE_CHECKPOINT_DIR = path.resolve(__dirname, '../../../models/tiny-base');

export interface TinyEngineOptions {
  /** Checkpoint folder to use as the base model (default: models/tiny-base/ if present). */
  checkpoint?: string;
  /** Model config for a randomly initialised base (given without `checkpoint`: random init, no shipped base). */
  config?: Partial<TinyConfig>;
  /** Intra-op threads (default: all cores). */
  threads?: number;
  /** Seed of the random initialisation (default: config.seed). */
  seed?: number;
  /** BPE merges of a randomly initialised base (default none: byte-level); checkpoints carry their own. */
  merges?: Merge[];
  /**
   * BPE-dropout (Provilkov et al. 2020) of prompt text in step() only, 0 <= p < 1 (default 0): training
   * prompts then show sub-word pieces and bytes, so words never seen whole (a task's own phrasing) do not
   * meet untrained token embeddings. Seeded from the model seed; generate() and logprobs() never drop.
   */
  promptDropout?: number;
  /**
   * Train-graph sessions kept with their memory arenas (default 2). Each distinct batch shape is one
   * session; a long SFT run over mixed prompt lengths cycles through 10-20 shapes, and with 2 kept it
   * rebuilt a session most steps (1.6 s/step; 0.64 s/step over the whole 3600-step pretraining run
   * with 12 kept). Each kept session holds ~0.4 GB RSS.
   */
  arenaSessions?: number;
}

export class TinyModel implements LoadedModel {
  grad: Float32Array | null = null;
  disposed = false;
  constructor(readonly ref: ModelRef, readonly cfg: TinyConfig, readonly params: Float32Array, readonly frozen: boolean) {}
}

class TinyOptimizer extends AdamW {
  constructor(config: OptimizerConfig, readonly model: TinyModel) {
    super(config, layout(model.cfg));
  }
}

function parseOptions(raw: Record<string, unknown>): TinyEngineOptions {
  const known = Object.keys(TINY_OPTIONS);
  for (const k of Object.keys(raw)) {
    if (!known.includes(k)) throw new ClsrlError('BAD_CONFIG', `tiny engine option '${k}' is unknown`, { hint: `options: ${known.join(', ')}` });
  }
  const { checkpoint, config, threads, seed, merges, promptDropout, arenaSessions } = raw;
  if (arenaSessions !== undefined && !(Number.isInteger(arenaSessions) && (arenaSessions as number) >= 1)) {
    throw new ClsrlError('BAD_CONFIG', `tiny engine option arenaSessions must be an integer >= 1 (got ${JSON.stringify(arenaSessions)})`, { hint: 'each kept session holds ~0.4 GB; 2 is the default' });
  }
  if (promptDropout !== undefined && !(typeof promptDropout === 'number' && promptDropout >= 0 && promptDropout < 1)) {
    throw new ClsrlError('BAD_CONFIG', `tiny engine option promptDropout must be a number in [0, 1) (got ${JSON.stringify(promptDropout)})`, { hint: 'BPE-dropout is usually 0.1' });
  }
  if (merges !== undefined && !Array.isArray(merges)) throw new ClsrlError('BAD_CONFIG', 'tiny engine option merges must be an array of [id, id] pairs', { hint: 'from Tokenizer.train(texts, n).merges' });
  if (merges !== undefined && checkpoint !== undefined) throw new ClsrlError('BAD_CONFIG', 'tiny engine options merges and checkpoint exclude each other', { hint: 'a checkpoint carries its own tokenizer' });
  if (checkpoint !== undefined && typeof checkpoint !== 'string') throw new ClsrlError('BAD_CONFIG', 'tiny engine option checkpoint must be a folder path', { hint: 'e.g. models/tiny-base' });
  if (config !== undefined && (typeof config !== 'object' || config === null)) throw new ClsrlError('BAD_CONFIG', 'tiny engine option config must be an object', { hint: 'e.g. {"dModel": 64}' });
  if (threads !== undefined && !(Number.isInteger(threads) && (threads as number) >= 1)) throw new ClsrlError('BAD_CONFIG', `tiny engine option threads must be an integer >= 1 (got ${threads})`, { hint: 'omit it to use all cores' });
  if (seed !== undefined && !Number.isInteger(seed)) throw new ClsrlError('BAD_CONFIG', `tiny engine option seed must be an integer (got ${seed})`, { hint: 'e.g. 0' });
  return raw as TinyEngineOptions;
}

export class TinyEngine implements Engine {
  readonly name = 'tiny';
  readonly trains = true;
  readonly optionKinds = kindsOf(TINY_OPTIONS);
  readonly repetitionPenalty = true;
  readonly scores = true;
  readonly runtime: Runtime;
  private readonly base: TinyModel;
  private readonly baseFingerprint: string;

  private readonly tok: Tokenizer;
  private readonly drop: (() => boolean) | undefined;

  constructor(
    base: { cfg: TinyConfig; params: Float32Array; tok: Tokenizer; path?: string },
    { threads, promptDropout = 0, arenaSessions }: Pick<TinyEngineOptions, 'threads' | 'promptDropout' | 'arenaSessions'> = {},
  ) {
    this.runtime = new Runtime({ threads, maxArenaSessions: arenaSessions });
    if (promptDropout > 0) {
      const rand = mulberry32(base.cfg.seed ^ 0xd2095);
      this.drop = () => rand() < promptDropout;
    }
    this.base = new TinyModel({ engine: 'tiny', id: 'base', ...(base.path ? { path: base.path } : {}) }, base.cfg, base.params, true);
    this.tok = base.tok;
    this.baseFingerprint = fingerprintOf(base.cfg, base.params, base.tok);
  }

  /** The base model's tokenizer; every model this engine loads shares it (load() checks). */
  get tokenizer(): Tokenizer {
    return this.tok;
  }

  /** The base model's config. */
  get config(): TinyConfig {
    return this.base.cfg;
  }

  baseModel(): ModelRef {
    return this.base.ref;
  }

  async load(ref: ModelRef): Promise<TinyModel> {
    if (ref.id === 'base' && (!ref.path || path.resolve(ref.path) === path.resolve(this.base.ref.path ?? ''))) {
      return new TinyModel({ ...this.base.ref }, this.base.cfg, this.base.params.slice(), false);
    }
    if (ref.engine !== 'tiny') throw new ClsrlError('ENGINE', `model ${ref.engine}/${ref.id} belongs to engine '${ref.engine}', not tiny`, { hint: 'load it with the engine that made it' });
    if (!ref.path) throw new ClsrlError('NOT_FOUND', `tiny model '${ref.id}' has no checkpoint path`, { hint: 'pass the folder engine.save returned' });
    const ck = loadCheckpoint(ref.path);
    if (ck.tok.signature !== this.tok.signature) {
      throw new ClsrlError('ENGINE', `model ${ref.id} (${ref.path}) has a different tokenizer than the engine's base model`, { hint: 'load it with an engine created from the checkpoint it was fine-tuned from' });
    }
    return new TinyModel({ ...ref }, ck.cfg, ck.params, false);
  }

  async freeze(model: LoadedModel): Promise<TinyModel> {
    const m = this.check(model);
    return new TinyModel({ ...m.ref }, m.cfg, m.params.slice(), true);
  }

  async generate(model: LoadedModel, prompts: PromptInput[], opts: GenerateOptions): Promise<Completion[][]> {
    const m = this.check(model);
    if (!(opts.n >= 1) || !(opts.temperature >= 0) || !(opts.maxTokens >= 0)) {
      throw new ClsrlError('BAD_CONFIG', `generate options n=${opts.n} temperature=${opts.temperature} maxTokens=${opts.maxTokens} out of range`, { hint: 'n >= 1, temperature >= 0, maxTokens >= 0' });
    }
    const gp: GenPrompt[] = await Promise.all(prompts.map(async (p) => ({ patches: await this.patches(m, p), prompt: this.promptTokens(p) })));
    return generateAll(this.runtime, m.cfg, m.params, this.tok, gp, opts);
  }

  async checkPrompt(model: LoadedModel, prompt: PromptInput): Promise<void> {
    const m = this.check(model);
    await this.patches(m, prompt);
    checkLength(m.cfg, this.tok.encodePrompt(prompt.text).length + 1, 'the prompt'); // as generate checks it
  }

  async logprobs(model: LoadedModel, prompts: PromptInput[], seqs: TokenSeq[]): Promise<number[][]> {
    const m = this.check(model);
    const rows = await this.rows(m, prompts, seqs, null);
    return (await runRows(this.runtime, m.cfg, m.params, rows, null)).logp;
  }

  createOptimizer(model: LoadedModel, config: OptimizerConfig): OptimizerHandle {
    return new TinyOptimizer(config, this.check(model));
  }

  async step(model: LoadedModel, prompts: PromptInput[], seqs: TokenSeq[], tokenWeights: number[][], optimizer: OptimizerHandle): Promise<StepStats> {
    const t0 = Date.now();
    const m = this.check(model);
    if (m.frozen) throw new ClsrlError('ENGINE', 'cannot train a frozen model', { hint: 'step the model from engine.load, not the freeze() copy' });
    if (!(optimizer instanceof TinyOptimizer) || optimizer.model !== m) {
      throw new ClsrlError('ENGINE', 'optimizer was not created for this model', { hint: 'call engine.createOptimizer(model, config) with the same model' });
    }
    if (tokenWeights.length !== seqs.length) throw new ClsrlError('ENGINE', `step got ${seqs.length} sequences but ${tokenWeights.length} weight rows`, { hint: 'one weight per token of every sequence' });
    const rows = await this.rows(m, prompts, seqs, tokenWeights);
    m.grad ??= new Float32Array(m.params.length);
    const { loss } = await runRows(this.runtime, m.cfg, m.params, rows, m.grad);
    const { gradNorm, lr } = optimizer.update(m.params, m.grad);
    return { loss, gradNorm, lr, tokens: seqs.reduce((s, q) => s + q.tokens.length, 0), wallMs: Date.now() - t0 };
  }

  encodeTarget(text: string): number[] {
    return this.tok.encodeTarget(text);
  }

  async save(model: LoadedModel, dir: string): Promise<ModelRef> {
    const m = this.check(model);
    saveCheckpoint(dir, m.cfg, m.params, this.tok);
    return { engine: 'tiny', id: path.basename(path.resolve(dir)), path: path.resolve(dir) };
  }

  async dispose(model: LoadedModel): Promise<void> {
    const m = this.check(model);
    m.disposed = true;
    m.grad = null;
  }

  fingerprint(): string {
    return this.baseFingerprint;
  }

  /** Releases every ONNX Runtime session (the engine stays usable; sessions are rebuilt on demand). */
  async close(): Promise<void> {
    await this.runtime.dispose();
  }

  private check(model: LoadedModel): TinyModel {
    if (!(model instanceof TinyModel)) throw new ClsrlError('ENGINE', `model ${model.ref.engine}/${model.ref.id} was not loaded by the tiny engine`, { hint: 'load it with this engine' });
    if (model.disposed) throw new ClsrlError('ENGINE', `model ${model.ref.id} was disposed`, { hint: 'load it again' });
    return model;
  }

  /** bos user <text> end assistant, then the assistant's prefix if any (its tokens as if generated). */
  private promptTokens(p: PromptInput, drop?: () => boolean): number[] {
    const head = this.tok.encodePrompt(p.text, drop);
    return p.assistantPrefix ? head.concat(this.tok.encode(p.assistantPrefix)) : head;
  }

  private async patches(m: TinyModel, p: PromptInput): Promise<Float32Array> {
    return patchify((await loadImage(p.image, m.cfg.imageSize)).data, m.cfg);
  }

  private async rows(m: TinyModel, prompts: PromptInput[], seqs: TokenSeq[], weights: number[][] | null): Promise<Row[]> {
    const cache = new Map<number, Promise<{ patches: Float32Array; prompt: number[] }>>();
    const promptOf = (i: number) => {
      if (!(i >= 0 && i < prompts.length)) throw new ClsrlError('ENGINE', `sequence promptIndex ${i} out of range (0..${prompts.length - 1})`, { hint: 'promptIndex indexes the prompts array' });
      let hit = cache.get(i);
      if (!hit) {
        hit = this.patches(m, prompts[i]).then((patches) => ({ patches, prompt: this.promptTokens(prompts[i], weights ? this.drop : undefined) }));
        cache.set(i, hit);
      }
      return hit;
    };
    return Promise.all(
      seqs.map(async (s, k) => {
        if (s.tokens.length === 0) throw new ClsrlError('ENGINE', `sequence ${k} is empty`, { hint: 'every sequence needs at least one token (SFT targets end with the end token)' });
        for (const t of s.tokens) {
          if (!(Number.isInteger(t) && t >= 0 && t < m.cfg.vocabSize)) {
            throw new ClsrlError('ENGINE', `sequence ${k} has token ${t}, outside the tiny vocabulary 0..${m.cfg.vocabSize - 1}`, { hint: 'use tokens from generate() or encodeTarget()' });
          }
        }
        if (weights && weights[k].length !== s.tokens.length) {
          throw new ClsrlError('ENGINE', `sequence ${k} has ${s.tokens.length} tokens but ${weights[k].length} weights`, { hint: 'one weight per token' });
        }
        const p = await promptOf(s.promptIndex);
        return { patches: p.patches, prompt: p.prompt, seq: s.tokens, ...(weights ? { weights: weights[k] } : {}) };
      }),
    );
  }
}

/**
 * Creates the engine: base model from `checkpoint`, else the shipped models/tiny-base/; random weights
 * only when asked for (a `config` or `merges` option), never as a silent stand-in for a missing file.
 */
export async function createTinyEngine(raw: Record<string, unknown> = {}): Promise<TinyEngine> {
  const opts = parseOptions(raw);
  const random = opts.config !== undefined || opts.merges !== undefined;
  if (opts.checkpoint === undefined && !random && !hasCheckpoint(BASE_CHECKPOINT_DIR)) {
    const missing = [CONFIG_FILE, WEIGHTS_FILE].filter((f) => !fs.existsSync(path.join(BASE_CHECKPOINT_DIR, f)));
    throw new ClsrlError('NOT_FOUND', `the tiny engine's shipped base model is incomplete: ${missing.map((f) => path.join(BASE_CHECKPOINT_DIR, f)).join(' and ')} missing`, {
      hint: 'restore it (git checkout models/tiny-base), pass --engine-opt checkpoint=DIR, or --engine-opt config={} for randomly initialised weights',
    });
  }
  const ckDir = opts.checkpoint ?? (random ? undefined : BASE_CHECKPOINT_DIR);
  if (ckDir) {
    const ck = loadCheckpoint(ckDir);
    if (opts.config) {
      const want = resolveConfig({ ...ck.cfg, ...opts.config }, 'tiny engine option config');
      if (JSON.stringify(want) !== JSON.stringify(ck.cfg)) {
        throw new ClsrlError('BAD_CONFIG', `tiny engine option config differs from checkpoint ${ckDir}`, { hint: 'drop the config option or the checkpoint option' });
      }
    }
    return new TinyEngine({ cfg: ck.cfg, params: ck.params, tok: ck.tok, path: path.resolve(ckDir) }, opts);
  }
  let tok: Tokenizer;
  try {
    tok = new Tokenizer(opts.merges ?? []);
  } catch (cause) {
    throw new ClsrlError('BAD_CONFIG', `tiny engine option merges: ${(cause as Error).message}`, { hint: 'use the merges of Tokenizer.train', cause });
  }
  if (opts.config?.vocabSize !== undefined && opts.config.vocabSize !== tok.vocabSize) {
    throw new ClsrlError('BAD_CONFIG', `tiny engine option config.vocabSize (${opts.config.vocabSize}) does not match the tokenizer (${tok.vocabSize} ids)`, { hint: 'omit vocabSize: it follows the merges' });
  }
  const cfg = resolveConfig({ ...opts.config, vocabSize: tok.vocabSize, ...(opts.seed !== undefined ? { seed: opts.seed } : {}) }, 'tiny engine option config');
  return new TinyEngine({ cfg, params: initParams(layout(cfg), cfg.seed), tok }, opts);
}
