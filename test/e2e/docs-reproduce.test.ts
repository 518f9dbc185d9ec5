// docs/reproduce-the-paper.md walked from top to bottom: every command of its ```bash blocks, in order, in
// one bash session, as a reader types them. The list below must equal the doc's commands exactly, so
// editing one without the other fails. Stand-ins only where a GPU or the real model is needed:
// - the pip installs / venvs: the pinned packages as dist-info folders on PYTHONPATH (what the pin
//   check reads), and fake `accelerate`, `vllm` (a python stub answering at once) and `nvidia-smi`
//   (8 H200s) on PATH (test/helpers/fake-trl.ts);
// - the model id: a Hugging Face cache folder holding its config; $CLSRL_DATA: the CoOp fixture.
// Changes to the typed commands are listed next to each one: the paper sweeps are narrowed to one dataset
// and seed (time), fixed ports become free ports, `<run id>` becomes a real id, and a server the doc runs
// in the foreground is started in the background. Everything else runs verbatim.

import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import { spawn } from 'child_process';
import type { MethodPlugin } from '../../harness/contracts';
import { PYTHON_PINS } from '../../harness/engines/trl/config';
import { createTrlEngine } from '../../harness/engines/trl';
import { planSweep } from '../../harness/runner/plan';
import { Store } from '../../harness/store';
import { getMethod } from '../../methods/registry';
import { getSuite } from '../../suites/registry';
import { BIN, REPO } from '../helpers/cli';
import { writeFakeNvidiaSmi, writeFakeSite, writeFakeTrlPrograms } from '../helpers/fake-trl';
import { makeCoopFixture } from '../fixtures/coop';

const DOC = path.join(REPO, 'docs', 'reproduce-the-paper.md');
const M = 'Qwen/Qwen2-VL-2B-Instruct';

type Step = { cmd: string; standIn: string } | { cmd: string; run: (s: string) => string; changed?: string };
const verbatim = (cmd: string): Step => ({ cmd, run: (s) => s });

/** Every command of the doc's bash blocks, in order (continuation lines joined, comments dropped). */
export function docCommands(markdown: string): string[] {
  const out: string[] = [];
  for (const block of markdown.matchAll(/^```bash\n([\s\S]*?)^```/gm)) {
    const joined = block[1].replace(/\\\n\s*/g, '');
    for (const raw of joined.split('\n')) {
      const line = raw.replace(/\s+#.*$/, '').replace(/^#.*$/, '').trim();
      if (line) out.push(line);
    }
  }
  return out;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-docs-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('docs/reproduce-the-paper.md, top to bottom, without a GPU', async () => {
  const [rewardPort, vllmPort, tinyPort] = [await freePort(), await freePort(), await freePort()];
  const runIdOf = async (dataset: string) =>
    planSweep({
      suite: getSuite('paper-fewshot'), engine: 'trl', engineConfig: { model: M }, engineFingerprint: (await createTrlEngine({ model: M, gpus: 8 })).fingerprint(),
      engineOptionKinds: (await createTrlEngine({ model: M, gpus: 8 })).optionKinds, getMethod: getMethod as (n: string) => MethodPlugin<object>,
      datasets: [dataset], seeds: [1], methods: ['cls-rl'],
    })[0].id;
  const [eurosat, pets] = [await runIdOf('EuroSAT'), await runIdOf('OxfordPets')];
  const narrow = (d: string) => (s: string) => `${s} --datasets ${d} --seeds 1`;
  const bg = (port: number, from: number) => (s: string) => `${s.replace(String(from), String(port))}\nwait_for_port ${port}`;
  const pipStandIn = 'pinned packages as dist-info folders on PYTHONPATH; accelerate/vllm stand-ins on PATH';

  const WALK: Step[] = [
    { cmd: 'python3.11 -m venv ~/venvs/clsrl-trl && . ~/venvs/clsrl-trl/bin/activate', standIn: pipStandIn },
    { cmd: 'pip install torch==2.8.0 torchvision==0.23.0 --index-url https://download.pytorch.org/whl/cu128', standIn: pipStandIn },
    { cmd: 'pip install trl==0.23.1 transformers==4.56.2 accelerate==1.10.1 deepspeed==0.17.6 datasets==4.1.1 pillow==11.3.0 qwen-vl-utils==0.0.11', standIn: pipStandIn },
    { cmd: 'pip install flash-attn==2.8.3 --no-build-isolation', standIn: pipStandIn },
    { cmd: 'python3.11 -m venv ~/venvs/clsrl-vllm && . ~/venvs/clsrl-vllm/bin/activate', standIn: pipStandIn },
    { cmd: 'pip install vllm==0.10.2', standIn: pipStandIn },
    { cmd: '. ~/venvs/clsrl-trl/bin/activate', standIn: pipStandIn },
    { cmd: 'scripts/gpu-smoke.sh', standIn: 'needs a GPU and the pinned stack (its CPU part: test/e2e/gpu-smoke-cpu.test.ts)' },
    verbatim('clsrl doctor --engine trl --engine-opt vllm=true --data-root $CLSRL_DATA'),
    verbatim(`M=${M}`),
    { cmd: 'clsrl sweep --suite paper-b2n --engine trl --model $M --engine-opt vllm=true --data-root $CLSRL_DATA', run: narrow('OxfordPets'), changed: 'one dataset, one seed' },
    { cmd: 'clsrl sweep --suite paper-fewshot --engine trl --model $M --engine-opt vllm=true --data-root $CLSRL_DATA', run: narrow('OxfordPets'), changed: 'one dataset, one seed' },
    verbatim('clsrl report --suite paper-b2n --out reports/out'),
    verbatim('clsrl report --suite paper-fewshot --out reports/out'),
    { cmd: 'clsrl sweep --suite paper-fewshot --engine trl --model $M --data-root $CLSRL_DATA --prepare', run: narrow('EuroSAT'), changed: 'another dataset, one seed' },
    { cmd: 'clsrl serve-rewards --port 8765 &', run: bg(rewardPort, 8765), changed: 'a free port' },
    { cmd: 'export CLSRL_REWARD_URL=http://127.0.0.1:8765', run: (s) => s.replace('8765', String(rewardPort)), changed: 'a free port' },
    { cmd: 'bash results/runs/<run id>/trl/launch.sh', run: (s) => s.replace('<run id>', eurosat), changed: 'the prepared EuroSAT CLS-RL run' },
    { cmd: 'vllm serve $PWD/results/runs/<run id>/trl/output/final --port 8000 --seed 100', run: (s) => bg(vllmPort, 8000)(`${s.replace('<run id>', pets)} &`), changed: 'the OxfordPets CLS-RL run; in the background, on a free port' },
    { cmd: 'clsrl sweep --suite paper-fewshot --engine trl --model $M --engine-opt baseUrl=http://127.0.0.1:8000/v1 --datasets OxfordPets --methods cls-rl --seeds 1 --data-root $CLSRL_DATA', run: (s) => s.replace('8000', String(vllmPort)), changed: 'a free port' },
    { cmd: 'clsrl serve --engine tiny --port 8000 --served-model-name tiny &', run: bg(tinyPort, 8000), changed: 'a free port' },
    { cmd: 'clsrl sweep --suite smoke --engine trl --model tiny --methods zero-shot --engine-opt baseUrl=http://127.0.0.1:8000/v1', run: (s) => s.replace('8000', String(tinyPort)), changed: 'a free port' },
    verbatim('clsrl report --suite smoke --out reports/try'),
  ];
  expect(docCommands(fs.readFileSync(DOC, 'utf8'))).toEqual(WALK.map((w) => w.cmd));

  // the machine: stand-ins on PATH, the pins on PYTHONPATH, the model in the HF cache, the data
  const bin = path.join(tmp, 'bin');
  writeFakeTrlPrograms(bin, path.join(tmp, 'served-images'), 'stub');
  writeFakeNvidiaSmi(bin, 8);
  fs.writeFileSync(path.join(bin, 'clsrl'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });
  const sitePkgs = writeFakeSite(path.join(tmp, 'site'), { ...PYTHON_PINS, torch: `${PYTHON_PINS.torch}+cu128` });
  const hub = path.join(tmp, 'hub');
  fs.mkdirSync(path.join(hub, `models--${M.replace('/', '--')}`, 'snapshots', 'x'), { recursive: true });
  fs.writeFileSync(path.join(hub, `models--${M.replace('/', '--')}`, 'snapshots', 'x', 'config.json'), '{}');
  const data = (await makeCoopFixture(path.join(tmp, 'data'))).root;
  const work = path.join(tmp, 'work');
  fs.mkdirSync(work);
  const launches = path.join(tmp, 'launches.log');

  const script = [
    'set -euo pipefail',
    "trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true' EXIT",
    'wait_for_port() { for i in $(seq 1 600); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.2; done; echo "port $1 never opened" >&2; return 1; }',
    ...WALK.map((w, i) => `echo "### ${i}: ${w.cmd.replace(/[`"$\\]/g, '.')}"\n${'standIn' in w ? `: 'stand-in: ${w.standIn}'` : w.run(w.cmd)}`),
  ].join('\n');
  const res = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn('bash', ['-c', script], {
      cwd: work,
      env: {
        ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}`, PYTHONPATH: sitePkgs, CLSRL_DATA: data, HF_HUB_CACHE: hub, HF_HUB_OFFLINE: '1',
        FAKE_TRL_LAUNCH_LOG: launches, FORCE_COLOR: '0',
      },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => resolve({ code, out }));
  });
  const step = (i: number) => res.out.split(/^### /m).find((p) => p.startsWith(`${i}:`)) ?? '';
  if (res.code !== 0) throw new Error(`the walk stopped (exit ${res.code}):\n${res.out.slice(-4000)}`);

  expect(step(8)).toMatch(/no problems found/); // the doctor, on the stand-in box
  const db = Store.open(path.join(work, 'results', 'clsrl.sqlite'), { readonly: true });
  try {
    const runs = db.runs();
    const count = (suite: string, status: string) => runs.filter((r) => r.suite === suite && r.status === status).length;
    expect([count('paper-b2n', 'done'), count('paper-fewshot', 'done'), count('paper-fewshot', 'prepared')]).toEqual([4, 4, 3]); // sft, cls-rl, no-thinking prepared on EuroSAT
    expect(runs.find((r) => r.id === eurosat)?.status).toBe('prepared'); // trained by hand, not ingested yet
    expect(db.trainSteps(pets).map((s) => s.step)).toEqual([1, 2]);
    expect(db.evaluations({ suite: 'paper-fewshot' }).filter((e) => e.runId === pets)).toHaveLength(11); // own test set + 10 transfers
    expect(count('smoke', 'done')).toBe(2); // zero-shot on both settings, through the tiny server with repetition_penalty 1.05
  } finally {
    db.close();
  }
  for (const f of ['reports/out/report.md', 'reports/try/report.md', `results/runs/${eurosat}/trl/output/clsrl-done.json`]) expect(fs.existsSync(path.join(work, f))).toBe(true);
  expect(step(19)).toMatch(/0 runs finished, 1 already done/); // serving the checkpoint yourself does not retrain it
  // 6 trainings in section 3 and the one launched by hand; nothing trained twice
  const launched = fs.readFileSync(launches, 'utf8').trim().split('\n');
  expect(launched).toHaveLength(7);
  expect(new Set(launched).size).toBe(7);
}, 900_000);
