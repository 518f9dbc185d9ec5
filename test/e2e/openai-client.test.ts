// The openai engine's client against (1) a loopback server in this file that misbehaves on purpose
// (429 with Retry-After, 500, slow answers, dropped connections, truncation) and (2) the real
// `clsrl serve` handler over an in-process engine, compared with calling the engine directly.

import fs from 'fs';
import os from 'os';
import path from 'path';
import http from 'http';
import sharp from 'sharp';
import type { Engine, PromptInput } from '../../harness/contracts';
import { ClsrlError } from '../../harness/errors';
import { createEngine } from '../../harness/engines/registry';
import { OpenAIGenerator, createOpenAIEngine, resolveOpenAIOptions } from '../../harness/engines/openai';
import { OpenAIClient, parseRetryAfter } from '../../harness/engines/openai/client';
import { imageCacheName, startOpenAIServer, type RunningOpenAIServer } from '../../harness/serve/openai-server';
import { listen, type RunningServer } from '../../harness/serve/http';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-openai-'));
let imageA: string;
let imageB: string;

// ---------------------------------------------------------------------------------------------
// A loopback server whose behaviour is picked by the request's model name.

interface Seen {
  body: Record<string, unknown>;
  auth?: string;
}
const seen: Seen[] = [];
const calls = new Map<string, number>();
let inFlight = 0;
let maxInFlight = 0;

function reply(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function ok(res: http.ServerResponse, body: Record<string, unknown>, finish = 'stop') {
  const n = (body.n as number) ?? 1;
  const text = (body.messages as { content: { type: string; text?: string }[] }[])[0].content.find((p) => p.type === 'text')?.text ?? '';
  reply(res, 200, { choices: Array.from({ length: n }, (_, i) => ({ index: n - 1 - i, message: { role: 'assistant', content: `answer ${n - 1 - i} to ${text}` }, finish_reason: finish })) });
}

const faultServer = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>;
    seen.push({ body, auth: req.headers.authorization });
    const model = body.model as string;
    const k = (calls.get(model) ?? 0) + 1;
    calls.set(model, k);
    switch (model) {
      case 'ok': return ok(res, body);
      case 'length': return ok(res, body, 'length');
      case '429-once': return k === 1 ? reply(res, 429, { error: { message: 'slow down' } }, { 'retry-after': '0.05' }) : ok(res, body);
      case '500-twice': return k <= 2 ? reply(res, 500, { error: { message: 'boom' } }) : ok(res, body);
      case 'always-503': return reply(res, 503, { error: { message: 'overloaded' } });
      case 'bad-request': return reply(res, 400, { error: { message: 'unknown field' } });
      case 'drop-once': return k === 1 ? req.socket.destroy() : ok(res, body);
      case 'slow-once': {
        const t = setTimeout(() => (res.writableEnded || res.destroyed ? undefined : ok(res, body)), k === 1 ? 1500 : 0);
        res.on('close', () => clearTimeout(t));
        return;
      }
      case 'gated': {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        setTimeout(() => {
          inFlight--;
          ok(res, body);
        }, 30);
        return;
      }
      default: return reply(res, 404, { error: { message: `no model ${model}` } });
    }
  });
});
let fault: RunningServer;

function prompt(id: string, image: string, text: string): PromptInput {
  return { id, image, text };
}

function generator(model: string, extra: Record<string, unknown> = {}): OpenAIGenerator {
  return new OpenAIGenerator(resolveOpenAIOptions({ baseUrl: fault.url, model, cache: 'off', retryBaseMs: 5, maxRetries: 3, timeoutMs: 5000, ...extra }));
}

const greedy = { n: 1, temperature: 0, maxTokens: 64, seed: 100 };

beforeAll(async () => {
  imageA = path.join(tmp, 'a.png');
  imageB = path.join(tmp, 'b.jpg');
  await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 200, g: 10, b: 10 } } }).png().toFile(imageA);
  await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 10, g: 10, b: 200 } } }).jpeg().toFile(imageB);
  fault = await listen(faultServer, '127.0.0.1', 0);
});

afterAll(async () => {
  await fault.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('openai client against a misbehaving loopback server', () => {
  test('sends the image as a data URL and every sampling parameter explicitly', async () => {
    const g = generator('ok', { apiKey: 'sk-test' });
    const [out] = await g.generate('ok', [prompt('p', imageA, 'What is it?')], { n: 2, temperature: 0, maxTokens: 32, seed: 7 });
    const body = seen[seen.length - 1].body;
    expect(body).toMatchObject({ model: 'ok', n: 2, temperature: 0, top_p: 1, max_tokens: 32, seed: 7 });
    const content = (body.messages as { content: { type: string; image_url?: { url: string }; text?: string }[] }[])[0].content;
    expect(content[0].image_url?.url.startsWith('data:image/png;base64,')).toBe(true);
    expect(Buffer.from(content[0].image_url!.url.split(',')[1], 'base64').equals(fs.readFileSync(imageA))).toBe(true);
    expect(content[1]).toEqual({ type: 'text', text: 'What is it?' });
    expect(seen[seen.length - 1].auth).toBe('Bearer sk-test');
    expect(body).not.toHaveProperty('repetition_penalty');
    await generator('ok', { repetitionPenalty: 1.05 }).generate('ok', [prompt('p', imageA, 'q')], greedy);
    expect(seen[seen.length - 1].body.repetition_penalty).toBe(1.05);
    // Choices come back in index order whatever order the server lists them in.
    expect(out.map((c) => c.text)).toEqual(['answer 0 to What is it?', 'answer 1 to What is it?']);
    expect(out[0].finishReason).toBe('stop');
  });

  test('records truncated answers as finishReason length', async () => {
    const [out] = await generator('length').generate('length', [prompt('p', imageA, 'q')], greedy);
    expect(out[0].finishReason).toBe('length');
  });

  test('retries 429 after the Retry-After delay, not the (huge) backoff', async () => {
    const g = generator('429-once', { retryBaseMs: 600_000 });
    const [out] = await g.generate('429-once', [prompt('p', imageA, 'q')], greedy);
    expect(out[0].text).toBe('answer 0 to q');
    expect(g.client.attempts).toBe(2);
  }, 10_000);

  test('retries 5xx with backoff until it succeeds', async () => {
    const g = generator('500-twice');
    await g.generate('500-twice', [prompt('p', imageA, 'q')], greedy);
    expect(g.client.attempts).toBe(3);
  });

  test('gives up after maxRetries on persistent 5xx with an EXTERNAL error', async () => {
    const g = generator('always-503', { maxRetries: 2 });
    const err = await g.generate('always-503', [prompt('p', imageA, 'q')], greedy).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClsrlError);
    expect((err as ClsrlError).code).toBe('EXTERNAL');
    expect((err as ClsrlError).message).toMatch(/HTTP 503: overloaded .*gave up after 3 attempts/);
    expect(g.client.attempts).toBe(3);
  });

  test('never retries other 4xx', async () => {
    const g = generator('bad-request');
    await expect(g.generate('bad-request', [prompt('p', imageA, 'q')], greedy)).rejects.toThrow(/HTTP 400: unknown field/);
    expect(g.client.attempts).toBe(1);
  });

  test('retries a dropped connection', async () => {
    const g = generator('drop-once');
    const [out] = await g.generate('drop-once', [prompt('p', imageA, 'q')], greedy);
    expect(out[0].text).toBe('answer 0 to q');
    expect(g.client.attempts).toBe(2);
  });

  test('times out a slow answer and retries it', async () => {
    const g = generator('slow-once', { timeoutMs: 200 });
    const [out] = await g.generate('slow-once', [prompt('p', imageA, 'q')], greedy);
    expect(out[0].text).toBe('answer 0 to q');
    expect(g.client.attempts).toBe(2);
  }, 10_000);

  test('keeps at most `concurrency` requests in flight', async () => {
    const g = generator('gated', { concurrency: 2 });
    const prompts = Array.from({ length: 6 }, (_, i) => prompt(`p${i}`, i % 2 ? imageA : imageB, `q${i}`));
    const out = await g.generate('gated', prompts, greedy);
    expect(out.map((o) => o[0].text)).toEqual(prompts.map((p) => `answer 0 to ${p.text}`));
    expect(maxInFlight).toBe(2);
  });

  test('caches answers so a resumed evaluation does not ask again', async () => {
    const cache = path.join(tmp, 'cache.sqlite');
    const prompts = [prompt('a', imageA, 'qa'), prompt('b', imageB, 'qb')];
    const first = generator('ok', { cache });
    const before = calls.get('ok') ?? 0;
    const a = await first.generate('ok', prompts, greedy);
    first.close();
    expect(calls.get('ok')).toBe(before + 2);
    const resumed = generator('ok', { cache }); // a new process would see the same file
    const b = await resumed.generate('ok', prompts, greedy);
    expect(b).toEqual(a);
    expect(resumed.stats).toEqual({ cached: 2, fetched: 0 });
    // A different sampling configuration is a different key.
    await resumed.generate('ok', prompts.slice(0, 1), { ...greedy, seed: 1 });
    expect(resumed.stats.fetched).toBe(1);
    resumed.close();
  });

  test('parses Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(new OpenAIClient({ baseUrl: 'http://h:1' }).opts.baseUrl).toBe('http://h:1/v1');
  });

  test('the engine says what is missing and refuses to train', async () => {
    expect(() => resolveOpenAIOptions({ model: 'm' })).toThrow(/needs a server URL/);
    const engine = await createOpenAIEngine({ baseUrl: fault.url, model: 'ok', cache: 'off' });
    expect(engine.trains).toBe(false);
    expect(() => engine.encodeTarget('x')).toThrow(/evaluates only/);
  });

  test('the completion cache lives beside the chosen database, not in the working directory', async () => {
    const dbDir = path.join(tmp, 'elsewhere');
    fs.mkdirSync(dbDir);
    const db = path.join(dbDir, 'mine.sqlite');
    expect(resolveOpenAIOptions({ baseUrl: fault.url, model: 'ok' }, { model: true }, { db }).cache).toBe(path.join(dbDir, 'openai-cache.sqlite'));
    expect(resolveOpenAIOptions({ baseUrl: fault.url, model: 'ok', cache: 'off' }, { model: true }, { db }).cache).toBe('off');
    expect(resolveOpenAIOptions({ baseUrl: fault.url, model: 'ok' }).cache).toBe('results/openai-cache.sqlite'); // no database: as before
    for (const name of ['openai', 'trl']) {
      const file = path.join(dbDir, 'openai-cache.sqlite');
      fs.rmSync(file, { force: true });
      await createEngine(name, { baseUrl: fault.url, model: 'ok' }, { db }); // opening the cache creates the file
      expect([name, fs.existsSync(file)]).toEqual([name, true]);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The real `clsrl serve` handler over an in-process engine.

describe('openai engine against clsrl serve', () => {
  let engine: Engine;
  let server: RunningOpenAIServer;
  const imageDir = path.join(tmp, 'served-images');

  beforeAll(async () => {
    engine = await createEngine('double', {});
    const model = await engine.load(engine.baseModel());
    server = await startOpenAIServer({ engine, model, modelName: 'double-base', port: 0, imageDir, maxBatch: 4 });
  });
  afterAll(async () => {
    await server.close();
  });

  test('answers exactly what the engine answers for the same image and prompt', async () => {
    const client = await createOpenAIEngine({ baseUrl: server.url, model: 'double-base', cache: 'off', retryBaseMs: 5 });
    const prompts = [
      prompt('x', imageA, 'What type of object is in the photo?\n Please choose one from list [ cat, dog, owl].\n Please directly output the answer.'),
      prompt('y', imageB, 'What type of object is in the photo?\n Please choose one from list [ red, blue].\n Please output the thinking process in <think> </think> and final answer in <answer> </answer> tags.'),
    ];
    const viaServer = await client.generate(await client.load(client.baseModel()), prompts, greedy);
    // The server hands the engine the content-addressed copy of each image.
    const local = prompts.map((p) => ({ ...p, image: path.join(server.imageDir, imageCacheName(fs.readFileSync(p.image), p.image.endsWith('.png') ? 'image/png' : 'image/jpeg')) }));
    const direct = await engine.generate(await engine.load(engine.baseModel()), local, greedy);
    expect(viaServer.map((c) => c.map((x) => [x.text, x.finishReason]))).toEqual(direct.map((c) => c.map((x) => [x.text, x.finishReason])));
    expect(local.every((p) => fs.existsSync(p.image))).toBe(true);
  });

  test('rejects wrong models, missing images, bad fields and oversized bodies with a message', async () => {
    const post = (body: unknown) =>
      fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    const text = (t: string) => ({ role: 'user', content: [{ type: 'text', text: t }] });
    let res = await post({ model: 'other', messages: [text('q')] });
    expect(res.status).toBe(400); // the image check comes first
    res = await post({ model: 'double-base', messages: [text('q')] });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/exactly one image_url/);
    res = await post('{not json');
    expect(res.status).toBe(400);
    const img = { type: 'image_url', image_url: { url: `data:image/png;base64,${fs.readFileSync(imageA).toString('base64')}` } };
    res = await post({ model: 'other', messages: [{ role: 'user', content: [img, { type: 'text', text: 'q' }] }] });
    expect(res.status).toBe(404);
    res = await post({ model: 'double-base', temperature: 5, messages: [{ role: 'user', content: [img, { type: 'text', text: 'q' }] }] });
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/"temperature"/);
    const models = (await (await fetch(`${server.url}/v1/models`)).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toEqual(['double-base']);
  });

  test('a token is enforced when set, and required beyond loopback', async () => {
    const model = await engine.load(engine.baseModel());
    const guarded = await startOpenAIServer({ engine, model, modelName: 'm', port: 0, token: 'secret', imageDir, maxBodyBytes: 1024 });
    try {
      expect((await fetch(`${guarded.url}/v1/models`)).status).toBe(401);
      expect((await fetch(`${guarded.url}/v1/models`, { headers: { authorization: 'Bearer secret' } })).status).toBe(200);
      const big = await fetch(`${guarded.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer secret' }, body: 'x'.repeat(4096) });
      expect(big.status).toBe(413);
    } finally {
      await guarded.close();
    }
    await expect(startOpenAIServer({ engine, model, modelName: 'm', host: '0.0.0.0', port: 0 })).rejects.toThrow(/needs a token/);
  });
});

// ---------------------------------------------------------------------------------------------
// `clsrl serve --engine tiny`: the embedded model through the API answers exactly as in process.

describe('openai engine against clsrl serve --engine tiny', () => {
  let tiny: Engine;
  let server: RunningServer;
  const imageDir = path.join(tmp, 'tiny-images');

  beforeAll(async () => {
    tiny = await createEngine('tiny', {});
    server = await startOpenAIServer({ engine: tiny, model: await tiny.load(tiny.baseModel()), modelName: 'tiny', port: 0, imageDir });
  });
  afterAll(async () => {
    await server.close();
  });

  test('greedy batches and seeded samples equal the in-process engine', async () => {
    const client = await createOpenAIEngine({ baseUrl: server.url, model: 'tiny', cache: 'off' });
    const remote = await client.load(client.baseModel());
    const local = await tiny.load(tiny.baseModel());
    const prompts = [prompt('a', imageA, 'What type of object is in the photo?\n Please choose one from list [ red, blue].'), prompt('b', imageB, 'Which colour?')];
    const strip = (cs: { text: string; finishReason: string }[][]) => cs.map((c) => c.map((x) => [x.text, x.finishReason]));
    const greedyOpts = { n: 1, temperature: 0, maxTokens: 12, seed: 0 };
    expect(strip(await client.generate(remote, prompts, greedyOpts))).toEqual(strip(await tiny.generate(local, prompts, greedyOpts)));
    const sampled = { n: 3, temperature: 1, maxTokens: 12, seed: 5 };
    for (const p of prompts) {
      const direct = strip(await tiny.generate(local, [p], sampled));
      expect(direct[0].some(([text]) => text !== '')).toBe(true); // a comparison of empty strings would prove nothing
      expect(strip(await client.generate(remote, [p], sampled))).toEqual(direct);
    }
  });
});
