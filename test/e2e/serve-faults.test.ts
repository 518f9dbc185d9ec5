// End to end: the two servers (`clsrl serve --engine tiny`, `clsrl serve-rewards`) as child processes on
// loopback, under bad requests. A corrupt image or an over-long prompt fails only its own request with a
// 400 that shows no server path; received images stay within the cache bounds and go when the server
// stops; the Authorization scheme is case-insensitive; --host is judged by the address it resolves to.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { isLoopbackAddress } from '../../harness/serve/http';
import { cli, cliServer, type CliServer } from '../helpers/cli';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-serve-faults-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A distinct 16x16 PNG per index. */
async function png(i: number): Promise<Buffer> {
  return sharp({ create: { width: 16, height: 16, channels: 3, background: { r: (i * 37) % 256, g: (i * 91) % 256, b: (i * 53) % 256 } } }).png().toBuffer();
}

function chat(image: Buffer, text: string, mime = 'image/png') {
  return {
    model: 'tiny',
    temperature: 0,
    max_tokens: 3,
    messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: `data:${mime};base64,${image.toString('base64')}` } }, { type: 'text', text }] }],
  };
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: { error?: { message: string }; choices?: unknown[] } }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as never };
}

/** Every file below `dir`. */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe('clsrl serve --engine tiny', () => {
  let server: CliServer;
  const imageDir = () => path.join(tmp, 'images');

  beforeAll(async () => {
    server = await cliServer(['serve', '--engine', 'tiny', '--port', '0', '--max-batch', '8', '--image-dir', imageDir(), '--image-cache-files', '3', '--threads', '1'], { timeoutMs: 120_000 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  test('a corrupt image or an over-long prompt fails only its own request, with 400 and no server path', async () => {
    const url = `${server.info.url}/chat/completions`;
    const good = await png(1);
    const corrupt = Buffer.concat([good.subarray(0, 40), Buffer.alloc(64, 7)]); // PNG signature, then garbage
    const long = 'What type of object is in the photo? '.repeat(200); // far over the model's 1024 positions
    const valid = Array.from({ length: 10 }, (_, i) => chat(good, `Which colour? (${i})`));
    // interleaved, all at once: greedy requests with equal options share engine batches
    const bodies = [valid[0], valid[1], chat(corrupt, 'Which colour?'), ...valid.slice(2, 6), chat(good, long), ...valid.slice(6)];
    const replies = await Promise.all(bodies.map((b) => post(url, b)));
    const bad = [2, 7];
    replies.forEach((r, i) => {
      if (bad.includes(i)) return;
      expect({ i, status: r.status, error: r.body.error }).toEqual({ i, status: 200, error: undefined });
      expect(r.body.choices).toHaveLength(1);
    });
    for (const i of bad) {
      expect({ i, status: replies[i].status }).toEqual({ i, status: 400 });
      const msg = replies[i].body.error!.message;
      expect(msg).not.toContain(tmp);
      expect(msg).not.toMatch(/\/[\w.-]+\/[\w.-]+/); // no file path of any kind
    }
    expect(replies[2].body.error!.message).toMatch(/messages\[0\]\.content\[0\]\.image_url\.url: .*does not decode/);
    expect(replies[7].body.error!.message).toMatch(/over maxContext/);
  });

  test('received images stay within --image-cache-files and are removed when the server stops', async () => {
    const url = `${server.info.url}/chat/completions`;
    for (let i = 0; i < 8; i++) {
      expect((await post(url, chat(await png(100 + i), 'Which colour?'))).status).toBe(200);
      expect(filesUnder(imageDir()).length).toBeLessThanOrEqual(3);
    }
    expect(filesUnder(imageDir()).length).toBe(3);
    expect(await server.stop()).toBe(0);
    expect(filesUnder(imageDir())).toEqual([]);
  });
});

describe('clsrl serve-rewards', () => {
  test('the Authorization scheme is case-insensitive (RFC 7235); the token is not', async () => {
    const server = await cliServer(['serve-rewards', '--port', '0', '--token', 's3cret']);
    try {
      const url = `${server.info.url}/score`;
      const body = { items: [{ method: 'cls-rl', completion: '<think>x</think><answer>cat</answer>', label: 'cat' }] };
      for (const scheme of ['Bearer', 'bearer', 'BEARER']) expect((await post(url, body, { authorization: `${scheme} s3cret` })).status).toBe(200);
      expect((await post(url, body, { authorization: 'bearer S3CRET' })).status).toBe(401);
      expect((await post(url, body, { authorization: 's3cret' })).status).toBe(401);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  test('--host is judged by its resolved address, not by a "127." prefix', async () => {
    const r = cli(['serve-rewards', '--host', '127.0.0.1.invalid', '--port', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --host "127\.0\.0\.1\.invalid" does not resolve/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    // a name that resolves to loopback needs no token
    const local = await cliServer(['serve-rewards', '--host', 'localhost', '--port', '0']);
    expect(await local.stop()).toBe(0);
    expect(['127.0.0.1', '127.9.9.9', '::1', '::ffff:127.0.0.1'].every(isLoopbackAddress)).toBe(true);
    expect(['10.0.0.1', '::', '0.0.0.0', '::ffff:10.0.0.1', '128.0.0.1', 'localhost', '127.example.com'].some(isLoopbackAddress)).toBe(false);
  });
});
