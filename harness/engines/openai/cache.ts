// Completion cache for the openai engine: a SQLite table keyed by sha256 of (model, prompt text, image
// bytes hash, sampling), written as each answer arrives so an interrupted evaluation resumes without
// asking the server again. Separate from the results store; safe to delete.

import fs from 'fs';
import path from 'path';
import { createHash } from 'crypto';
import Database from 'better-sqlite3';
import type { Completion } from '../../contracts';
import { ClsrlError } from '../../errors';

export interface CacheKeyParts {
  model: string;
  text: string;
  /** sha256 of the image bytes as sent. */
  imageSha: string;
  sampling: { n: number; temperature: number; topP: number; maxTokens: number; seed: number; repetitionPenalty?: number };
}

export function cacheKey(parts: CacheKeyParts): string {
  const canonical = JSON.stringify([parts.model, parts.text, parts.imageSha, parts.sampling.n, parts.sampling.temperature, parts.sampling.topP, parts.sampling.maxTokens, parts.sampling.seed, parts.sampling.repetitionPenalty ?? null]);
  return createHash('sha256').update(canonical).digest('hex');
}

export class CompletionCache {
  private readonly db: Database.Database;
  private readonly getStmt: Database.Statement;
  private readonly putStmt: Database.Statement;

  constructor(readonly file: string) {
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      this.db = new Database(file);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('busy_timeout = 5000');
      this.db.exec(`CREATE TABLE IF NOT EXISTS openai_completions (
        key TEXT PRIMARY KEY,
        model TEXT NOT NULL,
        completions TEXT NOT NULL,
        created_at TEXT NOT NULL
      )`);
    } catch (err) {
      throw new ClsrlError('STORE', `cannot open the openai completion cache ${file}: ${(err as Error).message}`, {
        hint: 'pass --engine-cache off, or a writable file',
        cause: err,
      });
    }
    this.getStmt = this.db.prepare('SELECT completions FROM openai_completions WHERE key = ?');
    this.putStmt = this.db.prepare('INSERT OR REPLACE INTO openai_completions (key, model, completions, created_at) VALUES (?, ?, ?, ?)');
  }

  get(key: string): Completion[] | undefined {
    const row = this.getStmt.get(key) as { completions: string } | undefined;
    return row ? (JSON.parse(row.completions) as Completion[]) : undefined;
  }

  put(key: string, model: string, completions: Completion[]): void {
    this.putStmt.run(key, model, JSON.stringify(completions), new Date().toISOString());
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM openai_completions').get() as { n: number }).n;
  }

  close(): void {
    this.db.close();
  }
}
