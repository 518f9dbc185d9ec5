// What the store checks about a database file before using it, and how it reads one where it cannot
// write: a foreign SQLite file is refused (never migrated), a clsrl database missing a table is named
// as damaged, and a finished database on a read-only location is read from a copy in memory.

import Database from 'better-sqlite3';
import * as fs from 'fs';
import { ClsrlError } from '../errors';
import { MIGRATIONS } from './schema';

const expectedCache = new Map<number, string[]>();

/**
 * Tables a clsrl database at schema `version` (default: the newest) has: the migrations up to it applied
 * to an empty in-memory database, so tables a later migration rebuilds or renames are counted as they end.
 */
export function expectedTables(version = MIGRATIONS[MIGRATIONS.length - 1].version): string[] {
  let out = expectedCache.get(version);
  if (!out) {
    const mem = new Database(':memory:');
    try {
      for (const m of MIGRATIONS) if (m.version <= version) mem.exec(m.sql);
      out = tables(mem).sort();
    } finally {
      mem.close();
    }
    expectedCache.set(version, out);
  }
  return out;
}

function tables(db: Database.Database): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]).map((r) => r.name);
}

/** Refuses a database that holds tables but no clsrl schema_version: it belongs to something else. */
export function refuseForeign(db: Database.Database, file: string): void {
  const have = tables(db);
  if (have.length === 0 || have.includes('schema_version')) return;
  throw new ClsrlError('STORE', `${file} is an SQLite database but not a clsrl results database (it holds ${have.slice(0, 4).join(', ')}${have.length > 4 ? ', ...' : ''} and no schema_version); clsrl will not add its tables to it`, {
    hint: 'pass --db a new file name or an existing clsrl results database',
  });
}

/** Names the tables a clsrl database lacks (a damaged or hand-edited file). */
export function checkTables(db: Database.Database, file: string, version: number): void {
  const have = new Set(tables(db));
  const missing = expectedTables(version).filter((t) => !have.has(t) && t !== 'schema_version');
  if (missing.length > 0) {
    throw new ClsrlError('STORE', `${file} is damaged: table${missing.length > 1 ? 's' : ''} ${missing.join(', ')} missing`, {
      hint: 'restore the file from a backup, or pass --db another file (a new one starts empty)',
    });
  }
}

/** Opens an existing database read-only; where SQLite cannot (see openReadonlyCopy), from a copy in memory. */
export function openReadonly(abs: string, file: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(abs, { readonly: true, fileMustExist: true });
    db.prepare('SELECT 1 FROM sqlite_master LIMIT 1').get(); // the -shm file may only be needed at the first read
    return db;
  } catch (e) {
    db?.close();
    if ((e as { code?: string }).code !== 'SQLITE_CANTOPEN') throw e;
    return openReadonlyCopy(abs, file, e);
  }
}

/**
 * Opens `abs` read-only where SQLite cannot (a WAL database in a folder it cannot write its -shm file
 * to): the file is read into memory with its header marked rollback-journal. Refused while a -wal file
 * holds writes not yet in the database, which the copy would miss.
 */
export function openReadonlyCopy(abs: string, file: string, cause: unknown): Database.Database {
  const wal = `${abs}-wal`;
  if (fs.existsSync(wal) && fs.statSync(wal).size > 0) {
    throw new ClsrlError('STORE', `cannot read ${file}: its write-ahead log ${wal} holds unfinished writes and the folder is not writable`, {
      hint: 'copy the database with its -wal file to a writable folder and read it there (or let the writing sweep finish)',
      cause,
    });
  }
  const bytes = fs.readFileSync(abs);
  if (bytes.length >= 20 && bytes[18] === 2 && bytes[19] === 2) bytes[18] = bytes[19] = 1; // WAL -> rollback journal (file format bytes 18-19)
  return new Database(bytes, { readonly: true });
}
