// Writes a self-contained TRL run folder for one RunSpec: training data (TRL's conversational VLM
// format, absolute image paths), config.json (every trainer field explicit), pinned requirements, a
// ZeRO-3 accelerate setup, a copy of clsrl's Python entry and reward client, and launch.sh.

import fs from 'fs';
import path from 'path';
import type { ExternalTrainContext, Question } from '../../contracts';
import { ClsrlError } from '../../errors';
import { rewardOptionsOf } from '../../scoring';
import { SFT_PAPER_SYSTEM_PROMPT, sftStyleOf, sftTargetFor } from '../../../methods/sft';
import { PYTHON_PINS, grpoArgs, sftArgs, trainerKind, type TrainerConfig, type TrlOptions } from './config';

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

export function zero3Config(): Record<string, unknown> {
  // "auto" values are filled by the transformers DeepSpeed integration from the trainer args.
  return {
    bf16: { enabled: 'auto' },
    fp16: { enabled: 'auto' },
    zero_optimization: {
      stage: 3,
      overlap_comm: true,
      contiguous_gradients: true,
      sub_group_size: 1e9,
      reduce_bucket_size: 'auto',
      stage3_prefetch_bucket_size: 'auto',
      stage3_param_persistence_threshold: 'auto',
      stage3_max_live_parameters: 1e9,
      stage3_max_reuse_distance: 1e9,
      stage3_gather_16bit_weights_on_model_save: true,
    },
    gradient_accumulation_steps: 'auto',
    gradient_clipping: 'auto',
    train_batch_size: 'auto',
    train_micro_batch_size_per_gpu: 'auto',
    steps_per_print: 100,
    wall_clock_breakdown: false,
  };
}

export function accelerateYaml(o: TrlOptions): string {
  return [
    '# accelerate launch config written by clsrl: DeepSpeed ZeRO-3 (zero3.json), bf16 from the trainer args.',
    'compute_environment: LOCAL_MACHINE',
    'debug: false',
    'distributed_type: DEEPSPEED',
    'deepspeed_config:',
    '  deepspeed_config_file: zero3.json',
    '  zero3_init_flag: true',
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
  const rewardCheck = kind === 'grpo'
    ? ': "${CLSRL_REWARD_URL:?GRPO rewards come from clsrl: run \\`clsrl serve-rewards\\` and export CLSRL_REWARD_URL=http://127.0.0.1:8765}"\n'
    : '';
  return `#!/usr/bin/env bash
# TRL run written by clsrl: ${s.method} on ${s.dataset} (${s.setting}, ${s.shots}-shot, seed ${s.seed}), run ${s.id}.
# Needs the pinned Python stack (requirements.txt) and ${o.gpus} GPU(s) on each of ${o.nodes} node(s).
# Multi-node: run this on every node with MACHINE_RANK, MAIN_PROCESS_IP and MAIN_PROCESS_PORT set.
set -euo pipefail
cd "$(dirname "$0")"
${rewardCheck}export PYTHONPATH="$PWD\${PYTHONPATH:+:$PYTHONPATH}"
exec accelerate launch \\
  --config_file accelerate.yaml \\
  --num_machines ${o.nodes} \\
  --num_processes ${o.gpus * o.nodes} \\
  --machine_rank "\${MACHINE_RANK:-0}" \\
  --main_process_ip "\${MAIN_PROCESS_IP:-127.0.0.1}" \\
  --main_process_port "\${MAIN_PROCESS_PORT:-29500}" \\
  -m clsrl_trl.train --config config.json
`;
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
  const config: TrainerConfig = {
    clsrl: { runId: s.id, suite: s.suite, dataset: s.dataset, setting: s.setting, shots: s.shots, seed: s.seed, method: s.method },
    trainer: kind,
    pins: PYTHON_PINS,
    model: { nameOrPath: o.model, minPixels: o.minPixels, maxPixels: o.maxPixels },
    // imageSize: train.py resizes the rows' images to imageSize x imageSize (LANCZOS) first, as sft.py does
    data: { train: 'train.jsonl', examples: rows.length, ...(kind === 'sft' && sftStyleOf(mc).style === 'paper' ? { imageSize: SFT_PAPER_IMAGE_SIZE } : {}) },
    // options: the run's reward variants (cls-rl mathVerify), sent with every item to the reward server
    rewards: kind === 'grpo' ? { method: ctx.method.name, names: [...ctx.method.rewards], options: rewardOptionsOf(mc) } : undefined,
    args,
    notes,
  };
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  fs.writeFileSync(path.join(dir, 'zero3.json'), JSON.stringify(zero3Config(), null, 2) + '\n');
  fs.writeFileSync(path.join(dir, 'accelerate.yaml'), accelerateYaml(o));
  fs.writeFileSync(path.join(dir, 'requirements.txt'), requirements());
  fs.writeFileSync(path.join(dir, 'launch.sh'), launchScript(ctx, o, kind), { mode: 0o755 });
  const pkg = path.join(dir, 'clsrl_trl');
  fs.mkdirSync(pkg, { recursive: true });
  for (const f of fs.readdirSync(PYTHON_SRC).filter((n) => n.endsWith('.py'))) fs.copyFileSync(path.join(PYTHON_SRC, f), path.join(pkg, f));
  const outputDir = path.join(dir, 'output');
  return { dir, config, launch: path.join(dir, 'launch.sh'), outputDir, finalDir: path.join(outputDir, 'final') };
}
