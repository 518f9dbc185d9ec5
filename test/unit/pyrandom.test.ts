// PyRandom against CPython: vectors from test/vectors/make_pyrandom_vectors.py (committed JSON output).
import * as fs from 'fs';
import * as path from 'path';
import { PyRandom, sampleSetsize } from '../../harness/random/pyrandom';

interface SeedEntry {
  seed: string;
  uint32: number[];
  random: string[];
  getrandbits: [number, string][];
  randbelow: [string, string][];
  choice: number[];
}
interface Vectors {
  seeds: SeedEntry[];
  sample: { seed: number; n: number; k: number; first: number[]; second: number[] }[];
  shuffle: { seed: number; n: number; first: number[]; second: number[] }[];
}

const V: Vectors = JSON.parse(fs.readFileSync(path.join(__dirname, '../vectors/pyrandom.json'), 'utf8'));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('PyRandom matches CPython random', () => {
  test('documented reference values (reference/coop-datasets.md section 5)', () => {
    const r = new PyRandom(1);
    expect([r.nextUint32(), r.nextUint32()]).toEqual([577090037, 2444712010]);
    expect(new PyRandom(1).sample(range(20), 4)).toEqual([4, 18, 2, 8]);
    expect(new PyRandom(2).sample(range(100), 16)).toEqual([7, 11, 10, 46, 21, 94, 85, 39, 32, 77, 27, 4, 74, 87, 20, 55]);
  });

  test.each(V.seeds.map((e) => [e.seed, e] as const))('seed %s: uint32, random, getrandbits, randbelow, choice', (_s, e) => {
    const r = new PyRandom(BigInt(e.seed));
    expect(e.uint32.map(() => r.getrandbits(32))).toEqual(e.uint32);
    expect(e.random.map(() => r.random())).toEqual(e.random.map(Number));
    for (const [k, want] of e.getrandbits) {
      const got = k <= 53 ? BigInt(r.getrandbits(k)) : r.getrandbitsBig(k);
      expect([k, got.toString()]).toEqual([k, want]);
    }
    for (const [n, want] of e.randbelow) {
      const big = BigInt(n);
      const got = big <= BigInt(Number.MAX_SAFE_INTEGER) ? String(r.randbelow(Number(big))) : String(r.randbelow(big));
      expect([n, got]).toEqual([n, want]);
    }
    expect(e.choice.map((_, i) => r.choice(range([1, 5, 37, 1000][i])))).toEqual(e.choice);
  });

  test.each(V.sample.map((c) => [c.seed, c.n, c.k, c] as const))('sample seed=%i n=%i k=%i', (seed, n, k, c) => {
    const r = new PyRandom(seed);
    expect(r.sample(range(n), k)).toEqual(c.first);
    expect(r.sample(range(n), k)).toEqual(c.second);
  });

  test.each(V.shuffle.map((c) => [c.seed, c.n, c] as const))('shuffle seed=%i n=%i', (seed, n, c) => {
    const r = new PyRandom(seed);
    expect(r.shuffle(range(n))).toEqual(c.first);
    expect(r.shuffle(range(n))).toEqual(c.second);
  });

  test('setsize rule', () => {
    expect([1, 5, 6, 8, 16, 21, 22, 85, 86].map(sampleSetsize)).toEqual([21, 21, 85, 85, 85, 85, 277, 277, 1045]);
  });

  test('bad arguments throw', () => {
    const r = new PyRandom(1);
    expect(() => r.sample([1, 2], 3)).toThrow(RangeError);
    expect(() => r.randbelow(0)).toThrow(RangeError);
    expect(() => r.choice([])).toThrow(RangeError);
    expect(() => new PyRandom(1.5)).toThrow(RangeError);
  });
});
