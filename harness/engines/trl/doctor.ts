// Preflight of the trl engine (`clsrl doctor --engine trl`, and the sweep before its first launch):
// the Python interpreter, the pinned packages (python/clsrl_trl/pins.py, the check train.py makes),
// flash-attn and DeepSpeed against the chosen options, the GPUs and their memory against an estimate of
// the model's training state, the model path or id, `accelerate`, the reward server round trip from the
// Python side (the run folder's own client against a live server), and the evaluation server.

import fs from 'fs';
import os from 'os';
import path from 'path';
import { randomBytes } from 'crypto';
import type { PreflightCheck } from '../../contracts';
import { ok, problem, runProgram, skipped } from '../../doctor';
import { startRewardServer } from '../../serve/rewards';
import type { EngineOptions } from '../registry';
import { resolveOpenAIOptions } from '../openai';
import { PYTHON_PINS, distributedFor, type Distributed } from './config';
import { PYTHON_SRC } from './folder';
import type { TrlEngineOptions } from './index';

export interface TrlDoctorEnv {
  /** Interpreter of the training stack (CLSRL_PYTHON, else python3 on PATH). */
  python: string;
  env: NodeJS.ProcessEnv;
}

export const defaultDoctorEnv = (): TrlDoctorEnv => ({ python: process.env.CLSRL_PYTHON || 'python3', env: process.env });

/** Parameters of the models the docs use (counted from their safetensors), by HF id. */
const KNOWN_PARAMS: Record<string, number> = {
  'Qwen/Qwen2-VL-2B-Instruct': 2.21e9,
  'Qwen/Qwen2-VL-7B-Instruct': 8.29e9,
  'Qwen/Qwen2-VL-72B-Instruct': 73.4e9,
};

/** Parameter count of a model: known ids, a local folder's safetensors (bf16: 2 bytes each), else undefined. */
export function modelParams(model: string): number | undefined {
  if (KNOWN_PARAMS[model]) return KNOWN_PARAMS[model];
  if (fs.existsSync(model) && fs.statSync(model).isDirectory()) {
    const index = path.join(model, 'model.safetensors.index.json');
    if (fs.existsSync(index)) {
      const size = (JSON.parse(fs.readFileSync(index, 'utf8')) as { metadata?: { total_size?: number } }).metadata?.total_size;
      if (typeof size === 'number') return size / 2;
    }
    const bytes = fs.readdirSync(model).filter((f) => f.endsWith('.safetensors')).reduce((n, f) => n + fs.statSync(path.join(model, f)).size, 0);
    return bytes > 0 ? bytes / 2 : undefined;
  }
  const m = /(\d+(?:\.\d+)?)B\b/i.exec(model);
  return m ? Number(m[1]) * 1e9 : undefined;
}

/**
 * GiB of model state per GPU for full fine-tuning with Adam (ZeRO paper's accounting, Rajbhandari et al.
 * 2020: 16 bytes per parameter = weights + gradients + fp32 master, momentum, variance), as each strategy
 * keeps it: single / ddp / fsdp hold fp32 weights (fsdp shards all of it), zero2 keeps bf16 weights whole and
 * shards the rest, zero3 shards everything. GRPO adds the frozen reference model (same dtype, sharded
 * under zero3 / fsdp). Activations and image tokens come on top: a lower bound.
 */
export function stateGiBPerGpu(params: number, d: Distributed, processes: number, withReference: boolean): number {
  const n = Math.max(1, processes);
  const bytes: Record<Distributed, number> = {
    single: 16 + (withReference ? 4 : 0),
    ddp: 16 + (withReference ? 4 : 0),
    zero2: 2 + 14 / n + (withReference ? 2 : 0),
    zero3: (16 + (withReference ? 2 : 0)) / n,
    fsdp: (16 + (withReference ? 4 : 0)) / n,
  };
  return (params * bytes[d]) / 2 ** 30;
}

/** Name, memory (MiB) of each visible GPU from `nvidia-smi --query-gpu`, or why not. */
async function queryGpus(env: NodeJS.ProcessEnv): Promise<{ gpus: { name: string; mib: number }[] } | { error: string }> {
  const r = await runProgram('nvidia-smi', ['--query-gpu=name,memory.total', '--format=csv,noheader,nounits'], { env, timeoutMs: 20_000 });
  if (r.error) return { error: `nvidia-smi not found (${r.error})` };
  if (r.code !== 0) return { error: `nvidia-smi exited with ${r.code}: ${r.stderr.trim().slice(0, 200)}` };
  let gpus = r.stdout.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
    const i = l.lastIndexOf(',');
    return { name: l.slice(0, i).trim(), mib: Number(l.slice(i + 1)) };
  });
  const visible = env.CUDA_VISIBLE_DEVICES;
  if (visible !== undefined && /^[\d,\s]*$/.test(visible)) {
    const ids = visible.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
    gpus = gpus.filter((_, i) => ids.includes(i));
  }
  return { gpus };
}

function onPath(cmd: string, env: NodeJS.ProcessEnv): boolean {
  if (cmd.includes('/')) return fs.existsSync(cmd);
  return (env.PATH ?? '').split(path.delimiter).some((dir) => {
    try {
      fs.accessSync(path.join(dir, cmd), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

interface PinRow { name: string; found: string | null; wanted: string; ok: boolean; required: boolean; allowed: boolean; problem: string | null; hint: string | null }

async function pinsReport(de: TrlDoctorEnv, d: Distributed): Promise<{ python: string; ok: boolean; packages: PinRow[] } | { error: string }> {
  const env = { ...de.env, PYTHONPATH: [path.dirname(PYTHON_SRC), de.env.PYTHONPATH].filter(Boolean).join(path.delimiter) };
  const r = await runProgram(de.python, ['-m', 'clsrl_trl.pins', '--json', '--pins', JSON.stringify(PYTHON_PINS), '--distributed', d], { env });
  try {
    return JSON.parse(r.stdout) as { python: string; ok: boolean; packages: PinRow[] };
  } catch {
    return { error: `${de.python} -m clsrl_trl.pins failed (${r.code}): ${(r.error ?? r.stderr).trim().slice(-300)}` };
  }
}

function packageCheck(name: string, row: PinRow | undefined, why: string, fix: string): PreflightCheck {
  if (!row) return problem(name, 'not in the pins', fix);
  if (row.ok || row.allowed) return ok(name, `${row.found} (${why})${row.ok ? '' : ', accepted by CLSRL_ALLOW_UNPINNED'}`);
  return problem(name, `${row.found ?? 'not installed'}, wanted ${row.wanted} (${why})`, fix);
}

/** The model: a readable local folder with config.json, or an HF id in the local cache (else the Hub). */
async function modelCheck(model: string, de: TrlDoctorEnv): Promise<PreflightCheck> {
  const looksLocal = model.startsWith('/') || model.startsWith('.') || model.startsWith('~') || fs.existsSync(model);
  if (looksLocal) {
    const dir = model.replace(/^~(?=\/)/, os.homedir());
    try {
      JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
      return ok('model', `${dir} (config.json readable)`);
    } catch (e) {
      return problem('model', `${dir}: ${(e as Error).message}`, 'pass --model with a folder holding the HF model (config.json, safetensors, processor files) or an HF id');
    }
  }
  const hub = de.env.HF_HUB_CACHE || path.join(de.env.HF_HOME || path.join(os.homedir(), '.cache', 'huggingface'), 'hub');
  const snapshots = path.join(hub, `models--${model.replace(/\//g, '--')}`, 'snapshots');
  const cached = fs.existsSync(snapshots) && fs.readdirSync(snapshots).some((s) => fs.existsSync(path.join(snapshots, s, 'config.json')));
  if (cached) return ok('model', `${model} in the Hugging Face cache (${snapshots})`);
  const fix = `download it first (huggingface-cli download ${model}) or pass --model /path/to/folder`;
  if (de.env.HF_HUB_OFFLINE === '1') return problem('model', `${model} is not cached in ${hub} and HF_HUB_OFFLINE=1`, fix);
  const r = await runProgram(de.python, ['-c', 'import sys\nfrom huggingface_hub import model_info\nmodel_info(sys.argv[1])\nprint("ok")', model], { env: de.env, timeoutMs: 30_000 });
  if (r.code === 0 && r.stdout.includes('ok')) return ok('model', `${model} on the Hugging Face Hub (not cached: downloaded on first use)`);
  return problem('model', `${model} is neither cached (${hub}) nor reachable on the Hub: ${(r.error ?? r.stderr).trim().split('\n').slice(-1)[0] ?? ''}`, fix);
}

/** The reward server round trip through the Python client that run folders carry. */
export async function rewardBridgeCheck(de: TrlDoctorEnv): Promise<PreflightCheck> {
  const token = randomBytes(8).toString('hex');
  const server = await startRewardServer({ port: 0, token });
  try {
    const env = { ...de.env, PYTHONPATH: [path.dirname(PYTHON_SRC), de.env.PYTHONPATH].filter(Boolean).join(path.delimiter), CLSRL_REWARD_TOKEN: token };
    const input = JSON.stringify({ completion: '<think>green</think><answer>Forest</answer>', label: 'Forest' }) + '\n';
    const r = await runProgram(de.python, ['-m', 'clsrl_trl.rewards', '--url', server.url, '--method', 'cls-rl'], { env, input, timeoutMs: 60_000 });
    if (r.error || r.code !== 0) return problem('reward server round trip', `${de.python} -m clsrl_trl.rewards: ${(r.error ?? r.stderr).trim().slice(-300)}`, 'a python3 (standard library only) must reach a loopback port; check firewalls and CLSRL_PYTHON');
    const score = (JSON.parse(r.stdout) as { scores: { reward: number; correct: boolean }[] }).scores[0];
    if (score?.reward !== 2 || !score.correct) return problem('reward server round trip', `a right, well-formed answer scored ${JSON.stringify(score)} (expected reward 2)`, 'the run folder client and this clsrl disagree: rewrite the folders with this clsrl');
    return ok('reward server round trip', `python -> ${server.url}/score -> reward 2 for a right answer (format + accuracy)`);
  } finally {
    await server.close();
  }
}

export async function trlPreflight(o: TrlEngineOptions, raw: EngineOptions, de: TrlDoctorEnv = defaultDoctorEnv()): Promise<PreflightCheck[]> {
  const checks: PreflightCheck[] = [];
  const d = distributedFor(o);
  const processes = o.gpus * o.nodes;

  const py = await runProgram(de.python, ['-c', 'import sys; print(sys.version.split()[0])'], { env: de.env });
  const pyOk = !py.error && py.code === 0;
  checks.push(pyOk
    ? ok('python', `${de.python} ${py.stdout.trim()}`)
    : problem('python', `${de.python}: ${(py.error ?? py.stderr).trim().slice(-200)}`, 'activate the training venv (docs/reproduce-the-paper.md section 1) or set CLSRL_PYTHON=/path/to/python'));

  if (pyOk) {
    const pins = await pinsReport(de, d);
    if ('error' in pins) {
      checks.push(problem('packages', pins.error, 'python/clsrl_trl must be importable (it is copied into every run folder)'));
    } else {
      const bad = pins.packages.filter((p) => p.required && !p.ok && !p.allowed);
      checks.push(bad.length === 0
        ? ok('packages', `trl, transformers, accelerate, datasets, torch match the pins (${pins.packages.filter((p) => p.required).map((p) => `${p.name} ${p.found}`).join(', ')})`)
        : problem('packages', bad.map((p) => `${p.name}: ${p.problem}`).join('; '), bad.map((p) => p.hint).join('; ')));
      const row = (n: string) => pins.packages.find((p) => p.name === n);
      checks.push(o.attnImplementation === 'flash_attention_2'
        ? packageCheck('flash-attn', row('flash-attn'), 'attnImplementation=flash_attention_2', `pip install 'flash-attn==${PYTHON_PINS['flash-attn']}' --no-build-isolation, or --engine-opt attnImplementation=sdpa (the run id records the kernel: train.py's fallback to sdpa would not match it)`)
        : skipped('flash-attn', `attnImplementation=${o.attnImplementation}`));
      checks.push(d === 'zero2' || d === 'zero3'
        ? packageCheck('deepspeed', row('deepspeed'), `distributed=${d}`, `pip install 'deepspeed~=${PYTHON_PINS.deepspeed}', or --engine-opt distributed=${processes === 1 ? 'single' : 'ddp'}`)
        : skipped('deepspeed', `distributed=${d} does not use DeepSpeed`));
    }
  } else {
    for (const n of ['packages', 'flash-attn', 'deepspeed']) checks.push(skipped(n, 'no python to ask'));
  }

  const gq = await queryGpus(de.env);
  const params = modelParams(o.model);
  if ('error' in gq || gq.gpus.length === 0) {
    checks.push(problem('gpus', 'error' in gq ? gq.error : 'nvidia-smi lists no GPU', 'run clsrl doctor/sweep on the GPU machine; to only write run folders here use `clsrl sweep --prepare`'));
  } else {
    const have = gq.gpus.length;
    const minMiB = Math.min(...gq.gpus.map((g) => g.mib));
    const need = params ? stateGiBPerGpu(params, d, processes, true) : undefined;
    const names = [...new Set(gq.gpus.map((g) => g.name))].join(', ');
    const found = `${have} x ${names} (${(minMiB / 1024).toFixed(0)} GiB)`;
    if (have < o.gpus) checks.push(problem('gpus', `${found}; gpus=${o.gpus} asked`, `--engine-opt gpus=${have}`));
    else checks.push(ok('gpus', `${found}; gpus=${o.gpus}`));
    if (need === undefined) checks.push(skipped('gpu memory', `parameter count of ${o.model} unknown`));
    else if (need > (minMiB / 1024) * 0.9) {
      checks.push(problem('gpu memory', `${o.model}: about ${need.toFixed(1)} GiB of weights, gradients and Adam state per GPU with distributed=${d} on ${processes} GPU(s), before activations; ${(minMiB / 1024).toFixed(0)} GiB per GPU`, processes > 1 && d !== 'zero3' ? '--engine-opt distributed=zero3 shards it across GPUs' : 'more GPUs with distributed=zero3, or a smaller model'));
    } else {
      checks.push(ok('gpu memory', `about ${need.toFixed(1)} GiB of model state per GPU (distributed=${d}, ${processes} GPU(s); activations extra) of ${(minMiB / 1024).toFixed(0)} GiB`));
    }
  }

  checks.push(await modelCheck(o.model, de));
  checks.push(d === 'single'
    ? skipped('accelerate', 'distributed=single runs python directly')
    : onPath('accelerate', de.env) ? ok('accelerate', 'on PATH') : problem('accelerate', 'not on PATH', 'activate the training venv (pip install accelerate, section 1 of docs/reproduce-the-paper.md)'));
  checks.push(pyOk ? await rewardBridgeCheck(de) : skipped('reward server round trip', 'no python to ask'));

  if (o.baseUrl) {
    const { endpointChecks } = await import('../openai/doctor');
    checks.push(...(await endpointChecks(resolveOpenAIOptions({ concurrency: 32, ...raw, baseUrl: o.baseUrl, model: o.model, repetitionPenalty: o.repetitionPenalty }), o.model)));
  } else if (o.vllm) {
    checks.push(onPath(o.vllmCommand, de.env) ? ok('evaluation server', `${o.vllmCommand} on PATH (vllm=true starts it per model)`) : problem('evaluation server', `${o.vllmCommand} not found`, 'install vLLM in its own venv and pass --engine-opt vllmCommand=/path/to/vllm'));
  } else {
    checks.push(problem('evaluation server', 'neither vllm=true nor baseUrl: trained models cannot be evaluated', '--engine-opt vllm=true, or serve the checkpoint yourself and pass --engine-opt baseUrl=http://127.0.0.1:8000/v1'));
  }
  return checks;
}
