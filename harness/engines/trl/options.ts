// The trl engine's options and what kind each is (harness/engines/options.ts): `result` options (the
// model, its processor budget, the attention kernel, the trainer seed, evaluation sampling) enter run ids;
// `operational` ones (GPU layout, launcher, reward and evaluation servers, caching) do not, so a run
// trained with one serving setup is found again, checkpoint and all, when it is evaluated with another.
// The GPU layout keeps every update's size (accumulation absorbs it), so it changes no hyper-parameter.

import type { EngineOptionTable } from '../options';
import { OPENAI_OPTIONS } from '../openai/options';

export const TRL_OPTIONS = {
  model: { kind: 'result', describe: 'HF id or local path of the base model' },
  attnImplementation: { kind: 'result', describe: 'flash_attention_2, sdpa or eager (kernels differ in numerics)' },
  maxPixels: { kind: 'result', describe: 'Qwen2-VL processor pixel budget (max)' },
  minPixels: { kind: 'result', describe: 'Qwen2-VL processor pixel budget (min)' },
  trainerSeed: { kind: 'result', describe: 'trainer and vLLM seed (paper: 100)' },
  repetitionPenalty: { kind: 'result', describe: 'repetition_penalty sent with every evaluation request' },
  imageSize: OPENAI_OPTIONS.imageSize,
  topP: OPENAI_OPTIONS.topP,
  gpus: { kind: 'operational', describe: 'processes per node (accumulation keeps the update size)' },
  nodes: { kind: 'operational', describe: 'nodes (accumulation keeps the update size)' },
  distributed: { kind: 'operational', describe: 'single, ddp, zero2, zero3 or fsdp: how processes share the model (same updates)' },
  perDeviceBatch: { kind: 'operational', describe: 'items per GPU per micro-step (accumulation keeps the update size)' },
  gradientCheckpointing: { kind: 'operational', describe: 'recompute activations to save memory (same gradients)' },
  reportTo: { kind: 'operational', describe: "the trainer's report_to (logging integrations)" },
  writeOnly: { kind: 'operational', describe: 'write run folders and stop (runs are stored as prepared)' },
  launcher: { kind: 'operational', describe: 'program that runs launch.sh (default bash)' },
  rewardUrl: { kind: 'operational', describe: 'a reward server to use instead of one started per run' },
  baseUrl: OPENAI_OPTIONS.baseUrl,
  vllm: { kind: 'operational', describe: 'start `vllm serve <model>` per evaluated model' },
  vllmCommand: { kind: 'operational', describe: 'vllm executable' },
  vllmArgs: { kind: 'operational', describe: 'extra `vllm serve` arguments' },
  vllmStartTimeoutMs: { kind: 'operational', describe: 'how long vLLM may take to load a model' },
  apiKey: OPENAI_OPTIONS.apiKey,
  apiKeyEnv: OPENAI_OPTIONS.apiKeyEnv,
  concurrency: OPENAI_OPTIONS.concurrency,
  timeoutMs: OPENAI_OPTIONS.timeoutMs,
  maxRetries: OPENAI_OPTIONS.maxRetries,
  retryBaseMs: OPENAI_OPTIONS.retryBaseMs,
  cache: OPENAI_OPTIONS.cache,
} as const satisfies EngineOptionTable;
