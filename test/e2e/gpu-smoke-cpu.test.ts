// The CPU part of scripts/gpu-smoke.sh, with the Python it finds (CLSRL_SMOKE_PYTHON, else python3):
// run folders written by the real CLI for the smoke suite (one GPU: distributed single), the tiny
// Qwen2-VL built offline from their rows (tokenizer trained in place, a few teaching steps), one real
// TRL SFT step through the folder's own launch.sh on the CPU, and its trainer_state.json ingested by
// clsrl. Skipped, with the reason printed, only where torch / transformers / trl are not importable.

import fs from 'fs';
import os from 'os';
import path from 'path';
import { spawnSync } from 'child_process';
import { readTrainerState } from '../../harness/engines/trl';

const ROOT = path.resolve(__dirname, '../..');
const PY = process.env.CLSRL_SMOKE_PYTHON ?? 'python3';
const probe = spawnSync(PY, ['-c', 'import torch, transformers, trl, datasets, accelerate, tokenizers'], { encoding: 'utf8', timeout: 120_000 });
const missing = probe.status === 0 ? undefined : (probe.error?.message ?? (probe.stderr || '').trim().split('\n').pop());
if (missing) {
  // eslint-disable-next-line no-console
  console.log(`gpu-smoke CPU part skipped: ${PY} cannot import torch/transformers/trl/datasets/accelerate (${missing}); set CLSRL_SMOKE_PYTHON to a python that can`);
}
const maybe = missing ? test.skip : test;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-gpu-smoke-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

maybe('smoke suite folders, tiny Qwen2-VL build, one TRL SFT step on the CPU, ingestion', () => {
  const env = { ...process.env, CLSRL_PYTHON: PY, CLSRL_SMOKE_STEPS: '1', PYTHONDONTWRITEBYTECODE: '1' };
  const model = path.join(tmp, 'tiny-qwen2vl');
  // 1. folders (writeOnly: the runner's evaluation afterwards fails, which is not what is tested here)
  spawnSync('node', ['bin/clsrl.js', 'sweep', '--suite', 'scripts/gpu-smoke-suite.ts', '--engine', 'trl', '--model', model,
    '--engine-opt', 'gpus=1', '--engine-opt', 'writeOnly=true', '--db', path.join(tmp, 'prep', 'clsrl.sqlite')], { cwd: ROOT, env, encoding: 'utf8', timeout: 300_000 });
  const runs = path.join(tmp, 'prep', 'runs');
  const folders = fs.readdirSync(runs).map((id) => path.join(runs, id, 'trl'));
  const configs = folders.map((f) => JSON.parse(fs.readFileSync(path.join(f, 'config.json'), 'utf8')));
  expect(configs.map((c) => c.trainer).sort()).toEqual(['grpo', 'sft']);
  for (const c of configs) {
    expect(c.distributed).toBe('single');
    expect(c.args.max_steps).toBe(1);
    expect(c.model.nameOrPath).toBe(model);
  }
  // 2. the model, from those folders' rows
  const build = spawnSync(PY, ['scripts/gpu_smoke.py', 'build', '--runs', runs, '--out', model, '--steps', '2', '--batch', '2', '--probe', '1'], { cwd: ROOT, env, encoding: 'utf8', timeout: 600_000 });
  expect(build.stderr).toMatch(/teach step 2\/2/);
  expect(build.status).toBe(0);
  const summary = JSON.parse(build.stdout.trim().split('\n').pop()!);
  expect(summary).toMatchObject({ steps: 2, probe: 1, examples: configs.reduce((n, c) => n + c.data.examples, 0) });
  expect(summary.parameters).toBeGreaterThan(100_000);
  expect(summary.lossFirst).toBeGreaterThan(summary.lossLast - 1); // finite numbers; 2 steps teach little
  for (const f of ['model.safetensors', 'config.json', 'tokenizer.json', 'chat_template.jinja', 'preprocessor_config.json']) expect(fs.existsSync(path.join(model, f))).toBe(true);
  // 3. one SFT step with TRL through the folder's own launch.sh (plain python: distributed single), then ingestion
  const sft = folders[configs.findIndex((c) => c.trainer === 'sft')];
  const run = spawnSync('bash', [path.join(sft, 'launch.sh')], { cwd: sft, env: { ...env, CLSRL_ALLOW_UNPINNED: '1' }, encoding: 'utf8', timeout: 600_000 });
  expect(run.stderr + run.stdout).toMatch(/clsrl_trl: note: .*(flash_attn is not installed|training on the CPU)/);
  expect(run.status).toBe(0);
  const done = JSON.parse(fs.readFileSync(path.join(sft, 'output', 'clsrl-done.json'), 'utf8'));
  expect(done).toMatchObject({ runId: configs[folders.indexOf(sft)].clsrl.runId, final: path.join(sft, 'output', 'final') });
  const steps = readTrainerState(path.join(sft, 'output', 'trainer_state.json'), 0);
  expect(steps).toHaveLength(1);
  expect(steps[0]).toMatchObject({ step: 1 });
  expect(Number.isFinite(steps[0].loss)).toBe(true);
  expect(fs.existsSync(path.join(sft, 'output', 'final', 'model.safetensors'))).toBe(true);
}, 1_500_000);
