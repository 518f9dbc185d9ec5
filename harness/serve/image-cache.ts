// The OpenAI-compatible server's received images: engines take image paths, so each decoded data URL
// is written once to a content-addressed file, in a folder of this server's own (removed on close),
// bounded in files and bytes with least-recently-used eviction. Images a request still uses are pinned.
// Not shared between servers: each one evicts only what it wrote.

import * as fs from 'fs';
import * as path from 'path';
import { createHash, randomBytes } from 'crypto';

export interface ImageCacheLimits {
  /** Most files kept (pinned ones may exceed it until their requests end). */
  maxFiles: number;
  /** Most bytes kept. */
  maxBytes: number;
}

export const IMAGE_CACHE_DEFAULTS: ImageCacheLimits = { maxFiles: 512, maxBytes: 256 * 1024 * 1024 };

interface Entry {
  file: string;
  size: number;
  pins: number;
}

/** A file held for one request; `release()` lets it be evicted again. */
export interface CachedImage {
  file: string;
  release(): void;
}

const FOLDER = /^serve-(\d+)-[0-9a-f]+$/;
const LEGACY_FILE = /^[0-9a-f]{64}\.(jpg|png|webp|gif|bmp|tif|img)$/;

/** True if a process with this pid exists (EPERM: it exists but is not ours). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes what earlier servers left in `root`: folders of processes that are gone, and the flat files of older clsrl versions. */
function sweepStale(root: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return;
  }
  for (const name of names) {
    const m = FOLDER.exec(name);
    if ((m && !alive(Number(m[1]))) || LEGACY_FILE.test(name)) fs.rmSync(path.join(root, name), { recursive: true, force: true });
  }
}

export class ImageCache {
  /** This server's folder under the root. */
  readonly dir: string;
  private readonly entries = new Map<string, Entry>(); // insertion order = least recently used first
  private bytes = 0;

  constructor(root: string, readonly limits: ImageCacheLimits = IMAGE_CACHE_DEFAULTS) {
    fs.mkdirSync(root, { recursive: true });
    sweepStale(root);
    this.dir = path.join(root, `serve-${process.pid}-${randomBytes(4).toString('hex')}`);
    fs.mkdirSync(this.dir);
  }

  /** Files and bytes held now. */
  get size(): { files: number; bytes: number } {
    return { files: this.entries.size, bytes: this.bytes };
  }

  /** The file of `bytes` (written if new), pinned until `release()`. */
  put(bytes: Buffer, ext: string): CachedImage {
    const key = createHash('sha256').update(bytes).digest('hex') + ext;
    let e = this.entries.get(key);
    if (e) this.entries.delete(key);
    else {
      const file = path.join(this.dir, key);
      const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        fs.writeFileSync(tmp, bytes);
        fs.renameSync(tmp, file);
      } catch (err) {
        fs.rmSync(tmp, { force: true });
        throw err;
      }
      e = { file, size: bytes.length, pins: 0 };
      this.bytes += e.size;
    }
    this.entries.set(key, e); // most recently used
    e.pins++;
    this.evict();
    const entry = e;
    let released = false;
    return {
      file: e.file,
      release: () => {
        if (released) return;
        released = true;
        entry.pins--;
        this.evict();
      },
    };
  }

  private evict(): void {
    for (const [key, e] of this.entries) {
      if (this.entries.size <= this.limits.maxFiles && this.bytes <= this.limits.maxBytes) return;
      if (e.pins > 0) continue;
      fs.rmSync(e.file, { force: true });
      this.entries.delete(key);
      this.bytes -= e.size;
    }
  }

  /** Removes this server's folder. */
  close(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
    this.entries.clear();
    this.bytes = 0;
  }
}
