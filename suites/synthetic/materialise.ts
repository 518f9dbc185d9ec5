// Materialises synthetic tasks on disk in CoOp's split-JSON layout (and the separate pretraining
// images), idempotently: each folder gets a marker with a content hash, checked before reuse.
// Safe with several processes on one cache: a folder is built in a temporary sibling and renamed into
// place (a reader sees a complete folder or none), one builder at a time holds `<world>.lock`, others
// wait and reuse what it built, and a crashed builder's lock and half-written folders are cleaned up.
// Layout: <root>/<folder>/split_zhou_<Name>.json, <root>/<folder>/images/<class>/<split>_<i>.png,
// <root>/pretrain/<folder>/<class>/pretrain_<i>.png.

import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ClsrlError } from '../../harness/errors';
import { acquireLock, siblingName, siblingsOf } from '../../harness/fslock';
import { renderPng, svgDoc } from './draw';
import { rngFrom } from './prng';
import type { SynthTask } from './task';
import { IMAGE_PREFIX, OPEN_TASKS, TASK_NAMES, WORLD_VERSION, classDir, splitFileOf, taskByName, worldDirName, type WorldOptions } from './world';

const MARKER = '.complete.json';
const CONCURRENCY = 4;

type SplitName = 'train' | 'val' | 'test' | 'pretrain';

interface Job {
  task: SynthTask;
  label: number;
  split: SplitName;
  index: number;
  /** Absolute output path. */
  file: string;
}

export interface MaterialiseOptions {
  /** Cache folder; the world goes to `<cacheDir>/synthetic/<version-options>/`. */
  cacheDir: string;
  world: WorldOptions;
  /** Task names to write (default: all eleven). */
  tasks?: readonly string[];
  /** Also write the pretraining images. */
  pretrain?: boolean;
  /** With `pretrain`: images per concept of the open-vocabulary families (OPEN_TASKS; 0 or absent = none). */
  openVocab?: number;
  onProgress?: (done: number, total: number) => void;
}

/** One pretraining image: a world image never used by any task split. */
export interface PretrainImage {
  task: string;
  label: number;
  classname: string;
  absPath: string;
}

/** Deterministic per-image seed key; the split is part of it, so pretraining images differ from test. */
export function imageKey(seed: number, task: string, label: number, split: SplitName, index: number): string {
  return `${seed}|${task}|${label}|${split}|${index}`;
}

/** Renders one image of `task`'s class `label` to PNG bytes. */
export async function renderImage(task: SynthTask, seed: number, label: number, split: SplitName, index: number): Promise<Buffer> {
  const rng = rngFrom(imageKey(seed, task.name, label, split, index));
  return renderPng(svgDoc(task.draw(label, rng)), rng, task.noise);
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Hash of everything that fixes a task folder's content. */
function contentHash(task: SynthTask, world: WorldOptions, kind: 'task' | 'pretrain', perClass = world.pretrain): string {
  const counts = kind === 'task' ? [world.train, world.val, world.test] : [perClass];
  return sha256(JSON.stringify({ v: WORLD_VERSION, kind, task: task.name, seed: world.seed, counts, classes: task.classes.map((c) => c.name), noise: task.noise }));
}

interface Marker {
  hash: string;
  files: number;
  bytes: number;
  splitSha256?: string;
}

function readMarker(dir: string): Marker | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, MARKER), 'utf8')) as Marker;
  } catch {
    return null;
  }
}

/** True when `dir` holds exactly what the marker promises: hash, split file and image bytes. */
function isComplete(dir: string, hash: string, jobs: Job[], splitFile?: string): boolean {
  const m = readMarker(dir);
  if (!m || m.hash !== hash || m.files !== jobs.length) return false;
  if (splitFile) {
    try {
      if (sha256(fs.readFileSync(splitFile)) !== m.splitSha256) return false;
    } catch {
      return false;
    }
  }
  let bytes = 0;
  for (const j of jobs) {
    try {
      bytes += fs.statSync(j.file).size;
    } catch {
      return false;
    }
  }
  return bytes === m.bytes;
}

function checkClassDirs(task: SynthTask): void {
  const seen = new Set<string>();
  for (const c of task.classes) {
    const d = classDir(c.name);
    if (seen.has(d)) throw new ClsrlError('DATA_FORMAT', `synthetic task ${task.name}: two classes map to folder '${d}'`, { hint: 'class names must differ in letters or digits' });
    seen.add(d);
  }
}

function taskJobs(task: SynthTask, root: string, world: WorldOptions): Job[] {
  checkClassDirs(task);
  const jobs: Job[] = [];
  const counts: [SplitName, number][] = [['train', world.train], ['val', world.val], ['test', world.test]];
  for (const [split, n] of counts)
    for (let label = 0; label < task.classes.length; label++)
      for (let i = 0; i < n; i++) {
        const rel = `${classDir(task.classes[label].name)}/${split}_${String(i).padStart(4, '0')}.png`;
        jobs.push({ task, label, split, index: i, file: path.join(root, task.folder, IMAGE_PREFIX, rel) });
      }
  return jobs;
}

function pretrainJobs(task: SynthTask, root: string, world: WorldOptions, perClass = world.pretrain): Job[] {
  checkClassDirs(task);
  const jobs: Job[] = [];
  for (let label = 0; label < task.classes.length; label++)
    for (let i = 0; i < perClass; i++) {
      const rel = `${classDir(task.classes[label].name)}/pretrain_${String(i).padStart(4, '0')}.png`;
      jobs.push({ task, label, split: 'pretrain', index: i, file: path.join(root, 'pretrain', task.folder, rel) });
    }
  return jobs;
}

/** The split JSON ({train, val, test} of [impath, label, classname]), class-major like Dassl writes it. */
function splitJson(task: SynthTask, jobs: Job[], root: string): string {
  const prefix = path.join(root, task.folder, IMAGE_PREFIX);
  const out: Record<string, [string, number, string][]> = { train: [], val: [], test: [] };
  for (const j of jobs) {
    const rel = path.relative(prefix, j.file).split(path.sep).join('/');
    out[j.split].push([rel, j.label, task.classes[j.label].name]);
  }
  return JSON.stringify(out, null, 4);
}

async function renderAll(jobs: Job[], seed: number, tick: () => void): Promise<number> {
  let next = 0;
  let bytes = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const j = jobs[next++];
      const png = await renderImage(j.task, seed, j.label, j.split, j.index);
      fs.mkdirSync(path.dirname(j.file), { recursive: true });
      fs.writeFileSync(j.file, png);
      bytes += png.length;
      tick();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return bytes;
}

/** The data root a world with these options lives in. */
export function worldRoot(cacheDir: string, world: WorldOptions): string {
  return path.join(path.resolve(cacheDir), 'synthetic', worldDirName(world));
}

/**
 * Writes (or verifies and reuses) the tasks' folders and, optionally, the pretraining images.
 * Returns the data root to pass to the loader. A folder whose marker, split file or image bytes
 * do not match is deleted and regenerated.
 */
export async function materialiseWorld(opts: MaterialiseOptions): Promise<{ dataRoot: string; regenerated: string[] }> {
  const { world } = opts;
  for (const k of ['train', 'val', 'test', 'pretrain'] as const)
    if (!Number.isInteger(world[k]) || world[k] < (k === 'pretrain' ? 0 : 1))
      throw new ClsrlError('BAD_CONFIG', `synthetic world: '${k}' must be a positive integer, got ${world[k]}`, { hint: 'images per class, e.g. train 16, val 4, test 10' });
  const root = worldRoot(opts.cacheDir, world);
  const tasks = (opts.tasks ?? TASK_NAMES).map(taskByName);
  const units: Unit[] = [];
  for (const t of tasks) {
    const dir = path.join(root, t.folder);
    units.push({ dir, hash: contentHash(t, world, 'task'), jobs: taskJobs(t, root, world), splitFile: path.join(dir, splitFileOf(t)), task: t });
    if (opts.pretrain && world.pretrain > 0) {
      units.push({ dir: path.join(root, 'pretrain', t.folder), hash: contentHash(t, world, 'pretrain'), jobs: pretrainJobs(t, root, world), task: t });
    }
  }
  const open = opts.pretrain ? (opts.openVocab ?? 0) : 0;
  if (!(Number.isInteger(open) && open >= 0)) throw new ClsrlError('BAD_CONFIG', `synthetic world: openVocab must be an integer >= 0, got ${open}`, { hint: 'images per open-vocabulary concept, e.g. 12' });
  for (const t of open > 0 ? OPEN_TASKS : []) {
    units.push({ dir: path.join(root, 'pretrain', t.folder), hash: contentHash(t, world, 'pretrain', open), jobs: pretrainJobs(t, root, world, open), task: t });
  }
  const incomplete = () => units.filter((u) => !isComplete(u.dir, u.hash, u.jobs, u.splitFile));
  if (incomplete().length === 0) return { dataRoot: root, regenerated: [] };
  // one builder per world; the others wait here and then find the folders complete
  const lock = await acquireLock(`${root}.lock`);
  try {
    const todo = incomplete();
    const total = todo.reduce((a, u) => a + u.jobs.length, 0);
    let done = 0;
    opts.onProgress?.(0, total);
    for (const u of todo) await buildUnit(u, root, world, () => opts.onProgress?.(++done, total));
    return { dataRoot: root, regenerated: todo.map((u) => path.relative(root, u.dir)) };
  } finally {
    lock.release();
  }
}

interface Unit {
  dir: string;
  hash: string;
  jobs: Job[];
  splitFile?: string;
  task: SynthTask;
}

/**
 * Builds one folder in a temporary sibling and renames it into place (holding the world lock). Leftover
 * siblings are a crashed builder's: the lock says nobody else builds this folder now.
 */
async function buildUnit(u: Unit, root: string, world: WorldOptions, tick: () => void): Promise<void> {
  for (const s of siblingsOf(u.dir)) fs.rmSync(s.file, { recursive: true, force: true });
  const tmp = siblingName(u.dir, 'tmp');
  try {
    fs.mkdirSync(tmp, { recursive: true });
    const jobs = u.jobs.map((j) => ({ ...j, file: path.join(tmp, path.relative(u.dir, j.file)) }));
    const bytes = await renderAll(jobs, world.seed, tick);
    const marker: Marker = { hash: u.hash, files: u.jobs.length, bytes };
    if (u.splitFile) {
      const json = splitJson(u.task, u.jobs, root); // paths relative to the final folder's image prefix
      fs.writeFileSync(path.join(tmp, path.basename(u.splitFile)), json);
      marker.splitSha256 = sha256(json);
    }
    fs.writeFileSync(path.join(tmp, MARKER), JSON.stringify(marker, null, 2));
    // an existing (incomplete or outdated) folder is moved aside first: rename cannot replace a non-empty one
    const old = siblingName(u.dir, 'old');
    const hadOld = fs.existsSync(u.dir);
    if (hadOld) fs.renameSync(u.dir, old);
    fs.renameSync(tmp, u.dir);
    if (hadOld) fs.rmSync(old, { recursive: true, force: true });
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Lists the pretraining images of a materialised world (call `materialiseWorld({pretrain: true})` first). */
export function pretrainImages(cacheDir: string, world: WorldOptions, tasks: readonly string[] = TASK_NAMES, openVocab = 0): PretrainImage[] {
  const root = worldRoot(cacheDir, world);
  const out: PretrainImage[] = [];
  for (const name of tasks) {
    const t = taskByName(name);
    for (const j of pretrainJobs(t, root, world)) out.push({ task: t.name, label: j.label, classname: t.classes[j.label].name, absPath: j.file });
  }
  for (const t of openVocab > 0 ? OPEN_TASKS : []) {
    for (const j of pretrainJobs(t, root, world, openVocab)) out.push({ task: t.name, label: j.label, classname: t.classes[j.label].name, absPath: j.file });
  }
  return out;
}
