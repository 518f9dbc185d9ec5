// `clsrl sweep --suite paper-fewshot --engine trl --model Qwen/Qwen2-VL-2B-Instruct --dry-run` on the
// CoOp fixture: the real CLI writes a complete run folder for every training run, every generated Python
// file compiles (python3 -m py_compile) and every launch script parses (bash -n). Nothing is launched.

import fs from 'fs';
import os from 'os';
import path from 'path';
import { spawn, spawnSync } from 'child_process';
import { makeCoopFixture } from '../fixtures/coop';

const ROOT = path.resolve(__dirname, '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-trl-dry-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // no GPU visible, whatever machine runs the test: the folders are written for the default 8-GPU node
    const child = spawn('node', ['bin/clsrl.js', ...args], { cwd: ROOT, env: { ...process.env, CUDA_VISIBLE_DEVICES: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

test('paper-fewshot dry run writes a complete TRL folder for every training run', async () => {
  const fixture = await makeCoopFixture(path.join(tmp, 'data'));
  const db = path.join(tmp, 'results', 'clsrl.sqlite');
  const res = await cli(['sweep', '--suite', 'paper-fewshot', '--engine', 'trl', '--model', 'Qwen/Qwen2-VL-2B-Instruct',
    '--data-root', fixture.root, '--db', db, '--dry-run', '--json']);
  expect(res.stderr).not.toMatch(/Error/);
  expect(res.status).toBe(0);
  const doc = JSON.parse(res.stdout) as { runs: { id: string; method: string; dataset: string }[] };
  const training = doc.runs.filter((r) => r.method !== 'zero-shot');
  expect(training.length).toBe(3 * 11 * 3); // sft, cls-rl, no-thinking x 11 datasets x 3 seeds
  expect(fs.existsSync(db)).toBe(false); // a dry run stores nothing

  const pyFiles: string[] = [];
  const scripts: string[] = [];
  for (const run of training) {
    const dir = path.join(tmp, 'results', 'runs', run.id, 'trl');
    for (const f of ['train.jsonl', 'config.json', 'accelerate.yaml', 'zero3.json', 'requirements.txt', 'launch.sh']) {
      expect(fs.existsSync(path.join(dir, f))).toBe(true);
    }
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(config.clsrl).toMatchObject({ runId: run.id, method: run.method, dataset: run.dataset });
    expect(config.model.nameOrPath).toBe('Qwen/Qwen2-VL-2B-Instruct');
    expect(config.trainer).toBe(run.method === 'sft' ? 'sft' : 'grpo');
    const rows = fs.readFileSync(path.join(dir, 'train.jsonl'), 'utf8').trim().split('\n');
    expect(rows.length).toBe(config.data.examples);
    for (const row of rows.map((r) => JSON.parse(r))) {
      const image = row.image ?? row.images[0];
      expect(path.isAbsolute(image) && fs.existsSync(image)).toBe(true);
    }
    scripts.push(path.join(dir, 'launch.sh'));
    pyFiles.push(...fs.readdirSync(path.join(dir, 'clsrl_trl')).filter((f) => f.endsWith('.py')).map((f) => path.join(dir, 'clsrl_trl', f)));
  }
  // Paper epochs per dataset reach the trainer.
  const epochsOf = (dataset: string) => {
    const run = training.find((r) => r.dataset === dataset && r.method === 'cls-rl')!;
    return JSON.parse(fs.readFileSync(path.join(tmp, 'results', 'runs', run.id, 'trl', 'config.json'), 'utf8')).args.num_train_epochs;
  };
  expect([epochsOf('ImageNet'), epochsOf('SUN397'), epochsOf('EuroSAT'), epochsOf('OxfordPets')]).toEqual([10, 25, 100, 50]);

  const pyc = path.join(tmp, 'pyc');
  const compile = spawnSync('python3', ['-c', 'import sys, os, py_compile\nfor i, f in enumerate(sys.argv[2:]):\n    py_compile.compile(f, cfile=os.path.join(sys.argv[1], "%d.pyc" % i), doraise=True)', pyc, ...pyFiles]);
  expect(compile.stderr.toString()).toBe('');
  expect(compile.status).toBe(0);
  const bash = spawnSync('bash', ['-c', 'for f in "$@"; do bash -n "$f" || exit 1; done', 'check', ...scripts]);
  expect(bash.status).toBe(0);
}, 60_000);
