// Error classes with stable codes and hints. Only the CLI turns them into exit codes and messages.
// Low-level failures are wrapped with `{ cause }` so the original stack survives for --verbose.

export type ErrorCode =
  | 'BAD_FLAG'
  | 'BAD_CONFIG'
  | 'UNKNOWN_NAME'
  | 'DATA_ROOT'
  | 'DATA_FORMAT'
  | 'DATA_MISSING'
  | 'ENGINE'
  | 'STORE'
  | 'STORAGE'
  | 'RUN_FAILED'
  | 'EXTERNAL'
  | 'NOT_FOUND'
  | 'PREFLIGHT';

export class ClsrlError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;

  constructor(code: ErrorCode, message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ClsrlError';
    this.code = code;
    this.hint = opts.hint;
  }
}

/** Levenshtein distance, for "did you mean" suggestions on unknown names. */
export function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

/** Names closest to `name` (case-insensitive), best first. */
export function closeMatches(name: string, available: readonly string[], max = 3): string[] {
  const low = name.toLowerCase();
  return available
    .map((n) => ({ n, d: n.toLowerCase().includes(low) || low.includes(n.toLowerCase()) ? 0 : editDistance(low, n.toLowerCase()) }))
    .filter((x) => x.d <= Math.max(2, Math.floor(x.n.length / 3)))
    .sort((a, b) => a.d - b.d || a.n.localeCompare(b.n))
    .slice(0, max)
    .map((x) => x.n);
}

/** The standard error for a name missing from a registry: lists close matches and what exists. */
export function unknownName(kind: string, name: string, available: readonly string[]): ClsrlError {
  const close = closeMatches(name, available);
  const hint =
    (close.length > 0 ? `did you mean ${close.map((c) => `'${c}'`).join(' or ')}? ` : '') +
    `available ${kind}s: ${[...available].sort().join(', ')}`;
  return new ClsrlError('UNKNOWN_NAME', `unknown ${kind} '${name}'`, { hint });
}

// -------------------------------------------------------------------------------------------
// Storage conditions (disk full, read-only, permissions): user conditions, not bugs.

const FS_CONDITIONS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EFBIG: 'file too large',
  EIO: 'input/output error',
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'it is a folder',
  EEXIST: 'it already exists',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'name too long',
};

const SQLITE_CONDITIONS: [prefix: string, what: string][] = [
  ['SQLITE_FULL', 'no space left on the device'],
  ['SQLITE_READONLY', 'the database or its folder is read-only'],
  ['SQLITE_IOERR', 'input/output error (disk full or failing)'],
  ['SQLITE_CANTOPEN', 'cannot open the file (missing folder, permissions, or a read-only folder)'],
  ['SQLITE_PERM', 'permission denied'],
  ['SQLITE_CORRUPT', 'the file is damaged'],
  ['SQLITE_NOTADB', 'the file is not an SQLite database'],
];

const STORAGE_HINT = 'free space or pick a writable location (--db, --out), then run the same command again: finished runs are kept and nothing is half-written';

/** What a filesystem (errno) or SQLite storage error means in words, or undefined for other errors. */
export function storageCondition(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  if (FS_CONDITIONS[code] && typeof (e as NodeJS.ErrnoException).syscall === 'string') return `${FS_CONDITIONS[code]} (${code})`;
  const hit = SQLITE_CONDITIONS.find(([p]) => code.startsWith(p));
  return hit ? `${hit[1]} (${code})` : undefined;
}

/**
 * Wraps a storage error as a ClsrlError naming `file` and what was being done (`action`, e.g. 'cannot
 * write'); other errors are returned unchanged.
 */
export function storageError(e: unknown, action: string, file: string | undefined): unknown {
  if (e instanceof ClsrlError) return e;
  const what = storageCondition(e);
  if (!what) return e;
  const where = file ?? (e as NodeJS.ErrnoException).path ?? '';
  return new ClsrlError('STORAGE', `${action}${where ? ` ${where}` : ''}: ${what}`, { hint: STORAGE_HINT, cause: e });
}
