// `npm run bench [-- --json] [--threads N] [--repeats N]`: times the tiny engine's default model on one
// GRPO-sized train step and on batched generation, the machine's SGEMM peak through ONNX Runtime, and
// the same step and generation in PyTorch CPU (scripts/torch_ref.py, same architecture and weights).
// Installs Debian python3-torch + libopenblas0-pthread when missing. A script, not a test.

import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import type { PromptInput, TokenSeq } from '../harness/contracts';
import { createTinyEngine } from '../harness/engines/tiny';
import { dims } from '../harness/engines/tiny/config';
import { buildGroupGraph } from '../harness/engines/tiny/train-graph';
import { Graph, matmul } from '../harness/onnx';
import { ort } from '../harness/onnx/ort';
import { mulberry32 } from '../harness/engines/tiny/params';
import { SYSTEM_PYTHON, torchTrainSpec } from '../scripts/torch-spec';

const args = process.argv.slice(2);
const flag = (name: string): boolean => args.includes(`--${name}`);
const num = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const JSON_OUT = flag('json');
const THREADS = num('threads', os.cpus().length);
const REPEATS = num('repeats', 5);
const log = (...m: unknown[]): void => console.error('[bench]', ...m);

// The workload: 8 prompts x 4 samples, ~150-byte prompts and 48-token answers (~200 text tokens).
const PROMPTS = 8;
const SAMPLES = 4;
const ANSWER = 48;
const PROMPT_BASE = 'What type of object is in the photo?\n Please choose one from list [ red car, blue bird, green tree, old house, small dog, white cat, tall tower].';
/** Prompt tokens per sequence, whatever the model's tokenizer (bytes or BPE): ~200 with the answer. */
const PROMPT_TOKENS = 150;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function images(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < PROMPTS; i++) {
    const p = path.join(dir, `img${i}.png`);
    const raw = Buffer.alloc(64 * 64 * 3);
    for (let k = 0; k < raw.length; k++) raw[k] = (k * (i + 3) * 37) % 251;
    await sharp(raw, { raw: { width: 64, height: 64, channels: 3 } }).png().toFile(p);
    out.push(p);
  }
  return out;
}

async function gemmPeak(): Promise<number> {
  const n = 1024;
  const g = new Graph('float32', 'gemm');
  g.output(matmul(g.input('a', [n, n]), g.input('b', [n, n])), 'c');
  const s = await ort.InferenceSession.create(g.toModel(), { intraOpNumThreads: THREADS, graphOptimizationLevel: 'disabled' });
  const a = new ort.Tensor('float32', Float32Array.from({ length: n * n }, (_, i) => (i % 7) / 7), [n, n]);
  const feeds = { a, b: a };
  let best = Infinity;
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    await s.run(feeds);
    best = Math.min(best, performance.now() - t0);
  }
  await s.release();
  return (2 * n * n * n) / (best / 1000) / 1e9;
}

/** Debian's python3-torch lives in the system interpreter (a pyenv `python3` on PATH would not see it). */

function ensureTorch(): boolean {
  const ok = (): boolean => spawnSync(SYSTEM_PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
  const hasOpenblas = (): boolean => spawnSync('dpkg', ['-s', 'libopenblas0-pthread'], { stdio: 'ignore' }).status === 0;
  if (ok() && hasOpenblas()) return true;
  log('installing python3-torch and libopenblas0-pthread with apt-get (one time)...');
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env, timeout: 600_000 });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'python3-torch', 'libopenblas0-pthread'], { stdio: 'ignore', env, timeout: 1_800_000 });
  } catch (e) {
    log('apt-get failed:', (e as Error).message);
  }
  return ok();
}

/** OpenBLAS set up fairly (onnx-training-notes pitfall 8): SkylakeX kernels on AVX-512, no oversubscription. */
function torchEnv(): NodeJS.ProcessEnv {
  const avx512 = fs.readFileSync('/proc/cpuinfo', 'utf8').includes('avx512f');
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: String(THREADS), OPENBLAS_NUM_THREADS: String(THREADS), MKL_NUM_THREADS: String(THREADS) };
  if (avx512) env.OPENBLAS_CORETYPE = 'SkylakeX';
  else delete env.OPENBLAS_CORETYPE;
  return env;
}

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-bench-'));
  const eng = await createTinyEngine({ threads: THREADS });
  const cfg = eng.config;
  const model = await eng.load(eng.baseModel());
  const imgs = await images(work);
  let PROMPT_TEXT = PROMPT_BASE;
  while (eng.tokenizer.encodePrompt(PROMPT_TEXT).length < PROMPT_TOKENS) PROMPT_TEXT += ` ${PROMPT_BASE}`;
  const prompts: PromptInput[] = imgs.map((image, i) => ({ id: `p${i}`, image, text: PROMPT_TEXT }));
  const rand = mulberry32(42);
  const seqs: TokenSeq[] = [];
  const weights: number[][] = [];
  for (let p = 0; p < PROMPTS; p++)
    for (let s = 0; s < SAMPLES; s++) {
      const tokens = Array.from({ length: ANSWER }, () => 97 + Math.floor(rand() * 26));
      seqs.push({ promptIndex: p, tokens });
      const a = rand() * 2 - 1;
      weights.push(tokens.map(() => a / ANSWER));
    }
  const textTokens = eng.tokenizer.encodePrompt(PROMPT_TEXT).length + ANSWER;
  log(`default model: ${JSON.stringify(cfg)}; ${textTokens} text + ${dims(cfg).P} image tokens per sequence; threads ${THREADS}`);

  // Checkpoint for the PyTorch side, written before any update so both start from the same weights.
  const ck = path.join(work, 'ck');
  await eng.save(model, ck);
  const firstLp = await eng.logprobs(model, prompts, seqs);
  const clsrlFirstLoss = -firstLp.reduce((s, row, k) => s + row.reduce((t, v, j) => t + v * weights[k][j], 0), 0);

  // Generation: n samples per prompt at temperature 1, maxTokens ANSWER.
  const gopts = { n: SAMPLES, temperature: 1, maxTokens: ANSWER, seed: 1 };
  await eng.generate(model, prompts, gopts);
  const rates: number[] = [];
  for (let i = 0; i < Math.max(3, Math.ceil(REPEATS / 2)); i++) {
    const t0 = performance.now();
    const out = await eng.generate(model, prompts, { ...gopts, seed: i + 2 });
    const n = out.flat().reduce((s, c) => s + c.tokens.length, 0);
    rates.push(n / ((performance.now() - t0) / 1000));
  }
  const clsrlTokensPerS = median(rates);

  // Train step (AdamW + clipping included).
  const opt = eng.createOptimizer(model, { lr: 1e-4, weightDecay: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-8, gradClip: 1, warmupSteps: 0, schedule: 'constant', totalSteps: 1000 });
  for (let i = 0; i < 2; i++) await eng.step(model, prompts, seqs, weights, opt);
  const stepMs: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    await eng.step(model, prompts, seqs, weights, opt);
    stepMs.push(performance.now() - t0);
  }
  const clsrlMs = median(stepMs);
  let flops = 0;
  for (const key of eng.runtime.keys().filter((k) => k.startsWith('train:'))) {
    const [G, N, Tp, Tc] = key.slice(6).split('x').map(Number);
    flops += buildGroupGraph(cfg, G, N, Tp, Tc, true).matmulFlops();
  }
  const trainStepGflops = flops / (clsrlMs / 1000) / 1e9;
  await eng.close();
  const gemmPeakGflops = await gemmPeak();

  // PyTorch reference.
  let torchMs: number | null = null;
  let torchTokensPerS: number | null = null;
  if (ensureTorch()) {
    const promptTokens = eng.tokenizer.encodePrompt(PROMPT_TEXT); // the model's own tokenizer (BPE for the shipped base)
    const spec = {
      checkpoint: ck,
      threads: THREADS,
      warmup: 2,
      repeats: REPEATS,
      ...(await torchTrainSpec(eng, prompts, seqs, weights)),
      generate: { n: SAMPLES, maxTokens: ANSWER, temperature: 1, prompts: prompts.map(() => promptTokens), patch: prompts.map((_, i) => i) },
    };
    fs.writeFileSync(path.join(work, 'spec.json'), JSON.stringify(spec));
    const script = path.resolve(__dirname, '../scripts/torch_ref.py');
    const res = spawnSync(SYSTEM_PYTHON, [script, path.join(work, 'spec.json')], { env: torchEnv(), encoding: 'utf8', maxBuffer: 1 << 26 });
    if (res.status === 0) {
      const t = JSON.parse(res.stdout.trim().split('\n').pop() as string);
      torchMs = t.trainStepMs;
      torchTokensPerS = t.generateTokensPerS;
      log(`torch ${t.torch} (${t.threads} threads); first-step loss torch ${t.firstLoss.toFixed(5)} vs clsrl ${clsrlFirstLoss.toFixed(5)}`);
    } else {
      log('torch reference failed:', res.stderr.slice(-2000));
    }
  } else {
    log('PyTorch unavailable: torch fields are null');
  }
  fs.rmSync(work, { recursive: true, force: true });

  const doc = {
    trainStep: { clsrlMs, torchMs },
    generate: { clsrlTokensPerS, torchTokensPerS },
    gemmPeakGflops,
    trainStepGflops,
  };
  if (JSON_OUT) {
    process.stdout.write(JSON.stringify(doc) + '\n');
    return;
  }
  const ratio = (a: number | null, b: number | null): string => (a && b ? `${(a / b).toFixed(2)}x` : 'n/a');
  console.log(`train step (${PROMPTS} prompts x ${SAMPLES} samples, ~${textTokens} text tokens each):`);
  console.log(`  clsrl ${clsrlMs.toFixed(1)} ms, PyTorch ${torchMs?.toFixed(1) ?? 'n/a'} ms -> clsrl ${ratio(torchMs, clsrlMs)} faster (goal >= 2x)`);
  console.log(`generation (${PROMPTS * SAMPLES} rows x ${ANSWER} tokens):`);
  console.log(`  clsrl ${clsrlTokensPerS.toFixed(0)} tok/s, PyTorch ${torchTokensPerS?.toFixed(0) ?? 'n/a'} tok/s -> ${ratio(clsrlTokensPerS, torchTokensPerS)} (goal >= 3x)`);
  console.log(`SGEMM peak through ORT: ${gemmPeakGflops.toFixed(1)} GFLOP/s; train step achieves ${trainStepGflops.toFixed(1)} GFLOP/s = ${((100 * trainStepGflops) / gemmPeakGflops).toFixed(0)}% of peak (goal >= 50%)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
