// Shared fixtures for engine tests: solid-colour PNGs written once to a temp folder, a small model
// config that trains in seconds, and an optimizer config.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import type { OptimizerConfig, PromptInput } from '../../harness/contracts';
import type { TinyConfig } from '../../harness/engines/tiny';

export const SMALL: Partial<TinyConfig> = { dModel: 32, nHeads: 2, nLayers: 1, visionLayers: 1, mlpRatio: 2, imageSize: 16, patchSize: 8, maxContext: 128 };

export const COLOURS: Record<string, [number, number, number]> = {
  red: [220, 20, 20],
  green: [20, 200, 40],
  blue: [20, 40, 220],
  gold: [230, 190, 30],
};

/** Writes one 64x64 PNG per colour (left half colour, right half darker) and returns name -> path. */
export async function colourImages(): Promise<Record<string, string>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-tiny-'));
  const out: Record<string, string> = {};
  for (const [name, [r, g, b]] of Object.entries(COLOURS)) {
    const raw = Buffer.alloc(64 * 64 * 3);
    for (let y = 0; y < 64; y++)
      for (let x = 0; x < 64; x++) {
        const k = x < 32 ? 1 : 0.5;
        raw.set([r * k, g * k, b * k], (y * 64 + x) * 3);
      }
    const p = path.join(dir, `${name}.png`);
    await sharp(raw, { raw: { width: 64, height: 64, channels: 3 } }).png().toFile(p);
    out[name] = p;
  }
  return out;
}

export function prompts(images: Record<string, string>, text = 'What colour is the photo?'): PromptInput[] {
  return Object.entries(images).map(([name, image]) => ({ id: name, image, text }));
}

export const ADAM = (over: Partial<OptimizerConfig> = {}): OptimizerConfig => ({
  lr: 3e-3, weightDecay: 0.0, beta1: 0.9, beta2: 0.99, eps: 1e-8, gradClip: 1, warmupSteps: 0, schedule: 'constant', totalSteps: 100, ...over,
});
