// HTTP client for OpenAI-compatible chat completions (vLLM, `clsrl serve`, hosted APIs): a concurrency
// limit, per-request timeouts, and retries with exponential backoff on 429, 5xx, timeouts and dropped
// connections (honouring Retry-After); other 4xx fail at once. No streaming, no tools: one request shape.

import { ClsrlError } from '../../errors';

export interface ClientOptions {
  /** e.g. `http://127.0.0.1:8000/v1` (a trailing `/v1` is added when missing). */
  baseUrl: string;
  apiKey?: string;
  /** Requests in flight at once. */
  concurrency: number;
  /** Per-attempt timeout. */
  timeoutMs: number;
  /** Retries after the first attempt (so maxRetries + 1 attempts at most). */
  maxRetries: number;
  /** First backoff delay; doubles per retry (with up to 25% jitter). */
  retryBaseMs: number;
  /** Cap on any single wait, including a server's Retry-After. */
  maxRetryWaitMs: number;
}

export const CLIENT_DEFAULTS: Omit<ClientOptions, 'baseUrl'> = {
  concurrency: 8,
  timeoutMs: 120_000,
  maxRetries: 5,
  retryBaseMs: 500,
  maxRetryWaitMs: 60_000,
};

export interface ChatContentPart {
  type: 'text' | 'image_url';
  text?: string;
  image_url?: { url: string };
}

export interface ChatRequest {
  model: string;
  messages: { role: 'system' | 'user' | 'assistant'; content: string | ChatContentPart[] }[];
  n: number;
  temperature: number;
  top_p: number;
  max_tokens: number;
  seed: number;
  /** vLLM extension; omitted unless configured. */
  repetition_penalty?: number;
}

export interface ChatChoice {
  index: number;
  message: { role: string; content: string | null };
  finish_reason: string | null;
}

export interface ChatResponse {
  id?: string;
  model?: string;
  choices: ChatChoice[];
  usage?: { prompt_tokens?: number; completion_tokens?: number };
}

/** A failed attempt and whether trying again could help. */
class AttemptError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Retry-After as delay in ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Counting semaphore: at most `limit` holders at once, FIFO. */
class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function normaliseBaseUrl(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return /\/v\d+$/.test(trimmed) ? trimmed : `${trimmed}/v1`;
}

export class OpenAIClient {
  readonly opts: ClientOptions;
  private readonly gate: Semaphore;
  /** Attempts made (for tests and logs): each HTTP request counts once. */
  attempts = 0;

  constructor(opts: Partial<ClientOptions> & { baseUrl: string }) {
    this.opts = { ...CLIENT_DEFAULTS, ...opts, baseUrl: normaliseBaseUrl(opts.baseUrl) };
    if (!(this.opts.concurrency >= 1)) throw new ClsrlError('BAD_CONFIG', `openai concurrency must be >= 1, got ${this.opts.concurrency}`);
    this.gate = new Semaphore(this.opts.concurrency);
  }

  /** POST /chat/completions with retries; throws ClsrlError('EXTERNAL') when it gives up. */
  chat(body: ChatRequest): Promise<ChatResponse> {
    return this.gate.run(() => this.withRetries('/chat/completions', body));
  }

  /** GET /models (ids the server serves). */
  async models(): Promise<string[]> {
    const res = (await this.gate.run(() => this.withRetries('/models', undefined))) as unknown as { data?: { id: string }[] };
    return (res.data ?? []).map((m) => m.id);
  }

  private async withRetries(path: string, body: unknown): Promise<ChatResponse> {
    const { maxRetries, retryBaseMs, maxRetryWaitMs } = this.opts;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.attempt(path, body);
      } catch (err) {
        if (!(err instanceof AttemptError)) throw err;
        if (!err.retryable || attempt >= maxRetries) {
          const gaveUp = err.retryable ? ` (gave up after ${attempt + 1} attempts)` : '';
          throw new ClsrlError('EXTERNAL', `OpenAI-compatible server at ${this.opts.baseUrl}${path}: ${err.message}${gaveUp}`, {
            hint: err.retryable
              ? 'is the server up and reachable (e.g. `vllm serve <model>` or `clsrl serve`)? raise --timeout-ms/--max-retries if it is slow'
              : 'the server rejected the request; check the model name and options',
            cause: err,
          });
        }
        const backoff = retryBaseMs * 2 ** attempt * (1 + Math.random() * 0.25);
        await sleep(Math.min(maxRetryWaitMs, err.retryAfterMs ?? backoff));
      }
    }
  }

  private async attempt(path: string, body: unknown): Promise<ChatResponse> {
    this.attempts++;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.opts.apiKey) headers.authorization = `Bearer ${this.opts.apiKey}`;
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.opts.baseUrl + path, {
        method: body === undefined ? 'GET' : 'POST',
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      text = await res.text();
    } catch (err) {
      // Timeouts, refused/reset/dropped connections: transient by nature.
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const why = e.name === 'TimeoutError' ? `no answer within ${this.opts.timeoutMs} ms` : `connection failed (${e.cause?.code ?? e.cause?.message ?? e.message})`;
      throw new AttemptError(why, true);
    }
    if (res.status === 429 || res.status >= 500) {
      throw new AttemptError(`HTTP ${res.status}: ${errorMessage(text)}`, true, parseRetryAfter(res.headers.get('retry-after')), res.status);
    }
    if (!res.ok) throw new AttemptError(`HTTP ${res.status}: ${errorMessage(text)}`, false, undefined, res.status);
    try {
      return JSON.parse(text) as ChatResponse;
    } catch {
      throw new AttemptError(`answer is not JSON: ${text.slice(0, 200)}`, false);
    }
  }
}

function errorMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
    if (typeof parsed.error === 'string') return parsed.error;
    return parsed.error?.message ?? parsed.message ?? text.slice(0, 300);
  } catch {
    return text.slice(0, 300);
  }
}
