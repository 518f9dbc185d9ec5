// Engine `openai`: evaluation through any OpenAI-compatible chat server (`vllm serve`, `clsrl serve`).
// Sends the image as a base64 data URL plus the prompt text, sampling parameters always explicit, and
// caches answers. Evaluation only: the training calls throw ClsrlError('ENGINE').

import fs from 'fs';
import path from 'path';
import { createHash } from 'crypto';
import sharp from 'sharp';
import type { Completion, Engine, GenerateOptions, LoadedModel, ModelRef, PromptInput } from '../../contracts';
import { ClsrlError } from '../../errors';
import type { EngineContext, EngineOptions } from '../registry';
import { CompletionCache, cacheKey } from './cache';
import { kindsOf } from '../options';
import { OPENAI_OPTIONS } from './options';
import { CLIENT_DEFAULTS, OpenAIClient, type ChatRequest, type ChatResponse } from './client';

export interface OpenAIEngineOptions {
  baseUrl: string;
  /** Model name the server knows (vLLM: the path or HF id given to `vllm serve`, or --served-model-name). */
  model: string;
  apiKey?: string;
  concurrency: number;
  timeoutMs: number;
  maxRetries: number;
  retryBaseMs: number;
  /** SQLite cache file, or 'off'. */
  cache: string;
  /** Resize images to size x size (Lanczos) before sending; 0 sends the file's bytes unchanged. */
  imageSize: number;
  /** Always sent; 1 keeps the full distribution (temperature 0 is greedy anyway). */
  topP: number;
  /** vLLM's `repetition_penalty` extension, sent only when set (Qwen2-VL's generation_config uses 1.05). */
  repetitionPenalty?: number;
}

/** Cache file name, beside the results database (`--db`); without one (e.g. a bare createEngine), under results/. */
export const CACHE_FILE_NAME = 'openai-cache.sqlite';
export const DEFAULT_CACHE_FILE = `results/${CACHE_FILE_NAME}`;

/** The default completion cache: beside the database the runs are stored in. */
export function defaultCacheFile(ctx: EngineContext = {}): string {
  return ctx.db ? path.join(path.dirname(path.resolve(ctx.db)), CACHE_FILE_NAME) : DEFAULT_CACHE_FILE;
}

function pick<T>(opts: EngineOptions, key: string, kind: 'string' | 'number', fallback: T): T {
  const v = opts[key];
  if (v === undefined || v === null || v === '') return fallback;
  if (kind === 'number') {
    const n = typeof v === 'number' ? v : Number(v);
    if (!Number.isFinite(n)) throw new ClsrlError('BAD_CONFIG', `engine option ${key} must be a number, got ${JSON.stringify(v)}`);
    return n as T;
  }
  return String(v) as T;
}

/** Resolves engine options (suite/CLI) with environment fallbacks; apiKey only from the environment by default. */
export function resolveOpenAIOptions(opts: EngineOptions, required: { model: boolean } = { model: true }, ctx: EngineContext = {}): OpenAIEngineOptions {
  const baseUrl = pick<string>(opts, 'baseUrl', 'string', process.env.CLSRL_OPENAI_BASE_URL ?? '');
  const model = pick<string>(opts, 'model', 'string', process.env.CLSRL_OPENAI_MODEL ?? '');
  if (!baseUrl) {
    throw new ClsrlError('BAD_CONFIG', 'the openai engine needs a server URL', {
      hint: 'pass --base-url http://127.0.0.1:8000/v1 (engine option baseUrl) or set CLSRL_OPENAI_BASE_URL; start one with `vllm serve <model>` or `clsrl serve --engine tiny`',
    });
  }
  if (required.model && !model) {
    throw new ClsrlError('BAD_CONFIG', 'the openai engine needs a model name', { hint: 'pass --model NAME (the name the server serves; see GET /v1/models)' });
  }
  const apiKeyEnv = pick<string>(opts, 'apiKeyEnv', 'string', 'OPENAI_API_KEY');
  return {
    baseUrl,
    model,
    apiKey: pick<string | undefined>(opts, 'apiKey', 'string', process.env[apiKeyEnv]),
    concurrency: pick(opts, 'concurrency', 'number', CLIENT_DEFAULTS.concurrency),
    timeoutMs: pick(opts, 'timeoutMs', 'number', CLIENT_DEFAULTS.timeoutMs),
    maxRetries: pick(opts, 'maxRetries', 'number', CLIENT_DEFAULTS.maxRetries),
    retryBaseMs: pick(opts, 'retryBaseMs', 'number', CLIENT_DEFAULTS.retryBaseMs),
    cache: pick(opts, 'cache', 'string', defaultCacheFile(ctx)),
    imageSize: pick(opts, 'imageSize', 'number', 0),
    topP: pick(opts, 'topP', 'number', 1),
    repetitionPenalty: pick<number | undefined>(opts, 'repetitionPenalty', 'number', undefined),
  };
}

const MIME: Record<string, string> = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.webp': 'image/webp', '.gif': 'image/gif', '.bmp': 'image/bmp', '.tif': 'image/tiff', '.tiff': 'image/tiff' };

interface EncodedImage {
  dataUrl: string;
  sha: string;
}

/** Turns prompts into chat requests and answers into Completions; shared by the openai and trl engines. */
export class OpenAIGenerator {
  readonly client: OpenAIClient;
  private readonly cache?: CompletionCache;
  private readonly images = new Map<string, Promise<EncodedImage>>();
  /** Answers served from the cache / fetched from the server, for logs and tests. */
  stats = { cached: 0, fetched: 0 };

  constructor(readonly opts: OpenAIEngineOptions) {
    this.client = new OpenAIClient(opts);
    if (opts.cache !== 'off') this.cache = new CompletionCache(path.resolve(opts.cache));
  }

  async generate(model: string, prompts: PromptInput[], gen: GenerateOptions): Promise<Completion[][]> {
    return Promise.all(prompts.map((p) => this.one(model, p, gen)));
  }

  close(): void {
    this.cache?.close();
  }

  private async one(model: string, prompt: PromptInput, gen: GenerateOptions): Promise<Completion[]> {
    const image = await this.encode(prompt.image);
    const sampling = { n: gen.n, temperature: gen.temperature, topP: this.opts.topP, maxTokens: gen.maxTokens, seed: gen.seed, repetitionPenalty: this.opts.repetitionPenalty };
    const key = cacheKey({ model, text: prompt.text, imageSha: image.sha, sampling });
    const hit = this.cache?.get(key);
    if (hit) {
      this.stats.cached++;
      return hit;
    }
    const request: ChatRequest = {
      model,
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: image.dataUrl } }, { type: 'text', text: prompt.text }] }],
      n: gen.n,
      temperature: gen.temperature,
      top_p: this.opts.topP,
      max_tokens: gen.maxTokens,
      seed: gen.seed,
      ...(this.opts.repetitionPenalty === undefined ? {} : { repetition_penalty: this.opts.repetitionPenalty }),
    };
    const completions = toCompletions(await this.client.chat(request), gen.n, prompt.id);
    this.stats.fetched++;
    this.cache?.put(key, model, completions);
    return completions;
  }

  private encode(file: string): Promise<EncodedImage> {
    let hit = this.images.get(file);
    if (!hit) {
      hit = encodeImage(file, this.opts.imageSize);
      this.images.set(file, hit);
    }
    return hit;
  }
}

async function encodeImage(file: string, size: number): Promise<EncodedImage> {
  let bytes: Buffer;
  let mime = MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
  try {
    bytes = fs.readFileSync(file);
    if (size > 0) {
      bytes = await sharp(bytes).resize(size, size, { fit: 'fill', kernel: 'lanczos3' }).png().toBuffer();
      mime = 'image/png';
    }
  } catch (err) {
    throw new ClsrlError('DATA_MISSING', `cannot read image ${file}: ${(err as Error).message}`, { cause: err });
  }
  return { dataUrl: `data:${mime};base64,${bytes.toString('base64')}`, sha: createHash('sha256').update(bytes).digest('hex') };
}

/** Choices in index order; `finish_reason: length` is kept as a truncated answer. Token ids are not sent
 * by OpenAI-compatible servers, so `tokens`/`logprobs` stay empty. */
export function toCompletions(res: ChatResponse, n: number, promptId: string): Completion[] {
  const choices = [...(res.choices ?? [])].sort((a, b) => a.index - b.index);
  if (choices.length < n) {
    throw new ClsrlError('EXTERNAL', `server returned ${choices.length} choices for prompt ${promptId}, expected ${n}`, {
      hint: 'the server may not support n > 1; use n = 1',
    });
  }
  return choices.slice(0, n).map((c) => ({
    tokens: [],
    text: c.message?.content ?? '',
    logprobs: [],
    finishReason: c.finish_reason === 'length' ? 'length' : 'stop',
  }));
}

interface OpenAIModel extends LoadedModel {
  readonly name: string;
}

function evaluationOnly(what: string): never {
  throw new ClsrlError('ENGINE', `the openai engine evaluates only; it cannot ${what}`, {
    hint: 'train with --engine tiny (in process) or --engine trl (GPUs), then evaluate through --engine openai',
  });
}

export async function createOpenAIEngine(raw: EngineOptions, ctx: EngineContext = {}): Promise<Engine> {
  const opts = resolveOpenAIOptions(raw, { model: true }, ctx);
  const generator = new OpenAIGenerator(opts);
  const engine: Engine = {
    name: 'openai',
    trains: false,
    optionKinds: kindsOf(OPENAI_OPTIONS),
    baseModel: (): ModelRef => ({ engine: 'openai', id: 'base', path: opts.model }),
    async load(ref: ModelRef): Promise<LoadedModel> {
      // A trained checkpoint is served under its path (`vllm serve <dir>`); the base under --model.
      const name = ref.id === 'base' ? opts.model : (ref.path ?? opts.model);
      return { ref, name } as OpenAIModel;
    },
    freeze: async () => evaluationOnly('freeze a reference model'),
    generate: (model, prompts, gen) => generator.generate((model as OpenAIModel).name ?? opts.model, prompts, gen),
    logprobs: async () => evaluationOnly('score log-probs'),
    createOptimizer: () => evaluationOnly('create an optimizer'),
    step: async () => evaluationOnly('take optimizer steps'),
    encodeTarget: () => evaluationOnly('encode targets'),
    save: async () => evaluationOnly('save checkpoints'),
    dispose: async () => undefined,
    preflight: async () => (await import('./doctor')).endpointChecks(opts, opts.model),
    fingerprint: () => createHash('sha256').update(`openai:${opts.model}:${opts.imageSize}:${opts.topP}:${opts.repetitionPenalty ?? ''}`).digest('hex').slice(0, 16),
  };
  return engine;
}
