// An OpenAI-compatible server over any clsrl engine (`clsrl serve --engine tiny`): POST
// /v1/chat/completions (one image as a base64 data URL + text), GET /v1/models, GET /health.
// Images are written to a content-addressed folder because engines take absolute image paths.
// Not a full OpenAI API: no streaming, tools, logprobs or top_p other than 1. repetition_penalty (vLLM's
// extension) is applied when the engine supports it (tiny), else only 1 is accepted.

import fs from 'fs';
import os from 'os';
import path from 'path';
import http from 'http';
import { createHash, randomBytes } from 'crypto';
import type { Completion, Engine, GenerateOptions, LoadedModel, PromptInput } from '../contracts';
import { checkBearer, HttpError, listen, readJson, requireTokenBeyondLoopback, sendError, sendJson, type RunningServer } from './http';

export interface OpenAIServerOptions {
  engine: Engine;
  model: LoadedModel;
  /** Name clients must send as `model` (and that /v1/models lists). */
  modelName: string;
  host?: string;
  port?: number;
  token?: string;
  /** Where decoded images are kept, named by content hash. */
  imageDir?: string;
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

/** The file a data URL's bytes are stored in: `<dir>/<sha256 of bytes><ext>`. */
export function imageCachePath(dir: string, bytes: Buffer, mime: string): string {
  return path.join(dir, createHash('sha256').update(bytes).digest('hex') + (EXT[mime] ?? '.img'));
}

/** Decodes `data:<mime>;base64,<data>` and stores it once; returns the absolute path. */
export function storeDataUrl(dir: string, url: string, field: string): string {
  const m = /^data:([\w/+.-]+);base64,(.*)$/s.exec(url);
  if (!m) throw new HttpError(400, `${field} must be a base64 data URL (data:image/png;base64,...); remote URLs are not fetched`);
  const mime = m[1].toLowerCase();
  if (!EXT[mime]) throw new HttpError(400, `${field}: unsupported image type ${mime}`);
  const bytes = Buffer.from(m[2], 'base64');
  if (bytes.length === 0) throw new HttpError(400, `${field}: empty image`);
  const file = imageCachePath(dir, bytes, mime);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, file);
  }
  return file;
}

interface ParsedRequest {
  model: string;
  prompt: PromptInput;
  gen: GenerateOptions;
}

function num(body: Record<string, unknown>, key: string, fallback: number, check: (n: number) => boolean, rule: string): number {
  const v = body[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !check(v)) throw new HttpError(400, `field "${key}" must be ${rule}, got ${JSON.stringify(v)}`);
  return v;
}

/** Validates a chat request: the last user message must hold exactly one image and some text. */
export function parseChatRequest(raw: unknown, imageDir: string, defaultMaxTokens: number, repetitionPenalty = false): ParsedRequest {
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
  const images: string[] = [];
  content.forEach((part, j) => {
    const p = part as { type?: unknown; text?: unknown; image_url?: { url?: unknown } };
    if (p?.type === 'text' && typeof p.text === 'string') texts.push(p.text);
    else if (p?.type === 'image_url' && typeof p.image_url?.url === 'string') images.push(storeDataUrl(imageDir, p.image_url.url, `${field}[${j}].image_url.url`));
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
  const text = texts.join('\n');
  const id = createHash('sha256').update(images[0]).update('\0').update(text).digest('hex').slice(0, 16);
  return { model: body.model, prompt: { id, image: images[0], text }, gen };
}

interface Pending {
  req: ParsedRequest;
  resolve(c: Completion[]): void;
  reject(err: unknown): void;
}

/** Serialises engine calls (in-process engines are not re-entrant) and batches greedy requests with
 * equal sampling options. Sampled requests run alone so their seeded draws do not depend on batching. */
class Batcher {
  private readonly queue: Pending[] = [];
  private busy = false;
  constructor(private readonly engine: Engine, private readonly model: LoadedModel, private readonly maxBatch: number) {}

  submit(req: ParsedRequest): Promise<Completion[]> {
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
        try {
          const out = await this.engine.generate(this.model, batch.map((p) => p.req.prompt), first.req.gen);
          batch.forEach((p, i) => p.resolve(out[i]));
        } catch (err) {
          batch.forEach((p) => p.reject(err));
        }
      }
    } finally {
      this.busy = false;
    }
  }
}

export function createOpenAIHandler(opts: OpenAIServerOptions): http.RequestListener {
  const imageDir = opts.imageDir ?? defaultImageDir();
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
      const parsed = parseChatRequest(await readJson(req, maxBody), imageDir, opts.defaultMaxTokens ?? OPENAI_SERVER_DEFAULTS.defaultMaxTokens, !!opts.engine.repetitionPenalty);
      if (parsed.model !== opts.modelName) throw new HttpError(404, `model "${parsed.model}" is not served here; this server serves "${opts.modelName}"`, 'not_found_error');
      const completions = await batcher.submit(parsed);
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

export async function startOpenAIServer(opts: OpenAIServerOptions): Promise<RunningServer> {
  const host = opts.host ?? OPENAI_SERVER_DEFAULTS.host;
  requireTokenBeyondLoopback(host, opts.token, 'the OpenAI-compatible server');
  return listen(http.createServer(createOpenAIHandler(opts)), host, opts.port ?? OPENAI_SERVER_DEFAULTS.port);
}
