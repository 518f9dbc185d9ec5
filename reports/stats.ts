// Small statistics for reports: means, population std (as CoOp's parse_test_res uses np.std),
// the harmonic mean of Base/New, and a percentile bootstrap interval with a seeded RNG.

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Population standard deviation (ddof = 0), like numpy's default np.std. */
export function popStd(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) * (x - m);
  return Math.sqrt(s / xs.length);
}

/** H = 2BN/(B+N); 0 when both are 0. */
export function harmonicMean(base: number, novel: number): number {
  if (!Number.isFinite(base) || !Number.isFinite(novel)) return Number.NaN;
  return base + novel === 0 ? 0 : (2 * base * novel) / (base + novel);
}

/** mulberry32: a tiny deterministic PRNG returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of a string, for deriving per-cell RNG seeds independent of iteration order. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export interface Interval {
  lo: number;
  hi: number;
}

/**
 * 95% (by default) percentile bootstrap interval of the mean: resample `xs` with replacement
 * `resamples` times. Undefined for fewer than 2 values (a single seed has no spread to resample).
 */
export function bootstrapCI(
  xs: readonly number[],
  opts: { seed: number; resamples?: number; level?: number },
): Interval | undefined {
  if (xs.length < 2) return undefined;
  const resamples = opts.resamples ?? 2000;
  const level = opts.level ?? 0.95;
  const rand = seededRandom(opts.seed);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < xs.length; i++) s += xs[Math.floor(rand() * xs.length)];
    means[r] = s / xs.length;
  }
  means.sort();
  const q = (p: number): number => means[Math.min(resamples - 1, Math.max(0, Math.round(p * (resamples - 1))))];
  return { lo: q((1 - level) / 2), hi: q(1 - (1 - level) / 2) };
}

/** Seed statistics of one table cell. */
export interface SeedStats {
  mean: number;
  std: number;
  n: number;
  seeds: number[];
  values: number[];
  ci?: Interval;
}

export function seedStats(values: readonly number[], seeds: readonly number[], key: string): SeedStats {
  return {
    mean: mean(values),
    std: popStd(values),
    n: values.length,
    seeds: [...seeds],
    values: [...values],
    ci: bootstrapCI(values, { seed: hashString(key) }),
  };
}

export function fmt(x: number | undefined, digits = 2): string {
  return x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits);
}

export function fmtSigned(x: number | undefined, digits = 2): string {
  if (x === undefined || !Number.isFinite(x)) return '–';
  return (x > 0 ? '+' : '') + x.toFixed(digits);
}
