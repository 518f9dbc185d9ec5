// The shape of one synthetic task: its classes (name + attributes), its question prefix and the
// procedural drawing of an image of a class. Tasks are data plus one draw function each.

import type { Rng } from './prng';

export interface SynthClass {
  /** Class name exactly as it appears in the split JSON and prompts. */
  name: string;
  /** Visual attributes (key -> English word), used for captions and attribute questions. */
  attrs: Record<string, string>;
}

export interface SynthTask {
  /** Dataset name (registry name, `split_zhou_<name>.json`). */
  name: string;
  /** Folder under the data root. */
  folder: string;
  /** The CoOp dataset whose role this task plays. */
  mirrors: string;
  /** Prompt question prefix in the paper's style. */
  questionPrefix: string;
  /** What one image shows, for pretraining phrasing ("pet", "aircraft", "texture"). */
  noun: string;
  /** Per-pixel noise std (0-255 scale) added after rendering. */
  noise: number;
  /** One line on how images of a class vary (README). */
  variation: string;
  classes: SynthClass[];
  /** The SVG body (64 x 64 canvas) of one image of class `c`, all randomness from `rng`. */
  draw(c: number, rng: Rng): string;
  /** A caption phrase describing class `c` by its attributes (no class name). */
  describe(c: number): string;
}

/** The cartesian product of attribute axes, first axis slowest; each row maps axis -> value. */
export function product(axes: Record<string, readonly string[]>): Record<string, string>[] {
  let rows: Record<string, string>[] = [{}];
  for (const [key, values] of Object.entries(axes)) {
    const next: Record<string, string>[] = [];
    for (const row of rows) for (const v of values) next.push({ ...row, [key]: v });
    rows = next;
  }
  return rows;
}
