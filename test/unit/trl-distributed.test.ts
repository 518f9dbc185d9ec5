// The trl engine's distributed strategies and GPU count (issue 16, defects 2 and 6): one GPU trains as one
// plain process without DeepSpeed (fp32 weights, bf16 autocast), each strategy writes its own accelerate
// config and launch line, the GPU count is detected (CUDA_VISIBLE_DEVICES, nvidia-smi -L) instead of
// assumed, and a launch with no GPU visible stops before writing anything.

import fs from 'fs';
import os from 'os';
import path from 'path';
import { spawnSync } from 'child_process';
import type { ExternalTrainContext, Question } from '../../harness/contracts';
import { getMethod } from '../../methods/registry';
import { resolveTrlOptions, trainExternally, writeRunFolder } from '../../harness/engines/trl';
import { detectGpus } from '../../harness/engines/trl/gpus';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-trl-dist-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const names = ['Abyssinian', 'Bengal', 'great_pyrenees', 'pug'];
const questions: Question[] = names.map((n, i) => ({
  id: `OxfordPets/train/${i}`, dataset: 'OxfordPets', image: path.join(tmp, `img${i}.png`), imageRel: `img${i}.png`, label: i, classname: n, candidates: names,
  problem: `What type of object is in the photo? [ ${names.join(', ')} ]`,
}));

function ctx(method: string, name: string, dryRun = true): ExternalTrainContext {
  const plugin = getMethod(method);
  const methodConfig = plugin.validate({}, 'OxfordPets') as Record<string, unknown>;
  return {
    spec: {
      id: `run-${name}`, suite: 's', dataset: 'OxfordPets', setting: 'few-shot', shots: 4, seed: 1, method, engine: 'trl', transferTo: [],
      config: { method: methodConfig, prompt: { candidateRule: 'code', evalSplit: 'test', evalPromptSeed: 100, evalLimit: 0 }, engine: {}, eval: { maxTokens: 64 } },
    },
    method: plugin.meta, methodConfig, train: questions, prompt: (q) => ({ id: q.id, image: q.image, text: q.problem }),
    workDir: path.join(tmp, name), dryRun, hooks: {},
  };
}

const one = () => ({ count: 1, source: 'CUDA_VISIBLE_DEVICES=0' });
const none = () => undefined;
const read = (dir: string, f: string) => fs.readFileSync(path.join(dir, f), 'utf8');

describe('detectGpus', () => {
  const smi = 'GPU 0: NVIDIA H200 (UUID: GPU-1)\nGPU 1: NVIDIA H200 (UUID: GPU-2)\n';
  test('CUDA_VISIBLE_DEVICES wins and stops at the first invalid entry', () => {
    expect(detectGpus({ CUDA_VISIBLE_DEVICES: '0,1,3' }, () => smi)).toEqual({ count: 3, source: 'CUDA_VISIBLE_DEVICES=0,1,3' });
    expect(detectGpus({ CUDA_VISIBLE_DEVICES: '2,-1,3' }, () => smi)?.count).toBe(1);
    expect(detectGpus({ CUDA_VISIBLE_DEVICES: '' }, () => smi)).toBeUndefined();
    expect(detectGpus({ CUDA_VISIBLE_DEVICES: '-1' }, () => smi)).toBeUndefined();
  });
  test('else nvidia-smi -L; nothing when it is absent or lists no GPU', () => {
    expect(detectGpus({}, () => smi)).toEqual({ count: 2, source: 'nvidia-smi -L' });
    expect(detectGpus({}, () => undefined)).toBeUndefined();
    expect(detectGpus({}, () => 'No devices were found\n')).toBeUndefined();
  });
});

test('one detected GPU: distributed single, a plain python launch, fp32 weights under bf16 autocast, no DeepSpeed', () => {
  const o = resolveTrlOptions({}, one);
  expect(o.gpus).toBe(1);
  const folder = writeRunFolder(ctx('cls-rl', 'single'), o);
  expect(folder.config.distributed).toBe('single');
  expect(folder.config.args).toMatchObject({ bf16: true, per_device_train_batch_size: 4, gradient_accumulation_steps: 16, model_init_kwargs: { torch_dtype: 'float32' } });
  expect(folder.config.notes.join('\n')).toMatch(/gpus=1 detected from CUDA_VISIBLE_DEVICES=0/);
  for (const f of ['accelerate.yaml', 'zero3.json', 'zero2.json']) expect(fs.existsSync(path.join(folder.dir, f))).toBe(false);
  const launch = read(folder.dir, 'launch.sh');
  expect(launch).toContain('exec "${CLSRL_PYTHON:-python3}" -m clsrl_trl.train --config config.json');
  expect(launch).not.toContain('accelerate');
  expect(spawnSync('bash', ['-n', folder.launch]).status).toBe(0);
});

test('each strategy writes its accelerate config; rewriting a folder leaves no stale one', () => {
  const folderFor = (distributed: string) => writeRunFolder(ctx('sft', 'strategies'), resolveTrlOptions({ gpus: 2, distributed }, none));
  let f = folderFor('zero3');
  expect(read(f.dir, 'accelerate.yaml')).toMatch(/distributed_type: DEEPSPEED\n[\s\S]*deepspeed_config_file: zero3.json\n\s+zero3_init_flag: true/);
  expect(JSON.parse(read(f.dir, 'zero3.json')).zero_optimization.stage).toBe(3);
  expect(f.config.args).toMatchObject({ model_init_kwargs: { torch_dtype: 'bfloat16' } });
  f = folderFor('zero2');
  expect(read(f.dir, 'accelerate.yaml')).toMatch(/deepspeed_config_file: zero2.json\n\s+zero3_init_flag: false/);
  expect(JSON.parse(read(f.dir, 'zero2.json')).zero_optimization.stage).toBe(2);
  expect(fs.existsSync(path.join(f.dir, 'zero3.json'))).toBe(false);
  f = folderFor('ddp');
  expect(read(f.dir, 'accelerate.yaml')).toMatch(/distributed_type: MULTI_GPU\nmixed_precision: bf16[\s\S]*num_processes: 2/);
  expect(f.config.args).toMatchObject({ model_init_kwargs: { torch_dtype: 'float32' } });
  expect(fs.existsSync(path.join(f.dir, 'zero2.json'))).toBe(false);
  f = folderFor('fsdp');
  expect(read(f.dir, 'accelerate.yaml')).toMatch(/distributed_type: FSDP[\s\S]*fsdp_sharding_strategy: FULL_SHARD[\s\S]*fsdp_state_dict_type: FULL_STATE_DICT/);
  expect(read(f.dir, 'launch.sh')).toMatch(/accelerate launch[\s\S]*--num_processes 2/);
  expect(f.config.distributed).toBe('fsdp');
  expect(spawnSync('bash', ['-n', f.launch]).status).toBe(0);
  expect(resolveTrlOptions({ gpus: 4 }, none).distributed).toBeUndefined(); // default: zero3 on several GPUs
  expect(writeRunFolder(ctx('sft', 'multi'), resolveTrlOptions({ gpus: 4 }, none)).config.distributed).toBe('zero3');
});

test('impossible or unknown strategies are refused with a hint', () => {
  expect(() => resolveTrlOptions({ gpus: 2, distributed: 'single' }, none)).toThrow(/distributed=single runs one process, but gpus x nodes is 2 x 1/);
  expect(() => resolveTrlOptions({ distributed: 'zero4' }, one)).toThrow(/distributed 'zero4' is not one of single, ddp, zero2, zero3, fsdp/);
});

test('no GPU visible: a launch stops before writing anything; writing folders only assumes 8 GPUs and says so', async () => {
  const o = resolveTrlOptions({}, none);
  expect(o.gpusUnknown).toBe(true);
  const live = ctx('cls-rl', 'nogpu-live', false);
  await expect(trainExternally(live, o)).rejects.toThrow(/no GPU is visible/);
  expect(fs.existsSync(live.workDir)).toBe(false);
  const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const dry = await trainExternally(ctx('cls-rl', 'nogpu-dry'), o);
    const config = JSON.parse(read(path.dirname(dry.model.path!).replace(/output$/, ''), 'config.json'));
    expect(config.distributed).toBe('zero3');
    expect(config.notes.join('\n')).toMatch(/no GPU detected where clsrl ran[\s\S]*gpus=8/);
    expect(write.mock.calls.map((c) => String(c[0])).join('')).toMatch(/note: no GPU detected/);
  } finally {
    write.mockRestore();
  }
});
