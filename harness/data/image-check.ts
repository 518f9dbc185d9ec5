// Up-front image validation: every image a sweep will read is decoded (at a small size, so JPEG
// shrink-on-load keeps it cheap, but every byte is still read: a truncated or zero-byte file fails)
// before any run starts, so a bad file is found in seconds, not after training. Images that passed are
// remembered in a JSON cache keyed by path, size and mtime, so a repeat sweep checks only what changed.
// The cache is only an optimisation: an unreadable or unwritable cache file is ignored.

import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { ClsrlError } from '../errors';

export interface ImageCheckOptions {
  /** JSON file remembering the images that decoded (absent: no cache). */
  cacheFile?: string;
  /** Called as images are checked (done, total) for progress output. */
  onProgress?: (done: number, total: number) => void;
  /** Decodes running at once (sharp works on libuv's thread pool). */
  concurrency?: number;
}

interface CacheDoc {
  version: 1;
  ok: Record<string, string>;
}

const stampOf = (st: fs.Stats) => `${st.size}:${st.mtimeMs}`;

function readCache(file: string | undefined): Record<string, string> {
  if (!file) return {};
  try {
    const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as CacheDoc;
    return doc.version === 1 && typeof doc.ok === 'object' && doc.ok !== null ? doc.ok : {};
  } catch {
    return {};
  }
}

function writeCache(file: string | undefined, ok: Record<string, string>): void {
  if (!file) return;
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(tmp, JSON.stringify({ version: 1, ok } satisfies CacheDoc));
    fs.renameSync(tmp, file);
  } catch {
    fs.rmSync(tmp, { force: true }); // a cache that cannot be written only costs time next sweep
  }
}

/** Why `file` is not a usable image, or null when it decodes. */
async function problemOf(file: string, st: fs.Stats): Promise<string | null> {
  if (!st.isFile()) return 'not a file';
  if (st.size === 0) return 'zero bytes';
  try {
    await sharp(file).resize(8, 8, { fit: 'fill' }).raw().toBuffer();
    return null;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}

/**
 * Decodes every file of `files` (absolute paths) not already known good; throws one DATA_FORMAT error
 * listing the bad ones (count and the first few) naming `what`. Returns how many were decoded now.
 */
export async function checkImages(what: string, files: readonly string[], opts: ImageCheckOptions = {}): Promise<{ checked: number; cached: number }> {
  const known = readCache(opts.cacheFile);
  const ok: Record<string, string> = { ...known };
  const todo: { file: string; st: fs.Stats }[] = [];
  const bad: string[] = [];
  for (const file of new Set(files)) {
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      bad.push(`${file} (missing)`);
      continue;
    }
    if (known[file] !== stampOf(st)) todo.push({ file, st });
  }
  let done = 0;
  const total = todo.length;
  const worker = async () => {
    for (let item = todo.shift(); item; item = todo.shift()) {
      const problem = await problemOf(item.file, item.st);
      if (problem) bad.push(`${item.file} (${problem})`);
      else ok[item.file] = stampOf(item.st);
      opts.onProgress?.(++done, total);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 4) }, worker));
  if (total > 0) writeCache(opts.cacheFile, ok);
  if (bad.length > 0) {
    bad.sort();
    throw new ClsrlError('DATA_FORMAT', `${what}: ${bad.length} image(s) cannot be read, e.g.\n${bad.slice(0, 5).map((b) => `  ${b}`).join('\n')}`, {
      hint: 'replace or re-extract these files (every image the plan reads is decoded before any run starts); nothing was run',
    });
  }
  return { checked: total, cached: new Set(files).size - total };
}
