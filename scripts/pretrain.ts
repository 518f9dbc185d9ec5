// Pretrains the tiny engine's shipped base model (models/tiny-base/) from a seed on the synthetic
// world's pretraining corpus (images disjoint from every task split), then measures zero-shot accuracy
// per task and writes the model card. `npm run pretrain -- --help` for the options.

import * as fs from 'fs';
import * as path from 'path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { createTinyEngine, Tokenizer, type TinyConfig, type TinyEngine, type TinyModel } from '../harness/engines/tiny';
import { patchify } from '../harness/engines/tiny/batch';
import { dims } from '../harness/engines/tiny/config';
import { layout } from '../harness/engines/tiny/params';
import { loadCheckpoint } from '../harness/engines/tiny/checkpoint';
import type { AdamW } from '../harness/engines/tiny/optimizer';
import { readProgress, restoreOptimizer, saveOptimizer, type Progress } from './pretrain-resume';
import { VisionPretrainer } from '../harness/engines/tiny/vision-pretrain';
import { loadImage } from '../harness/images';
import { loadDataset, registerDataset } from '../harness/data';
import { sftTokenWeights } from '../harness/grpo';
import { corpusBatch, KIND_WEIGHTS } from '../suites/synthetic/corpus';
import { corpusBatchV4, KIND_WEIGHTS_V4, THINK_STYLES_V4 } from '../suites/synthetic/corpus-v4';
import { materialiseWorld, pretrainImages } from '../suites/synthetic/materialise';
import { rngFrom } from '../suites/synthetic/prng';
import { SYNTH_MAX_TOKENS } from '../suites/synthetic/suite-kit';
import { DEFAULT_WORLD, TASK_NAMES, WORLD_VERSION, datasetDefs } from '../suites/synthetic/world';
import { writeModelCard, type PretrainRecord, type VisionRecord } from './pretrain-card';
import type { PretrainImage } from '../suites/synthetic/materialise';
import { mean as meanOf } from '../reports/stats';
import { zeroShotAccuracy, type TaskAccuracy } from './pretrain-eval';

/** Pretraining recipes: v3 made the shipped checkpoint; v4 (issue 15) puts the zero-shot gap in how the model answers. */
const RECIPES = {
  v3: { corpus: 'suites/synthetic/corpus.ts', imagesPerClass: DEFAULT_WORLD.pretrain, openVocab: 0, batch: corpusBatch, kinds: KIND_WEIGHTS as Record<string, number>, thinkStyles: undefined },
  v4: { corpus: 'suites/synthetic/corpus-v4.ts', imagesPerClass: 200, openVocab: 12, batch: corpusBatchV4, kinds: KIND_WEIGHTS_V4 as Record<string, number>, thinkStyles: THINK_STYLES_V4 as Record<string, number> },
} as const;
type RecipeName = keyof typeof RECIPES;

const argv = yargs(hideBin(process.argv))
  .scriptName('npm run pretrain --')
  .option('recipe', { choices: Object.keys(RECIPES) as RecipeName[], default: 'v3' as RecipeName, describe: 'pretraining corpus recipe: v3 (the shipped checkpoint) or v4 (answer habits, label forms only in lists; issue 15)' })
  .option('init', { type: 'string', describe: 'start from this checkpoint (weights and tokenizer; no vision stage): continued pretraining, for pilots of a recipe on a model that already sees' })
  .option('init-vision', { type: 'string', describe: 'copy the vision tower (vis.*) from this checkpoint instead of training it (pilots; skips stage 1)' })
  .option('seed', { type: 'number', default: 1, describe: 'seed of the initialisation and the corpus stream' })
  .option('steps', { type: 'number', default: 3600, describe: 'stage 2 (whole model) optimizer updates' })
  .option('batch', { type: 'number', default: 32, describe: 'examples per update' })
  .option('lr', { type: 'number', default: 3e-3, describe: 'peak learning rate (cosine after warmup)' })
  .option('merges', { type: 'number', default: 2000, describe: 'most BPE merges to train on the corpus text (0 = byte-level tokenizer)' })
  .option('bpe-examples', { type: 'number', default: 20000, describe: 'corpus examples (own seeded stream) the BPE merges are trained on' })
  .option('prompt-dropout', { type: 'number', default: 0.1, describe: 'BPE-dropout of training prompts (sub-word pieces seen, so unseen words are readable)' })
  .option('warmup', { type: 'number', default: 40, describe: 'linear warmup steps' })
  .option('vision-steps', { type: 'number', default: 2500, describe: 'stage 1: updates of the vision tower alone on class-ID classification (0 = skip)' })
  .option('vision-batch', { type: 'number', default: 128, describe: 'stage 1: images per update' })
  .option('vision-lr', { type: 'number', default: 3e-3, describe: 'stage 1: peak learning rate (cosine after 30 warmup steps)' })
  .option('pos-init', { choices: ['sinusoid', 'random'] as const, default: 'sinusoid' as const, describe: 'initial text position table: sinusoids (every position starts distinct) or the engine\'s random init' })
  .option('open-vocab', { type: 'number', describe: 'pretraining images per open-vocabulary concept (SynthThings, 1,078 concepts; 0 = none; default: the recipe\'s, v3 0, v4 12)' })
  .option('images-per-class', { type: 'number', describe: 'pretraining images per class to render and train on (default: the recipe\'s, v3 120, v4 200)' })
  .option('arena-sessions', { type: 'number', default: 12, describe: 'train-graph sessions kept warm (each batch shape is one; ~0.4 GB each)' })
  .option('threads', { type: 'number', default: 2, describe: 'ONNX Runtime intra-op threads' })
  .option('out', { type: 'string', default: 'models/tiny-base', describe: 'checkpoint folder to write' })
  .option('cache', { type: 'string', default: '.cache', describe: 'cache folder for the synthetic world' })
  .option('work', { type: 'string', default: '.cache/pretrain', describe: 'folder for intermediate checkpoints and the log' })
  .option('save-every', { type: 'number', default: 200, describe: 'intermediate checkpoint (weights, optimizer state, progress) every N steps (0 = never)' })
  .option('resume', { type: 'boolean', default: false, describe: 'continue from the intermediate checkpoint in --work (same options; BPE-dropout draws restart, so not bit-identical to an uninterrupted run)' })
  .option('eval-limit', { type: 'number', default: 180, describe: 'test images per task for the zero-shot table (a seeded sample; 0 = all)' })
  .option('config', { type: 'string', default: '{"visionLayers":2}', describe: 'JSON overrides of the tiny model config (the engine default otherwise)' })
  .option('eval-only', { type: 'string', describe: 'only evaluate this checkpoint folder zero-shot (updates its pretrain.json and card when present)' })
  .strict()
  .help()
  .parseSync();

function log(msg: string): void {
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

/** Zero-shot accuracy on every task's test images (the model card's table), logged per task and as a mean. */
async function measureZeroShot(engine: TinyEngine, model: TinyModel, dataRoot: string): Promise<{ acc: TaskAccuracy[]; mean: number }> {
  const acc = await zeroShotAccuracy(engine, model, dataRoot, TASK_NAMES, { limit: argv['eval-limit'], maxTokens: SYNTH_MAX_TOKENS });
  for (const a of acc) log(`${a.task.padEnd(14)} ${a.accuracy.toFixed(1)}% (chance ${a.chance.toFixed(1)}%, n ${a.n}, formatted ${a.formatted.toFixed(0)}%)`);
  const m = meanOf(acc.map((a) => a.accuracy));
  log(`mean zero-shot accuracy ${m.toFixed(1)}%`);
  return { acc, mean: m };
}

/** Re-measures zero-shot accuracy of a checkpoint; refreshes its record and model card if it has them. */
async function evalOnly(dir: string): Promise<void> {
  const { dataRoot } = await materialiseWorld({ cacheDir: argv.cache, world: DEFAULT_WORLD });
  const engine = await createTinyEngine({ checkpoint: dir, threads: argv.threads });
  const model = await engine.load(engine.baseModel());
  const t0 = Date.now();
  const { acc, mean } = await measureZeroShot(engine, model, dataRoot);
  const recFile = path.join(dir, 'pretrain.json');
  if (fs.existsSync(recFile)) {
    const rec = JSON.parse(fs.readFileSync(recFile, 'utf8')) as PretrainRecord;
    // Training never reads test images, so only the evaluation's test count follows the current default.
    Object.assign(rec, { world: { ...rec.world, test: DEFAULT_WORLD.test }, zeroShot: acc, meanZeroShot: mean, evalMinutes: (Date.now() - t0) / 60000 });
    fs.writeFileSync(recFile, JSON.stringify(rec, null, 1));
    writeModelCard(path.join(dir, 'MODEL_CARD.md'), rec);
    log(`updated ${recFile} and MODEL_CARD.md`);
  }
  await engine.close();
}

/**
 * Overwrites the text position table with sinusoids (Vaswani et al.) at the random init's scale. Answers
 * start anywhere from ~80 to ~300 depending on the prompt, so many positions are rarely trained; with a
 * random table those stay unrelated to their neighbours, and the model lost its place inside multi-token
 * names ("2009 Norvik Norvik Norvik ..."). Sinusoids make near positions similar from the start.
 */
function sinusoidPositions(model: TinyModel): void {
  const spec = layout(model.cfg).byName.get('pos_emb');
  if (!spec) throw new Error('tiny model has no pos_emb');
  const [L, C] = spec.shape;
  const table = model.params.subarray(spec.offset, spec.offset + spec.size);
  const scale = 0.02;
  for (let pos = 0; pos < L; pos++)
    for (let i = 0; i < C / 2; i++) {
      const angle = pos / Math.pow(10000, (2 * i) / C);
      table[pos * C + 2 * i] = scale * Math.sin(angle);
      table[pos * C + 2 * i + 1] = scale * Math.cos(angle);
    }
}

/** Copies every vision-tower tensor (vis.*) from a checkpoint of the same vision config. */
function copyVision(model: TinyModel, dir: string): void {
  const ck = loadCheckpoint(dir);
  const src = layout(ck.cfg).byName;
  const dst = layout(model.cfg);
  let n = 0;
  for (const s of dst.specs) {
    if (!s.name.startsWith('vis.')) continue;
    const from = src.get(s.name);
    if (!from || from.size !== s.size) throw new Error(`--init-vision ${dir}: its ${s.name} does not match this model's (vision config must be equal)`);
    model.params.set(ck.params.subarray(from.offset, from.offset + from.size), s.offset);
    n++;
  }
  log(`vision tower: ${n} tensors copied from ${dir}`);
}

async function patchesOf(model: TinyModel, files: readonly string[]): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const f of files) out.push(patchify((await loadImage(f, model.cfg.imageSize)).data, model.cfg));
  return out;
}

/**
 * Stage 1: the vision tower alone learns to tell every class of every task apart (one label per
 * task/class pair) on the pretraining images, as real MLLMs start from a pretrained image encoder.
 * Held-out accuracy is measured on the tasks' validation images (measurement only, nothing is chosen by it).
 */
async function visionStage(model: TinyModel, images: readonly PretrainImage[], dataRoot: string): Promise<VisionRecord> {
  const t0 = Date.now();
  const ids = new Map<string, number>();
  for (const im of images) if (!ids.has(`${im.task}|${im.classname}`)) ids.set(`${im.task}|${im.classname}`, ids.size);
  const X = await patchesOf(model, images.map((i) => i.absPath));
  const Y = images.map((i) => ids.get(`${i.task}|${i.classname}`) as number);
  log(`vision stage: ${X.length} images, ${ids.size} classes, ${argv['vision-steps']} updates of ${argv['vision-batch']}`);
  const B = argv['vision-batch'];
  const vp = new VisionPretrainer(model, ids.size, B, {
    lr: argv['vision-lr'], weightDecay: 0.05, beta1: 0.9, beta2: 0.98, eps: 1e-8, gradClip: 1, warmupSteps: 30, schedule: 'cosine', totalSteps: argv['vision-steps'],
  }, argv.threads, argv.seed);
  const { P, PD } = dims(model.cfg);
  const rng = rngFrom(`vision|${argv.seed}`);
  const stepStart = Date.now();
  const curve: VisionRecord['curve'] = [];
  let wl = 0;
  let wa = 0;
  let wn = 0;
  for (let step = 1; step <= argv['vision-steps']; step++) {
    const buf = new Float32Array(B * P * PD);
    const labels: number[] = [];
    for (let b = 0; b < B; b++) {
      const i = rng.int(X.length);
      buf.set(X[i], b * P * PD);
      labels.push(Y[i]);
    }
    const st = await vp.step(buf, labels);
    wl += st.loss;
    wa += st.accuracy;
    wn++;
    if (step % 100 === 0 || step === argv['vision-steps']) {
      curve.push({ step, loss: wl / wn, accuracy: wa / wn });
      log(`vision step ${step}/${argv['vision-steps']} loss ${(wl / wn).toFixed(3)} train accuracy ${((100 * wa) / wn).toFixed(1)}% ${((Date.now() - stepStart) / step).toFixed(0)} ms/step`);
      wl = wa = wn = 0;
    }
  }
  // Held out: every validation image of every task (never a pretraining or test image).
  const held: { file: string; label: number }[] = [];
  for (const def of datasetDefs(TASK_NAMES)) {
    registerDataset(def);
    const ds = await loadDataset(def.name, { dataRoot });
    for (const e of ds.val) held.push({ file: e.absPath, label: ids.get(`${def.name}|${e.classname}`) as number });
  }
  const HX = await patchesOf(model, held.map((h) => h.file));
  let correct = 0;
  let n = 0;
  for (let i = 0; i < held.length; i += B) {
    const buf = new Float32Array(B * P * PD);
    const labels: number[] = [];
    for (let b = 0; b < B; b++) {
      const k = Math.min(i + b, held.length - 1); // the last batch repeats its final image as padding
      buf.set(HX[k], b * P * PD);
      labels.push(held[k].label);
    }
    const { predictions } = await vp.evaluate(buf, labels);
    const real = Math.min(B, held.length - i);
    for (let b = 0; b < real; b++) if (predictions[b] === labels[b]) correct++;
    n += real;
  }
  await vp.close();
  const heldOut = (100 * correct) / n;
  log(`vision stage done in ${((Date.now() - t0) / 60000).toFixed(1)} min: held-out accuracy ${heldOut.toFixed(1)}% over ${n} validation images (chance ${(100 / ids.size).toFixed(1)}%)`);
  return { steps: argv['vision-steps'], batch: B, lr: argv['vision-lr'], classes: ids.size, curve, heldOutAccuracy: heldOut, heldOutImages: n, minutes: (Date.now() - t0) / 60000 };
}

/** Options a resumed run must share with the interrupted one. */
function resumeKey(): string {
  const keep = ['recipe', 'seed', 'steps', 'batch', 'lr', 'warmup', 'merges', 'bpe-examples', 'prompt-dropout', 'vision-steps', 'vision-batch', 'vision-lr', 'pos-init', 'images-per-class', 'open-vocab', 'config', 'init', 'init-vision'] as const;
  return JSON.stringify(keep.map((k) => [k, argv[k] ?? null]));
}

async function main(): Promise<void> {
  if (argv['eval-only'] !== undefined) return evalOnly(path.resolve(argv['eval-only']));
  const t0 = Date.now();
  log(`materialising the synthetic world (${WORLD_VERSION}) with pretraining images into ${argv.cache}`);
  const recipe = RECIPES[argv.recipe];
  const world = { ...DEFAULT_WORLD, pretrain: argv['images-per-class'] ?? recipe.imagesPerClass };
  const openVocab = argv['open-vocab'] ?? recipe.openVocab;
  const { dataRoot } = await materialiseWorld({ cacheDir: argv.cache, world, pretrain: true, openVocab });
  const images = pretrainImages(argv.cache, world, TASK_NAMES, openVocab);
  const concepts = new Set(images.map((i) => `${i.task}|${i.classname}`)).size;
  log(`${images.length} pretraining images over ${TASK_NAMES.length} tasks${openVocab > 0 ? ` and the open vocabulary (${openVocab} per concept)` : ''}: ${concepts} concepts`);

  const config: Partial<TinyConfig> = argv.config ? JSON.parse(argv.config) : {};
  const initDir = argv.init !== undefined ? path.resolve(argv.init) : undefined;
  const tok = initDir
    ? loadCheckpoint(initDir).tok
    : argv.merges > 0
      ? Tokenizer.train(recipe.batch(images, rngFrom(`bpe|${argv.seed}`), argv['bpe-examples']).flatMap((e) => [e.prompt, e.target]), argv.merges)
      : new Tokenizer();
  log(`tokenizer${initDir ? ` of ${initDir}` : ''}: ${tok.merges.length} BPE merges (vocabulary ${tok.vocabSize}) from ${argv['bpe-examples']} corpus examples`);
  const work = path.resolve(argv.work);
  fs.mkdirSync(work, { recursive: true });
  const runKey = resumeKey();
  const saved = argv.resume ? readProgress(work, runKey) : undefined;
  if (argv.resume && !saved) log(`--resume: nothing to resume in ${work}; starting from scratch`);
  const engineOpts = { threads: argv.threads, promptDropout: argv['prompt-dropout'], arenaSessions: argv['arena-sessions'] };
  const engine = saved || initDir
    ? await createTinyEngine({ checkpoint: saved ? path.join(work, 'checkpoint') : initDir, ...engineOpts })
    : await createTinyEngine({ config, seed: argv.seed, merges: tok.merges, ...engineOpts });
  if (saved && engine.tokenizer.signature !== tok.signature) throw new Error(`--resume: ${work}/checkpoint has another tokenizer than this run's (a different corpus or --merges?)`);
  const model = (await engine.load(engine.baseModel())) as TinyModel;
  let vision: VisionRecord | undefined = saved?.vision;
  if (!saved && !initDir) {
    if (argv['pos-init'] === 'sinusoid') sinusoidPositions(model);
    if (argv['init-vision'] !== undefined) copyVision(model, path.resolve(argv['init-vision']));
    vision = argv['vision-steps'] > 0 && argv['init-vision'] === undefined ? await visionStage(model, images, dataRoot) : undefined;
  }
  const opt = engine.createOptimizer(model, {
    lr: argv.lr, weightDecay: 0.01, beta1: 0.9, beta2: 0.98, eps: 1e-8, gradClip: 1,
    warmupSteps: argv.warmup, schedule: 'cosine', totalSteps: argv.steps,
  }) as AdamW;
  const rng = rngFrom(`pretrain|${argv.seed}`);
  const losses: { step: number; loss: number }[] = saved ? [...saved.losses] : [];
  const first = (saved?.step ?? 0) + 1;
  if (saved) {
    restoreOptimizer(opt, work, saved.step);
    for (let s = 1; s < first; s++) recipe.batch(images, rng, argv.batch); // the corpus stream where it stopped
    log(`resumed from ${work} at step ${saved.step} (${saved.minutes.toFixed(1)} min done before)`);
  }
  const before = saved?.minutes ?? 0;
  const checkpoint = async (step: number) => {
    await engine.save(model, path.join(work, 'checkpoint'));
    saveOptimizer(opt, work);
    const p: Progress = { key: runKey, step, losses, minutes: before + (Date.now() - t0) / 60000, ...(vision ? { vision } : {}) };
    fs.writeFileSync(path.join(work, 'progress.json'), JSON.stringify(p, null, 1));
  };
  if (!saved && argv['save-every'] > 0) await checkpoint(0); // the vision stage is not redone on resume
  let window = 0;
  let windowN = 0;
  const trainStart = Date.now();
  for (let step = first; step <= argv.steps; step++) {
    const batch = recipe.batch(images, rng, argv.batch);
    const prompts = batch.map((e, i) => ({ id: `pretrain/${step}/${i}`, image: e.image, text: e.prompt }));
    const seqs = batch.map((e, i) => ({ promptIndex: i, tokens: engine.encodeTarget(e.target) }));
    const stats = await engine.step(model, prompts, seqs, sftTokenWeights(seqs.map((s) => s.tokens.length)), opt);
    window += stats.loss;
    windowN++;
    if (step % 20 === 0 || step === argv.steps) {
      losses.push({ step, loss: window / windowN });
      const perStep = (Date.now() - trainStart) / (step - first + 1);
      log(`step ${step}/${argv.steps} loss ${(window / windowN).toFixed(4)} lr ${stats.lr.toExponential(2)} ${perStep.toFixed(0)} ms/step, eta ${((perStep * (argv.steps - step)) / 60000).toFixed(1)} min`);
      window = 0;
      windowN = 0;
    }
    if (argv['save-every'] > 0 && step % argv['save-every'] === 0) await checkpoint(step);
  }
  const trainMs = Date.now() - trainStart + (saved ? (saved.minutes - (saved.vision?.minutes ?? 0)) * 60000 : 0);
  log(`training done in ${(trainMs / 60000).toFixed(1)} min; evaluating zero-shot on the task test sets`);
  const evalStart = Date.now();
  const { acc, mean } = await measureZeroShot(engine, model, dataRoot);

  const out = path.resolve(argv.out);
  await engine.save(model, out);
  const record: PretrainRecord = {
    seed: argv.seed, steps: argv.steps, batch: argv.batch, lr: argv.lr, warmup: argv.warmup, threads: argv.threads,
    config: engine.config, world, worldVersion: WORLD_VERSION, images: images.length, kinds: recipe.kinds,
    ...(openVocab > 0 ? { openVocab: { perConcept: openVocab, concepts, images: images.filter((i) => !TASK_NAMES.includes(i.task)).length } } : {}),
    ...(argv.recipe !== 'v3' ? { recipe: argv.recipe, ...(recipe.thinkStyles ? { thinkStyles: recipe.thinkStyles } : {}) } : {}),
    ...(argv['init-vision'] !== undefined ? { initVision: argv['init-vision'] } : {}),
    ...(argv.init !== undefined ? { init: argv.init } : {}),
    merges: tok.merges.length, bpeExamples: argv['bpe-examples'], promptDropout: argv['prompt-dropout'],
    posInit: argv['pos-init'], ...(vision ? { vision } : {}),
    losses, zeroShot: acc, meanZeroShot: mean, trainMinutes: trainMs / 60000, evalMinutes: (Date.now() - evalStart) / 60000,
    totalMinutes: before + (Date.now() - t0) / 60000, ...(saved ? { resumedAt: saved.step } : {}), command: `npm run pretrain -- ${process.argv.slice(2).join(' ')}`.trim(),
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
