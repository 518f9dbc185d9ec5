// Pretrains the tiny engine's shipped base model (models/tiny-base/) from a seed on the synthetic
// world's pretraining corpus (images disjoint from every task split), then measures zero-shot accuracy
// per task and writes the model card. `npm run pretrain -- --help` for the options.

import * as fs from 'fs';
import * as path from 'path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { createTinyEngine, Tokenizer, type TinyConfig } from '../harness/engines/tiny';
import { sftTokenWeights } from '../harness/grpo';
import { corpusBatch, KIND_WEIGHTS } from '../suites/synthetic/corpus';
import { materialiseWorld, pretrainImages } from '../suites/synthetic/materialise';
import { rngFrom } from '../suites/synthetic/prng';
import { SYNTH_MAX_TOKENS } from '../suites/synthetic/suite-kit';
import { DEFAULT_WORLD, TASK_NAMES, WORLD_VERSION } from '../suites/synthetic/world';
import { writeModelCard, type PretrainRecord } from './pretrain-card';
import { zeroShotAccuracy } from './pretrain-eval';

const argv = yargs(hideBin(process.argv))
  .scriptName('npm run pretrain --')
  .option('seed', { type: 'number', default: 1, describe: 'seed of the initialisation and the corpus stream' })
  .option('steps', { type: 'number', default: 3800, describe: 'optimizer updates' })
  .option('batch', { type: 'number', default: 32, describe: 'examples per update' })
  .option('lr', { type: 'number', default: 3e-3, describe: 'peak learning rate (cosine after warmup)' })
  .option('merges', { type: 'number', default: 2000, describe: 'most BPE merges to train on the corpus text (0 = byte-level tokenizer)' })
  .option('bpe-examples', { type: 'number', default: 20000, describe: 'corpus examples (own seeded stream) the BPE merges are trained on' })
  .option('prompt-dropout', { type: 'number', default: 0.1, describe: 'BPE-dropout of training prompts (sub-word pieces seen, so unseen words are readable)' })
  .option('warmup', { type: 'number', default: 40, describe: 'linear warmup steps' })
  .option('threads', { type: 'number', default: 2, describe: 'ONNX Runtime intra-op threads' })
  .option('out', { type: 'string', default: 'models/tiny-base', describe: 'checkpoint folder to write' })
  .option('cache', { type: 'string', default: '.cache', describe: 'cache folder for the synthetic world' })
  .option('work', { type: 'string', default: '.cache/pretrain', describe: 'folder for intermediate checkpoints and the log' })
  .option('save-every', { type: 'number', default: 200, describe: 'intermediate checkpoint every N steps (0 = never)' })
  .option('eval-limit', { type: 'number', default: 60, describe: 'test images per task for the zero-shot table' })
  .option('config', { type: 'string', describe: 'JSON overrides of the tiny model config (default: the engine default)' })
  .option('eval-only', { type: 'string', describe: 'only evaluate this checkpoint folder zero-shot (updates its pretrain.json and card when present)' })
  .strict()
  .help()
  .parseSync();

function log(msg: string): void {
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

/** Re-measures zero-shot accuracy of a checkpoint; refreshes its record and model card if it has them. */
async function evalOnly(dir: string): Promise<void> {
  const { dataRoot } = await materialiseWorld({ cacheDir: argv.cache, world: DEFAULT_WORLD });
  const engine = await createTinyEngine({ checkpoint: dir, threads: argv.threads });
  const model = await engine.load(engine.baseModel());
  const t0 = Date.now();
  const acc = await zeroShotAccuracy(engine, model, dataRoot, TASK_NAMES, { limit: argv['eval-limit'], maxTokens: SYNTH_MAX_TOKENS });
  const mean = acc.reduce((s, a) => s + a.accuracy, 0) / acc.length;
  for (const a of acc) log(`${a.task.padEnd(14)} ${a.accuracy.toFixed(1)}% (chance ${a.chance.toFixed(1)}%, n ${a.n}, formatted ${a.formatted.toFixed(0)}%)`);
  log(`mean zero-shot accuracy ${mean.toFixed(1)}%`);
  const recFile = path.join(dir, 'pretrain.json');
  if (fs.existsSync(recFile)) {
    const rec = JSON.parse(fs.readFileSync(recFile, 'utf8')) as PretrainRecord;
    Object.assign(rec, { zeroShot: acc, meanZeroShot: mean, evalMinutes: (Date.now() - t0) / 60000 });
    fs.writeFileSync(recFile, JSON.stringify(rec, null, 1));
    writeModelCard(path.join(dir, 'MODEL_CARD.md'), rec);
    log(`updated ${recFile} and MODEL_CARD.md`);
  }
  await engine.close();
}

async function main(): Promise<void> {
  if (argv['eval-only'] !== undefined) return evalOnly(path.resolve(argv['eval-only']));
  const t0 = Date.now();
  log(`materialising the synthetic world (${WORLD_VERSION}) with pretraining images into ${argv.cache}`);
  const { dataRoot } = await materialiseWorld({ cacheDir: argv.cache, world: DEFAULT_WORLD, pretrain: true });
  const images = pretrainImages(argv.cache, DEFAULT_WORLD);
  log(`${images.length} pretraining images over ${TASK_NAMES.length} tasks`);

  const config: Partial<TinyConfig> = argv.config ? JSON.parse(argv.config) : {};
  const tok =
    argv.merges > 0
      ? Tokenizer.train(corpusBatch(images, rngFrom(`bpe|${argv.seed}`), argv['bpe-examples']).flatMap((e) => [e.prompt, e.target]), argv.merges)
      : new Tokenizer();
  log(`tokenizer: ${tok.merges.length} BPE merges (vocabulary ${tok.vocabSize}) from ${argv['bpe-examples']} corpus examples`);
  const engine = await createTinyEngine({ config, seed: argv.seed, threads: argv.threads, merges: tok.merges, promptDropout: argv['prompt-dropout'] });
  const model = await engine.load(engine.baseModel());
  const opt = engine.createOptimizer(model, {
    lr: argv.lr, weightDecay: 0.01, beta1: 0.9, beta2: 0.98, eps: 1e-8, gradClip: 1,
    warmupSteps: argv.warmup, schedule: 'cosine', totalSteps: argv.steps,
  });
  const rng = rngFrom(`pretrain|${argv.seed}`);
  const work = path.resolve(argv.work);
  fs.mkdirSync(work, { recursive: true });
  const losses: { step: number; loss: number }[] = [];
  let window = 0;
  let windowN = 0;
  const trainStart = Date.now();
  for (let step = 1; step <= argv.steps; step++) {
    const batch = corpusBatch(images, rng, argv.batch);
    const prompts = batch.map((e, i) => ({ id: `pretrain/${step}/${i}`, image: e.image, text: e.prompt }));
    const seqs = batch.map((e, i) => ({ promptIndex: i, tokens: engine.encodeTarget(e.target) }));
    const stats = await engine.step(model, prompts, seqs, sftTokenWeights(seqs.map((s) => s.tokens.length)), opt);
    window += stats.loss;
    windowN++;
    if (step % 20 === 0 || step === argv.steps) {
      losses.push({ step, loss: window / windowN });
      const perStep = (Date.now() - trainStart) / step;
      log(`step ${step}/${argv.steps} loss ${(window / windowN).toFixed(4)} lr ${stats.lr.toExponential(2)} ${perStep.toFixed(0)} ms/step, eta ${((perStep * (argv.steps - step)) / 60000).toFixed(1)} min`);
      window = 0;
      windowN = 0;
    }
    if (argv['save-every'] > 0 && step % argv['save-every'] === 0) {
      await engine.save(model, path.join(work, 'checkpoint'));
      fs.writeFileSync(path.join(work, 'progress.json'), JSON.stringify({ step, losses }, null, 1));
    }
  }
  const trainMs = Date.now() - trainStart;
  log(`training done in ${(trainMs / 60000).toFixed(1)} min; evaluating zero-shot on the task test sets`);
  const evalStart = Date.now();
  const acc = await zeroShotAccuracy(engine, model, dataRoot, TASK_NAMES, { limit: argv['eval-limit'], maxTokens: SYNTH_MAX_TOKENS });
  for (const a of acc) log(`${a.task.padEnd(14)} ${a.accuracy.toFixed(1)}% (chance ${a.chance.toFixed(1)}%, n ${a.n}, formatted ${a.formatted.toFixed(0)}%)`);
  const mean = acc.reduce((s, a) => s + a.accuracy, 0) / acc.length;
  log(`mean zero-shot accuracy ${mean.toFixed(1)}%`);

  const out = path.resolve(argv.out);
  await engine.save(model, out);
  const record: PretrainRecord = {
    seed: argv.seed, steps: argv.steps, batch: argv.batch, lr: argv.lr, warmup: argv.warmup, threads: argv.threads,
    config: engine.config, world: DEFAULT_WORLD, worldVersion: WORLD_VERSION, images: images.length, kinds: KIND_WEIGHTS,
    merges: tok.merges.length, bpeExamples: argv['bpe-examples'], promptDropout: argv['prompt-dropout'],
    losses, zeroShot: acc, meanZeroShot: mean, trainMinutes: trainMs / 60000, evalMinutes: (Date.now() - evalStart) / 60000,
    totalMinutes: (Date.now() - t0) / 60000, command: `npm run pretrain -- ${process.argv.slice(2).join(' ')}`.trim(),
  };
  fs.writeFileSync(path.join(out, 'pretrain.json'), JSON.stringify(record, null, 1));
  writeModelCard(path.join(out, 'MODEL_CARD.md'), record);
  log(`wrote ${out} (${(fs.statSync(path.join(out, 'model.safetensors')).size / 1e6).toFixed(1)} MB) in ${record.totalMinutes.toFixed(1)} min`);
  await engine.close();
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
