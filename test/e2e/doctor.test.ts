// `clsrl doctor` through the real CLI, one test per check, with stand-ins only where hardware is needed:
// a fake `nvidia-smi` on PATH, the pinned packages as dist-info folders on PYTHONPATH (the real python3
// and the real pins module read them), a Hugging Face cache folder, and `clsrl serve --engine tiny` as
// the evaluation endpoint. The reward server round trip is real (python client -> live server).

import fs from 'fs';
import os from 'os';
import path from 'path';
import { PYTHON_PINS } from '../../harness/engines/trl/config';
import { stateGiBPerGpu, modelParams } from '../../harness/engines/trl/doctor';
import { cli } from '../helpers/cli';
import { serveClsrl, type Served } from '../helpers/serve';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-doctor-'));
const bin = path.join(tmp, 'bin');
const hub = path.join(tmp, 'hub');
let tiny: Served;
const M = 'Qwen/Qwen2-VL-2B-Instruct';

/** A folder of dist-info entries: importlib.metadata sees these packages at these versions. */
function site(name: string, versions: Record<string, string>): string {
  const dir = path.join(tmp, name);
  for (const [pkg, v] of Object.entries(versions)) {
    const info = path.join(dir, `${pkg.replace(/-/g, '_')}-${v}.dist-info`);
    fs.mkdirSync(info, { recursive: true });
    fs.writeFileSync(path.join(info, 'METADATA'), `Metadata-Version: 2.1\nName: ${pkg}\nVersion: ${v}\n`);
  }
  return dir;
}

beforeAll(async () => {
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(bin, 'nvidia-smi'), '#!/usr/bin/env bash\nprintf "NVIDIA H200, 143771\\nNVIDIA H200, 143771\\n"\n', { mode: 0o755 });
  fs.writeFileSync(path.join(bin, 'accelerate'), '#!/usr/bin/env bash\nexit 0\n', { mode: 0o755 });
  const snap = path.join(hub, `models--${M.replace('/', '--')}`, 'snapshots', 'abc');
  fs.mkdirSync(snap, { recursive: true });
  fs.writeFileSync(path.join(snap, 'config.json'), '{}');
  tiny = await serveClsrl(['--engine', 'tiny', '--threads', '1', '--served-model-name', M]);
}, 60_000);
afterAll(async () => {
  await tiny?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface Report { engine: string; ok: boolean; checks: { name: string; status: string; detail: string; fix?: string }[] }

function doctor(args: string[], env: Record<string, string>): { code: number | null; report: Report; stderr: string } {
  // HF_HUB_OFFLINE: an uncached model id is never looked up on the network
  const r = cli(['doctor', '--json', ...args], { env: { HF_HUB_CACHE: hub, HF_HUB_OFFLINE: '1', ...env }, timeoutMs: 120_000 });
  return { code: r.code, report: JSON.parse(r.stdout || '{}') as Report, stderr: r.stderr };
}
const byName = (r: Report) => Object.fromEntries(r.checks.map((c) => [c.name, c]));
const withBin = (extra: Record<string, string> = {}) => ({ PATH: `${bin}${path.delimiter}${process.env.PATH}`, ...extra });

test('trl: a box that has everything passes every check (exit 0)', () => {
  const good = site('good', { ...PYTHON_PINS, torch: '2.8.0+cu128' }); // a CUDA build of the pinned torch is fine
  const r = doctor(['--engine', 'trl', '--engine-opt', 'gpus=2', '--engine-opt', `baseUrl=${tiny.url}`, '--data-root', tmp], withBin({ PYTHONPATH: good }));
  const c = byName(r.report);
  expect(Object.fromEntries(r.report.checks.map((x) => [x.name, x.status]))).toEqual({
    python: 'ok', packages: 'ok', 'flash-attn': 'ok', deepspeed: 'ok', gpus: 'ok', 'gpu memory': 'ok', model: 'ok', accelerate: 'ok',
    'reward server round trip': 'ok', 'endpoint /v1/models': 'ok', 'completion with an image': 'ok', 'data root': 'ok',
  });
  expect(c.gpus.detail).toMatch(/2 x NVIDIA H200 \(140 GiB\)/);
  expect(c['gpu memory'].detail).toMatch(/about 18\.5 GiB of model state per GPU \(distributed=zero3, 2 GPU/); // 2.21e9 x 18 B / 2 GPUs / 2^30
  expect(c['completion with an image'].detail).toMatch(/repetition_penalty 1.05/); // the trl default reaches the tiny server
  expect(c['reward server round trip'].detail).toMatch(/reward 2/);
  expect(r.report.ok).toBe(true);
  expect(r.code).toBe(0);
}, 120_000);

test('trl: each missing piece is a problem with its fix, and the exit code says so', () => {
  const partial = site('partial', { trl: '0.22.0', transformers: '4.56.3', accelerate: '1.10.1', datasets: '4.1.1', torch: '2.8.0' }); // no flash-attn, no deepspeed
  const r = doctor(['--engine', 'trl', '--model', 'Qwen/Qwen2-VL-7B-Instruct', '--engine-opt', 'gpus=4', '--engine-opt', 'distributed=ddp'], withBin({ PYTHONPATH: partial, CLSRL_DATA: '' }));
  const c = byName(r.report);
  expect(r.code).toBe(1);
  expect(c.packages).toMatchObject({ status: 'problem', detail: expect.stringMatching(/trl: 0\.22\.0 is installed, trl==0\.23\.1 wanted/) });
  expect(c.packages.detail).not.toMatch(/transformers/); // a compatible patch release is accepted
  expect(c['flash-attn']).toMatchObject({ status: 'problem', fix: expect.stringMatching(/attnImplementation=sdpa/) });
  expect(c.deepspeed).toMatchObject({ status: 'skipped', detail: 'distributed=ddp does not use DeepSpeed' });
  expect(c.gpus).toMatchObject({ status: 'problem', fix: '--engine-opt gpus=2' });
  expect(c['gpu memory']).toMatchObject({ status: 'problem', fix: expect.stringMatching(/distributed=zero3/) }); // 7B in fp32 on every GPU: 154 GiB
  expect(c.model).toMatchObject({ status: 'problem', detail: expect.stringMatching(/not cached .*HF_HUB_OFFLINE/), fix: expect.stringMatching(/huggingface-cli download Qwen\/Qwen2-VL-7B-Instruct/) });
  expect(c['evaluation server']).toMatchObject({ status: 'problem', fix: expect.stringMatching(/vllm=true/) });
  expect(c['data root'].status).toBe('problem');
  const text = cli(['doctor', '--engine', 'trl', '--engine-opt', 'gpus=1', '--engine-opt', 'vllm=true', '--engine-opt', 'distributed=zero3', '--model', tmp], { env: { PATH: process.env.PATH!, PYTHONPATH: partial } });
  expect(text.code).toBe(1);
  expect(text.stdout).toMatch(/gpus\s+problem\s+nvidia-smi not found[\s\S]*fix: run clsrl doctor\/sweep on the GPU machine/);
  expect(text.stdout).toMatch(/deepspeed\s+problem\s+not installed, wanted deepspeed~=0\.17\.6[\s\S]*fix: pip install 'deepspeed~=0\.17\.6', or --engine-opt distributed=single/);
  expect(text.stdout).toMatch(/model\s+problem\s+.*config\.json/);
  expect(text.stdout).toMatch(/evaluation server\s+problem\s+vllm not found/);
}, 120_000);

test('trl: no python is one problem, not a crash', () => {
  const r = doctor(['--engine', 'trl', '--engine-opt', 'gpus=2', '--engine-opt', 'vllm=true', '--data-root', tmp], withBin({ CLSRL_PYTHON: path.join(tmp, 'no-such-python') }));
  const c = byName(r.report);
  expect(c.python).toMatchObject({ status: 'problem', fix: expect.stringMatching(/CLSRL_PYTHON/) });
  expect([c.packages.status, c['reward server round trip'].status]).toEqual(['skipped', 'skipped']);
  expect(r.code).toBe(1);
}, 60_000);

test('openai: the endpoint lists the model and answers a completion with an image; a wrong name or a dead server is a problem', () => {
  const good = doctor(['--engine', 'openai', '--engine-opt', `baseUrl=${tiny.url}`, '--model', M, '--engine-opt', 'repetitionPenalty=1.05', '--suite', 'smoke'], {});
  expect(good.report.checks.map((c) => [c.name, c.status])).toEqual([['endpoint /v1/models', 'ok'], ['completion with an image', 'ok'], ['data root', 'skipped']]);
  expect(good.code).toBe(0);
  const wrong = doctor(['--engine', 'openai', '--engine-opt', `baseUrl=${tiny.url}`, '--model', 'other', '--data-root', tmp], {});
  expect(byName(wrong.report)['endpoint /v1/models']).toMatchObject({ status: 'problem', detail: expect.stringContaining(`serves '${M}', not 'other'`) });
  expect(wrong.code).toBe(1);
  const dead = doctor(['--engine', 'openai', '--engine-opt', 'baseUrl=http://127.0.0.1:9/v1', '--model', M, '--data-root', tmp], {});
  expect(dead.report.checks).toEqual([
    expect.objectContaining({ name: 'endpoint /v1/models', status: 'problem', fix: expect.stringMatching(/clsrl serve --engine tiny/) }),
    expect.objectContaining({ name: 'data root', status: 'ok' }),
  ]);
}, 120_000);

test('memory estimate: the ZeRO paper accounting per strategy', () => {
  expect(modelParams('Qwen/Qwen2-VL-2B-Instruct')).toBe(2.21e9);
  expect(modelParams('org/Some-13B')).toBe(13e9);
  expect(stateGiBPerGpu(2 ** 30, 'single', 1, false)).toBe(16);
  expect(stateGiBPerGpu(2 ** 30, 'single', 1, true)).toBe(20);
  expect(stateGiBPerGpu(2 ** 30, 'zero3', 8, false)).toBe(2);
  expect(stateGiBPerGpu(2 ** 30, 'zero2', 7, false)).toBe(4);
});
