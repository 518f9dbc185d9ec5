// The reward bridge for real: clsrl's reward server on 127.0.0.1:0, the project's Python reward module
// (standard library only) run under python3 against it, scores compared with `scoreCompletion` and the
// `clsrl score` CLI. Also the server's error replies, and py_compile over all of python/.

import fs from 'fs';
import os from 'os';
import path from 'path';
import { spawn, spawnSync } from 'child_process';
import { rewardOptionsOf, scoreCompletion } from '../../harness/scoring';
import { getMethod, methodNames } from '../../methods/registry';
import { startRewardServer } from '../../harness/serve/rewards';
import type { RunningServer } from '../../harness/serve/http';

const ROOT = path.resolve(__dirname, '../..');
const PYTHON_DIR = path.join(ROOT, 'python');

const CASES: { completion: string; label: string }[] = [
  { completion: '<think>furry, pointed ears</think>\n<answer>Abyssinian</answer>', label: 'abyssinian' },
  { completion: '<think>x</think><answer> golden retriever </answer>', label: 'golden_retriever' },
  { completion: 'Abyssinian', label: 'Abyssinian' },
  { completion: 'abyssinian', label: 'Abyssinian' },
  { completion: '<answer>Bombay</answer> trailing', label: 'Bombay' },
  { completion: '<think>\nmulti\nline\n</think>  <answer>a cat</answer>', label: 'cat' },
  { completion: '', label: 'dog' },
  { completion: 'Ünïcödé ✓ <think></think><answer>x</answer>', label: 'x' },
  // math_verify: the same number in a different name (rewarded by cls-rl's default), and a different one
  { completion: '<think>The aircraft is a Falcon 2000</think><answer>Falcon 2000</answer>', label: 'Saab 2000' },
  { completion: '<think>x</think><answer>\\boxed{1950}</answer>', label: 'Beechcraft 1900' },
];

/** What the server scores with when an item does not say: the method's default config's reward options. */
const defaultOptions = (method: string) => rewardOptionsOf(getMethod(method).defaults('') as Record<string, unknown>);

/** Runs the python client asynchronously (a sync spawn would block the in-process server). */
function python(args: string[], input: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-m', 'clsrl_trl.rewards', ...args], {
      cwd: PYTHON_DIR,
      env: { ...process.env, PYTHONPATH: PYTHON_DIR, PYTHONDONTWRITEBYTECODE: '1' },
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill(), 30_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

async function runPython(args: string[], input: string): Promise<{ scores: unknown[]; [name: string]: unknown }> {
  const res = await python(args, input);
  if (res.status !== 0) throw new Error(`python3 exited ${res.status}: ${res.stderr}`);
  return JSON.parse(res.stdout);
}

let server: RunningServer;

beforeAll(async () => {
  server = await startRewardServer({ port: 0 });
});
afterAll(async () => {
  await server.close();
});

test('python reward client scores exactly like scoreCompletion, for every method', async () => {
  const input = CASES.map((c) => JSON.stringify(c)).join('\n');
  expect(methodNames().length).toBeGreaterThan(0);
  for (const method of methodNames()) {
    const rewards = getMethod(method).meta.rewards;
    const out = await runPython(['--url', server.url, '--method', method, ...rewards.flatMap((r) => ['--reward', r])], input);
    const opts = defaultOptions(method);
    expect(out.scores).toEqual(CASES.map((c) => scoreCompletion(rewards, c.completion, c.label, opts)));
    // The per-reward TRL functions return exactly the named reward of each score.
    for (const r of rewards) expect(out[r]).toEqual(CASES.map((c) => scoreCompletion(rewards, c.completion, c.label, opts).rewards[r] ?? 0));
  }
});

test("a run's mathVerify travels with each item: cls-rl rewards Falcon 2000 for Saab 2000 only with it on", async () => {
  const c = CASES[8];
  const accuracy = async (flag: string[]) => ((await runPython(['--url', server.url, '--method', 'cls-rl', ...flag], JSON.stringify(c))).scores[0] as { rewards: { accuracy: number } }).rewards.accuracy;
  expect(await accuracy([])).toBe(1); // cls-rl's default: the paper's math_verify step
  expect(await accuracy(['--math-verify', 'true'])).toBe(1);
  expect(await accuracy(['--math-verify', 'false'])).toBe(0);
  const res = await fetch(`${server.url}/score`, { method: 'POST', body: JSON.stringify({ items: [{ ...c, method: 'cls-rl', mathVerify: 'yes' }] }) });
  expect(res.status).toBe(400);
  expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/items\[0\]\.mathVerify must be a boolean/);
});

test('scores equal what `clsrl score --json` prints', async () => {
  for (const [method, c] of [['cls-rl', CASES[0]], ['cls-rl', CASES[8]], ['no-thinking-cls-rl', CASES[3]]] as const) {
    const cli = spawnSync('node', ['bin/clsrl.js', 'score', '--method', method, '--label', c.label, '--completion', c.completion, '--json'], { cwd: ROOT, timeout: 60_000 });
    expect(cli.stderr.toString()).not.toMatch(/Error/);
    expect(cli.status).toBe(0);
    const out = await runPython(['--url', server.url, '--method', method], JSON.stringify(c));
    const { mathVerify, ...scored } = JSON.parse(cli.stdout.toString()); // the CLI adds math_verify's reading
    expect(out.scores[0]).toEqual(scored);
    if (method === 'cls-rl') expect(mathVerify.enabled).toBe(true);
  }
}, 60_000);

describe('reward server errors', () => {
  const post = (body: string, headers: Record<string, string> = {}) => fetch(`${server.url}/score`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const message = async (res: Response) => ((await res.json()) as { error: { message: string } }).error.message;

  test('malformed JSON and fields get 400 naming the field', async () => {
    let res = await post('{oops');
    expect(res.status).toBe(400);
    expect(await message(res)).toMatch(/malformed JSON/);
    res = await post(JSON.stringify({ items: [{ method: 'cls-rl', completion: 'x' }] }));
    expect(res.status).toBe(400);
    expect(await message(res)).toMatch(/items\[0\]\.label/);
    res = await post(JSON.stringify({ items: [{ method: 'nope', completion: 'x', label: 'y' }] }));
    expect(res.status).toBe(400);
    expect(await message(res)).toMatch(/items\[0\]\.method: unknown method 'nope'/);
    res = await post(JSON.stringify([1]));
    expect(res.status).toBe(400);
  });

  test('health, routes and the python client error on 4xx', async () => {
    expect(await (await fetch(`${server.url}/health`)).json()).toEqual({ status: 'ok' });
    expect((await fetch(`${server.url}/score`)).status).toBe(405);
    expect((await fetch(`${server.url}/other`, { method: 'POST' })).status).toBe(404);
    const py = await python(['--url', server.url, '--method', 'nope'], JSON.stringify(CASES[0]));
    expect(py.status).not.toBe(0);
    expect(py.stderr).toMatch(/reward server answered 400/);
  });

  test('size limit (413) and bearer token', async () => {
    const small = await startRewardServer({ port: 0, maxBodyBytes: 256, token: 'tok' });
    try {
      const big = JSON.stringify({ items: CASES.map((c) => ({ method: 'cls-rl', ...c })) });
      expect((await fetch(`${small.url}/score`, { method: 'POST', body: big, headers: { authorization: 'Bearer tok' } })).status).toBe(413);
      const one = JSON.stringify({ items: [{ method: 'cls-rl', completion: 'a', label: 'a' }] });
      expect((await fetch(`${small.url}/score`, { method: 'POST', body: one })).status).toBe(401);
      expect((await fetch(`${small.url}/score`, { method: 'POST', body: one, headers: { authorization: 'Bearer tok' } })).status).toBe(200);
      const out = await runPython(['--url', small.url, '--method', 'cls-rl', '--token', 'tok'], JSON.stringify({ completion: 'a', label: 'a' }));
      expect(out.scores).toHaveLength(1);
    } finally {
      await small.close();
    }
    await expect(startRewardServer({ host: '0.0.0.0', port: 0 })).rejects.toThrow(/needs a token/);
  });
});

test('all committed python compiles (python3 -m py_compile)', () => {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory() && e.name !== '__pycache__') walk(path.join(dir, e.name));
      else if (e.name.endsWith('.py')) files.push(path.join(dir, e.name));
    }
  };
  walk(PYTHON_DIR);
  expect(files.length).toBeGreaterThan(0);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-pyc-'));
  const script = 'import sys, os, py_compile\nfor i, f in enumerate(sys.argv[2:]):\n    py_compile.compile(f, cfile=os.path.join(sys.argv[1], "%d.pyc" % i), doraise=True)';
  const res = spawnSync('python3', ['-c', script, out, ...files], { timeout: 30_000 });
  fs.rmSync(out, { recursive: true, force: true });
  expect(res.stderr.toString()).toBe('');
  expect(res.status).toBe(0);
});
