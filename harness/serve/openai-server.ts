// An OpenAI-compatible server over any clsrl engine (`clsrl serve --engine tiny`): POST
// /v1/chat/completions (one image as a base64 data URL + text), GET /v1/models, GET /health.
// Each request is validated on its own before it joins a batch (JSON fields, the image decodes, the
// engine's checkPrompt: e.g. the prompt fits the context), so a bad request fails alone with a 400 that
// names its field and never a server path. Engines take image paths: received images live in a bounded
// content-addressed cache (serve/image-cache.ts). Not a full OpenAI API: no streaming, tools, logprobs
// or top_p other than 1. repetition_penalty (vLLM's extension) is applied when the engine supports it
// (tiny), else only 1 is accepted.

import os from 'os';
import path from 'path';
import http from 'http';
import sharp from 'sharp';
import { createHash, randomBytes } from 'crypto';
import type { Completion, Engine, GenerateOptions, LoadedModel, PromptInput } from '../contracts';
import { ClsrlError } from '../errors';
import { checkBearer, HttpError, listen, readJson, requireTokenBeyondLoopback, sendError, sendJson, type RunningServer } from './http';
import { IMAGE_CACHE_DEFAULTS, ImageCache, type CachedImage, type ImageCacheLimits } from './image-cache';

export interface OpenAIServerOptions {
  engine: Engine;
  model: LoadedModel;
  /** Name clients must send as `model` (and that /v1/models lists). */
  modelName: string;
  host?: string;
  port?: number;
  token?: string;
  /** Root of the received-image cache; this server keeps its files in a folder of its own below it. */
  imageDir?: string;
  /** Bounds of the received-image cache (least recently used images are evicted). */
  imageCache?: Partial<ImageCacheLimits>;
  maxBodyBytes?: number;
  /** Greedy requests arriving together are generated in one engine call, up to this many prompts. */
  maxBatch?: number;
  /** Default max_tokens when a request sends none. */
  defaultMaxTokens?: number;
}

export const OPENAI_SERVER_DEFAULTS = { host: '127.0.0.1', port: 8000, maxBodyBytes: 32 * 1024 * 1024, maxBatch: 8, defaultMaxTokens: 256 };

const EXT: Record<string, string> = { 'image/jpeg': '.jpg', 'image/jpg': '.jpg', 'image/png': '.png', 'image/webp': '.webp', 'image/gif': '.gif', 'image/bmp': '.bmp', 'image/tiff': '.tif' };

export function defaultImageDir(): string {
  return path.join(os.tmpdir(), 'clsrl-serve-images');
}

/** The cache file name of an image's bytes: `<sha256 of bytes><ext>`. */
export function imageCacheName(bytes: Buffer, mime: string): string {
  return createHash('sha256').update(bytes).digest('hex') + (EXT[mime] ?? '.img');
}

/** A decoded data URL, not yet on disk. */
export interface ImagePart {
  bytes: Buffer;
  mime: string;
  /** Where it was in the request (for messages). */
  field: string;
}

/** Decodes `data:<mime>;base64,<data>` (no file is written). */
export function parseDataUrl(url: string, field: string): ImagePart {
  const m = /^data:([\w/+.-]+);base64,(.*)$/s.exec(url);
  if (!m) throw new HttpError(400, `${field} must be a base64 data URL (data:image/png;base64,...); remote URLs are not fetched`);
  const mime = m[1].toLowerCase();
  if (!EXT[mime]) throw new HttpError(400, `${field}: unsupported image type ${mime}`);
  const bytes = Buffer.from(m[2], 'base64');
  if (bytes.length === 0) throw new HttpError(400, `${field}: empty image`);
  return { bytes, mime, field };
}

/** 400 unless the bytes decode as an image (the whole image, so a truncated file fails here, not in a batch). */
export async function checkImageDecodes(img: ImagePart): Promise<void> {
  try {
    await sharp(img.bytes).raw().toBuffer();
  } catch (err) {
    throw new HttpError(400, `${img.field}: the ${img.mime} image does not decode (${(err as Error).message})`);
  }
}

export interface ParsedRequest {
  model: string;
  image: ImagePart;
  text: string;
  gen: GenerateOptions;
}

function num(body: Record<string, unknown>, key: string, fallback: number, check: (n: number) => boolean, rule: string): number {
  const v = body[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !check(v)) throw new HttpError(400, `field "${key}" must be ${rule}, got ${JSON.stringify(v)}`);
  return v;
}

/** Validates a chat request (pure: nothing is written): the last user message must hold exactly one image and some text. */
export function parseChatRequest(raw: unknown, defaultMaxTokens: number, repetitionPenalty = false): ParsedRequest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new HttpError(400, 'body must be a JSON object');
  const body = raw as Record<string, unknown>;
  if (typeof body.model !== 'string') throw new HttpError(400, 'field "model" must be a string');
  if (body.stream === true) throw new HttpError(400, 'field "stream": streaming is not supported');
  if (!Array.isArray(body.messages) || body.messages.length === 0) throw new HttpError(400, 'field "messages" must be a non-empty array');
  const idx = body.messages.map((m) => (m as { role?: unknown })?.role).lastIndexOf('user');
  if (idx < 0) throw new HttpError(400, 'field "messages" needs a message with role "user"');
  const content = (body.messages[idx] as { content?: unknown }).content;
  const field = `messages[${idx}].content`;
  if (!Array.isArray(content)) throw new HttpError(400, `${field} must be an array of parts with one image_url part (the engine classifies images)`);
  const texts: string[] = [];
  const images: ImagePart[] = [];
  content.forEach((part, j) => {
    const p = part as { type?: unknown; text?: unknown; image_url?: { url?: unknown } };
    if (p?.type === 'text' && typeof p.text === 'string') texts.push(p.text);
    else if (p?.type === 'image_url' && typeof p.image_url?.url === 'string') images.push(parseDataUrl(p.image_url.url, `${field}[${j}].image_url.url`));
    else throw new HttpError(400, `${field}[${j}] must be {"type":"text","text":...} or {"type":"image_url","image_url":{"url":...}}`);
  });
  if (images.length !== 1) throw new HttpError(400, `${field} must hold exactly one image_url part, found ${images.length}`);
  // Accepted only at their neutral values: the engines sample from the plain softmax.
  num(body, 'top_p', 1, (n) => n === 1, '1 (other values are not supported)');
  const penalty = repetitionPenalty
    ? num(body, 'repetition_penalty', 1, (n) => n > 0 && n <= 10, 'a number in (0, 10]')
    : num(body, 'repetition_penalty', 1, (n) => n === 1, '1 (this engine applies no repetition penalty; send 1 or leave it out)');
  const maxTokens = num(body, 'max_tokens', num(body, 'max_completion_tokens', defaultMaxTokens, (n) => Number.isInteger(n) && n > 0, 'a positive integer'), (n) => Number.isInteger(n) && n > 0, 'a positive integer');
  const gen: GenerateOptions = {
    n: num(body, 'n', 1, (n) => Number.isInteger(n) && n >= 1 && n <= 64, 'an integer in 1..64'),
    temperature: num(body, 'temperature', 1, (n) => n >= 0 && n <= 2, 'a number in 0..2'),
    maxTokens,
    seed: num(body, 'seed', 0, (n) => Number.isInteger(n), 'an integer'),
    ...(penalty === 1 ? {} : { repetitionPenalty: penalty }),
  };
  return { model: body.model, image: images[0], text: texts.join('\n'), gen };
}

/** A validated request ready for the engine. */
interface Ready {
  prompt: PromptInput;
  gen: GenerateOptions;
}

interface Pending {
  req: Ready;
  resolve(c: Completion[]): void;
  reject(err: unknown): void;
}

/** Serialises engine calls (in-process engines are not re-entrant) and batches greedy requests with
 * equal sampling options. Sampled requests run alone so their seeded draws do not depend on batching.
 * Requests are validated before they get here; should a batch still fail, each request is retried
 * alone, so a failure reaches only the request that causes it. */
class Batcher {
  private readonly queue: Pending[] = [];
  private busy = false;
  constructor(private readonly engine: Engine, private readonly model: LoadedModel, private readonly maxBatch: number) {}

  submit(req: Ready): Promise<Completion[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ req, resolve, reject });
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.queue.length > 0) {
        const first = this.queue.shift() as Pending;
        const batch = [first];
        if (first.req.gen.temperature === 0) {
          const sig = JSON.stringify(first.req.gen);
          for (let i = 0; i < this.queue.length && batch.length < this.maxBatch; ) {
            if (JSON.stringify(this.queue[i].req.gen) === sig) batch.push(...this.queue.splice(i, 1));
            else i++;
          }
        }
        await this.run(batch);
      }
    } finally {
      this.busy = false;
    }
  }

  private async run(batch: Pending[]): Promise<void> {
    try {
      const out = await this.engine.generate(this.model, batch.map((p) => p.req.prompt), batch[0].req.gen);
      batch.forEach((p, i) => p.resolve(out[i]));
    } catch (err) {
      if (batch.length === 1) batch[0].reject(err);
      else for (const p of batch) await this.run([p]); // greedy: alone gives the same answer as batched
    }
  }
}

/** A message with the cache's file paths replaced by the request field they came from. */
function withoutPaths(message: string, file: string, field: string, dir: string): string {
  return message.split(file).join(field).split(dir).join('<image cache>');
}

/** Validates one request fully before it may join a batch: image decodes, engine accepts the prompt. */
async function prepare(parsed: ParsedRequest, engine: Engine, model: LoadedModel, images: ImageCache): Promise<{ ready: Ready; release(): void; file: string }> {
  await checkImageDecodes(parsed.image);
  let cached: CachedImage;
  try {
    cached = images.put(parsed.image.bytes, EXT[parsed.image.mime] ?? '.img');
  } catch (err) {
    throw new HttpError(503, `the server cannot store the image (${(err as NodeJS.ErrnoException).code ?? 'write error'}); try again later`, 'server_error');
  }
  const id = createHash('sha256').update(path.basename(cached.file)).update('\0').update(parsed.text).digest('hex').slice(0, 16);
  const prompt: PromptInput = { id, image: cached.file, text: parsed.text };
  try {
    await engine.checkPrompt?.(model, prompt, parsed.gen);
  } catch (err) {
    cached.release();
    if (err instanceof ClsrlError) {
      const msg = withoutPaths(`${err.message}${err.hint ? ` (${err.hint})` : ''}`, cached.file, parsed.image.field, images.dir);
      throw new HttpError(400, `the request cannot be served: ${msg}`);
    }
    throw err;
  }
  return { ready: { prompt, gen: parsed.gen }, release: cached.release, file: cached.file };
}

export function createOpenAIHandler(opts: OpenAIServerOptions, images: ImageCache): http.RequestListener {
  const maxBody = opts.maxBodyBytes ?? OPENAI_SERVER_DEFAULTS.maxBodyBytes;
  const batcher = new Batcher(opts.engine, opts.model, opts.maxBatch ?? OPENAI_SERVER_DEFAULTS.maxBatch);
  const created = Math.floor(Date.now() / 1000);
  return (req, res) => {
    void (async () => {
      const route = `${req.method} ${(req.url ?? '/').split('?')[0].replace(/\/+$/, '')}`;
      if (route === 'GET /health') return sendJson(res, 200, { status: 'ok' });
      checkBearer(req, opts.token);
      if (route === 'GET /v1/models') {
        return sendJson(res, 200, { object: 'list', data: [{ id: opts.modelName, object: 'model', created, owned_by: 'clsrl' }] });
      }
      if (route !== 'POST /v1/chat/completions') throw new HttpError(404, `no route ${route} (POST /v1/chat/completions, GET /v1/models, GET /health)`);
      const parsed = parseChatRequest(await readJson(req, maxBody), opts.defaultMaxTokens ?? OPENAI_SERVER_DEFAULTS.defaultMaxTokens, !!opts.engine.repetitionPenalty);
      if (parsed.model !== opts.modelName) throw new HttpError(404, `model "${parsed.model}" is not served here; this server serves "${opts.modelName}"`, 'not_found_error');
      const { ready, release, file } = await prepare(parsed, opts.engine, opts.model, images);
      let completions: Completion[];
      try {
        completions = await batcher.submit(ready);
      } catch (err) {
        const msg = withoutPaths(err instanceof Error ? err.message : String(err), file, parsed.image.field, images.dir);
        throw new HttpError(500, `generation failed: ${msg}`, 'server_error');
      } finally {
        release();
      }
      const completionTokens = completions.reduce((s, c) => s + c.tokens.length, 0);
      sendJson(res, 200, {
        id: `chatcmpl-${randomBytes(8).toString('hex')}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: opts.modelName,
        choices: completions.map((c, index) => ({ index, message: { role: 'assistant', content: c.text }, logprobs: null, finish_reason: c.finishReason })),
        usage: { prompt_tokens: 0, completion_tokens: completionTokens, total_tokens: completionTokens },
      });
    })().catch((err) => sendError(res, err));
  };
}

/** A running OpenAI-compatible server; `imageDir` is the folder of its image cache (removed by close). */
export type RunningOpenAIServer = RunningServer & { imageDir: string };

export async function startOpenAIServer(opts: OpenAIServerOptions): Promise<RunningOpenAIServer> {
  const host = opts.host ?? OPENAI_SERVER_DEFAULTS.host;
  await requireTokenBeyondLoopback(host, opts.token, 'the OpenAI-compatible server');
  const root = opts.imageDir ?? defaultImageDir();
  let images: ImageCache;
  try {
    images = new ImageCache(root, { ...IMAGE_CACHE_DEFAULTS, ...opts.imageCache });
  } catch (err) {
    throw new ClsrlError('EXTERNAL', `cannot create the image cache under ${root}: ${(err as Error).message}`, { hint: 'pass --image-dir a writable folder', cause: err });
  }
  let running: RunningServer;
  try {
    running = await listen(http.createServer(createOpenAIHandler(opts, images)), host, opts.port ?? OPENAI_SERVER_DEFAULTS.port);
  } catch (err) {
    images.close();
    throw err;
  }
  return {
    ...running,
    imageDir: images.dir,
    close: async () => {
      await running.close();
      images.close();
    },
  };
}
