// The part of a scripts/torch_ref.py spec both its users build (bench/bench.ts and scripts/golden-spec.ts):
// the prompts' patches exactly as the tiny engine computes them, and the train rows in the model's own
// tokens. Never used at run time.

import * as fs from 'fs';
import type { PromptInput, TokenSeq } from '../harness/contracts';
import type { TinyEngine } from '../harness/engines/tiny';
import { patchify } from '../harness/engines/tiny/batch';
import { loadImage } from '../harness/images';

/** Debian's python3-torch lives under the system interpreter, not a pyenv shim. */
export const SYSTEM_PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

export interface TorchTrainSpec {
  /** Every prompt's (P, PD) patches, flattened in prompt order. */
  patches: number[];
  train: { rows: { patch: number; prompt: number[]; seq: number[]; weights: number[] }[] };
}

export async function torchTrainSpec(eng: TinyEngine, prompts: PromptInput[], seqs: TokenSeq[], weights: number[][]): Promise<TorchTrainSpec> {
  const cfg = eng.config;
  const patches = await Promise.all(prompts.map(async (p) => Array.from(patchify((await loadImage(p.image, cfg.imageSize)).data, cfg))));
  const tokens = prompts.map((p) => eng.tokenizer.encodePrompt(p.text));
  return {
    patches: patches.flat(),
    train: { rows: seqs.map((s, k) => ({ patch: s.promptIndex, prompt: tokens[s.promptIndex], seq: s.tokens, weights: weights[k] })) },
  };
}
