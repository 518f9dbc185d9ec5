// Data root resolution (--data-root flag, else CLSRL_DATA) and the small filesystem checks every loader
// shares, each failing with a ClsrlError that names the path and says what to do.

import * as fs from 'fs';
import * as path from 'path';
import { ClsrlError } from '../errors';
import { pyStrip } from '../scoring';

/** The data root: the flag if given, else `$CLSRL_DATA`, else a DATA_ROOT error with a hint. Absolute. */
export function resolveDataRoot(flag?: string): string {
  const value = flag !== undefined && flag !== '' ? flag : process.env.CLSRL_DATA;
  if (value === undefined || value === '') {
    throw new ClsrlError('DATA_ROOT', 'no data root given', {
      hint: 'pass --data-root DIR or set CLSRL_DATA to the folder holding the CoOp dataset folders (imagenet/, caltech-101/, ...)',
    });
  }
  return path.resolve(value);
}

/** Throws DATA_ROOT unless `root` is an existing directory. */
export function checkRoot(root: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(root);
  } catch (cause) {
    throw new ClsrlError('DATA_ROOT', `data root does not exist: ${root}`, {
      hint: 'check --data-root / CLSRL_DATA; it must be the folder that contains the dataset folders',
      cause,
    });
  }
  if (!st.isDirectory()) {
    throw new ClsrlError('DATA_ROOT', `data root is not a directory: ${root}`, { hint: 'point --data-root at a folder, not a file' });
  }
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Throws DATA_MISSING unless `dir` (a dataset folder or subfolder) is a directory. */
export function checkDir(dir: string, what: string, hint: string): void {
  if (!isDirectory(dir)) throw new ClsrlError('DATA_MISSING', `${what} not found: ${dir}`, { hint });
}

/** Reads a UTF-8 text file or throws DATA_MISSING naming it; bytes that are not UTF-8 are DATA_FORMAT (never replaced by U+FFFD). */
export function readText(file: string, hint: string): string {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (cause) {
    throw new ClsrlError('DATA_MISSING', `file not found or unreadable: ${file}`, { hint, cause });
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (cause) {
    throw new ClsrlError('DATA_FORMAT', `${file}: not valid UTF-8 (first bad byte at offset ${firstBadUtf8(bytes)})`, {
      hint: 'split and class-name files are UTF-8 (as CoOp writes them); re-save the file as UTF-8 or download it again',
      cause,
    });
  }
}

/** Offset of the first byte of the first invalid UTF-8 sequence in `bytes` (RFC 3629: no overlongs, surrogates or > U+10FFFF). */
export function firstBadUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    const n = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (n === 0 || i + n > bytes.length) return i;
    // allowed range of the second byte (excludes overlongs, surrogates and code points above U+10FFFF)
    const lo = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
    const hi = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k < n; k++) {
      const c = bytes[i + k];
      if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return i;
    }
    i += n;
  }
  return -1;
}

/** Python's `f.readlines()` + `line.strip()`, without the empty piece after a final newline. */
export function textLines(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.map(pyStrip);
}

/** Names in `dir` not starting with '.', sorted by code unit (Dassl's listdir_nohidden(sort=True)). */
export function listNoHidden(dir: string, kind: 'dirs' | 'files'): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (cause) {
    throw new ClsrlError('DATA_MISSING', `cannot list folder: ${dir}`, { hint: 'check the dataset layout under the data root', cause });
  }
  // Symlinks count as what they point to (Python's DirEntry.is_dir() follows them).
  const isDir = (e: fs.Dirent) => e.isDirectory() || (e.isSymbolicLink() && isDirectory(path.join(dir, e.name)));
  return entries
    .filter((e) => !e.name.startsWith('.') && (kind === 'dirs') === isDir(e))
    .map((e) => e.name)
    .sort();
}

/** Absolute paths among `files` that do not exist (stats every file; ~100k stats take well under a second). */
export function missingFiles(files: readonly string[]): string[] {
  const missing: string[] = [];
  for (const f of files) if (!fs.existsSync(f)) missing.push(f);
  return missing;
}

/** The DATA_MISSING error for missing images: count plus the first few paths. */
export function missingImagesError(dataset: string, missing: readonly string[], total: number): ClsrlError {
  const shown = missing.slice(0, 5).map((m) => `  ${m}`).join('\n');
  return new ClsrlError('DATA_MISSING', `${dataset}: ${missing.length} of ${total} images listed in the split are missing, e.g.\n${shown}`, {
    hint: 'every image named by the split file must be on disk (CoOp asserts the same); re-extract the dataset or fix the data root',
  });
}
