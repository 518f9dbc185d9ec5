// Writes a self-contained TRL run folder for one RunSpec: training data (TRL's conversational VLM
// format, absolute image paths), config.json (every trainer field explicit), pinned requirements, the
// accelerate setup of the distributed strategy (none for `single`, DDP, DeepSpeed ZeRO-2/3 or FSDP), a
// copy of clsrl's Python entry and reward client, and launch.sh.

import fs from 'fs';
import path from 'path';
import type { ExternalTrainContext, Question } from '../../contracts';
import { ClsrlError } from '../../errors';
import { rewardOptionsOf } from '../../scoring';
import { SFT_PAPER_SYSTEM_PROMPT, sftStyleOf, sftTargetFor } from '../../../methods/sft';
import { PYTHON_PINS, distributedFor, grpoArgs, loadDtype, sftArgs, trainerKind, type Distributed, type TrainerConfig, type TrlOptions } from './config';

export const PYTHON_SRC = path.resolve(__dirname, '../../../python/clsrl_trl');

export interface RunFolder {
  dir: string;
  config: TrainerConfig;
  /** `bash launch.sh` from `dir`. */
  launch: string;
  /** Where train.py leaves the final checkpoint and trainer_state.json. */
  outputDir: string;
  finalDir: string;
}

// Prompts carry plain-text content: TRL (>= 0.20) inserts the {"type": "image"} part itself from the
// `image` (GRPO) / `images` (SFT) column (prepare_multimodal_messages), so the rows stay model-agnostic.

/** One training example as TRL's GRPOTrainer reads it (image decoded by train.py via datasets.Image). */
function grpoRow(q: Question, text: string) {
  return { id: q.id, image: q.image, prompt: [{ role: 'user', content: text }], solution: q.classname };
}

/**
 * One SFT example: prompt-completion conversational format, loss on the completion. Style paper is the
 * paper's sft.py conversation: its system prompt, the bare problem as the user turn.
 */
function sftRow(q: Question, text: string, target: string, style: 'direct' | 'paper') {
  const prompt = style === 'paper'
    ? [{ role: 'system', content: SFT_PAPER_SYSTEM_PROMPT }, { role: 'user', content: q.problem }]
    : [{ role: 'user', content: text }];
  return { id: q.id, images: [q.image], prompt, completion: [{ role: 'assistant', content: target }] };
}

/** sft.py resizes every training image to 384 x 384 (PIL LANCZOS) before the processor sees it. */
export const SFT_PAPER_IMAGE_SIZE = 384;

/** DeepSpeed config for ZeRO stage 2 or 3; "auto" values are filled by transformers from the trainer args. */
export function zeroConfig(stage: 2 | 3): Record<string, unknown> {
  const common = { overlap_comm: true, contiguous_gradients: true, reduce_bucket_size: 'auto' };
  const zero = stage === 3
    ? {
      stage: 3,
      ...common,
      sub_group_size: 1e9,
      stage3_prefetch_bucket_size: 'auto',
      stage3_param_persistence_threshold: 'auto',
      stage3_max_live_parameters: 1e9,
      stage3_max_reuse_distance: 1e9,
      stage3_gather_16bit_weights_on_model_save: true,
    }
    : { stage: 2, ...common, allgather_partitions: true, allgather_bucket_size: 2e8, reduce_scatter: true };
  return {
    bf16: { enabled: 'auto' },
    fp16: { enabled: 'auto' },
    zero_optimization: zero,
    gradient_accumulation_steps: 'auto',
    gradient_clipping: 'auto',
    train_batch_size: 'auto',
    train_micro_batch_size_per_gpu: 'auto',
    steps_per_print: 100,
    wall_clock_breakdown: false,
  };
}

export const zero3Config = (): Record<string, unknown> => zeroConfig(3);

/** The accelerate config file per strategy (none for `single`, which runs one plain python process). */
export const ACCELERATE_FILES: Record<Distributed, string[]> = {
  single: [],
  ddp: ['accelerate.yaml'],
  zero2: ['accelerate.yaml', 'zero2.json'],
  zero3: ['accelerate.yaml', 'zero3.json'],
  fsdp: ['accelerate.yaml'],
};

function strategyLines(d: Distributed): string[] {
  switch (d) {
    case 'ddp':
      return ['distributed_type: MULTI_GPU', 'mixed_precision: bf16'];
    case 'zero2':
    case 'zero3':
      return ['distributed_type: DEEPSPEED', 'deepspeed_config:', `  deepspeed_config_file: ${d}.json`, `  zero3_init_flag: ${d === 'zero3'}`];
    case 'fsdp':
      // wraps the model's own _no_split_modules (Qwen2-VL: decoder layers and vision blocks); full state
      // dict on save so output/final loads like any checkpoint
      return [
        'distributed_type: FSDP',
        'mixed_precision: bf16',
        'fsdp_config:',
        '  fsdp_auto_wrap_policy: TRANSFORMER_BASED_WRAP',
        '  fsdp_sharding_strategy: FULL_SHARD',
        '  fsdp_backward_prefetch: BACKWARD_PRE',
        '  fsdp_state_dict_type: FULL_STATE_DICT',
        '  fsdp_offload_params: false',
        '  fsdp_cpu_ram_efficient_loading: true',
        '  fsdp_sync_module_states: true',
        '  fsdp_use_orig_params: true',
      ];
    default:
      throw new ClsrlError('BAD_CONFIG', `distributed=${d} has no accelerate config`);
  }
}

const STRATEGY_TITLE: Record<Distributed, string> = {
  single: 'one process, fp32 weights and Adam state, bf16 autocast',
  ddp: 'DDP: a full fp32 replica per GPU, bf16 autocast',
  zero2: 'DeepSpeed ZeRO-2 (zero2.json): optimizer state and gradients sharded, bf16',
  zero3: 'DeepSpeed ZeRO-3 (zero3.json): parameters, gradients and optimizer state sharded, bf16',
  fsdp: 'FSDP full shard, fp32 master weights, bf16 mixed precision',
};

export function accelerateYaml(o: TrlOptions): string {
  const d = distributedFor(o);
  return [
    `# accelerate launch config written by clsrl: ${STRATEGY_TITLE[d]}.`,
    'compute_environment: LOCAL_MACHINE',
    'debug: false',
    ...strategyLines(d),
    'downcast_bf16: "no"',
    'machine_rank: 0',
    'main_training_function: main',
    `num_machines: ${o.nodes}`,
    `num_processes: ${o.gpus * o.nodes}`,
    'rdzv_backend: static',
    'same_network: true',
    'use_cpu: false',
    '',
  ].join('\n');
}

export function launchScript(ctx: ExternalTrainContext, o: TrlOptions, kind: string): string {
  const s = ctx.spec;
  const d = distributedFor(o);
  const rewardCheck = kind === 'grpo'
    ? ': "${CLSRL_REWARD_URL:?GRPO rewards come from clsrl: run \\`clsrl serve-rewards\\` and export CLSRL_REWARD_URL=http://127.0.0.1:8765}"\n'
    : '';
  const run = d === 'single'
    ? `# ${STRATEGY_TITLE[d]}: no launcher; CLSRL_PYTHON picks the interpreter (default python3).
exec "\${CLSRL_PYTHON:-python3}" -m clsrl_trl.train --config config.json
`
    : `# ${STRATEGY_TITLE[d]} (accelerate.yaml).
# Multi-node: run this on every node with MACHINE_RANK, MAIN_PROCESS_IP and MAIN_PROCESS_PORT set.
exec accelerate launch \\
  --config_file accelerate.yaml \\
  --num_machines ${o.nodes} \\
  --num_processes ${o.gpus * o.nodes} \\
  --machine_rank "\${MACHINE_RANK:-0}" \\
  --main_process_ip "\${MAIN_PROCESS_IP:-127.0.0.1}" \\
  --main_process_port "\${MAIN_PROCESS_PORT:-29500}" \\
  -m clsrl_trl.train --config config.json
`;
  return `#!/usr/bin/env bash
# TRL run written by clsrl: ${s.method} on ${s.dataset} (${s.setting}, ${s.shots}-shot, seed ${s.seed}), run ${s.id}.
# Needs the pinned Python stack (requirements.txt) and ${o.gpus} GPU(s) on each of ${o.nodes} node(s); distributed=${d}.
set -euo pipefail
cd "$(dirname "$0")"
${rewardCheck}export PYTHONPATH="$PWD\${PYTHONPATH:+:$PYTHONPATH}"
${run}`;
}

function requirements(): string {
  return ['# Pinned by clsrl (harness/engines/trl/config.ts PYTHON_PINS); flash-attn builds against the installed torch.', ...Object.entries(PYTHON_PINS).map(([k, v]) => `${k}==${v}`), ''].join('\n');
}

function writeJsonl(file: string, rows: unknown[]): void {
  fs.writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

/** Writes (or rewrites) the run folder `<workDir>/trl` and returns where things are. */
export function writeRunFolder(ctx: ExternalTrainContext, o: TrlOptions): RunFolder {
  const s = ctx.spec;
  const mc = ctx.methodConfig;
  const kind = trainerKind(ctx.method, mc);
  if (ctx.train.length === 0) throw new ClsrlError('DATA_MISSING', `run ${s.id} has no training questions`, { hint: 'check the dataset split and shots' });
  const dir = path.join(ctx.workDir, 'trl');
  fs.mkdirSync(dir, { recursive: true });
  const rows = ctx.train.map((q) => {
    const text = ctx.prompt(q).text;
    const sftStyle = sftStyleOf(mc);
    return kind === 'grpo' ? grpoRow(q, text) : sftRow(q, text, sftTargetFor(q, sftStyle), sftStyle.style);
  });
  writeJsonl(path.join(dir, 'train.jsonl'), rows);
  const { args, notes } = kind === 'grpo' ? grpoArgs(s, mc, o) : sftArgs(s, mc, o);
  const distributed = distributedFor(o);
  const config: TrainerConfig = {
    clsrl: { runId: s.id, suite: s.suite, dataset: s.dataset, setting: s.setting, shots: s.shots, seed: s.seed, method: s.method },
    trainer: kind,
    distributed,
    pins: PYTHON_PINS,
    model: { nameOrPath: o.model, minPixels: o.minPixels, maxPixels: o.maxPixels },
    // imageSize: train.py resizes the rows' images to imageSize x imageSize (LANCZOS) first, as sft.py does
    data: { train: 'train.jsonl', examples: rows.length, ...(kind === 'sft' && sftStyleOf(mc).style === 'paper' ? { imageSize: SFT_PAPER_IMAGE_SIZE } : {}) },
    // options: the run's reward variants (cls-rl mathVerify), sent with every item to the reward server
    rewards: kind === 'grpo' ? { method: ctx.method.name, names: [...ctx.method.rewards], options: rewardOptionsOf(mc) } : undefined,
    args,
    notes: [
      ...notes,
      `distributed '${distributed}' on ${o.gpus} GPU(s) x ${o.nodes} node(s): ${STRATEGY_TITLE[distributed]}; weights load as ${loadDtype(distributed)} (docs/reproduce-the-paper.md, memory).`,
      ...(o.gpusNote ? [o.gpusNote] : []),
    ],
  };
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  // a folder rewritten with another strategy keeps no stale launcher config
  for (const f of ['accelerate.yaml', 'zero2.json', 'zero3.json']) fs.rmSync(path.join(dir, f), { force: true });
  const files = ACCELERATE_FILES[distributed];
  if (files.includes('accelerate.yaml')) fs.writeFileSync(path.join(dir, 'accelerate.yaml'), accelerateYaml(o));
  if (distributed === 'zero2' || distributed === 'zero3') {
    fs.writeFileSync(path.join(dir, `${distributed}.json`), JSON.stringify(zeroConfig(distributed === 'zero2' ? 2 : 3), null, 2) + '\n');
  }
  fs.writeFileSync(path.join(dir, 'requirements.txt'), requirements());
  fs.writeFileSync(path.join(dir, 'launch.sh'), launchScript(ctx, o, kind), { mode: 0o755 });
  const pkg = path.join(dir, 'clsrl_trl');
  fs.mkdirSync(pkg, { recursive: true });
  for (const f of fs.readdirSync(PYTHON_SRC).filter((n) => n.endsWith('.py'))) fs.copyFileSync(path.join(PYTHON_SRC, f), path.join(pkg, f));
  const outputDir = path.join(dir, 'output');
  return { dir, config, launch: path.join(dir, 'launch.sh'), outputDir, finalDir: path.join(outputDir, 'final') };
}
