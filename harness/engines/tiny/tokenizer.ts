// Byte-level tokenizer: ids 0-255 are UTF-8 bytes (so any text is representable, no unknown token),
// followed by special tokens for padding, roles, image and end of turn. Not a BPE: byte sequences are
// longer, which the default model's speed absorbs; the chat layout is fixed here in one place.

export const SPECIALS = { pad: 256, bos: 257, user: 258, assistant: 259, image: 260, end: 261 } as const;
export const VOCAB_SIZE = 262;

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8');

export const tokenizer = {
  type: 'bytes' as const,
  vocabSize: VOCAB_SIZE,
  specials: SPECIALS,
  /** UTF-8 bytes of `text` as token ids. */
  encode(text: string): number[] {
    return Array.from(enc.encode(text));
  },
  /** Text of the byte tokens; special tokens are dropped; invalid UTF-8 becomes U+FFFD. */
  decode(tokens: readonly number[]): string {
    return dec.decode(Uint8Array.from(tokens.filter((t) => t < 256)));
  },
  /** Text part of a prompt: bos, user turn, end of turn, assistant turn (image tokens come before it). */
  encodePrompt(text: string): number[] {
    return [SPECIALS.bos, SPECIALS.user, ...this.encode(text), SPECIALS.end, SPECIALS.assistant];
  },
  /** An assistant answer as training target: its bytes and the end token. */
  encodeTarget(text: string): number[] {
    return [...this.encode(text), SPECIALS.end];
  },
  /** What checkpoints record so other tools can read the token ids. */
  describe(): Record<string, unknown> {
    return {
      type: 'bytes',
      vocabSize: VOCAB_SIZE,
      bytes: 'ids 0-255 are UTF-8 bytes',
      specials: SPECIALS,
      promptLayout: '<image tokens (P)> bos user <prompt bytes> end assistant <answer bytes> end',
    };
  },
};
