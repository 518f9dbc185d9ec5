// Publishing a report folder atomically: the report is written into a temporary sibling of `--out`
// (same parent, so renames are atomic) and swapped in, so a killed report leaves the old report or the
// new one, never new charts beside an old report.md. A manifest lists the files a report wrote; the next
// report removes only those (files of its own earlier runs) and carries everything else in the folder
// over. Not a general sync tool: one writer at a time holds a lock on the folder during the swap.

import * as fs from 'fs';
import * as path from 'path';
import { ClsrlError, storageCondition } from '../harness/errors';
import { siblingName, siblingOrphaned, siblingsOf, withLock } from '../harness/fslock';

/** Written last into every report folder: the files that report wrote, relative to the folder. */
export const MANIFEST = '.clsrl-report.json';

/** What a report folder without a manifest (written before manifests) holds of its own. */
const LEGACY_OWN = /(^|\/)(report\.(md|html|json)|charts\/[^/]+\.(vl\.json|svg|png)|csv\/[^/]+\.csv)$/;

interface Manifest {
  files: string[];
  writtenAt: string;
}

/** Why a folder cannot be created: the condition at its nearest existing ancestor, else the error's. */
export function whyNotCreatable(dir: string, cause: unknown): string {
  let anc = path.dirname(path.resolve(dir));
  while (!fs.existsSync(anc) && path.dirname(anc) !== anc) anc = path.dirname(anc);
  try {
    fs.accessSync(anc, fs.constants.W_OK);
  } catch (e) {
    return `${storageCondition(e) ?? (e as Error).message} at ${anc}`;
  }
  return storageCondition(cause) ?? (cause as Error).message;
}

/** A fresh staging folder beside `outDir` (its parent is created; a clear error when it cannot be). */
export function stagingFolder(outDir: string): string {
  const out = path.resolve(outDir);
  const staging = siblingName(out, 'tmp');
  try {
    fs.mkdirSync(staging, { recursive: true });
  } catch (cause) {
    throw new ClsrlError('BAD_FLAG', `cannot create report folder ${outDir}: ${whyNotCreatable(outDir, cause)}`, { hint: 'pass a writable --out folder', cause });
  }
  return staging;
}

function listFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(dir, r));
    else out.push(r);
  }
  return out;
}

function readManifest(dir: string): Manifest | null {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST), 'utf8')) as Manifest;
    return Array.isArray(m.files) ? m : null;
  } catch {
    return null;
  }
}

/** Files in the old folder that no report wrote: the user's, carried over into the new folder. */
function foreignFiles(old: string): string[] {
  const m = readManifest(old);
  const own = new Set(m?.files ?? []);
  return listFiles(old).filter((f) => f !== MANIFEST && (m ? !own.has(f) : !LEGACY_OWN.test(f)));
}

/**
 * A swap killed between its two renames leaves no `outDir` and the old folder under its `old` name:
 * put it back. Orphaned staging folders (their pid is dead) are removed.
 */
function recover(out: string, keep: string): void {
  const sibs = siblingsOf(out).filter((s) => s.file !== keep && siblingOrphaned(s));
  const old = sibs.find((s) => s.kind === 'old');
  if (old && !fs.existsSync(out)) fs.renameSync(old.file, out);
  for (const s of sibs) if (fs.existsSync(s.file)) fs.rmSync(s.file, { recursive: true, force: true });
}

/**
 * Moves the staged report (its files listed relative to it) into place as `outDir`: writes the manifest,
 * carries the old folder's foreign files over, swaps, removes the old folder. Returns the final paths.
 */
export async function publishReport(staging: string, outDir: string, files: string[]): Promise<string[]> {
  const out = path.resolve(outDir);
  const rel = files.map((f) => path.relative(staging, f).split(path.sep).join('/'));
  const manifest: Manifest = { files: rel, writtenAt: new Date().toISOString() };
  fs.writeFileSync(path.join(staging, MANIFEST), JSON.stringify(manifest, null, 1));
  await withLock(path.join(path.dirname(out), `.${path.basename(out)}.lock`), () => {
    try {
      swapIn(out, outDir, staging);
    } catch (e) {
      if (e instanceof ClsrlError) throw e;
      throw new ClsrlError('STORAGE', `cannot write report folder ${outDir}: ${whyNotCreatable(path.join(out, 'x'), e)}`, {
        hint: 'pass a writable --out folder (a report replaces the folder whole, so its parent must be writable too)',
        cause: e,
      });
    }
  });
  return rel.map((f) => path.join(outDir, ...f.split('/')));
}

/** Moves the user's own files into the staging folder, then swaps it in for `out` (two renames). */
function swapIn(out: string, outDir: string, staging: string): void {
  recover(out, staging);
  let old: string | undefined;
  if (fs.existsSync(out)) {
    if (!fs.statSync(out).isDirectory()) {
      throw new ClsrlError('BAD_FLAG', `--out ${outDir} is a file, not a folder`, { hint: 'pass a folder for the report' });
    }
    for (const f of foreignFiles(out)) {
      if (fs.existsSync(path.join(staging, f))) continue; // the new report writes this name itself
      fs.mkdirSync(path.dirname(path.join(staging, f)), { recursive: true });
      fs.renameSync(path.join(out, f), path.join(staging, f));
    }
    old = siblingName(out, 'old');
    fs.renameSync(out, old);
  }
  fs.renameSync(staging, out);
  if (old) fs.rmSync(old, { recursive: true, force: true });
}

/** Removes a staging folder after a failed report (the old report stays as it was). */
export function discardStaging(staging: string): void {
  fs.rmSync(staging, { recursive: true, force: true });
}
