// Answer extraction, the paper's evaluation match and the GRPO rewards, as pure functions shared by
// training, evaluation, `clsrl score` and the reward server. Every scan here is indexOf-based and linear:
// no backtracking regex ever sees model output, so a 1 MB completion of unclosed tags is cheap. The one
// exception is the accuracy reward's optional math_verify step (harness/mathverify.ts), which ports that
// library's regexes; they scan bounded windows.

import type { RewardName, Score } from './contracts';
import { ClsrlError } from './errors';
import { mathVerifyMatch } from './mathverify';

const ANSWER_OPEN = '<answer>';
const ANSWER_CLOSE = '</answer>';
const THINK_OPEN = '<think>';
const THINK_CLOSE = '</think>';

/** Python's str.isspace() set (what `str.strip()` and `\s` in a str pattern use); JS trim() differs slightly. */
export function isPyWhitespace(code: number): boolean {
  return (
    (code >= 0x09 && code <= 0x0d) ||
    (code >= 0x1c && code <= 0x20) ||
    code === 0x85 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  );
}

/** Python `s.strip()`. */
export function pyStrip(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isPyWhitespace(s.charCodeAt(a))) a++;
  while (b > a && isPyWhitespace(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/**
 * Content of the first `<answer>…</answer>` pair (Python `re.search(r'<answer>(.*?)</answer>', s, re.DOTALL)`),
 * or null. If the first `<answer>` has no later `</answer>`, no later `<answer>` has one either.
 */
export function answerTagContent(text: string): string | null {
  const open = text.indexOf(ANSWER_OPEN);
  if (open < 0) return null;
  const close = text.indexOf(ANSWER_CLOSE, open + ANSWER_OPEN.length);
  if (close < 0) return null;
  return text.slice(open + ANSWER_OPEN.length, close);
}

/**
 * Content of the first `<answer>…</answer>` on one line: `re.search(r'<answer>(.*?)</answer>', s)` WITHOUT
 * DOTALL, as the rewards of the paper's grpo.py / grpo_direct.py read it. Linear: the cached `</answer>`
 * position only moves forward, and newline scans never overlap.
 */
export function answerTagContentSingleLine(text: string): string | null {
  let close = -1;
  let open = text.indexOf(ANSWER_OPEN);
  while (open >= 0) {
    const from = open + ANSWER_OPEN.length;
    if (close < from) close = text.indexOf(ANSWER_CLOSE, from);
    if (close < 0) return null; // no later opener can close either
    const nl = text.indexOf('\n', from);
    if (nl < 0 || close < nl) return text.slice(from, close);
    // Every opener before `nl` meets that newline before any `</answer>`: resume after it.
    open = text.indexOf(ANSWER_OPEN, nl + 1);
  }
  return null;
}

/**
 * The evaluation answer [repo src/eval]: the first `<answer>…</answer>` content (DOTALL) stripped; if there is
 * none, or it is empty after stripping (Python treats '' as false), the whole output stripped.
 */
export function extractAnswer(text: string): string {
  const inner = answerTagContent(text);
  const stripped = inner === null ? '' : pyStrip(inner);
  return stripped !== '' ? stripped : pyStrip(text);
}

/** The reward's reading of a completion or a solution: single-line `<answer>` content stripped, else all stripped. */
export function rewardAnswer(text: string): string {
  return pyStrip(answerTagContentSingleLine(text) ?? text);
}

function lenientOnce(answer: string, label: string): boolean {
  const a = answer.toLowerCase();
  const g = label.toLowerCase();
  return a === g || a.includes(g);
}

/**
 * The paper's lenient eval match [repo src/eval]: `gt.lower() == ans.lower()` or `gt.lower() in ans.lower()`;
 * if that fails and the label has `_`, the same test with the label's `_` replaced by spaces.
 */
export function evalMatch(answer: string, label: string): boolean {
  if (lenientOnce(answer, label)) return true;
  if (label.includes('_')) return lenientOnce(answer, label.split('_').join(' '));
  return false;
}

/** Strict exact match recorded beside the lenient one: case-insensitive equality. */
export function strictMatch(answer: string, label: string): boolean {
  return answer.toLowerCase() === label.toLowerCase();
}

/**
 * Format reward: 1 iff the whole completion matches `<think>.*?</think>\s*<answer>.*?</answer>` with `.`
 * matching newlines (re.fullmatch, DOTALL). Equivalent linear test: starts with `<think>`, ends with
 * `</answer>`, and some `</think>` (after the opening tag) is followed by whitespace then `<answer>` that
 * ends before the final `</answer>`. The whitespace runs after different `</think>`s are disjoint, so the
 * scan is O(n).
 */
export function formatReward(completion: string): number {
  const s = completion;
  const endClose = s.length - ANSWER_CLOSE.length;
  if (!s.startsWith(THINK_OPEN) || endClose < 0 || !s.endsWith(ANSWER_CLOSE)) return 0;
  let p = s.indexOf(THINK_CLOSE, THINK_OPEN.length);
  while (p >= 0) {
    let r = p + THINK_CLOSE.length;
    while (r < s.length && isPyWhitespace(s.charCodeAt(r))) r++;
    if (r + ANSWER_OPEN.length > endClose) return 0; // later `</think>`s start even further right
    if (s.startsWith(ANSWER_OPEN, r)) return 1;
    p = s.indexOf(THINK_CLOSE, Math.max(r, p + 1));
  }
  return 0;
}

/** Options of the rewards that have variants (a method passes its config's values). */
export interface RewardOptions {
  /**
   * Accuracy reward: first math_verify's verify(parse(completion), parse(label)) as the paper's code does
   * (harness/mathverify.ts); numbers in class names count, e.g. label `Saab 2000` rewards `Falcon 2000`.
   */
  mathVerify?: boolean;
}

/** The reward options a method config carries (cls-rl's `mathVerify`); other fields are ignored. */
export function rewardOptionsOf(config: Record<string, unknown>): RewardOptions {
  return typeof config.mathVerify === 'boolean' ? { mathVerify: config.mathVerify } : {};
}

/**
 * Accuracy reward (CLS-RL grpo.py accuracy_reward): with `mathVerify`, 1 when math_verify finds the same number
 * (or expression value) in the completion and the label, however the names around it differ; then, or
 * without it, 1 when the answer read by rewardAnswer (first single-line `<answer>` content, else the whole
 * completion, stripped) equals the ground truth read the same way, case-insensitively.
 */
export function accuracyReward(completion: string, label: string, opts: RewardOptions = {}): number {
  if (opts.mathVerify && mathVerifyMatch(completion, label)) return 1;
  return rewardAnswer(completion).toLowerCase() === rewardAnswer(label).toLowerCase() ? 1 : 0;
}

/**
 * No-Thinking reward (grpo_direct.py): 1 iff the raw completion (not stripped, no tag parsing) equals the
 * ground truth exactly, case-sensitive. The ground truth is the label read by rewardAnswer (a no-op for names).
 */
export function equalityReward(completion: string, label: string): number {
  return completion === rewardAnswer(label) ? 1 : 0;
}

export type RewardFn = (completion: string, label: string, opts: RewardOptions) => number;

/** Reward functions by name (binary; a method sums the ones it declares). */
export const REWARDS: Readonly<Record<RewardName, RewardFn>> = {
  accuracy: accuracyReward,
  equality: equalityReward,
  format: (completion) => formatReward(completion),
};

export const REWARD_NAMES = Object.keys(REWARDS).sort() as RewardName[];

/** Scores one completion: the named rewards and their sum, plus the evaluation answer and both matches. */
export function scoreCompletion(rewardNames: readonly RewardName[], completion: string, label: string, opts: RewardOptions = {}): Score {
  // Every answer contains the empty string: an empty label would score every completion correct.
  if (pyStrip(label) === '') throw new ClsrlError('BAD_CONFIG', `empty label ${JSON.stringify(label)}: nothing to score against`, { hint: 'pass the true class name' });
  const rewards: Partial<Record<RewardName, number>> = {};
  let reward = 0;
  for (const name of rewardNames) {
    const fn = REWARDS[name];
    if (fn === undefined) {
      throw new ClsrlError('UNKNOWN_NAME', `unknown reward '${String(name)}'`, { hint: `available rewards: ${REWARD_NAMES.join(', ')}` });
    }
    const value = fn(completion, label, opts);
    rewards[name] = value;
    reward += value;
  }
  const extracted = extractAnswer(completion);
  return { rewards, reward, extracted, correct: evalMatch(extracted, label), strictCorrect: strictMatch(extracted, label) };
}
