// A zero-shot sweep evaluated through `--engine openai` against `clsrl serve --engine tiny` (the real
// CLI server process on 127.0.0.1) stores the same outputs and accuracies as `--engine tiny` in process.

import { spawn, type ChildProcessWithoutNullStreams } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { SuiteDef } from '../../harness/contracts';
import { runSweep } from '../../harness/runner/sweep';
import { Store } from '../../harness/store';
import { makeCoopFixture } from '../fixtures/coop';
import { BIN } from '../helpers/cli';

const suite: SuiteDef = {
  name: 'openai-vs-tiny',
  description: 'zero-shot through a served tiny model vs in process',
  datasets: ['EuroSAT', 'OxfordPets'],
  settings: [
    { setting: 'few-shot', shots: [2], seeds: [1] },
    { setting: 'base-to-new', shots: [2], seeds: [1] },
  ],
  methods: ['zero-shot'],
  engine: 'tiny',
  eval: { maxTokens: 48 },
};

let tmp: string;
let server: ChildProcessWithoutNullStreams | undefined;

afterAll(() => {
  server?.kill('SIGTERM');
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** Starts `clsrl serve --engine tiny --port 0 --json` and resolves its base URL. */
function serve(): Promise<string> {
  return new Promise((resolve, reject) => {
    server = spawn(process.execPath, [BIN, 'serve', '--engine', 'tiny', '--port', '0', '--threads', '1', '--json'], { env: { ...process.env, FORCE_COLOR: '0' } });
    let out = '';
    let err = '';
    server.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    server.stderr.on('data', (d: Buffer) => (err += d.toString()));
    server.on('exit', (code) => reject(new Error(`clsrl serve exited ${code}: ${err}`)));
  });
}

test('served tiny model gives the same zero-shot predictions as the in-process engine', async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-openai-sweep-'));
  const fx = await makeCoopFixture(path.join(tmp, 'data'), { datasets: suite.datasets });
  const url = await serve();
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);

  const direct = await runSweep({ suite, dataRoot: fx.root, db: path.join(tmp, 'tiny.sqlite'), engineOpt: { threads: 1 } });
  const remote = await runSweep({ suite, dataRoot: fx.root, db: path.join(tmp, 'openai.sqlite'), engine: 'openai', engineOpt: { baseUrl: url, model: 'tiny' } });
  expect(direct.failed).toEqual([]);
  expect(remote.failed).toEqual([]);
  expect(fs.statSync(path.join(tmp, 'openai-cache.sqlite')).size).toBeGreaterThan(0); // beside --db, not <cwd>/results

  const read = (db: string) => {
    const store = Store.open(db, { readonly: true });
    try {
      const evals = store.evaluations({ suite: suite.name }).map((e) => ({ key: `${e.dataset}/${e.setting}/${e.evalDataset}/${e.evalSplit}`, n: e.n, correct: e.correct }));
      const outputs = store.runs({ suite: suite.name }).flatMap((r) => store.predictions(r.id).map((p) => `${p.evalDataset}/${p.exampleId}: ${p.output}`));
      return { evals: evals.sort((a, b) => a.key.localeCompare(b.key)), outputs: outputs.sort() };
    } finally {
      store.close();
    }
  };
  const a = read(path.join(tmp, 'tiny.sqlite'));
  const b = read(path.join(tmp, 'openai.sqlite'));
  expect(a.evals.length).toBe(6); // 2 datasets x (few-shot test + base-to-new base and new)
  expect(a.outputs.length).toBeGreaterThan(0);
  expect(a.outputs.some((o) => !o.endsWith(': '))).toBe(true); // comparing empty outputs would prove nothing
  expect(b.evals).toEqual(a.evals);
  expect(b.outputs).toEqual(a.outputs);
}, 300_000);
