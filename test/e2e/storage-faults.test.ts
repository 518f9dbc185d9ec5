// End to end on real filesystem faults (a full tmpfs, a read-only bind mount; needs root and mount(8),
// skipped with a note otherwise): a finished database on a read-only location is readable by `results`
// and `report`; disk full and read-only while writing are user errors naming the path (exit 1, no
// stack), with nothing half-written; the results store refuses foreign SQLite files and names a
// missing table.

import Database from 'better-sqlite3';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { makeCoopFixture } from '../fixtures/coop';
import { cli, fixtureSuite, json, writeSuite } from '../helpers/cli';
import { fillDisk, mountReadonly, mountsAvailable, mountTmpfs } from '../helpers/mounts';

let tmp: string;
let data: string;
let suiteFile: string;
const cleanups: (() => void)[] = [];

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-storage-'));
  data = path.join(tmp, 'data');
  await makeCoopFixture(data, { datasets: ['EuroSAT', 'DescribableTextures'] });
  suiteFile = writeSuite(tmp, fixtureSuite('storage', ['EuroSAT', 'DescribableTextures']));
});
afterAll(() => {
  for (const c of cleanups.reverse()) c();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const sweep = (db: string, ...extra: string[]) => cli(['sweep', '--suite', suiteFile, '--data-root', data, '--db', db, ...extra]);

/** The failure contract: exit code, first line `error: ...` matching, a hint, no stack, no "unexpected". */
function expectUserError(r: ReturnType<typeof cli>, code: number, message: RegExp): void {
  expect({ code: r.code, stdout: r.stdout }).toEqual({ code, stdout: '' });
  expect(r.stderr.split('\n')[0]).toMatch(message);
  expect(r.stderr).toMatch(/^hint: /m);
  expect(r.stderr).not.toMatch(/unexpected error|^\s+at /m);
}

/** Files of size 0 or left-over temp files below `dir`. */
function debris(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && (e.name.endsWith('.tmp') || fs.statSync(path.join(e.parentPath, e.name)).size === 0))
    .map((e) => path.join(e.parentPath, e.name));
}

const withMounts = mountsAvailable() ? describe : describe.skip;
if (!mountsAvailable()) console.warn('storage-faults: mount(8) as root is not available here; the read-only and disk-full cases are skipped');

withMounts('read-only locations', () => {
  let src: string;
  let ro: string;
  let rows: unknown;

  beforeAll(() => {
    src = path.join(tmp, 'src');
    fs.mkdirSync(src);
    json(sweep(path.join(src, 'done.sqlite'), '--methods', 'zero-shot,sft', '--datasets', 'EuroSAT', '--json'));
    rows = json(cli(['results', '--db', path.join(src, 'done.sqlite'), '--json']));
    // a database an older clsrl left in WAL mode (header bytes 18-19 = 2), WAL checkpointed and gone
    fs.copyFileSync(path.join(src, 'done.sqlite'), path.join(src, 'wal.sqlite'));
    const w = new Database(path.join(src, 'wal.sqlite'));
    w.pragma('journal_mode = WAL');
    w.close();
    ro = path.join(tmp, 'ro');
    cleanups.push(mountReadonly(src, ro));
  });

  test('a finished database is readable by results and report, also one left in WAL mode', () => {
    const listing = fs.readdirSync(ro).sort();
    expect(fs.readFileSync(path.join(ro, 'wal.sqlite'))[18]).toBe(2);
    expect(fs.readFileSync(path.join(ro, 'done.sqlite'))[18]).toBe(1); // the store left rollback mode on close
    for (const name of ['done.sqlite', 'wal.sqlite']) {
      expect(json(cli(['results', '--db', path.join(ro, name), '--json']))).toEqual(rows);
      const out = path.join(tmp, `report-${name}`);
      const doc = json<{ files: string[] }>(cli(['report', '--db', path.join(ro, name), '--out', out, '--format', 'md,csv', '--json']));
      expect(doc.files.length).toBeGreaterThan(3);
    }
    expect(fs.readdirSync(ro).sort()).toEqual(listing); // no -shm or -wal could be (or was) made
  });

  test('a database whose -wal holds writes but has no -shm (copied mid-write) is refused, not read stale', () => {
    const live = path.join(tmp, 'live.sqlite');
    fs.copyFileSync(path.join(src, 'done.sqlite'), live);
    const w = new Database(live);
    w.pragma('journal_mode = WAL');
    w.pragma('wal_autocheckpoint = 0');
    w.prepare("UPDATE runs SET error = 'x'").run();
    const copy = path.join(tmp, 'copied');
    fs.mkdirSync(copy);
    fs.copyFileSync(live, path.join(copy, 'live.sqlite'));
    fs.copyFileSync(`${live}-wal`, path.join(copy, 'live.sqlite-wal'));
    w.close();
    const roCopy = path.join(tmp, 'ro-copy');
    cleanups.push(mountReadonly(copy, roCopy));
    expect(fs.statSync(path.join(roCopy, 'live.sqlite-wal')).size).toBeGreaterThan(0);
    expectUserError(cli(['results', '--db', path.join(roCopy, 'live.sqlite'), '--json']), 1, /^error: cannot read .*live\.sqlite: its write-ahead log .* holds unfinished writes/);
  });

  test('sweep --db and report --out on a read-only location: clear errors naming the path', () => {
    expectUserError(sweep(path.join(ro, 'new.sqlite')), 1, new RegExp(`^error: cannot open results database ${ro}/new\\.sqlite: .*(read-only|cannot open)`));
    expectUserError(cli(['report', '--db', path.join(src, 'done.sqlite'), '--out', path.join(ro, 'report')]), 2, new RegExp(`^error: cannot create report folder ${ro}/report: read-only file system \\(EROFS\\)`));
    expectUserError(cli(['report', '--db', path.join(src, 'done.sqlite'), '--out', ro]), 1, new RegExp(`^error: cannot write report folder ${ro}: read-only file system \\(EROFS\\)`));
  });
});

withMounts('disk full', () => {
  let full: string;

  beforeAll(() => {
    full = path.join(tmp, 'full');
    cleanups.push(mountTmpfs(full, 4096));
  });

  test('a sweep whose database disk fills stops with a clear error; every stored run is whole', () => {
    const db = path.join(full, 'results.sqlite');
    json(sweep(db, '--methods', 'zero-shot', '--json'));
    const ballast = fillDisk(full, 160); // room to open and start, not to store a run (the run's catch block then fails too)
    const r = sweep(db, '--json');
    expectUserError(r, 1, new RegExp(`^error: cannot write .* results database ${db}: no space left on the device \\(SQLITE_FULL\\)`));
    fs.rmSync(ballast);
    const check = new Database(db, { readonly: true });
    try {
      expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
      const runs = check.prepare("SELECT id, status FROM runs WHERE status IN ('done', 'failed')").all() as { id: string; status: string }[];
      expect(runs.length).toBeGreaterThan(0);
      for (const run of runs.filter((x) => x.status === 'done')) {
        const evals = check.prepare('SELECT n, (SELECT COUNT(*) FROM predictions p WHERE p.run_id = e.run_id AND p.eval_split = e.eval_split AND p.eval_dataset = e.eval_dataset) AS got FROM evaluations e WHERE run_id = ?').all(run.id) as { n: number; got: number }[];
        expect(evals.length).toBeGreaterThan(0);
        for (const e of evals) expect(e.got).toBe(e.n);
      }
    } finally {
      check.close();
    }
    // with space again the same command finishes the sweep
    const done = json<{ counts: Record<string, number> }>(sweep(db, '--json'));
    expect(Object.keys(done.counts)).toEqual(['done']);
  });

  test('report on a full disk: a clear error naming the file, and no 0-byte or temp file left', () => {
    const src = path.join(tmp, 'for-report.sqlite');
    json(sweep(src, '--methods', 'zero-shot,sft', '--json'));
    const out = path.join(full, 'report');
    fs.mkdirSync(out);
    const ballast = fillDisk(full);
    try {
      expectUserError(cli(['report', '--db', src, '--out', out]), 1, new RegExp(`^error: cannot write report file (${out}|${path.dirname(out)}/\\.${path.basename(out)}\\.tmp-[^/]+)/.*: no space left on the device \\(ENOSPC\\)`));
      expect(debris(out)).toEqual([]);
    } finally {
      fs.rmSync(ballast);
    }
  });
});

describe('databases that are not (whole) clsrl results', () => {
  test('a foreign SQLite file is refused, not migrated', () => {
    const foreign = path.join(tmp, 'foreign.sqlite');
    const f = new Database(foreign);
    f.exec("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('ada')");
    f.close();
    const before = fs.readFileSync(foreign);
    expectUserError(sweep(foreign, '--methods', 'zero-shot'), 1, /^error: .*foreign\.sqlite is an SQLite database but not a clsrl results database \(it holds customers/);
    expectUserError(cli(['results', '--db', foreign]), 1, /not a clsrl results database/);
    expect(fs.readFileSync(foreign).equals(before)).toBe(true);
  });

  test('a clsrl database with a dropped table names it, instead of an unexpected error', () => {
    const db = path.join(tmp, 'dropped.sqlite');
    json(sweep(db, '--methods', 'zero-shot', '--datasets', 'EuroSAT', '--json'));
    const d = new Database(db);
    d.exec('DROP TABLE predictions');
    d.close();
    expectUserError(cli(['results', '--db', db, '--json']), 1, /^error: .*dropped\.sqlite is damaged: table predictions missing/);
    expectUserError(sweep(db, '--methods', 'zero-shot'), 1, /dropped\.sqlite is damaged: table predictions missing/);
  });
});
