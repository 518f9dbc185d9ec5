// All model parameters as named views over one flat Float32Array (a sizes table plus one slicing
// function). Gradients, AdamW moments and checkpoints reuse the same layout.

import type { TinyConfig } from './config';
import { dims } from './config';

export interface ParamSpec {
  name: string;
  shape: number[];
  offset: number;
  size: number;
  /** Initialisation: normal with std, or a constant. */
  init: { std: number } | { value: number };
  /** AdamW weight decay applies to matrices and embeddings, not to LayerNorm gains/biases. */
  decay: boolean;
}

export interface Layout {
  specs: ParamSpec[];
  byName: Map<string, ParamSpec>;
  total: number;
}

function blockSpecs(prefix: string, C: number, F: number, nLayersTotal: number): [string, number[], ParamSpec['init'], boolean][] {
  const proj = 0.02 / Math.sqrt(2 * nLayersTotal);
  return [
    [`${prefix}.ln1.g`, [C], { value: 1 }, false],
    [`${prefix}.ln1.b`, [C], { value: 0 }, false],
    [`${prefix}.qkv`, [C, 3 * C], { std: 0.02 }, true], // (C, 3C)
    [`${prefix}.wo`, [C, C], { std: proj }, true], // (C, C)
    [`${prefix}.ln2.g`, [C], { value: 1 }, false],
    [`${prefix}.ln2.b`, [C], { value: 0 }, false],
    [`${prefix}.fc1`, [C, F], { std: 0.02 }, true], // (C, F)
    [`${prefix}.fc2`, [F, C], { std: proj }, true], // (F, C)
  ];
}

/** The sizes table, in checkpoint order. */
export function layout(cfg: TinyConfig): Layout {
  const { C, P, PD, V, F } = dims(cfg);
  const rows: [string, number[], ParamSpec['init'], boolean][] = [
    ['vis.patch', [PD, C], { std: 0.02 }, true], // (PD, C)
    ['vis.pos', [P, C], { std: 0.02 }, true], // (P, C)
  ];
  for (let i = 0; i < cfg.visionLayers; i++) rows.push(...blockSpecs(`vis.h${i}`, C, F, cfg.visionLayers));
  rows.push(['vis.lnf.g', [C], { value: 1 }, false], ['vis.lnf.b', [C], { value: 0 }, false], ['vis.proj', [C, C], { std: 0.02 }, true]);
  rows.push(['tok_emb', [V, C], { std: 0.02 }, true], ['pos_emb', [cfg.maxContext, C], { std: 0.01 }, true]); // (V, C), (maxContext, C)
  for (let i = 0; i < cfg.nLayers; i++) rows.push(...blockSpecs(`h${i}`, C, F, cfg.nLayers));
  rows.push(['lnf.g', [C], { value: 1 }, false], ['lnf.b', [C], { value: 0 }, false]);
  const specs: ParamSpec[] = [];
  let offset = 0;
  for (const [name, shape, init, decay] of rows) {
    const size = shape.reduce((a, b) => a * b, 1);
    specs.push({ name, shape, offset, size, init, decay });
    offset += size;
  }
  return { specs, byName: new Map(specs.map((s) => [s.name, s])), total: offset };
}

/** Named views over a flat buffer laid out by `lay`. */
export function views<T extends Float32Array | Float64Array>(lay: Layout, flat: T): Map<string, T> {
  return new Map(lay.specs.map((s) => [s.name, flat.subarray(s.offset, s.offset + s.size) as T]));
}

/** Seeded initialisation (normal via Box-Muller from a mulberry32 stream). */
export function initParams(lay: Layout, seed: number): Float32Array {
  const flat = new Float32Array(lay.total);
  const rand = mulberry32(seed ^ 0x5eed);
  for (const s of lay.specs) {
    const v = flat.subarray(s.offset, s.offset + s.size);
    if ('value' in s.init) v.fill(s.init.value);
    else for (let i = 0; i < v.length; i++) v[i] = gaussian(rand) * s.init.std;
  }
  return flat;
}

export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}
