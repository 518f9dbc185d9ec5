// Reader for CoOp's `split_zhou_*.json` files ({train, val, test}: [[impath, label, classname], ...]),
// with errors that give the file, the JSON position (line:column) or the offending entry.

import { ClsrlError } from '../errors';
import { jsonErrorOffset } from './jsonpos';
import { readText } from './root';

/** One `[impath, label, classname]` entry, impath relative to the dataset's image prefix. */
export interface RawItem {
  impath: string;
  label: number;
  classname: string;
}

export interface RawSplits {
  train: RawItem[];
  val: RawItem[];
  test: RawItem[];
}

export const SPLIT_KEYS = ['train', 'val', 'test'] as const;
export type SplitKey = (typeof SPLIT_KEYS)[number];

/** Line and column (1-based) of a character offset. */
export function lineColumn(text: string, pos: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = text.indexOf('\n'); i >= 0 && i < pos; i = text.indexOf('\n', i + 1)) {
    line++;
    last = i;
  }
  return { line, column: pos - last };
}

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    const msg = cause instanceof Error ? cause.message : String(cause);
    const pos = jsonErrorOffset(text);
    const { line, column } = lineColumn(text, pos < 0 ? text.length : pos);
    throw new ClsrlError('DATA_FORMAT', `${file}: malformed JSON at line ${line} column ${column} (${msg})`, {
      hint: 'the split file is damaged or truncated; download the original split_zhou_*.json again',
      cause,
    });
  }
}

function entryError(file: string, where: string, what: string): ClsrlError {
  return new ClsrlError('DATA_FORMAT', `${file}: ${where} ${what}`, {
    hint: 'each entry must be [impath (relative path string), label (integer >= 0), classname (non-empty string)], as Dassl writes split files',
  });
}

/** Parses and schema-checks a split file. Keeps list order, labels and names exactly as written. */
export function readSplitJson(file: string): RawSplits {
  const text = readText(file, 'the dataset folder must contain its split file (see CoOp DATASETS.md), or fix splitFile in the dataset definition');
  const data = parseJson(file, text);
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ClsrlError('DATA_FORMAT', `${file}: top level must be an object with keys train, val, test`, {
      hint: 'a split file looks like {"train": [[impath, label, classname], ...], "val": [...], "test": [...]}',
    });
  }
  const obj = data as Record<string, unknown>;
  const out: Partial<RawSplits> = {};
  for (const key of SPLIT_KEYS) {
    const list = obj[key];
    if (!Array.isArray(list)) {
      throw new ClsrlError('DATA_FORMAT', `${file}: key '${key}' ${list === undefined ? 'is missing' : 'must be an array'}`, {
        hint: `present keys: ${Object.keys(obj).join(', ') || '(none)'}; a split file needs train, val and test arrays`,
      });
    }
    out[key] = list.map((entry, i) => checkEntry(file, `${key}[${i}]`, entry));
  }
  return out as RawSplits;
}

function checkEntry(file: string, where: string, entry: unknown): RawItem {
  if (!Array.isArray(entry) || entry.length !== 3) {
    throw entryError(file, where, `must be a 3-element array, got ${JSON.stringify(entry)?.slice(0, 120)}`);
  }
  const [impath, label, classname] = entry as unknown[];
  if (typeof impath !== 'string' || impath === '') throw entryError(file, where, `impath must be a non-empty string, got ${JSON.stringify(impath)}`);
  if (impath.startsWith('/') || impath.includes('\\') || impath.split('/').includes('..')) {
    throw entryError(file, where, `impath must be relative with forward slashes and no '..', got ${JSON.stringify(impath)}`);
  }
  if (typeof label !== 'number' || !Number.isInteger(label) || label < 0) {
    throw entryError(file, where, `label must be an integer >= 0, got ${JSON.stringify(label)}`);
  }
  // An empty name would make every answer "correct" under the paper's substring match.
  if (typeof classname !== 'string' || classname.trim() === '') throw entryError(file, where, `classname must be a non-empty string, got ${JSON.stringify(classname)}`);
  return { impath, label, classname };
}
