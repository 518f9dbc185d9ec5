// Cross-process file locks and atomic folder publishing, for what several clsrl processes may build in
// one place at once (the synthetic world's cache, a report folder). Not a general locking library:
// a lock is a file created with O_EXCL holding its owner (host, pid, heartbeat); a lock whose owner
// died (same host, pid gone) or whose heartbeat is older than `staleMs` is broken and taken over.

import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ClsrlError } from './errors';

/** What a lock file holds. */
export interface LockOwner {
  host: string;
  pid: number;
  /** Random per lock: tells our own lock from a later one by a reused pid. */
  token: string;
  acquiredAt: string;
  /** Epoch ms of the owner's last heartbeat (also the file's mtime). */
  heartbeat: number;
}

export interface LockOptions {
  /** A lock whose heartbeat is older than this is stale whatever its owner (default 10 min). */
  staleMs?: number;
  /** How often the owner refreshes the heartbeat (default staleMs / 5). */
  heartbeatMs?: number;
  /** Poll interval while waiting for another owner (default 250 ms). */
  pollMs?: number;
  /** Give up waiting after this long (default: wait as long as the owner is alive). */
  timeoutMs?: number;
  /** Called once when the lock is held by a live owner and we start waiting. */
  onWait?: (owner: LockOwner | null) => void;
}

export interface HeldLock {
  file: string;
  owner: LockOwner;
  release(): void;
}

export const HOST = os.hostname();

/** True when a process with this pid exists on this host (EPERM: it exists, owned by someone else). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when the owner is certainly gone: same host and the pid is dead, or no heartbeat for `staleMs`. */
export function ownerGone(owner: Pick<LockOwner, 'host' | 'pid' | 'heartbeat'>, staleMs: number, now = Date.now()): boolean {
  if (owner.host === HOST && !pidAlive(owner.pid)) return true;
  return now - owner.heartbeat > staleMs;
}

function readOwner(file: string): LockOwner | null {
  try {
    const o = JSON.parse(fs.readFileSync(file, 'utf8')) as LockOwner;
    // the mtime is the heartbeat the owner refreshes (cheaper than rewriting the file)
    const mtime = fs.statSync(file).mtimeMs;
    return { ...o, heartbeat: Math.max(o.heartbeat ?? 0, mtime) };
  } catch {
    return null; // absent, or being written this instant (an empty file reads as not yet owned)
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function tryCreate(file: string, owner: LockOwner): boolean {
  try {
    fs.writeFileSync(file, JSON.stringify(owner), { flag: 'wx' });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new ClsrlError('STORE', `cannot create lock file ${file}: ${(e as Error).message}`, {
      hint: 'the folder must be writable by this user',
      cause: e,
    });
  }
}

/**
 * Breaks a stale lock: renames it to a unique name first, so of two processes that both found it stale
 * only one removes it (the other's rename fails) and a fresh lock taken meanwhile is never removed.
 */
function breakStale(file: string, seen: LockOwner): void {
  const aside = `${file}.stale-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  try {
    fs.renameSync(file, aside);
  } catch {
    return; // someone else broke it first
  }
  const moved = readOwner(aside);
  if (moved && moved.token !== seen.token) {
    // a new owner took the lock between our read and our rename: give it back if the name is free
    try {
      fs.linkSync(aside, file);
    } catch {
      /* a third owner holds it now; ours stays broken, theirs stands */
    }
  }
  fs.rmSync(aside, { force: true });
}

/** Waits for and takes the lock `file` (created beside what it guards). */
export async function acquireLock(file: string, opts: LockOptions = {}): Promise<HeldLock> {
  const staleMs = opts.staleMs ?? 10 * 60_000;
  const pollMs = opts.pollMs ?? 250;
  const started = Date.now();
  const owner: LockOwner = { host: HOST, pid: process.pid, token: crypto.randomBytes(8).toString('hex'), acquiredAt: new Date().toISOString(), heartbeat: Date.now() };
  let waited = false;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  for (;;) {
    owner.heartbeat = Date.now();
    if (tryCreate(file, owner)) break;
    const cur = readOwner(file);
    if (cur && ownerGone(cur, staleMs)) {
      breakStale(file, cur);
      continue;
    }
    if (!waited) (waited = true), opts.onWait?.(cur);
    if (opts.timeoutMs !== undefined && Date.now() - started > opts.timeoutMs) {
      throw new ClsrlError('STORE', `timed out after ${Math.round(opts.timeoutMs / 1000)} s waiting for lock ${file}${cur ? ` (held by pid ${cur.pid} on ${cur.host})` : ''}`, {
        hint: 'another clsrl process is building the same thing; wait for it, or remove the lock file if that process is gone',
      });
    }
    await sleep(pollMs);
  }
  const beat = setInterval(() => {
    const now = new Date();
    try {
      fs.utimesSync(file, now, now);
    } catch {
      /* lock removed under us (broken as stale): the owner notices at release */
    }
  }, opts.heartbeatMs ?? Math.max(1000, Math.floor(staleMs / 5)));
  beat.unref();
  let released = false;
  return {
    file,
    owner,
    release: () => {
      if (released) return;
      released = true;
      clearInterval(beat);
      // remove only our own lock: after a stale break another process may own the name now
      if (readOwner(file)?.token === owner.token) fs.rmSync(file, { force: true });
    },
  };
}

/** Runs `fn` holding the lock `file`. */
export async function withLock<T>(file: string, fn: () => Promise<T> | T, opts: LockOptions = {}): Promise<T> {
  const lock = await acquireLock(file, opts);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

/** A fresh sibling name for `target` (same parent, so a rename is atomic): `.<name>.<kind>-<host>-<pid>-<rand>`. */
export function siblingName(target: string, kind: 'tmp' | 'old'): string {
  const rand = crypto.randomBytes(4).toString('hex');
  return path.join(path.dirname(target), `.${path.basename(target)}.${kind}-${HOST}-${process.pid}-${rand}`);
}

/** Siblings of `target` left by `siblingName`, with the host and pid that made them. */
export function siblingsOf(target: string): { file: string; kind: 'tmp' | 'old'; host: string; pid: number }[] {
  const dir = path.dirname(target);
  const prefix = `.${path.basename(target)}.`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: { file: string; kind: 'tmp' | 'old'; host: string; pid: number }[] = [];
  for (const n of names) {
    if (!n.startsWith(prefix)) continue;
    const m = /^(tmp|old)-(.+)-(\d+)-[0-9a-f]{8}$/.exec(n.slice(prefix.length));
    if (m) out.push({ file: path.join(dir, n), kind: m[1] as 'tmp' | 'old', host: m[2], pid: Number(m[3]) });
  }
  return out;
}

/** True when the process that made a sibling is certainly gone (same host, pid dead). */
export function siblingOrphaned(s: { host: string; pid: number }): boolean {
  return s.host === HOST && !pidAlive(s.pid);
}
