// Real filesystem faults for tests: a size-limited tmpfs (disk full) and a read-only bind mount
// (EROFS). Needs root and mount(8); `mountsAvailable()` says whether this machine allows them, so
// tests can skip (saying why) elsewhere. Every mount is undone by the function it returns.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

function mount(args: string[]): boolean {
  return spawnSync('mount', args, { stdio: 'ignore' }).status === 0;
}

function unmounter(dir: string): () => void {
  return () => {
    if (spawnSync('umount', [dir], { stdio: 'ignore' }).status !== 0) spawnSync('umount', ['-l', dir], { stdio: 'ignore' });
  };
}

let available: boolean | undefined;

/** True when this process may mount a tmpfs (root in a mount namespace that allows it). */
export function mountsAvailable(): boolean {
  if (available !== undefined) return available;
  available = false;
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-mount-probe-'));
  if (mount(['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe])) {
    unmounter(probe)();
    available = true;
  }
  fs.rmdirSync(probe);
  return available;
}

/** Mounts a tmpfs of `kb` KiB on `dir` (created); returns the unmount function. */
export function mountTmpfs(dir: string, kb: number): () => void {
  fs.mkdirSync(dir, { recursive: true });
  if (!mount(['-t', 'tmpfs', '-o', `size=${kb}k`, 'tmpfs', dir])) throw new Error(`cannot mount a tmpfs on ${dir}`);
  return unmounter(dir);
}

/** Shows `src` read-only at `dir` (a bind mount remounted ro); returns the unmount function. */
export function mountReadonly(src: string, dir: string): () => void {
  fs.mkdirSync(dir, { recursive: true });
  if (!mount(['--bind', src, dir])) throw new Error(`cannot bind ${src} on ${dir}`);
  if (!mount(['-o', 'remount,bind,ro', dir])) {
    unmounter(dir)();
    throw new Error(`cannot remount ${dir} read-only`);
  }
  return unmounter(dir);
}

/** Fills the filesystem holding `dir` with a ballast file, to the last byte or leaving about `leaveKb` KiB; returns its path. */
export function fillDisk(dir: string, leaveKb = 0): string {
  const file = path.join(dir, 'ballast');
  const fd = fs.openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (let size = chunk.length; size >= 1; size = Math.floor(size / 2)) {
      for (;;) {
        try {
          fs.writeSync(fd, chunk, 0, size);
        } catch {
          break;
        }
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  if (leaveKb > 0) fs.truncateSync(file, Math.max(0, fs.statSync(file).size - leaveKb * 1024));
  return file;
}
