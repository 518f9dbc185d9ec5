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

/** Reads a text file or throws DATA_MISSING naming it. */
export function readText(file: string, hint: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ClsrlError('DATA_MISSING', `file not found or unreadable: ${file}`, { hint, cause });
  }
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
