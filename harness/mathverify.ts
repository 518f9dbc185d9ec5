// math_verify's parse + verify, as far as they matter for class-label strings: the paper's CLS-RL
// accuracy_reward (minglllli/CLS-RL src/cls-rl/src/open_r1/grpo.py) rewards 1 when
// `verify(parse(completion), parse(solution))` holds, before its string match. On class names that means
// numbers: label `Saab 2000` and answer `Falcon 2000` both parse to 2000, so the completion is rewarded.
//
// Follows math-verify 0.7.0 (the newest release when the paper's code appeared, 2025-03-21; its setup.py
// leaves math-verify unpinned) with its pinned latex2sympy2_extended 1.10.1, parse()'s default extraction
// configs [LatexExtractionConfig(), ExprExtractionConfig()], fallback_mode 'first_match', extraction_mode
// 'any_match', and verify()'s defaults. Written from reading that source and its tests; checked against the
// real library by test/vectors/make_math_verify_vectors.py -> test/vectors/math-verify.json.
//
// Reproduced exactly: the extraction regexes (anchors `final answer is`, `answer` — which the `<answer>` tag
// itself contains —, `=`, plain numbers and `digit operator digit` expressions; LaTeX `$…$`, `$$…$$`, `\(…\)`,
// `\[…\]`, ` […] `, `\frac{a}{b}` and `\boxed{…}`), their priorities and the order matches are tried in
// (rightmost end first), the number reading (thousands separators, decimal comma, leading zeros, percent,
// currency), the fallback string parse() appends, and verify's "any pair equal" over the two lists.
// Where it deliberately stops (documented in docs/reproduce-the-paper.md):
// - LaTeX content is evaluated only when, after the normalisation steps below, it is arithmetic on numbers
//   (+ - * / ^ \times \cdot \div \frac, parentheses, percent). Any other non-empty content counts as a
//   parsed non-numeric value (latex2sympy turns `Saab` into a*a*b*s): it ends the search like the library's
//   result does, and equals no number. Normalisation kept: \boxed/\fbox content (last or all), \left/\right,
//   \!, \displaystyle, quotes and `$` removed, a trailing \text{…}/\mbox{…} dropped (the unit rule).
// - Numbers compare exactly as rationals (class labels are integers); math_verify's 6-decimal rounding
//   between floats is not reproduced, nor sympy's binary-float quirks (1900.0000001 != 1900 either way).
// - Powers with exponents beyond 64 or results beyond 4096 bits, and division by zero, count as non-numbers
//   (the library would time out or compare zoo).
// - Python's `\d` also matches non-ASCII digits and its IGNORECASE folds a few non-ASCII letters; here
//   digits and case are ASCII. No timeouts: the anchored patterns scan bounded windows (`.{0,50}`, `.{0,100}`);
//   the expression pattern can backtrack quadratically within one run of digits, spaces and operators, which a
//   completion's token cap bounds (test: a 200 kB completion of such runs parses without trouble).

/**
 * A value parse() returns: an exact number, a parsed non-numeric expression, a set (several LaTeX environments
 * joined by and/or/commas, duplicates dropped), or the fallback string.
 */
export type MvValue =
  | { kind: 'number'; num: bigint; den: bigint }
  | { kind: 'expr'; text: string }
  | { kind: 'set'; items: MvValue[] }
  | { kind: 'string'; text: string };

// ---------------------------------------------------------------------------------------------
// Exact rationals

interface Q { n: bigint; d: bigint }

const abs = (x: bigint): bigint => (x < 0n ? -x : x);
function gcd(a: bigint, b: bigint): bigint {
  a = abs(a); b = abs(b);
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}
function q(n: bigint, d: bigint = 1n): Q {
  if (d === 0n) throw new Unevaluable();
  if (d < 0n) { n = -n; d = -d; }
  const g = gcd(n, d) || 1n;
  return { n: n / g, d: d / g };
}
const add = (a: Q, b: Q): Q => q(a.n * b.d + b.n * a.d, a.d * b.d);
const sub = (a: Q, b: Q): Q => q(a.n * b.d - b.n * a.d, a.d * b.d);
const mul = (a: Q, b: Q): Q => q(a.n * b.n, a.d * b.d);
const div = (a: Q, b: Q): Q => q(a.n * b.d, a.d * b.n);
function pow(a: Q, b: Q): Q {
  if (b.d !== 1n || abs(b.n) > 64n) throw new Unevaluable();
  const e = Number(abs(b.n));
  const r = q(a.n ** BigInt(e), a.d ** BigInt(e));
  if (r.n.toString(2).length + r.d.toString(2).length > 4096) throw new Unevaluable();
  return b.n < 0n ? div(q(1n), r) : r;
}
/** Decimal literal `-12.50` (no exponent) -> exact rational. */
function decimal(s: string): Q {
  const neg = s.startsWith('-');
  const body = neg ? s.slice(1) : s;
  const [int, frac = ''] = body.split('.');
  const r = q(BigInt((int || '0') + frac), 10n ** BigInt(frac.length));
  return neg ? q(-r.n, r.d) : r;
}

/** Not arithmetic on numbers (the parser would fail). */
class NotNumeric extends Error {}
/** Parses, but is no finite rational here (x/0, 2^0.5, 9^9^9): a parsed non-number. */
class Unevaluable extends Error {}

// ---------------------------------------------------------------------------------------------
// The extraction regexes (parser.py lazy_expr_regex / lazy_latex_regex), ported to JS syntax:
// `.` without DOTALL -> [^\n], Python's `$` -> (?=\n?$), (?i:word) -> per-letter classes.

const ci = (word: string): string =>
  [...word].map((c) => (/[a-z]/i.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c === ' ' ? ' ' : `\\${c}`)).join('');
const END = '(?=\\n?$)';

const NUMBER_RE =
  '(?<!\\d)(?:' +
  '(?<integer1>-?[1-9]\\d{0,2}(?:[ ,]\\d{3})+)(?<decimal1>\\.\\d+)?|' +
  '(?<integer2>-?\\d+)(?<decimal2>[.,]\\d+)|' +
  '(?<decimal3>\\.\\d+)|' +
  '(?<integer3>-?\\d+)' +
  ')(?<percent>\\s*(?:%|[Pp]ercent|\\s*[Pp]ercentage|\\s*[Pp]ct))?';
const OPS = '+\\-*×/^()÷';
const EXPR_CHARS = `[\\d.\\s${OPS}]`;
const EXPR_RE = `(?<expr>-?\\(?-?\\d${EXPR_CHARS}*[${OPS}]${EXPR_CHARS}+\\)?)`;
const CURRENCY = '[$€£¥₹₽₪₩₫฿₡₢₣₤₥₦₧₨₭₮₯₰₱₲₳₴₵₶₷₸₺₻₼₾₿]';
const EXPR_PREFIX = '(?:^|\\s|=)(?:\\*\\*)?';
const EXPR_SUFFIX = `(?:\\*\\*)?(?:\\.|,|:|\\s|\\)|\\$|${END})`;
const EXPR_WITH_ANCHORS = `(?:${EXPR_PREFIX}${EXPR_RE}${EXPR_SUFFIX})`;
const NUMBER_WITH_ANCHORS = `(?:${EXPR_PREFIX}${CURRENCY}?${NUMBER_RE})`;
const EXPR_OR_NUMBER = `(?:${EXPR_WITH_ANCHORS}|${NUMBER_WITH_ANCHORS})`;
const DOT = '[^\\n]';

type Target = 'latex' | 'expr';
interface Pattern { re: RegExp; priority: number; target: Target }

const EXPR_PATTERNS: [string, number][] = [
  [`${ci('final answer is')}:?\\s*${EXPR_OR_NUMBER}\\.?\\s?I hope`, 0],
  [`${ci('final answer')}${DOT}{0,100}?\\s+is:?${EXPR_OR_NUMBER}`, 50],
  [`${ci('answer')}:(?:${DOT}{0,100}=\\s*|${DOT}{0,50}?)${EXPR_OR_NUMBER}(?!\\s*=)`, 100],
  [`${ci('answer')}(?:${DOT}{0,100}=\\s*|${DOT}{0,50}?)${EXPR_OR_NUMBER}(?!\\s*=)`, 200],
  [EXPR_WITH_ANCHORS, 300],
  [NUMBER_WITH_ANCHORS, 300],
];

/** make_latex_env_pattern: the math environments, each with a percent suffix, group names prefixed. */
function latexEnv(prefix: string, context: 'plain' | 'boxed'): string {
  const percent = `(?<${prefix}percent>(?:\\\\?%|[Pp]ercent|[Pp]ercentage|[Pp]ct))`;
  const base = {
    displayDollar: '(?:[^$]|\\$(?!\\$))',
    displayBracket: '(?:[^\\\\]|\\\\(?!\\]))',
    inlineDollar: '(?:\\\\[$]|[^\\n$])',
    inlineParen: '(?:[^\\\\\\n]|\\\\(?!\\)))',
    inlineBracket: '[^\\n\\]\\[]',
  };
  const c = (x: string): string => (context === 'boxed' ? `${x}*?\\\\boxed\\{${x}+?\\}${x}*?` : `${x}+?`);
  const patterns = [
    `(?<!\\\\)\\$\\$(?<${prefix}latexDisplayDollar>${c(base.displayDollar)})(?<!\\\\)\\$\\$`,
    `(?<!\\\\)\\\\\\[(?<${prefix}latexDisplayBracket>${c(base.displayBracket)})(?<!\\\\)\\\\\\]`,
    `(?<!\\\\|\\d)\\$(?<${prefix}latexInlineDollar>${c(base.inlineDollar)})(?<!\\\\)\\$`,
    `(?<!\\\\)\\\\\\((?<${prefix}latexInlineParenthesis>${c(base.inlineParen)})(?<!\\\\)\\\\\\)`,
    `\\s\\[(?<${prefix}latexInlineBracket>${c(base.inlineBracket)})\\]\\s`,
  ];
  if (context === 'plain') {
    const num = '-?\\d+(?:[.,]\\d+)?';
    patterns.push(`(?<${prefix}latexFraction>-?\\\\frac\\{${num}\\}\\{${num}\\})`);
  }
  return `(?:(?:${patterns.join('|')})\\s*${percent}?)`;
}

const SEP = '(?:,?and|,?or|,)';
const LATEX_ENVS = `(?:${latexEnv('first_', 'plain')}${[1, 2, 3, 4, 5].map((i) => `(?:\\s*${SEP}\\s*${latexEnv(`next${i}_`, 'plain')})?`).join('')})`;
const LATEX_BOXED = `${latexEnv('first_', 'boxed')}${[1, 2, 3, 4, 5].map((i) => `\\s*(?:\\s*${SEP}\\s*${latexEnv(`next${i}_`, 'boxed')})?`).join('')}`;
const ANY = '[\\s\\S]'; // DOTALL `.`
const LATEX_PATTERNS: [string, number][] = [
  [`${ci('final answer is')}:?\\s*${LATEX_ENVS}\\.?\\s?I hope`, 0],
  [`${ci('final answer')}${ANY}{0,100}?\\s+is:?\\s*${LATEX_ENVS}`, 50],
  [`${ci('answer')}:${ANY}{0,50}?${LATEX_ENVS}`, 100],
  [`${ci('answer')}${ANY}{0,50}?${LATEX_ENVS}`, 200],
  [LATEX_ENVS, 300],
  [LATEX_BOXED, 50],
  ['(?<first_latexBoxed>\\\\boxed\\{[\\s\\S]+\\})', 50],
];

/** Grouped by priority, latex patterns before expr ones within a priority (Python's stable sort). */
const GROUPS: Pattern[][] = (() => {
  const all: Pattern[] = [
    ...LATEX_PATTERNS.map(([re, priority]) => ({ re: new RegExp(re, 'g'), priority, target: 'latex' as const })),
    ...EXPR_PATTERNS.map(([re, priority]) => ({ re: new RegExp(re, 'g'), priority, target: 'expr' as const })),
  ];
  const priorities = [...new Set(all.map((p) => p.priority))].sort((a, b) => a - b);
  return priorities.map((pr) => all.filter((p) => p.priority === pr));
})();

// ---------------------------------------------------------------------------------------------
// Reading one match

interface Extracted { value: MvValue | null; fallback: string }

/** extract_expr: a number from the integer/decimal/percent groups, else the operator expression evaluated. */
function extractExpr(g: Record<string, string | undefined>): Extracted {
  const integerRaw = ['integer1', 'integer2', 'integer3'].map((k) => g[k]).find((v) => v) ?? '';
  const decimalRaw = ['decimal1', 'decimal2', 'decimal3'].map((k) => g[k]).find((v) => v) ?? '';
  if (integerRaw || decimalRaw) {
    let integer = integerRaw.replace(/[, ]/g, '').replace(/^0+/, '');
    if (integer === '') integer = '0';
    const numberStr = integer + decimalRaw.replace(/,/g, '.');
    let v = decimal(numberStr);
    if (g.percent) v = div(v, q(100n));
    return { value: num(v), fallback: numberStr };
  }
  const expr = g.expr ?? '';
  if (expr) {
    try {
      return { value: num(evalPython(expr.replace(/\n/g, ' ').replace(/\^/g, '**'))), fallback: expr };
    } catch (e) {
      return { value: e instanceof Unevaluable ? { kind: 'expr', text: expr } : null, fallback: expr };
    }
  }
  return { value: null, fallback: expr };
}

const num = (v: Q): MvValue => ({ kind: 'number', num: v.n, den: v.d });

/**
 * sympy's parse_expr on the characters the expression regex admits (digits, '.', spaces, + - * / ** ( ) ×
 * ÷), with Python's grammar: × and ÷ are syntax errors, juxtaposition `2 3` is an error, `2(3)` calls an
 * Integer (an error), unary signs stack. Throws when parse_expr would.
 */
function evalPython(src: string): Q {
  const toks: string[] = [];
  for (let i = 0; i < src.length;) {
    const ch = src[i];
    if (/\s/.test(ch)) { i++; continue; }
    const m = /^(?:\d+\.?\d*|\.\d+)/.exec(src.slice(i));
    if (m) { toks.push(m[0]); i += m[0].length; continue; }
    if (src.startsWith('**', i)) { toks.push('**'); i += 2; continue; }
    if ('+-*/()'.includes(ch)) { toks.push(ch); i++; continue; }
    throw new NotNumeric(); // × ÷ or anything else: a Python syntax error
  }
  let p = 0;
  const peek = (): string | undefined => toks[p];
  const isNum = (t: string | undefined): boolean => t !== undefined && /^[\d.]/.test(t);
  // Python precedence: a ** b binds tighter than unary minus on its left, looser on its right.
  const sum = (): Q => {
    let v = term();
    while (peek() === '+' || peek() === '-') v = toks[p++] === '+' ? add(v, term()) : sub(v, term());
    return v;
  };
  const term = (): Q => {
    let v = unary();
    while (peek() === '*' || peek() === '/') v = toks[p++] === '*' ? mul(v, unary()) : div(v, unary());
    return v;
  };
  const unary = (): Q => {
    if (peek() === '-') { p++; const v = unary(); return q(-v.n, v.d); }
    if (peek() === '+') { p++; return unary(); }
    return power();
  };
  const power = (): Q => {
    const base = atom();
    if (peek() === '**') { p++; return pow(base, unary()); }
    return base;
  };
  const atom = (): Q => {
    const t = toks[p++];
    let v: Q;
    if (isNum(t)) v = decimal(t!.endsWith('.') ? t!.slice(0, -1) : t!);
    else if (t === '(') {
      v = sum();
      if (toks[p++] !== ')') throw new NotNumeric();
    } else throw new NotNumeric();
    if (peek() === '(' || isNum(peek())) throw new NotNumeric(); // a call on a number, or juxtaposition
    return v;
  };
  const v = sum();
  if (p !== toks.length) throw new NotNumeric();
  return v;
}

/**
 * extract_boxed_content: scanning right to left, the contents of \boxed{…} / \fbox{…} (each box must close
 * before the box to its right starts), joined by ','. 'last' keeps only the rightmost run of boxes separated
 * by under 70 characters containing and/or/,/; between them. An unclosed first-seen box yields the rest of the text.
 */
function boxedContent(text: string, mode: 'last' | 'all'): string {
  const results: string[] = [];
  let current = text.length;
  let maxPos = text.length;
  let lastStart: number | null = null;
  for (;;) {
    // Python's rfind(s, 0, current): the last occurrence lying wholly before `current`
    const boxed = current >= 6 ? text.lastIndexOf('\\boxed', current - 6) : -1;
    const fbox = current >= 5 ? text.lastIndexOf('\\fbox', current - 5) : -1;
    if (boxed < 0 && fbox < 0) break;
    const start = Math.max(boxed, fbox);
    let k = start + (start === boxed ? 6 : 5);
    while (k < maxPos && isPySpace(text[k])) k++;
    if (k >= maxPos) break;
    if (text[k] !== '{') {
      if (results.length === 0) results.push(text.slice(k));
      break;
    }
    let depth = 1;
    let end = -1;
    for (let i = k + 1; i < maxPos; i++) {
      if (text[i] === '{') depth++;
      else if (text[i] === '}' && --depth === 0) { end = i; break; }
    }
    if (end < 0) {
      if (results.length === 0) results.push(text.slice(k));
      break;
    }
    if (mode === 'last' && lastStart !== null) {
      const between = text.slice(end + 1, lastStart);
      if (!(between.length < 70 && /and|or|,|;/.test(between))) break;
    }
    results.push(text.slice(k + 1, end).trim());
    lastStart = start;
    maxPos = start;
    current = start;
  }
  return results.length === 0 ? text : results.reverse().join(',');
}

const isPySpace = (c: string): boolean => /\s/.test(c);

/** The parts of normalize_latex that bear on numbers in class-label answers (see the file header). */
function normalizeLatex(latex: string, boxed: 'last' | 'all'): string {
  let t = boxedContent(latex, boxed);
  t = t.replace(/\\m?(?:left|right)(?=[\\{}|[\]()])/g, '');
  t = t.replace(/\\mathrm\{th\}|\\!\s*|\\text\s*\{\s*\}|\\\$|\$|(?<!\\)["']|\\displaystyle/g, '');
  t = t.replace(/[\n\t]/g, ' ');
  const unit = t.replace(/(\\(?:text|mbox)\{[^\n]*?\})(\^\d|\{\^\d\})?$/, '').trim();
  if (unit !== '' && unit !== t) t = unit;
  t = t.replace(/\\text\s*\{\s*\}/g, ' ');
  if (t.startsWith('.')) t = `0${t}`;
  return t.trim();
}

/** latex2sympy on normalised content: arithmetic on numbers -> exact value; '' or `12.` -> failure. */
function parseLatex(latex: string): MvValue | null {
  if (latex === '' || /^-?[\d,]+\.$/.test(latex)) return null;
  try {
    return num(evalLatex(latex));
  } catch {
    return { kind: 'expr', text: latex };
  }
}

function evalLatex(src: string): Q {
  const toks: string[] = [];
  for (let i = 0; i < src.length;) {
    const rest = src.slice(i);
    const m = /^\s+/.exec(rest) ?? /^\d{1,3}(?:,\d{3})+(?:\.\d+)?|^\d+(?:\.\d+)?/.exec(rest)
      ?? /^\\(?:times|cdot|div|frac|dfrac|tfrac|%)/.exec(rest) ?? /^[-+*/^(){}%]/.exec(rest);
    if (!m) throw new NotNumeric();
    if (!/^\s/.test(m[0])) toks.push(m[0]);
    i += m[0].length;
  }
  let p = 0;
  const peek = (): string | undefined => toks[p];
  const expect = (t: string): void => { if (toks[p++] !== t) throw new NotNumeric(); };
  const sum = (): Q => {
    let v = term();
    while (peek() === '+' || peek() === '-') v = toks[p++] === '+' ? add(v, term()) : sub(v, term());
    return v;
  };
  const term = (): Q => {
    let v = unary();
    for (;;) {
      const t = peek();
      if (t === '*' || t === '\\times' || t === '\\cdot') { p++; v = mul(v, unary()); }
      else if (t === '/' || t === '\\div') { p++; v = div(v, unary()); }
      else return v;
    }
  };
  const unary = (): Q => {
    if (peek() === '-') { p++; const v = unary(); return q(-v.n, v.d); }
    if (peek() === '+') { p++; return unary(); }
    return postfix();
  };
  const postfix = (): Q => {
    let v = atom();
    for (;;) {
      if (peek() === '^') { p++; v = pow(v, atom()); }
      else if (peek() === '%' || peek() === '\\%') { p++; v = div(v, q(100n)); }
      else return v;
    }
  };
  const atom = (): Q => {
    const t = toks[p++];
    if (t === undefined) throw new NotNumeric();
    if (/^\d/.test(t)) return decimal(t.replace(/,/g, ''));
    if (t === '(' || t === '{') { const v = sum(); expect(t === '(' ? ')' : '}'); return v; }
    if (t === '\\frac' || t === '\\dfrac' || t === '\\tfrac') {
      expect('{'); const a = sum(); expect('}');
      expect('{'); const b = sum(); expect('}');
      return div(a, b);
    }
    throw new NotNumeric();
  };
  const v = sum();
  if (p !== toks.length) throw new NotNumeric();
  return v;
}

/** extract_latex: every env group of the match; several that all parse form a set. */
function extractLatex(g: Record<string, string | undefined>): Extracted {
  const groupOf = (prefix: string): [string, string] | undefined => {
    const name = Object.keys(g).find((k) => k.startsWith(`${prefix}_latex`) && g[k]);
    return name ? [name, g[name]!] : undefined;
  };
  const groups = ['first', 'next1', 'next2', 'next3', 'next4', 'next5'].map(groupOf).filter((x): x is [string, string] => !!x);
  if (groups.length === 0) return { value: null, fallback: '' };
  const values: (MvValue | null)[] = [];
  const strs: string[] = [];
  for (const [name, latex] of groups) {
    const [prefix, kind] = name.split('_');
    const normalized = normalizeLatex(latex, kind === 'latexBoxed' ? 'last' : 'all');
    strs.push(normalized);
    let v = parseLatex(normalized);
    if (v && v.kind === 'number' && g[`${prefix}_percent`]) v = num(div(q(v.num, v.den), q(100n)));
    values.push(v);
  }
  if (values.length > 1 && values.every((v) => v !== null)) {
    const items: MvValue[] = [];
    for (const v of values as MvValue[]) if (!items.some((x) => equalValues(x, v))) items.push(v);
    return { value: { kind: 'set', items }, fallback: strs.join(' and ') };
  }
  return { value: values[0], fallback: strs[0] };
}

// ---------------------------------------------------------------------------------------------
// parse / verify

/** All non-overlapping matches of a global regex (Python finditer). */
function finditer(re: RegExp, text: string): RegExpExecArray[] {
  const out: RegExpExecArray[] = [];
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push(m);
    if (m[0].length === 0) re.lastIndex++;
  }
  return out;
}

/**
 * math_verify.parse(text) with its defaults: per priority, every match of every pattern, rightmost end first
 * (then leftmost start), the first one that parses wins; the first fallback string seen is appended.
 */
export function mvParse(text: string): MvValue[] {
  const found: MvValue[] = [];
  const fallbacks: string[] = [];
  for (const group of GROUPS) {
    const matches = group.flatMap((pat) => finditer(pat.re, text).map((m) => ({ m, target: pat.target, start: m.index, end: m.index + m[0].length })));
    matches.sort((a, b) => b.end - a.end || a.start - b.start);
    for (const { m, target } of matches) {
      const g = m.groups ?? {};
      const { value, fallback } = target === 'latex' ? extractLatex(g) : extractExpr(g);
      if (fallback) fallbacks.push(fallback);
      if (value !== null) {
        found.push(value);
        break;
      }
    }
    if (found.length > 0) break;
  }
  if (fallbacks.length > 0) found.push({ kind: 'string', text: fallbacks[0] });
  return found;
}

function equalValues(a: MvValue, b: MvValue): boolean {
  if (a.kind === 'string' || b.kind === 'string') {
    if (a.kind !== 'string' || b.kind !== 'string') return false; // str vs sympy: never equal
    const x = a.text.trim();
    const y = b.text.trim();
    return x.length > 0 && x === y;
  }
  if (a.kind === 'set' || b.kind === 'set') {
    // sympy_compare_sets: element-wise; a lone value is the set of itself
    const xs = a.kind === 'set' ? a.items : [a];
    const ys = b.kind === 'set' ? b.items : [b];
    return xs.length === ys.length && xs.every((x) => ys.some((y) => equalValues(x, y)));
  }
  if (a.kind === 'number' && b.kind === 'number') return a.num === b.num && a.den === b.den;
  if (a.kind === 'expr' && b.kind === 'expr') return a.text === b.text;
  return false;
}

/** math_verify.verify(gold, target): true when any value of one list equals any value of the other. */
export function mvVerify(gold: readonly MvValue[], target: readonly MvValue[]): boolean {
  return gold.some((g) => target.some((t) => equalValues(g, t)));
}

/** The paper's symbolic step: verify(parse(completion), parse(solution)). */
export function mathVerifyMatch(completion: string, label: string): boolean {
  return mvVerify(mvParse(completion), mvParse(label));
}

/** A value as text, for `clsrl score` and test messages (`2000`, `1/2`, `expr:a*a*b*s`, `"2000"`). */
export function formatMvValue(v: MvValue): string {
  if (v.kind === 'number') return v.den === 1n ? v.num.toString() : `${v.num}/${v.den}`;
  if (v.kind === 'expr') return `expr:${v.text}`;
  if (v.kind === 'set') return `{${v.items.map(formatMvValue).join(', ')}}`;
  return JSON.stringify(v.text);
}
