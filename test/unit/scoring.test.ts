// Scoring: answer extraction, the lenient/strict matches, the three rewards, scoreCompletion, and
// adversarial inputs (1 MB of nested/unclosed tags) that a backtracking regex would choke on.
import {
  accuracyReward,
  equalityReward,
  evalMatch,
  extractAnswer,
  formatReward,
  pyStrip,
  rewardAnswer,
  REWARDS,
  scoreCompletion,
  strictMatch,
} from '../../harness/scoring';
import { ClsrlError } from '../../harness/errors';
import type { RewardName } from '../../harness/contracts';

describe('extractAnswer', () => {
  test.each([
    ['<think>x</think><answer> Forest </answer>', 'Forest'],
    ['<answer>a\nb</answer>', 'a\nb'], // DOTALL
    ['<answer>first</answer><answer>second</answer>', 'first'],
    ['<answer><answer>inner</answer>', '<answer>inner'], // first open tag wins, lazy close
    ['  no tags here \n', 'no tags here'],
    ['<answer>unclosed', '<answer>unclosed'],
    ['</answer>x<answer>', '</answer>x<answer>'],
    ['\x1cpy whitespace\x1f', 'py whitespace'], // Python strip() set, not JS trim()
    ['', ''],
    ['<answer> </answer> River', '<answer> </answer> River'], // empty tag content is falsy in Python: whole output
  ])('%j -> %j', (text, want) => expect(extractAnswer(text)).toBe(want));

  test.each([
    ['<answer>a\nb</answer>', '<answer>a\nb</answer>'], // no DOTALL in the reward's regex
    ['<answer>x\n</answer><answer> River </answer>', 'River'], // the first opener fails across the newline
    ['<answer></answer>', ''],
    ['  River ', 'River'],
  ])('rewardAnswer %j -> %j', (text, want) => expect(rewardAnswer(text)).toBe(want));

  test('pyStrip keeps U+FEFF (not Python whitespace)', () => expect(pyStrip('\ufeffa ')).toBe('\ufeffa'));
});

describe('evalMatch (paper lenient rule) and strictMatch', () => {
  test.each([
    ['Forest', 'forest', true, true],
    ['a photo of a Forest', 'Forest', true, false],
    ['Apply Eye Makeup', 'Apply_Eye_Makeup', true, false], // `_` retried as space
    ['american pit bull terrier dog', 'american_pit_bull_terrier', true, false],
    ['apply_eye_makeup', 'Apply_Eye_Makeup', true, true],
    ['for', 'Forest', false, false], // answer inside label does not count
    ['F-16A/B', 'f-16a/b', true, true],
    ['', 'River', false, false],
  ])('answer %j label %j', (answer, label, lenient, strict) => {
    expect(evalMatch(answer, label)).toBe(lenient);
    expect(strictMatch(answer, label)).toBe(strict);
  });
});

describe('formatReward = re.fullmatch(<think>.*?</think>\\s*<answer>.*?</answer>, DOTALL)', () => {
  test.each([
    ['<think>x</think><answer>y</answer>', 1],
    ['<think></think>\n \t<answer></answer>', 1],
    ['<think>a\nb</think>\n<answer>c\nd</answer>', 1],
    ['<think>x</think> junk <answer>y</answer>', 0],
    ['<think>x</think> junk </think>\n<answer>y</answer>', 1], // a later </think> may close the thought
    ['<think>x</think><answer>y</answer> ', 0], // trailing text breaks the full match
    [' <think>x</think><answer>y</answer>', 0],
    ['<think>x</think><answer>y', 0],
    ['<think>x<answer>y</answer>', 0],
    ['<think></think><answer></answer>', 1],
    ['<think></answer>', 0],
    ['<think>x</think><answer></answer></answer>', 1],
    ['<think>x</think>\x1c<answer>y</answer>', 1], // Python \s includes \x1c
  ])('%j -> %i', (text, want) => expect(formatReward(text)).toBe(want));
});

describe('accuracy and equality rewards', () => {
  test('accuracy: stripped <answer> content or whole text, case-insensitive', () => {
    expect(accuracyReward('<think>t</think><answer> sea or lake </answer>', 'Sea or Lake')).toBe(1);
    expect(accuracyReward('  Sea or Lake\n', 'Sea or Lake')).toBe(1);
    expect(accuracyReward('<answer>Sea</answer>', 'Sea or Lake')).toBe(0);
    expect(accuracyReward('It is Sea or Lake', 'Sea or Lake')).toBe(0); // no substring credit in training
    expect(accuracyReward('<answer>River</answer>', '<answer>river</answer>')).toBe(1); // solution with tags
    expect(accuracyReward('<think>t</think><answer>Sea or\nLake</answer>', 'Sea or Lake')).toBe(0);
  });
  test('equality: raw completion equals label exactly', () => {
    expect(equalityReward('River', 'River')).toBe(1);
    expect(equalityReward('river', 'River')).toBe(0);
    expect(equalityReward('River\n', 'River')).toBe(0);
    expect(equalityReward('<answer>River</answer>', 'River')).toBe(0);
    expect(equalityReward('River', ' River ')).toBe(1); // the ground truth is stripped, the completion is not
  });
  test('REWARDS table holds the three rewards', () => {
    expect(Object.keys(REWARDS).sort()).toEqual(['accuracy', 'equality', 'format']);
  });
});

describe('scoreCompletion', () => {
  test('CLS-RL rewards sum, with lenient and strict matches', () => {
    const s = scoreCompletion(['format', 'accuracy'], '<think>green</think>\n<answer>Forest</answer>', 'Forest');
    expect(s).toEqual({ rewards: { format: 1, accuracy: 1 }, reward: 2, extracted: 'Forest', correct: true, strictCorrect: true });
  });
  test('No-Thinking equality only', () => {
    const s = scoreCompletion(['equality'], 'Highway or Road.', 'Highway or Road');
    expect(s).toEqual({ rewards: { equality: 0 }, reward: 0, extracted: 'Highway or Road.', correct: true, strictCorrect: false });
  });
  test('unknown reward name is a ClsrlError naming it', () => {
    expect(() => scoreCompletion(['nope' as RewardName], 'x', 'y')).toThrow(ClsrlError);
    expect(() => scoreCompletion(['nope' as RewardName], 'x', 'y')).toThrow(/nope/);
  });
});

describe('adversarial 1 MB completions (linear scans, no regex backtracking)', () => {
  const MB = 1 << 20;
  const fill = (unit: string) => unit.repeat(Math.ceil(MB / unit.length));
  const names: RewardName[] = ['format', 'accuracy', 'equality'];

  test('nested unclosed <think><answer> openers', () => {
    const text = '<think>' + fill('<think><answer>') + '</think>';
    const s = scoreCompletion(names, text, 'Forest');
    expect(s.rewards).toEqual({ format: 0, accuracy: 0, equality: 0 });
    expect(s.correct).toBe(false);
    expect(s.extracted.length).toBe(text.length);
  });

  test('many </think> each followed by whitespace, never <answer>, ending in </answer>', () => {
    const text = '<think>' + fill('</think>   \n ') + 'x</answer>';
    expect(formatReward(text)).toBe(0);
    expect(scoreCompletion(names, text, 'Forest').correct).toBe(false);
  });

  test('valid format after 1 MB of decoys is still found', () => {
    const text = '<think>' + fill('</think> <x') + '</think>\n<answer>' + fill('<answer>') + 'Forest</answer>';
    expect(formatReward(text)).toBe(1);
    const s = scoreCompletion(names, text, 'Forest');
    expect(s.rewards.format).toBe(1);
    expect(s.correct).toBe(true); // label is a substring of the huge answer
    expect(s.strictCorrect).toBe(false);
  });

  test('many one-line <answer> openers with the only </answer> at the end', () => {
    const text = fill('<answer>x\n') + '</answer>';
    expect(rewardAnswer(text)).toBe(pyStrip(text));
    expect(scoreCompletion(names, text, 'x').rewards.accuracy).toBe(0);
    expect(extractAnswer(text).startsWith('x\n<answer>')).toBe(true);
  });

  test('1 MB of `_` and the label with underscores', () => {
    const text = fill('a_') + 'Apply Eye Makeup';
    expect(evalMatch(extractAnswer(text), 'Apply_Eye_Makeup')).toBe(true);
  });
});
