// A checksum of a results database's CONTENTS (every table's rows, order-independent), so tests and
// tools can check that a failed command left the DB as it was, whatever WAL checkpoints did to the bytes.

import Database from 'better-sqlite3';
import { createHash } from 'crypto';
import * as fs from 'fs';

/** sha256 over all rows of all tables; `absent` when the file does not exist. */
export function dbChecksum(file: string): string {
  if (!fs.existsSync(file)) return 'absent';
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const h = createHash('sha256');
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .all() as { name: string }[];
    for (const { name } of tables) {
      const rows = (db.prepare(`SELECT * FROM "${name}"`).all() as unknown[]).map((r) => JSON.stringify(r)).sort();
      h.update(`${name}\n${rows.join('\n')}\n`);
    }
    return h.digest('hex');
  } finally {
    db.close();
  }
}
