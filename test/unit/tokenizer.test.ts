// The tiny engine's tokenizer: byte fallback for any text, BPE merges that stay inside a chunk (so a
// class name has the same tokens in a candidate list and in an answer), deterministic training,
// round trips, and clear errors for malformed merges.

import { BASE_VOCAB, SPECIALS, Tokenizer, tokenizer } from '../../harness/engines/tiny/tokenizer';

const corpus = [
  'Please choose one from list [ Sea or Lake, Forest, Pasture Land].',
  '<think>green, dense.</think><answer>Forest</answer>',
  '<answer>Pasture Land</answer>',
  'Options: Forest; Sea or Lake.',
];

describe('tokenizer', () => {
  it('byte level without merges: ids are UTF-8 bytes, specials are dropped on decode', () => {
    expect(tokenizer.encode('aé')).toEqual([97, 0xc3, 0xa9]);
    expect(tokenizer.vocabSize).toBe(BASE_VOCAB);
    expect(tokenizer.decode([104, 105, SPECIALS.end, SPECIALS.pad])).toBe('hi');
    expect(tokenizer.encodePrompt('x')).toEqual([SPECIALS.bos, SPECIALS.user, 120, SPECIALS.end, SPECIALS.assistant]);
  });

  it('BPE training is deterministic and merges the corpus words into single tokens', () => {
    const a = Tokenizer.train(corpus, 500);
    const b = Tokenizer.train(corpus, 500);
    expect(a.signature).toBe(b.signature);
    expect(a.vocabSize).toBe(BASE_VOCAB + a.merges.length);
    expect(a.encode('Forest')).toHaveLength(1); // seen 4 times
    expect(a.encode('Pasture')).toHaveLength(1);
    // minCount 2: a word seen once is not merged whole
    expect(a.encode('dense').length).toBeGreaterThan(1);
    expect(Tokenizer.train(corpus, 3).merges).toHaveLength(3);
  });

  it('a word has the same tokens wherever it appears (merges never cross chunks)', () => {
    const t = Tokenizer.train(corpus, 500);
    const inList = t.encode('[ Forest,');
    const inAnswer = t.encode('<answer>Forest</answer>');
    const forest = t.encode('Forest');
    const contains = (xs: number[], ys: number[]) => xs.some((_, i) => ys.every((y, j) => xs[i + j] === y));
    expect(contains(inList, forest)).toBe(true);
    expect(contains(inAnswer, forest)).toBe(true);
  });

  it('round-trips any text, including text never seen in training', () => {
    const t = Tokenizer.train(corpus, 500);
    for (const s of ['Forest', 'Sea or Lake', 'ünïcödé 漢字 🙂', '  two  spaces\n\ttab', '', '<think></think>', 'x'.repeat(1000)]) {
      expect(t.decode(t.encode(s))).toBe(s);
    }
    expect(t.decode([...t.encodeTarget('Forest')])).toBe('Forest');
  });

  it('BPE-dropout: seeded, lossless, shows sub-word pieces; off means the canonical encoding', () => {
    const t = Tokenizer.train(corpus, 500);
    const seeded = (seed: number) => {
      let x = seed;
      return () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648) < 0.3;
    };
    const text = corpus.join(' ');
    const a = t.encode(text, seeded(1));
    expect(t.encode(text, seeded(1))).toEqual(a);
    expect(t.decode(a)).toBe(text);
    expect(a.length).toBeGreaterThan(t.encode(text).length);
    expect(t.encode(text, () => false)).toEqual(t.encode(text)); // nothing dropped: the cached path's tokens
    expect(t.encode('Forest', () => true)).toEqual([...Buffer.from('Forest')]); // everything dropped: bytes
  });

  it('encoding equals applying the merges in order, each to every occurrence (how training saw them)', () => {
    const t = Tokenizer.train([...corpus, 'aaaa aaab abab baba', 'Meadow Meadows Mead'].flatMap((x) => [x, x]), 500);
    const reference = (word: string): number[] => {
      let ids = [...Buffer.from(word)];
      t.merges.forEach(([a, b], i) => {
        const out: number[] = [];
        for (let k = 0; k < ids.length; k++) {
          if (k + 1 < ids.length && ids[k] === a && ids[k + 1] === b) {
            out.push(BASE_VOCAB + i);
            k++;
          } else out.push(ids[k]);
        }
        ids = out;
      });
      return ids;
    };
    for (const w of ['Forest', 'Pasture', 'aaaa', 'aaab', 'abab', 'baba', 'aaaaaaa', 'Meadows', 'Mead', 'Meadowland', 'xyz']) {
      expect(t.encode(w)).toEqual(reference(w));
    }
  });

  it('describe() rebuilds the same tokenizer; malformed merges are refused with a reason', () => {
    const t = Tokenizer.train(corpus, 50);
    const back = Tokenizer.fromDescription(JSON.parse(JSON.stringify(t.describe())));
    expect(back.signature).toBe(t.signature);
    expect(Tokenizer.fromDescription(undefined).vocabSize).toBe(BASE_VOCAB);
    expect(() => new Tokenizer([[SPECIALS.end, 97]])).toThrow(/not a byte or an earlier merge/);
    expect(() => new Tokenizer([[97, BASE_VOCAB]])).toThrow(/merge 0/);
    expect(() => new Tokenizer([[97, 98], [97, 98]])).toThrow(/repeats/);
    expect(() => Tokenizer.fromDescription({ type: 'bpe', merges: [[1]] })).toThrow(/pairs/);
    expect(() => Tokenizer.fromDescription({ type: 'wordpiece' })).toThrow(/type/);
  });
});
