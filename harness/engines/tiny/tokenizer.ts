// Tokenizer: ids 0-255 are UTF-8 bytes (any text is representable, no unknown token), 256-261 special
// tokens for padding, roles, image and end of turn, then optional BPE merges (id 262 + i for merge i)
// trained by the project on its own corpus (`Tokenizer.train`). The chat layout is fixed here.
//
// Text is first cut into chunks (a run of letters, a run of digits, one space, or a run of other
// characters) and merges never cross a chunk, so a word has the same tokens wherever it appears: a
// class name in a candidate list and the same name in an answer are the same tokens, which makes
// copying a candidate a short, learnable step for a small model.

export const SPECIALS = { pad: 256, bos: 257, user: 258, assistant: 259, image: 260, end: 261 } as const;
/** Bytes plus specials: the vocabulary of a tokenizer without merges. */
export const BASE_VOCAB = 262;

export type Merge = readonly [number, number];

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8');
const CHUNK = /\p{L}+|\p{N}+| |[^\p{L}\p{N} ]+/gu;
const CACHE_MAX = 50_000;

const pairKey = (a: number, b: number): number => a * 1_000_003 + b;

/** Applies merges to one chunk's byte ids: repeatedly the lowest-rank adjacent pair, leftmost first
 * (the same result as training's merge-all-occurrences order). With `drop` (BPE-dropout) each candidate
 * is skipped when drop() is true, re-drawn at every step; the chunk is done when no candidate survives. */
function mergeChunk(ids: number[], ranks: Map<number, number>, drop?: () => boolean): number[] {
  if (ranks.size === 0) return ids;
  const out = ids.slice();
  for (;;) {
    let best = -1;
    let bestRank = Infinity;
    for (let i = 0; i + 1 < out.length; i++) {
      const r = ranks.get(pairKey(out[i], out[i + 1]));
      if (r !== undefined && r < bestRank && !(drop && drop())) {
        bestRank = r;
        best = i;
      }
    }
    if (best < 0) return out;
    out.splice(best, 2, BASE_VOCAB + bestRank);
  }
}

export class Tokenizer {
  readonly vocabSize: number;
  /** Identity of the vocabulary (equal tokenizers give equal ids for every text); '' for bytes only. */
  readonly signature: string;
  private readonly ranks = new Map<number, number>();
  /** Bytes of every non-special id. */
  private readonly bytes: Uint8Array[] = [];
  private readonly cache = new Map<string, number[]>();

  /** `merges[i]` joins two existing ids into id 262 + i. Throws on ids that do not exist yet or are specials. */
  constructor(readonly merges: readonly Merge[] = []) {
    for (let b = 0; b < 256; b++) this.bytes[b] = Uint8Array.of(b);
    merges.forEach(([a, b], i) => {
      const id = BASE_VOCAB + i;
      for (const x of [a, b]) {
        if (!(Number.isInteger(x) && x >= 0 && x < id && (x < 256 || x >= BASE_VOCAB))) {
          throw new Error(`tokenizer merge ${i} uses id ${x}, which is not a byte or an earlier merge`);
        }
      }
      if (this.ranks.has(pairKey(a, b))) throw new Error(`tokenizer merge ${i} repeats the pair (${a}, ${b})`);
      this.ranks.set(pairKey(a, b), i);
      this.bytes[id] = Buffer.concat([this.bytes[a], this.bytes[b]]);
    });
    this.vocabSize = BASE_VOCAB + merges.length;
    this.signature = merges.map(([a, b]) => `${a},${b}`).join(';');
  }

  get type(): 'bytes' | 'bpe' {
    return this.merges.length ? 'bpe' : 'bytes';
  }

  /** Token ids of `text` (no specials). `drop` turns on BPE-dropout (training only): see mergeChunk. */
  encode(text: string, drop?: () => boolean): number[] {
    if (this.merges.length === 0) return Array.from(enc.encode(text));
    const out: number[] = [];
    for (const m of text.matchAll(CHUNK)) {
      const chunk = m[0];
      if (drop) {
        for (const t of mergeChunk(Array.from(enc.encode(chunk)), this.ranks, drop)) out.push(t);
        continue;
      }
      let ids = this.cache.get(chunk);
      if (!ids) {
        ids = mergeChunk(Array.from(enc.encode(chunk)), this.ranks);
        if (this.cache.size >= CACHE_MAX) this.cache.clear();
        this.cache.set(chunk, ids);
      }
      for (const t of ids) out.push(t);
    }
    return out;
  }

  /** Text of the tokens; special tokens are dropped; invalid UTF-8 becomes U+FFFD. */
  decode(tokens: readonly number[]): string {
    return dec.decode(Buffer.concat(tokens.map((t) => this.bytes[t]).filter((b) => b !== undefined)));
  }

  /** Text part of a prompt: bos, user turn, end of turn, assistant turn (image tokens come before it). */
  encodePrompt(text: string, drop?: () => boolean): number[] {
    return [SPECIALS.bos, SPECIALS.user, ...this.encode(text, drop), SPECIALS.end, SPECIALS.assistant];
  }

  /** An assistant answer as training target: its tokens and the end token. */
  encodeTarget(text: string): number[] {
    return [...this.encode(text), SPECIALS.end];
  }

  /** What checkpoints record, so other tools can read the token ids (and `fromDescription` rebuilds it). */
  describe(): Record<string, unknown> {
    return {
      type: this.type,
      vocabSize: this.vocabSize,
      bytes: 'ids 0-255 are UTF-8 bytes',
      specials: SPECIALS,
      ...(this.merges.length
        ? { pretokenize: CHUNK.source, merges: this.merges.map(([a, b]) => [a, b]), mergeIds: `merge i joins its pair into id ${BASE_VOCAB} + i` }
        : {}),
      promptLayout: '<image tokens (P)> bos user <prompt tokens> end assistant <answer tokens> end',
    };
  }

  /** Rebuilds a tokenizer from `describe()` output; throws a message naming the field. */
  static fromDescription(doc: unknown): Tokenizer {
    if (doc === undefined || doc === null) return new Tokenizer();
    const d = doc as { type?: unknown; merges?: unknown };
    if (d.type === undefined || d.type === 'bytes') return new Tokenizer();
    if (d.type !== 'bpe') throw new Error(`tokenizer.type is ${JSON.stringify(d.type)}, expected 'bytes' or 'bpe'`);
    if (!Array.isArray(d.merges) || !d.merges.every((m) => Array.isArray(m) && m.length === 2)) throw new Error('tokenizer.merges must be an array of [id, id] pairs');
    return new Tokenizer(d.merges as Merge[]);
  }

  /**
   * Trains BPE merges on `texts`: chunks counted once per occurrence, the most frequent adjacent pair
   * merged first (ties: lowest pair of ids), until `maxMerges` or no pair occurs `minCount` times.
   * Deterministic for the same texts.
   */
  static train(texts: Iterable<string>, maxMerges: number, minCount = 2): Tokenizer {
    const freq = new Map<string, number>();
    for (const t of texts) for (const m of t.matchAll(CHUNK)) freq.set(m[0], (freq.get(m[0]) ?? 0) + 1);
    const words = [...freq.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([w, f]) => ({ ids: Array.from(enc.encode(w)), f }));
    const merges: Merge[] = [];
    while (merges.length < maxMerges) {
      const counts = new Map<number, number>();
      for (const w of words) for (let i = 0; i + 1 < w.ids.length; i++) {
        const k = pairKey(w.ids[i], w.ids[i + 1]);
        counts.set(k, (counts.get(k) ?? 0) + w.f);
      }
      let bestKey = -1;
      let bestCount = minCount - 1;
      for (const [k, c] of counts) if (c > bestCount || (c === bestCount && bestKey >= 0 && k < bestKey)) {
        bestKey = k;
        bestCount = c;
      }
      if (bestKey < 0 || bestCount < minCount) break;
      const a = Math.floor(bestKey / 1_000_003);
      const b = bestKey % 1_000_003;
      const id = BASE_VOCAB + merges.length;
      merges.push([a, b]);
      for (const w of words) {
        if (w.ids.length < 2) continue;
        let k = 0;
        for (let i = 0; i < w.ids.length; i++) {
          if (i + 1 < w.ids.length && w.ids[i] === a && w.ids[i + 1] === b) {
            w.ids[k++] = id;
            i++;
          } else w.ids[k++] = w.ids[i];
        }
        w.ids.length = k;
      }
    }
    return new Tokenizer(merges);
  }
}

/** The byte-level tokenizer (no merges): what a model without trained merges uses. */
export const tokenizer = new Tokenizer();
