// Locates the first syntax error in a JSON text (offset), because V8's JSON.parse messages do not always
// carry a position. Only run after JSON.parse failed; a plain recursive-descent validator, linear time.

/** Offset of the first JSON syntax error in `text`, or -1 if it is valid JSON. */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  class Bad extends Error {}
  const fail = (): never => {
    throw new Bad();
  };
  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else {
      let k = 0;
      while (k < word.length && text[i + k] === word[k]) k++;
      i += k;
      fail();
    }
  };
  const string = () => {
    i++; // opening quote
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x22) return void i++;
      if (c < 0x20) fail();
      if (c === 0x5c) {
        i++;
        if (text[i] === 'u') {
          for (let k = 1; k <= 4; k++) if (!/[0-9a-fA-F]/.test(text[i + k] ?? '')) ((i += k), fail());
          i += 5;
        } else if ('"\\/bfnrt'.includes(text[i] ?? 'x')) i++;
        else fail();
      } else i++;
    }
    fail();
  };
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0] === '' || m[0] === '-') fail();
    i += (m as RegExpExecArray)[0].length;
  };
  const key = () => {
    ws();
    if (text[i] !== '"') fail();
    string();
    ws();
    if (text[i] !== ':') fail();
    i++;
  };
  // A loop with an explicit stack of closers, so deep nesting cannot overflow the call stack.
  const stack: string[] = [];
  try {
    let needValue = true;
    for (;;) {
      ws();
      if (needValue) {
        const c = text[i];
        if (c === '{' || c === '[') {
          stack.push(c === '{' ? '}' : ']');
          i++;
          ws();
          if (text[i] === stack[stack.length - 1]) {
            i++;
            stack.pop();
            needValue = false;
          } else if (c === '{') key();
          continue;
        }
        if (c === '"') string();
        else if (c === 't') literal('true');
        else if (c === 'f') literal('false');
        else if (c === 'n') literal('null');
        else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) number();
        else fail();
        needValue = false;
        continue;
      }
      if (stack.length === 0) break;
      const close = stack[stack.length - 1];
      if (text[i] === close) {
        i++;
        stack.pop();
        continue;
      }
      if (text[i] !== ',') fail();
      i++;
      if (close === '}') key();
      needValue = true;
    }
    if (i < text.length) fail();
    return -1;
  } catch (e) {
    if (e instanceof Bad) return Math.min(i, text.length);
    throw e;
  }
}
