// End to end: several sweeps at once on one fresh results folder and one database (child processes of
// the real CLI). The synthetic world is materialised once (one builder, the others wait and reuse it),
// every run is executed exactly once (store attempts, and the processes' own counts add up) and stored
// once; a crashed holder's leases are taken over, a live one's runs are skipped and reported as held.
// The suite is a small synthetic one on the `double` engine so it stays quick.

import Database from 'better-sqlite3';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Store } from '../../harness/store';
import { BIN, REPO, TINY_BUDGETS, cli } from '../helpers/cli';

jest.setTimeout(15 * 60_000); // child processes on a loaded 2-core machine: generous, never a pass/fail criterion

let dir: string;
let suiteFile: string;

/** A synthetic suite on one small task (10 classes, 4+1+3 images each), 14 runs on the double engine. */
function writeSynthSuite(file: string): void {
  const imp = (m: string) => JSON.stringify(path.join(REPO, m));
  fs.writeFileSync(
    file,
    `import { materialiseWorld } from ${imp('suites/synthetic/materialise')};
import { datasetDefs } from ${imp('suites/synthetic/world')};
const TASKS = ['SynthSat'];
export const suite = {
  name: 'concurrency',
  description: 'e2e: concurrent sweeps',
  datasets: TASKS,
  customDatasets: datasetDefs(TASKS),
  prepare: async ({ cacheDir }: { cacheDir: string }) =>
    ({ dataRoot: (await materialiseWorld({ cacheDir, world: { seed: 3, train: 4, val: 1, test: 3, pretrain: 0 }, tasks: TASKS })).dataRoot }),
  settings: [
    { setting: 'base-to-new', shots: [2], seeds: [1, 2] },
    { setting: 'few-shot', shots: [2], seeds: [1, 2] },
  ],
  methods: ['zero-shot', 'sft', 'cls-rl', 'no-thinking-cls-rl'],
  engine: 'double',
  methodConfig: ${JSON.stringify(TINY_BUDGETS)},
  eval: { maxTokens: 64 },
};
`,
  );
}

interface SweepDoc {
  total: number;
  ran: number;
  skipped: number;
  held: number;
  failed: unknown[];
  counts: Record<string, number>;
}

/** Runs `clsrl args` as a child process to completion, without blocking this process (several at once). */
function cliAsync(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, env: { ...process.env, CLSRL_DATA: '', FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function parse(r: { code: number | null; stdout: string; stderr: string }): SweepDoc {
  if (r.code !== 0) throw new Error(`clsrl exited ${r.code}:\n${r.stderr.slice(-3000)}`);
  return JSON.parse(r.stdout) as SweepDoc;
}

function query<T>(db: string, sql: string): T[] {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare(sql).all() as T[];
  } finally {
    d.close();
  }
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-conc-'));
  suiteFile = path.join(dir, 'concurrency-suite.ts');
  writeSynthSuite(suiteFile);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('three sweeps at once on a fresh results folder and one DB: world built once, every run executed once and stored once', async () => {
  const results = path.join(dir, 'results');
  const db = path.join(results, 'clsrl.sqlite');
  const args = ['sweep', '--suite', suiteFile, '--db', db, '--json'];
  // one of the three uses worker processes: leases are taken by its parent for every worker
  const docs = (await Promise.all([cliAsync(args), cliAsync([...args, '--jobs', '2']), cliAsync(args)])).map(parse);

  const total = docs[0].total;
  expect(total).toBe(14); // zero-shot runs once per setting (it does not depend on the seed)
  for (const d of docs) {
    expect(d.failed).toEqual([]);
    // a process that ends first may still see another's last run as running: only the final DB must be all done
    expect(Object.keys(d.counts).filter((k) => k !== 'done' && k !== 'running')).toEqual([]);
    // each process accounts for every planned run exactly once, from its own point of view
    expect(d.ran + d.skipped + d.held).toBe(total);
  }
  // executions across the three processes: each run exactly once
  expect(docs.reduce((n, d) => n + d.ran, 0)).toBe(total);
  expect(query<{ id: string; attempts: number }>(db, 'SELECT id, attempts FROM runs WHERE attempts != 1')).toEqual([]);
  // stored once: one runs row per run, predictions exactly as the evaluations count them, no lease left
  expect(query<{ c: number }>(db, "SELECT COUNT(*) c FROM runs WHERE status = 'done'")[0].c).toBe(total);
  expect(query<{ c: number }>(db, 'SELECT COALESCE(SUM(n), 0) - (SELECT COUNT(*) FROM predictions) c FROM evaluations')[0].c).toBe(0);
  expect(query<{ c: number }>(db, 'SELECT COUNT(*) c FROM run_leases')[0].c).toBe(0);

  // the world was materialised once into place: no lock, no temporary or half-written folder
  const synth = path.join(results, 'cache', 'synthetic');
  const worlds = fs.readdirSync(synth);
  expect(worlds).toHaveLength(1);
  expect(fs.readdirSync(path.join(synth, worlds[0]))).toEqual(['synth_sat']);

  // a fourth sweep finds everything done
  const again = parse(await cliAsync(args));
  expect({ ran: again.ran, skipped: again.skipped, held: again.held }).toEqual({ ran: 0, skipped: total, held: 0 });
});

test("leases: a live holder's run is skipped and reported held; a dead or expired holder's run is taken over", async () => {
  const db = path.join(dir, 'leases', 'clsrl.sqlite');
  const base = ['sweep', '--suite', suiteFile, '--db', db, '--cache-dir', path.join(dir, 'results', 'cache')];
  const plan = JSON.parse(cli([...base, '--dry-run', '--json']).stdout) as { runs: { id: string }[] };
  const [live, dead, expired] = plan.runs.map((r) => r.id);
  Store.open(db).close(); // a migrated database to plant the other processes' leases in
  const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!;
  const now = Date.now();
  const d = new Database(db);
  const put = d.prepare('INSERT INTO run_leases (run_id, holder, host, pid, acquired_at, heartbeat_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  put.run(live, 'other-node:4242:aa', 'other-node', 4242, '', now, now + 3_600_000);
  put.run(dead, `${os.hostname()}:${deadPid}:bb`, os.hostname(), deadPid, '', now, now + 3_600_000);
  put.run(expired, 'gone-node:77:cc', 'gone-node', 77, '', now - 600_000, now - 1);
  d.close();

  const r = cli([...base, '--json'], { timeoutMs: 10 * 60_000 });
  const doc = parse(r);
  expect({ ran: doc.ran, held: doc.held, failed: doc.failed }).toEqual({ ran: doc.total - 1, held: 1, failed: [] });
  const status = Object.fromEntries(query<{ id: string; status: string }>(db, 'SELECT id, status FROM runs').map((x) => [x.id, x.status]));
  expect({ live: status[live], dead: status[dead], expired: status[expired] }).toEqual({ live: undefined, dead: 'done', expired: 'done' });
  expect(query<{ run_id: string }>(db, 'SELECT run_id FROM run_leases')).toEqual([{ run_id: live }]);
  // the text summary says what this process did
  const text = cli(base, { timeoutMs: 10 * 60_000 });
  expect(text.stdout).toMatch(/0 runs finished, \d+ already done, 0 failed, 1 skipped as held by another process/);
  expect(text.stderr).toMatch(/skipped: running in another process \(pid 4242 on other-node\)/);
});
