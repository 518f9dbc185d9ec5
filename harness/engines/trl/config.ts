// The trl engine's trainer configuration: clsrl method configs mapped onto TRL's GRPOConfig / SFTConfig
// with EVERY field written explicitly, the Python stack pinned, and the batch arithmetic checked.
// Pure functions (no I/O) so the mapping is unit-testable. Facts about TRL versions: docs/reproduce-the-paper.md.

import type { MethodMeta, RunSpec } from '../../contracts';
import { ClsrlError } from '../../errors';

/** The Python stack a run folder was written for (requirements.txt). TRL's GRPOTrainer takes images
 * since 0.20.0 (PR #3072, merged 2025-07-23); 0.23.1 is pinned for its settled VLM path. */
export const PYTHON_PINS = {
  trl: '0.23.1',
  transformers: '4.56.2',
  accelerate: '1.10.1',
  deepspeed: '0.17.6',
  datasets: '4.1.1',
  torch: '2.8.0',
  torchvision: '0.23.0',
  pillow: '11.3.0',
  'qwen-vl-utils': '0.0.11',
  'flash-attn': '2.8.3',
} as const;

/** How the training processes share the model (the accelerate config folder.ts writes). */
export const DISTRIBUTED = ['single', 'ddp', 'zero2', 'zero3', 'fsdp'] as const;
export type Distributed = (typeof DISTRIBUTED)[number];

export interface TrlOptions {
  /** HF id or local path of the base model. */
  model: string;
  /** GPUs per node (default: detected where clsrl runs, see gpus.ts). */
  gpus: number;
  nodes: number;
  /** single (one process, no launcher), ddp, zero2 / zero3 (DeepSpeed), fsdp; default from gpus x nodes (see distributedFor). */
  distributed?: Distributed;
  /** How `gpus` was chosen when not given (detected / assumed), written into config.json notes. */
  gpusNote?: string;
  /** GRPO: completions per GPU per micro-step (default G: one prompt per GPU, as the paper). SFT: examples. */
  perDeviceBatch?: number;
  attnImplementation: 'flash_attention_2' | 'sdpa' | 'eager';
  /** Qwen2-VL image processor pixel budget (paper repo: --max_pixels 401408). */
  maxPixels: number;
  minPixels: number;
  /** Trainer seed; the paper uses 100 for everything. */
  trainerSeed: number;
  reportTo: string;
  gradientCheckpointing: boolean;
}

/** `gpus` here is only the fallback for writing folders where no GPU is detected (the paper's 8-GPU node). */
export const TRL_DEFAULTS: TrlOptions = {
  model: 'Qwen/Qwen2-VL-2B-Instruct',
  gpus: 8,
  nodes: 1,
  attnImplementation: 'flash_attention_2',
  maxPixels: 401408,
  minPixels: 3136,
  trainerSeed: 100,
  reportTo: 'none',
  gradientCheckpointing: true,
};

export type TrainerKind = 'grpo' | 'sft';

/** What config.json holds: everything train.py needs, nothing implicit. */
export interface TrainerConfig {
  clsrl: { runId: string; suite: string; dataset: string; setting: string; shots: number; seed: number; method: string };
  trainer: TrainerKind;
  /** The distributed strategy launch.sh uses; train.py requires deepspeed only for zero2/zero3. */
  distributed: Distributed;
  pins: typeof PYTHON_PINS;
  model: { nameOrPath: string; minPixels: number; maxPixels: number };
  data: { train: string; examples: number; imageSize?: number };
  /** GRPO only: which rewards train.py asks the reward server for (the method's declared rewards). */
  rewards?: { method: string; names: string[]; options?: { mathVerify?: boolean } };
  /** Keyword arguments of GRPOConfig / SFTConfig, verbatim. */
  args: Record<string, unknown>;
  /** Why some values are what they are (kept next to the values). */
  notes: string[];
}

const num = (c: Record<string, unknown>, key: string, fallback?: number): number => {
  const v = c[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new ClsrlError('BAD_CONFIG', `the trl engine needs numeric method config field '${key}', got ${JSON.stringify(c[key])}`);
  }
  return v;
};

const LOSS_TYPES: Record<string, string> = { grpo: 'grpo', bnpo: 'bnpo', 'dr-grpo': 'dr_grpo' };
const SCHEDULES: Record<string, [string, string]> = {
  // [schedule without warmup, with warmup] in transformers' names
  constant: ['constant', 'constant_with_warmup'],
  linear: ['linear', 'linear'],
  cosine: ['cosine', 'cosine'],
};

/**
 * The strategy a run uses: the option when given, else one process without a launcher on one GPU
 * ('single') and DeepSpeed ZeRO-3 (the paper's setup) on more. 'single' cannot span several processes.
 */
export function distributedFor(o: Pick<TrlOptions, 'gpus' | 'nodes' | 'distributed'>): Distributed {
  const processes = o.gpus * o.nodes;
  const d = o.distributed ?? (processes === 1 ? 'single' : 'zero3');
  if (d === 'single' && processes !== 1) {
    throw new ClsrlError('BAD_CONFIG', `distributed=single runs one process, but gpus x nodes is ${o.gpus} x ${o.nodes}`, {
      hint: 'use --engine-opt distributed=ddp|zero2|zero3|fsdp for several GPUs, or gpus=1 nodes=1',
    });
  }
  return d;
}

/**
 * Weights as loaded: bf16 under DeepSpeed (which keeps fp32 master weights and Adam state itself), fp32
 * otherwise, where the trainer's bf16 flag runs forward/backward under bf16 autocast; the optimizer
 * state is fp32 in both cases.
 */
export function loadDtype(d: Distributed): 'bfloat16' | 'float32' {
  return d === 'zero2' || d === 'zero3' ? 'bfloat16' : 'float32';
}

/** Per-device batch and gradient accumulation so one optimizer update sees exactly `perUpdate` items. */
export function batchLayout(perUpdate: number, processes: number, perDevice: number, what: string): { perDevice: number; gradAccum: number } {
  const perMicro = processes * perDevice;
  if (perUpdate % perMicro !== 0) {
    throw new ClsrlError('BAD_CONFIG', `${what}: ${perUpdate} per update is not a multiple of ${processes} GPUs x ${perDevice} per GPU`, {
      hint: 'change the method batchSize, or --engine-opt gpus=/nodes=/perDeviceBatch= so that gpus*nodes*perDeviceBatch divides it',
    });
  }
  return { perDevice, gradAccum: perUpdate / perMicro };
}

function optimizerArgs(c: Record<string, unknown>): Record<string, unknown> {
  const warmup = num(c, 'warmupSteps', 0);
  const schedule = String(c.lrSchedule ?? 'linear');
  const names = SCHEDULES[schedule];
  if (!names) throw new ClsrlError('BAD_CONFIG', `unknown lrSchedule '${schedule}' for the trl engine`, { hint: Object.keys(SCHEDULES).join(', ') });
  return {
    learning_rate: num(c, 'lr'),
    lr_scheduler_type: warmup > 0 ? names[1] : names[0],
    warmup_steps: warmup,
    weight_decay: num(c, 'weightDecay', 0),
    adam_beta1: num(c, 'adamBeta1', 0.9),
    adam_beta2: num(c, 'adamBeta2', 0.999),
    adam_epsilon: num(c, 'adamEps', 1e-8),
    max_grad_norm: num(c, 'maxGradNorm', 1),
    optim: 'adamw_torch',
  };
}

function commonArgs(spec: RunSpec, c: Record<string, unknown>, o: TrlOptions, layout: { perDevice: number; gradAccum: number }): Record<string, unknown> {
  const maxSteps = num(c, 'maxSteps', 0);
  return {
    output_dir: 'output',
    num_train_epochs: num(c, 'epochs'),
    max_steps: maxSteps > 0 ? maxSteps : -1,
    per_device_train_batch_size: layout.perDevice,
    gradient_accumulation_steps: layout.gradAccum,
    ...optimizerArgs(c),
    bf16: true,
    fp16: false,
    gradient_checkpointing: o.gradientCheckpointing,
    seed: o.trainerSeed,
    data_seed: spec.seed,
    logging_steps: 1,
    logging_first_step: true,
    save_strategy: 'no',
    report_to: o.reportTo,
    remove_unused_columns: false,
    dataloader_num_workers: 0,
    model_init_kwargs: { torch_dtype: loadDtype(distributedFor(o)), attn_implementation: o.attnImplementation },
  };
}

/** GRPOConfig for CLS-RL / No-Thinking: the paper's trainer (trl 0.14 semantics) made explicit. */
export function grpoArgs(spec: RunSpec, c: Record<string, unknown>, o: TrlOptions): { args: Record<string, unknown>; notes: string[] } {
  const G = num(c, 'groupSize', 4);
  const processes = o.gpus * o.nodes;
  const layout = batchLayout(num(c, 'batchSize', 64), processes, o.perDeviceBatch ?? G, 'GRPO completions');
  const lossType = LOSS_TYPES[String(c.lossType ?? 'grpo')];
  if (!lossType) throw new ClsrlError('BAD_CONFIG', `lossType '${String(c.lossType)}' has no TRL equivalent`, { hint: Object.keys(LOSS_TYPES).join(', ') });
  const args = {
    ...commonArgs(spec, c, o, layout),
    num_generations: G,
    beta: num(c, 'beta', 0.04),
    num_iterations: 1,
    epsilon: 0.2,
    epsilon_high: 0.2,
    delta: null,
    importance_sampling_level: 'token',
    scale_rewards: 'group',
    loss_type: lossType,
    reward_weights: null,
    mask_truncated_completions: false,
    steps_per_generation: layout.gradAccum,
    generation_batch_size: null,
    temperature: num(c, 'temperature', 1),
    top_p: 1.0,
    top_k: null,
    min_p: null,
    repetition_penalty: 1.0,
    max_prompt_length: null,
    max_completion_length: num(c, 'maxCompletionTokens', 1024),
    use_vllm: false,
    ds3_gather_for_generation: true,
    sync_ref_model: false,
    disable_dropout: false,
    shuffle_dataset: true,
    log_completions: false,
  };
  const notes = [
    'GRPO as the paper: one policy update per generation batch (num_iterations 1, steps_per_generation = gradient_accumulation_steps), so the importance ratio is 1 and epsilon clipping never acts.',
    'scale_rewards "group": advantage = (r - group mean) / (group std + 1e-4); KL to the initial model with the k3 estimator, beta as configured (paper 0.04).',
    `loss_type '${lossType}': 'grpo' = per-sequence token mean, then batch mean (paper / trl 0.14).`,
    `one update = ${processes} GPUs x ${layout.perDevice} completions x ${layout.gradAccum} accumulation steps = ${processes * layout.perDevice * layout.gradAccum} completions (${(processes * layout.perDevice * layout.gradAccum) / G} prompts x G=${G}).`,
    'max_prompt_length null: truncating a VLM prompt would cut image tokens; prompts are short (paper: 1024, StanfordCars 2048).',
    'use_vllm false: completions are sampled with transformers generate at the configured temperature, as the paper trainer did.',
  ];
  return { args, notes };
}

/** SFTConfig: prompt-completion data, loss on the completion only, no truncation, no packing. */
export function sftArgs(spec: RunSpec, c: Record<string, unknown>, o: TrlOptions): { args: Record<string, unknown>; notes: string[] } {
  const processes = o.gpus * o.nodes;
  const layout = batchLayout(num(c, 'batchSize', 16), processes, o.perDeviceBatch ?? 1, 'SFT examples');
  return {
    args: { ...commonArgs(spec, c, o, layout), max_length: null, packing: false, completion_only_loss: true },
    notes: [
      'SFT hyper-parameters are not published; these are the sft method defaults (docs of methods/sft.ts).',
      'completion_only_loss: the loss covers the target answer tokens only, as the in-process SFT (1/len on target tokens).',
    ],
  };
}

/** GRPO for configs with a group size (cls-rl, no-thinking-cls-rl), SFT for target-answer configs (sft). */
export function trainerKind(meta: MethodMeta, config: Record<string, unknown>): TrainerKind {
  if ('groupSize' in config) return 'grpo';
  if ('target' in config || meta.name === 'sft') return 'sft';
  throw new ClsrlError('BAD_CONFIG', `method '${meta.name}' cannot be trained by the trl engine`, {
    hint: 'the trl engine runs GRPO (configs with groupSize) and SFT (configs with target); train other methods with --engine tiny',
  });
}
