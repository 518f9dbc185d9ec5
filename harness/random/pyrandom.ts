// A bit-for-bit port of CPython 3.11's `random.Random` (MT19937 + the pure-Python sampling methods), so
// few-shot subsets and candidate lists match what Dassl/CoOp and the CLS-RL notebook draw in Python.
// Only what the protocol needs: seed(int), random, getrandbits, randbelow, choice, shuffle, sample.

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

/** CPython's `random.Random` for integer seeds. */
export class PyRandom {
  private readonly mt = new Uint32Array(N);
  private mti = N + 1;

  constructor(seed: number | bigint = 0) {
    this.seed(seed);
  }

  /** `random.seed(n)` for an int: init_by_array over the 32-bit chunks of |n| (little-endian; [0] for 0). */
  seed(seed: number | bigint): void {
    if (typeof seed === 'number' && !Number.isSafeInteger(seed)) {
      throw new RangeError(`PyRandom.seed needs an integer (got ${seed}); non-integer seeds hash differently in CPython`);
    }
    let n = BigInt(seed);
    if (n < 0n) n = -n;
    const key: number[] = [];
    while (n > 0n) {
      key.push(Number(n & 0xffffffffn));
      n >>= 32n;
    }
    if (key.length === 0) key.push(0);
    this.initByArray(key);
  }

  private initGenrand(s: number): void {
    const mt = this.mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.mti = N;
  }

  private initByArray(key: number[]): void {
    const mt = this.mt;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(prev, 1664525)) + key[j] + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(prev, 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
    }
    mt[0] = 0x80000000;
  }

  /** The next tempered 32-bit output (genrand_uint32). */
  nextUint32(): number {
    const mt = this.mt;
    if (this.mti >= N) {
      let kk = 0;
      for (; kk < N - M; kk++) {
        const y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
        mt[kk] = mt[kk + M] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      for (; kk < N - 1; kk++) {
        const y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
        mt[kk] = mt[kk + (M - N)] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      const y = (mt[N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
      mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      this.mti = 0;
    }
    let y = mt[this.mti++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** `random.random()`: 53-bit float in [0, 1). */
  random(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
  }

  /** `random.getrandbits(k)` for 0 <= k <= 53, as a number. Use getrandbitsBig for larger k. */
  getrandbits(k: number): number {
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`getrandbits: k must be a non-negative integer (got ${k})`);
    if (k > 53) throw new RangeError(`getrandbits: k=${k} exceeds 53 bits; use getrandbitsBig`);
    if (k === 0) return 0;
    if (k <= 32) return this.nextUint32() >>> (32 - k);
    // Little-endian words: the first draw is the low 32 bits, the last one is shifted down to fit.
    const low = this.nextUint32();
    const high = this.nextUint32() >>> (64 - k);
    return high * 4294967296 + low;
  }

  /** `random.getrandbits(k)` for any k >= 0, as a bigint. */
  getrandbitsBig(k: number): bigint {
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`getrandbitsBig: k must be a non-negative integer (got ${k})`);
    if (k === 0) return 0n;
    if (k <= 32) return BigInt(this.nextUint32() >>> (32 - k));
    let result = 0n;
    let shift = 0n;
    for (let left = k; left > 0; left -= 32) {
      let r = this.nextUint32();
      if (left < 32) r >>>= 32 - left;
      result |= BigInt(r) << shift;
      shift += 32n;
    }
    return result;
  }

  /** `Random._randbelow_with_getrandbits(n)`: uniform int in [0, n), n >= 1 (number up to 2^53, or bigint). */
  randbelow(n: number): number;
  randbelow(n: bigint): bigint;
  randbelow(n: number | bigint): number | bigint {
    if (typeof n === 'bigint') {
      if (n <= 0n) throw new RangeError('randbelow: n must be positive');
      const k = n.toString(2).length;
      let r = this.getrandbitsBig(k);
      while (r >= n) r = this.getrandbitsBig(k);
      return r;
    }
    if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`randbelow: n must be a positive safe integer (got ${n})`);
    const k = bitLength(n);
    let r = this.getrandbits(k);
    while (r >= n) r = this.getrandbits(k);
    return r;
  }

  /** `random.choice(seq)`. */
  choice<T>(seq: readonly T[]): T {
    if (seq.length === 0) throw new RangeError('choice: cannot choose from an empty sequence');
    return seq[this.randbelow(seq.length)];
  }

  /** `random.shuffle(x)` in place: for i in reversed(range(1, n)): j = randbelow(i+1); swap. */
  shuffle<T>(x: T[]): T[] {
    for (let i = x.length - 1; i >= 1; i--) {
      const j = this.randbelow(i + 1);
      const t = x[i];
      x[i] = x[j];
      x[j] = t;
    }
    return x;
  }

  /** `random.sample(population, k)`: pool method for small populations, set method otherwise. */
  sample<T>(population: readonly T[], k: number): T[] {
    const n = population.length;
    if (!Number.isInteger(k) || k < 0 || k > n) throw new RangeError(`sample: sample larger than population or is negative (k=${k}, n=${n})`);
    const result = new Array<T>(k);
    const setsize = sampleSetsize(k);
    if (n <= setsize) {
      const pool = population.slice();
      for (let i = 0; i < k; i++) {
        const j = this.randbelow(n - i);
        result[i] = pool[j];
        pool[j] = pool[n - i - 1];
      }
    } else {
      const selected = new Set<number>();
      for (let i = 0; i < k; i++) {
        let j = this.randbelow(n);
        while (selected.has(j)) j = this.randbelow(n);
        selected.add(j);
        result[i] = population[j];
      }
    }
    return result;
  }
}

/** CPython's rule: 21, plus 4**ceil(log(3k, 4)) when k > 5 (21 for k<=5, 85 for k=8 or 16). */
export function sampleSetsize(k: number): number {
  let setsize = 21;
  // math.log(x, 4) is log(x)/log(4); 3k is never a power of 4, so the ceil is stable across libms.
  if (k > 5) setsize += 4 ** Math.ceil(Math.log(k * 3) / Math.log(4));
  return setsize;
}

/** int.bit_length() for a positive safe integer. */
function bitLength(n: number): number {
  if (n < 4294967296) return 32 - Math.clz32(n);
  return 32 + bitLength(Math.floor(n / 4294967296));
}
