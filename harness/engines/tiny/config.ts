// The tiny engine's model configuration: sizes of the vision encoder and the causal decoder.
// Defaults are sized so a GRPO step of 8 prompts x 4 samples x ~200 tokens runs well under a second on 2 cores.

import { ClsrlError } from '../../errors';
import { BASE_VOCAB } from './tokenizer';

export interface TinyConfig {
  /** Width of every token (image and text), C. */
  dModel: number;
  /** Attention heads, H (dModel must divide by it). */
  nHeads: number;
  /** Causal decoder blocks. */
  nLayers: number;
  /** Bidirectional ViT encoder blocks over the image patches. */
  visionLayers: number;
  /** MLP hidden width = mlpRatio * dModel. */
  mlpRatio: number;
  /** Images are resized to imageSize x imageSize (through harness/images.ts). */
  imageSize: number;
  /** Square patch side; P = (imageSize / patchSize)^2 image tokens. */
  patchSize: number;
  /** Pixels (0..1) enter the patch embedding as (v - pixelMean) / pixelStd, like an HF image processor's
   * image_mean/image_std (one value for all channels). Uncentred pixels leave the image tokens dominated
   * by their shared mean, and the model learned to ignore the image. */
  pixelMean: number;
  pixelStd: number;
  /** Token vocabulary: 262 (bytes + specials) plus the tokenizer's BPE merges. */
  vocabSize: number;
  /** Maximum sequence length (image tokens + prompt + completion). Prompts are never truncated. */
  maxContext: number;
  /** Seed of the random initialisation when no checkpoint is loaded. */
  seed: number;
  /** LayerNorm epsilon. */
  lnEps: number;
}

export const DEFAULT_CONFIG: TinyConfig = {
  dModel: 128,
  nHeads: 4,
  nLayers: 3,
  visionLayers: 1,
  mlpRatio: 4,
  imageSize: 32,
  patchSize: 4,
  pixelMean: 0.5,
  pixelStd: 0.25,
  vocabSize: BASE_VOCAB,
  maxContext: 1024,
  seed: 0,
  lnEps: 1e-5,
};

/** Derived sizes used by the graphs (dimension letters as in model.ts). */
export interface Dims {
  C: number;
  H: number;
  Dh: number;
  /** Image tokens. */
  P: number;
  /** Values per patch: 3 * patchSize^2. */
  PD: number;
  V: number;
  F: number;
}

export function dims(cfg: TinyConfig): Dims {
  const side = cfg.imageSize / cfg.patchSize;
  return {
    C: cfg.dModel,
    H: cfg.nHeads,
    Dh: cfg.dModel / cfg.nHeads,
    P: side * side,
    PD: 3 * cfg.patchSize * cfg.patchSize,
    V: cfg.vocabSize,
    F: cfg.mlpRatio * cfg.dModel,
  };
}

/** Fills defaults and checks cross-field rules; `where` names the source (file or option) in errors. */
export function resolveConfig(partial: Partial<TinyConfig> | undefined, where = 'tiny engine config'): TinyConfig {
  const cfg: TinyConfig = { ...DEFAULT_CONFIG, ...(partial ?? {}) };
  const bad = (field: string, msg: string, hint: string): never => {
    throw new ClsrlError('BAD_CONFIG', `${where}: ${field} ${msg}`, { hint });
  };
  for (const k of Object.keys(DEFAULT_CONFIG) as (keyof TinyConfig)[]) {
    const v = cfg[k];
    if (typeof v !== 'number' || !Number.isFinite(v)) bad(k, `must be a number (got ${JSON.stringify(v)})`, `default is ${DEFAULT_CONFIG[k]}`);
    if (k !== 'seed' && k !== 'visionLayers' && k !== 'pixelMean' && !(v > 0)) bad(k, 'must be positive', `default is ${DEFAULT_CONFIG[k]}`);
  }
  for (const k of Object.keys(cfg)) if (!(k in DEFAULT_CONFIG)) bad(k, 'is not a tiny config field', `fields: ${Object.keys(DEFAULT_CONFIG).join(', ')}`);
  if (!Number.isInteger(cfg.vocabSize) || cfg.vocabSize < BASE_VOCAB) bad('vocabSize', `(${cfg.vocabSize}) must be an integer >= ${BASE_VOCAB}`, `${BASE_VOCAB} bytes and specials plus the tokenizer's merges`);
  if (cfg.dModel % cfg.nHeads !== 0) bad('dModel', `(${cfg.dModel}) must divide by nHeads (${cfg.nHeads})`, 'e.g. dModel 128 with 4 heads');
  if (cfg.imageSize % cfg.patchSize !== 0) bad('imageSize', `(${cfg.imageSize}) must divide by patchSize (${cfg.patchSize})`, 'e.g. 32 with patch 4');
  if (cfg.maxContext <= dims(cfg).P + 8) bad('maxContext', `(${cfg.maxContext}) leaves no room after ${dims(cfg).P} image tokens`, 'use 512 or 1024');
  return cfg;
}
