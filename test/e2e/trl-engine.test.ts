// The trl engine without GPUs: the run folder it writes (data format, every trainer field, ZeRO-3
// launch), the launch path against a fake `accelerate` that asks the live reward server through the
// copied Python client, trainer_state.json ingestion, and evaluation delegated to an OpenAI server.

import fs from 'fs';
import os from 'os';
import path from 'path';
import { writeFakeTrlPrograms } from '../helpers/fake-trl';
import { spawnSync } from 'child_process';
import sharp from 'sharp';
import type { ExternalTrainContext, Question, RunSpec, TrainStepRecord } from '../../harness/contracts';
import { getMethod } from '../../methods/registry';
import { createEngine } from '../../harness/engines/registry';
import { createTrlEngine, resolveTrlOptions, stepsFromLogHistory, writeRunFolder } from '../../harness/engines/trl';
import { PYTHON_PINS } from '../../harness/engines/trl/config';
import { startOpenAIServer } from '../../harness/serve/openai-server';

// No GPU visible to this test, whatever machine runs it (gpus is detected when not given: gpus.ts).
process.env.CUDA_VISIBLE_DEVICES = '';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-trl-'));
const questions: Question[] = [];

function spec(method: string, config: Record<string, unknown>): RunSpec {
  return {
    id: `run-${method}`, suite: 'paper-fewshot', dataset: 'OxfordPets', setting: 'few-shot', shots: 4, seed: 1, method, engine: 'trl', transferTo: [],
    config: { method: config, prompt: { candidateRule: 'code', evalSplit: 'test', evalPromptSeed: 100, evalLimit: 0 }, engine: {}, eval: { maxTokens: 1024 } },
  };
}

function ctxFor(method: string, overrides: Record<string, unknown> = {}, dryRun = true, steps: TrainStepRecord[] = []): ExternalTrainContext {
  const plugin = getMethod(method);
  const methodConfig = { ...(plugin.validate(overrides, 'OxfordPets') as Record<string, unknown>) };
  return {
    spec: spec(method, methodConfig),
    method: plugin.meta,
    methodConfig,
    train: questions,
    prompt: (q) => ({ id: q.id, image: q.image, text: `${q.problem}\n Please output the thinking process in <think> </think> and final answer in <answer> </answer> tags.` }),
    workDir: path.join(tmp, 'runs', `${method}-${dryRun ? 'dry' : 'live'}`),
    dryRun,
    hooks: { onStepEnd: (r) => steps.push(r) },
  };
}

beforeAll(async () => {
  const names = ['Abyssinian', 'Bengal', 'great_pyrenees', 'pug'];
  for (let i = 0; i < names.length; i++) {
    const image = path.join(tmp, `img${i}.png`);
    await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 40 * i, g: 0, b: 0 } } }).png().toFile(image);
    questions.push({
      id: `OxfordPets/train/${i}`, dataset: 'OxfordPets', image, imageRel: `oxford_pets/img${i}.png`, label: i, classname: names[i], candidates: names,
      problem: `What type of object is in the photo?\n Please choose one from list [ ${names.join(', ')}].`,
    });
  }
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('a CLS-RL run folder reproduces the paper trainer with every field explicit', async () => {
  const engine = await createTrlEngine({ model: 'Qwen/Qwen2-VL-2B-Instruct' });
  const out = await engine.trainExternally!(ctxFor('cls-rl'));
  const dir = path.join(tmp, 'runs', 'cls-rl-dry', 'trl');
  expect(out.steps).toEqual([]);
  expect(out.model).toEqual({ engine: 'trl', id: 'run-cls-rl', path: path.join(dir, 'output', 'final') });
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  expect(config.trainer).toBe('grpo');
  expect(config.pins.trl).toBe(PYTHON_PINS.trl);
  expect(config.rewards).toEqual({ method: 'cls-rl', names: ['format', 'accuracy'], options: { mathVerify: true } }); // the paper's math_verify step
  expect(config.args).toMatchObject({
    num_generations: 4, beta: 0.04, learning_rate: 1e-6, temperature: 1, max_completion_length: 1024, num_train_epochs: 50,
    num_iterations: 1, scale_rewards: 'group', loss_type: 'grpo', per_device_train_batch_size: 4, gradient_accumulation_steps: 2,
    steps_per_generation: 2, bf16: true, use_vllm: false, remove_unused_columns: false, data_seed: 1, seed: 100,
  });
  // No field left to a library default: every value is present (null where "off" is the explicit choice).
  expect(Object.values(config.args).every((v) => v !== undefined)).toBe(true);
  const rows = fs.readFileSync(path.join(dir, 'train.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  expect(rows).toHaveLength(4);
  expect(rows[2]).toEqual({
    id: 'OxfordPets/train/2', image: questions[2].image, solution: 'great_pyrenees',
    prompt: [{ role: 'user', content: expect.stringContaining('<think> </think>') }],
  });
  const launch = fs.readFileSync(path.join(dir, 'launch.sh'), 'utf8');
  expect(launch).toMatch(/accelerate launch[\s\S]*--config_file accelerate.yaml[\s\S]*--num_processes 8[\s\S]*-m clsrl_trl.train --config config.json/);
  expect(launch).toMatch(/CLSRL_REWARD_URL:\?/);
  expect(fs.readFileSync(path.join(dir, 'accelerate.yaml'), 'utf8')).toMatch(/distributed_type: DEEPSPEED[\s\S]*deepspeed_config_file: zero3.json/);
  expect(JSON.parse(fs.readFileSync(path.join(dir, 'zero3.json'), 'utf8')).zero_optimization.stage).toBe(3);
  expect(fs.readFileSync(path.join(dir, 'requirements.txt'), 'utf8')).toContain(`trl==${PYTHON_PINS.trl}`);
  const bash = spawnSync('bash', ['-n', path.join(dir, 'launch.sh')]);
  expect(bash.status).toBe(0);
  const py = spawnSync('python3', ['-c', 'import sys, py_compile, tempfile, os\nd = tempfile.mkdtemp()\nfor i, f in enumerate(sys.argv[1:]): py_compile.compile(f, cfile=os.path.join(d, "%d.pyc" % i), doraise=True)',
    ...['__init__.py', 'rewards.py', 'train.py', 'pins.py'].map((f) => path.join(dir, 'clsrl_trl', f))]);
  expect(py.stderr.toString()).toBe('');
});

test('GPU layout changes accumulation, not the update size; impossible layouts say what to change', async () => {
  const o = resolveTrlOptions({ gpus: 1 });
  const folder = writeRunFolder(ctxFor('no-thinking-cls-rl'), o);
  expect(folder.config.args).toMatchObject({ per_device_train_batch_size: 4, gradient_accumulation_steps: 16 });
  expect(folder.config.rewards?.names).toEqual(getMethod('no-thinking-cls-rl').meta.rewards);
  expect(() => writeRunFolder(ctxFor('cls-rl'), resolveTrlOptions({ gpus: 3 }))).toThrow(/not a multiple of 3 GPUs/);
  expect(() => resolveTrlOptions({ gpus: 0 })).toThrow(/positive integer/);
});

test('an SFT run folder trains the method target in prompt-completion form', () => {
  const folder = writeRunFolder(ctxFor('sft', { target: 'answer-tag' }), resolveTrlOptions({}));
  expect(folder.config.trainer).toBe('sft');
  expect(folder.config.rewards).toBeUndefined();
  expect(folder.config.args).toMatchObject({ learning_rate: 1e-5, completion_only_loss: true, packing: false, max_length: null, per_device_train_batch_size: 1, gradient_accumulation_steps: 2 });
  const row = JSON.parse(fs.readFileSync(path.join(folder.dir, 'train.jsonl'), 'utf8').split('\n')[0]);
  expect(row.images).toEqual([questions[0].image]);
  expect(row.completion).toEqual([{ role: 'assistant', content: '<answer>Abyssinian</answer>' }]);
  expect(fs.readFileSync(folder.launch, 'utf8')).not.toMatch(/CLSRL_REWARD_URL:\?/);
});

test("an SFT run folder in style paper is the paper's sft.py conversation, its images resized to 384 x 384 LANCZOS", () => {
  const folder = writeRunFolder(ctxFor('sft', { style: 'paper' }), resolveTrlOptions({}));
  const row = JSON.parse(fs.readFileSync(path.join(folder.dir, 'train.jsonl'), 'utf8').split('\n')[0]);
  expect(row.prompt).toEqual([
    { role: 'system', content: 'Output the thinking process in <think> </think> and final answer in <answer> </answer> tags.' },
    { role: 'user', content: questions[0].problem }, // the bare problem: no template suffix
  ]);
  expect(row.completion).toEqual([{ role: 'assistant', content: '<answer>Abyssinian</answer>' }]);
  expect(folder.config.data.imageSize).toBe(384);
  expect(writeRunFolder(ctxFor('sft', { style: 'direct' }), resolveTrlOptions({})).config.data.imageSize).toBeUndefined();

  // train.py's resize_row, with a stand-in PIL that records the calls (the real one is not installed here)
  const script = [
    'import sys, types, json',
    'pil = types.ModuleType("PIL"); image = types.ModuleType("PIL.Image")',
    'class R: LANCZOS = "lanczos"',
    'image.Resampling = R',
    'class Img:',
    '    def __init__(self, n): self.n = n',
    '    def resize(self, size, method): return "%s->%dx%d/%s" % (self.n, size[0], size[1], method)',
    'pil.Image = image; sys.modules["PIL"] = pil; sys.modules["PIL.Image"] = image',
    'sys.path.insert(0, sys.argv[1])',
    'from clsrl_trl.train import resize_row',
    'print(json.dumps(resize_row({"images": [Img("a"), Img("b")], "image": Img("c")}, [("images", True), ("image", False)], 384)))',
  ].join('\n');
  const py = spawnSync('python3', ['-c', script, path.resolve(__dirname, '../../python')], { env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
  expect(py.stderr.toString()).toBe('');
  expect(JSON.parse(py.stdout.toString())).toEqual({ images: ['a->384x384/lanczos', 'b->384x384/lanczos'], image: 'c->384x384/lanczos' });
});

describe('launching against a fake accelerate', () => {
  const bin = path.join(tmp, 'bin');
  const savedPath = process.env.PATH;
  beforeAll(() => {
    // the shared stand-in for `accelerate launch` (test/helpers/fake-trl.ts): scores completions through
    // the run folder's own Python client against the live reward server, logs two steps, writes a checkpoint
    writeFakeTrlPrograms(bin, path.join(tmp, 'vllm-images'));
    process.env.PATH = `${bin}${path.delimiter}${savedPath}`;
  });
  afterAll(() => {
    process.env.PATH = savedPath;
    delete process.env.FAKE_TRL_MODE;
  });

  test('trains, streams steps live, ingests trainer_state.json and returns the checkpoint', async () => {
    const live: TrainStepRecord[] = [];
    const engine = await createTrlEngine({ gpus: 2 });
    const out = await engine.trainExternally!(ctxFor('cls-rl', {}, false, live));
    const dir = path.join(tmp, 'runs', 'cls-rl-live', 'trl');
    expect(fs.readFileSync(path.join(dir, 'launched-with.txt'), 'utf8')).toMatch(/--num_processes 2 .*-m clsrl_trl.train --config config.json/);
    expect(out.model.path).toBe(path.join(dir, 'output', 'final'));
    expect(out.steps).toHaveLength(2);
    expect(live).toEqual(out.steps);
    // Half the completions are right: accuracy 0.5, format 1 (scored by the real reward server).
    expect(out.steps[0]).toMatchObject({ step: 1, loss: 0.1, kl: 0.01, rewardStd: 0.2, completionLength: 10, rewards: { 'reward/format': 1, 'reward/accuracy': 0.5 }, wallMs: 1500 });
    // 2 GPUs x 4 completions x 8 accumulation = 64 completions per step.
    expect(out.steps[1].tokensGenerated).toBe(20 * 64);
    expect(fs.readFileSync(path.join(dir, 'train.log'), 'utf8')).toContain('CLSRL_LOG');
  });

  test('a folder already trained elsewhere is ingested, not trained again', async () => {
    const dir = path.join(tmp, 'runs', 'cls-rl-live', 'trl');
    fs.writeFileSync(path.join(dir, 'output', 'clsrl-done.json'), JSON.stringify({ final: path.join(dir, 'output', 'final') }));
    fs.rmSync(path.join(dir, 'launched-with.txt'));
    const engine = await createTrlEngine({ gpus: 2 });
    const out = await engine.trainExternally!(ctxFor('cls-rl', {}, false));
    expect(fs.existsSync(path.join(dir, 'launched-with.txt'))).toBe(false);
    expect(out.steps.map((s) => s.rewards['reward/accuracy'])).toEqual([0.5, 0.5]);
  });

  test('multi-node GRPO needs a reward server every node can reach', async () => {
    const engine = await createTrlEngine({ nodes: 2, gpus: 2 });
    const ctx = { ...ctxFor('cls-rl', {}, false), workDir: path.join(tmp, 'runs', 'cls-rl-2nodes') };
    await expect(engine.trainExternally!(ctx)).rejects.toThrow(/spans 2 nodes[\s\S]*127.0.0.1/);
  });

  test('a failing trainer becomes an EXTERNAL error with the log tail', async () => {
    process.env.FAKE_TRL_MODE = 'fail';
    const engine = await createTrlEngine({ gpus: 2 }); // a launch needs a GPU count: none is visible here
    const ctx = { ...ctxFor('cls-rl', {}, false), workDir: path.join(tmp, 'runs', 'cls-rl-failing') };
    await expect(engine.trainExternally!(ctx)).rejects.toThrow(/exited with 3:[\s\S]*CUDA out of memory \(fake\)/);
    delete process.env.FAKE_TRL_MODE;
  });
});

test('log history in both TRL spellings (0.14 and >= 0.16) becomes step records', () => {
  const steps = stepsFromLogHistory([
    { loss: 0.5, step: 1, epoch: 0.1, 'rewards/format': 0.25, completion_length: 300, kl: 0.002, reward_std: 0.4, learning_rate: 1e-6, grad_norm: 2 },
    { loss: 0.4, step: 2, 'rewards/accuracy/mean': 0.75, 'rewards/accuracy/std': 0.1, 'completions/mean_length': 200 },
    { train_runtime: 10, train_loss: 0.45, step: 2 },
  ], 64);
  expect(steps.map((s) => [s.step, s.rewards, s.completionLength, s.tokensGenerated])).toEqual([
    [1, { 'reward/format': 0.25 }, 300, 19200],
    [2, { 'reward/accuracy': 0.75 }, 200, 12800],
  ]);
});

test('evaluation delegates to an OpenAI-compatible server serving the checkpoint, else says how', async () => {
  const plain = await createTrlEngine({});
  const model = await plain.load({ engine: 'trl', id: 'r', path: '/ckpt/final' });
  await expect(plain.generate(model, [], { n: 1, temperature: 0, maxTokens: 8, seed: 0 })).rejects.toThrow(/vllm serve/);
  const double = await createEngine('double', {});
  const server = await startOpenAIServer({ engine: double, model: await double.load(double.baseModel()), modelName: '/ckpt/final', port: 0, imageDir: path.join(tmp, 'served') });
  try {
    const engine = await createTrlEngine({ baseUrl: server.url, cache: 'off', repetitionPenalty: 1 }); // the double takes no penalty
    const text = `${questions[0].problem}\n Please directly output the answer.`;
    const [out] = await engine.generate(await engine.load({ engine: 'trl', id: 'r', path: '/ckpt/final' }), [{ id: 'q', image: questions[0].image, text }], { n: 1, temperature: 0, maxTokens: 16, seed: 0 });
    expect(questions[0].candidates).toContain(out[0].text);
  } finally {
    await server.close();
  }
});

describe('vllm=true: the engine serves each evaluated model itself', () => {
  const fake = path.join(tmp, 'fake-vllm');
  const ROOT = path.resolve(__dirname, '../..');
  beforeAll(() => {
    // Stands in for `vllm serve MODEL --port P --served-model-name NAME ...`: clsrl's own server over the double.
    fs.writeFileSync(fake, `#!/usr/bin/env bash
[ "$FAKE_VLLM" = crash ] && { echo "no GPU (fake)"; exit 1; }
shift 2
while [ $# -gt 0 ]; do case "$1" in --port) port="$2"; shift 2;; --served-model-name) name="$2"; shift 2;; *) shift;; esac; done
exec node "${ROOT}/bin/clsrl.js" serve --engine double --port "$port" --served-model-name "$name" --image-dir "${tmp}/fake-vllm-images"
`, { mode: 0o755 });
  });
  afterAll(() => delete process.env.FAKE_VLLM);

  test('load starts a server for the checkpoint, generate uses it, dispose stops it', async () => {
    const ckpt = path.join(tmp, 'ckpt-final');
    fs.mkdirSync(ckpt, { recursive: true });
    const engine = await createTrlEngine({ vllm: true, vllmCommand: fake, vllmStartTimeoutMs: 60_000, cache: 'off', repetitionPenalty: 1 });
    const model = await engine.load({ engine: 'trl', id: 'r', path: ckpt });
    const url = (model as unknown as { server: { url: string } }).server.url;
    const models = (await (await fetch(`${url}/models`)).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toEqual([ckpt]);
    const [out] = await engine.generate(model, [{ id: 'q', image: questions[1].image, text: `${questions[1].problem}\n Please directly output the answer.` }], { n: 1, temperature: 0, maxTokens: 16, seed: 0 });
    expect(questions[1].candidates).toContain(out[0].text);
    await engine.dispose(model);
    await expect(fetch(`${url}/models`)).rejects.toThrow();
    expect(fs.existsSync(path.join(ckpt, 'vllm.log'))).toBe(true);
  }, 60_000);

  test('a server that dies while loading is an EXTERNAL error pointing at its log', async () => {
    process.env.FAKE_VLLM = 'crash';
    const engine = await createTrlEngine({ vllm: true, vllmCommand: fake, vllmStartTimeoutMs: 30_000, cache: 'off' });
    const ckpt = path.join(tmp, 'ckpt-crash');
    fs.mkdirSync(ckpt, { recursive: true });
    await expect(engine.load({ engine: 'trl', id: 'r', path: ckpt })).rejects.toThrow(/exited with 1 before serving/);
    expect(fs.readFileSync(path.join(ckpt, 'vllm.log'), 'utf8')).toContain('no GPU (fake)');
  }, 40_000);
});

test('method config fields map onto TRL names; methods TRL cannot train are refused', () => {
  const o = resolveTrlOptions({});
  const base = ctxFor('cls-rl', { lossType: 'dr-grpo', lrSchedule: 'constant', warmupSteps: 5, maxSteps: 7, beta: 0 });
  const folder = writeRunFolder(base, o);
  expect(folder.config.args).toMatchObject({ loss_type: 'dr_grpo', lr_scheduler_type: 'constant_with_warmup', warmup_steps: 5, max_steps: 7, beta: 0 });
  const zeroShot = getMethod('zero-shot');
  expect(() => writeRunFolder({ ...base, method: zeroShot.meta, methodConfig: {} }, o)).toThrow(/cannot be trained by the trl engine/);
});
