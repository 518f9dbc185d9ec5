// The golden test's sequences and token weights, shared with scripts/golden-spec.ts (which regenerates
// the PyTorch values) so both sides always feed the same inputs.

import type { TokenSeq } from '../../harness/contracts';

export function goldenSeqs(encode: (text: string) => number[]): { seqs: TokenSeq[]; weights: number[][] } {
  const seqs: TokenSeq[] = [
    { promptIndex: 0, tokens: encode('red') },
    { promptIndex: 0, tokens: encode('rose') },
    { promptIndex: 1, tokens: encode('green!') },
  ];
  const weights = seqs.map((s, k) => s.tokens.map((_, j) => (k + 1) * 0.1 + j * 0.01));
  return { seqs, weights };
}
