// The synthetic world: determinism, class counts, split JSON read by the ordinary loader, idempotent
// materialisation, and disjointness of pretraining images from test images. Uses a reduced world in a
// temp dir (two small tasks, a few images per class), so it runs in seconds.

import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { loadDataset, registerDataset } from '../../harness/data';
import { loadImage } from '../../harness/images';
import { mean } from '../../reports/stats';
import { corpusBatch, corpusExample } from '../../suites/synthetic/corpus';
import { svgDoc } from '../../suites/synthetic/draw';
import { materialiseWorld, pretrainImages, renderImage } from '../../suites/synthetic/materialise';
import { rngFrom } from '../../suites/synthetic/prng';
import { TASKS, datasetDefs, taskByName, worldDirName, type WorldOptions } from '../../suites/synthetic/world';
import { spawnSync } from 'child_process';

const SMALL: WorldOptions = { seed: 7, train: 3, val: 1, test: 2, pretrain: 2 };
const NAMES = ['SynthSat', 'SynthAircraft'];
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-synth-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** The pid of a process that has exited (a crashed owner). */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

function listPngs(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listPngs(p));
    else if (e.name.endsWith('.png')) out.push(p);
  }
  return out.sort();
}

describe('tasks', () => {
  test('eleven tasks, 10 to 60 distinct classes each, one per CoOp role', () => {
    expect(TASKS).toHaveLength(11);
    expect(new Set(TASKS.map((t) => t.mirrors)).size).toBe(11);
    for (const t of TASKS) {
      expect(t.classes.length).toBeGreaterThanOrEqual(10);
      expect(t.classes.length).toBeLessThanOrEqual(60);
      expect(new Set(t.classes.map((c) => c.name)).size).toBe(t.classes.length);
      expect(new Set(t.classes.map((_, i) => t.describe(i))).size).toBe(t.classes.length);
    }
  });

  test('class names use the real sets’ styles (spaces, underscores, hyphens)', () => {
    const all = TASKS.flatMap((t) => t.classes.map((c) => c.name));
    expect(all.some((n) => n.includes(' '))).toBe(true);
    expect(all.some((n) => n.includes('_'))).toBe(true);
    expect(all.some((n) => n.includes('-'))).toBe(true);
  });
});

describe('rendering', () => {
  test('same seed and key give identical PNG bytes; another index or split differs', async () => {
    const t = taskByName('SynthPets');
    const a = await renderImage(t, 1, 3, 'test', 0);
    const b = await renderImage(t, 1, 3, 'test', 0);
    expect(sha(a)).toBe(sha(b));
    expect(sha(await renderImage(t, 1, 3, 'test', 1))).not.toBe(sha(a));
    expect(sha(await renderImage(t, 1, 3, 'pretrain', 0))).not.toBe(sha(a));
    expect(sha(await renderImage(t, 2, 3, 'test', 0))).not.toBe(sha(a));
    expect(a.subarray(1, 4).toString('ascii')).toBe('PNG');
  });

  // Pixels (of 32 x 32) where two renders with the same nuisance draws differ by more than 0.25 in some
  // channel at the model's input size: how visible the one attribute that separates the classes is.
  async function pairChanges(taskName: string, pairOf: (name: string) => string | undefined, draws: number): Promise<number[]> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-pair-'));
    const at32 = async (svg: string, name: string): Promise<Float32Array> => {
      const file = path.join(dir, `${name}.png`);
      await sharp(Buffer.from(svgDoc(svg))).png().toFile(file);
      return (await loadImage(file, 32)).data;
    };
    const task = taskByName(taskName);
    const counts: number[] = [];
    for (const [i, cls] of task.classes.entries()) {
      const other = pairOf(cls.name);
      if (other === undefined) continue;
      const j = task.classes.findIndex((c) => c.name === other);
      expect(j).toBeGreaterThanOrEqual(0);
      for (let k = 0; k < draws; k++) {
        const a = await at32(task.draw(i, rngFrom(`pair|${k}`)), `a${i}-${k}`);
        const b = await at32(task.draw(j, rngFrom(`pair|${k}`)), `b${j}-${k}`);
        let changed = 0;
        for (let p = 0; p < 32 * 32; p++) if ([0, 1, 2].some((ch) => Math.abs(a[ch * 1024 + p] - b[ch * 1024 + p]) > 0.25)) changed++;
        counts.push(changed);
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
    return counts;
  }

  // World v1 drew the make's spoiler in paint colour, 6 units wide: 0-6 pixels (mean 3) changed at the
  // model's 32 px and the shipped model never saw it (SynthCars 0% zero-shot). v2's dark wing: 4-22 (mean 17).
  // The spoiler and the wing consume no randomness, so a pair differs by the make only.
  test('SynthCars: the make alone changes enough pixels at the model input size (32 px) to be seen', async () => {
    const counts = await pairChanges('SynthCars', (n) => (n.includes('Velta') ? n.replace('Velta', 'Norvik') : undefined), 5);
    expect(counts).toHaveLength(50);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(3);
    expect(mean(counts)).toBeGreaterThanOrEqual(10);
  });

  // World v2 drew single and twin tails as paint-coloured stabilisers of nearly the same outline (SynthAircraft
  // 5% zero-shot, below chance; as few as 0 pixels changed); v3 adds red fins, one on the centre line or two at
  // the tips: 16-26 pixels (mean 21).
  test('SynthAircraft: the tail alone (single vs twin) changes enough pixels at 32 px to be seen', async () => {
    const twinOf: Record<string, string> = { '200': '220', '400': '440' };
    const counts = await pairChanges('SynthAircraft', (n) => { const [w, v] = n.split(' '); return twinOf[v] && `${w} ${twinOf[v]}`; }, 8);
    expect(counts).toHaveLength(48);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(8);
    expect(mean(counts)).toBeGreaterThanOrEqual(15);
  });
});

describe('materialised world', () => {
  let root: string;
  beforeAll(async () => {
    const progress: number[] = [];
    root = (await materialiseWorld({ cacheDir: tmp, world: SMALL, tasks: NAMES, pretrain: true, onProgress: (d) => progress.push(d) })).dataRoot;
    const perTask = NAMES.reduce((a, n) => a + taskByName(n).classes.length * (3 + 1 + 2 + 2), 0);
    expect(progress[progress.length - 1]).toBe(perTask);
  });

  test('split JSON in CoOp layout, read by the ordinary loader', async () => {
    for (const def of datasetDefs(NAMES)) {
      const raw = JSON.parse(fs.readFileSync(path.join(root, def.folder, def.splitFile), 'utf8'));
      expect(Object.keys(raw).sort()).toEqual(['test', 'train', 'val']);
      expect(raw.train[0]).toEqual([expect.stringMatching(/^[\w-]+\/train_0000\.png$/), 0, taskByName(def.name).classes[0].name]);
      registerDataset(def);
      const ds = await loadDataset(def.name, { dataRoot: root });
      const t = taskByName(def.name);
      expect(ds.classnames).toEqual(t.classes.map((c) => c.name));
      expect(ds.train).toHaveLength(t.classes.length * SMALL.train);
      expect(ds.val).toHaveLength(t.classes.length * SMALL.val);
      expect(ds.test).toHaveLength(t.classes.length * SMALL.test);
      expect(fs.existsSync(ds.test[0].absPath)).toBe(true);
    }
  });

  test('a second call reuses the folders; a corrupt image or split file is regenerated identically', async () => {
    const again = await materialiseWorld({ cacheDir: tmp, world: SMALL, tasks: NAMES, pretrain: true });
    expect(again.regenerated).toEqual([]);
    const img = listPngs(path.join(root, 'synth_sat', 'images'))[0];
    const before = sha(fs.readFileSync(img));
    fs.writeFileSync(img, Buffer.from('not a png'));
    const split = path.join(root, 'synth_aircraft', 'split_zhou_SynthAircraft.json');
    fs.appendFileSync(split, ' ');
    const fixed = await materialiseWorld({ cacheDir: tmp, world: SMALL, tasks: NAMES, pretrain: true });
    expect(fixed.regenerated.sort()).toEqual(['synth_aircraft', 'synth_sat']);
    expect(sha(fs.readFileSync(img))).toBe(before);
  });

  test('concurrent materialisations of one world: one builds, the others wait and reuse it', async () => {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-synth-conc-'));
    try {
      const runs = await Promise.all([1, 2, 3].map(() => materialiseWorld({ cacheDir: cache, world: SMALL, tasks: NAMES })));
      expect(runs.map((r) => r.regenerated.length).sort()).toEqual([0, 0, NAMES.length]);
      const world = runs[0].dataRoot;
      expect(fs.readdirSync(world).sort()).toEqual(NAMES.map((n) => taskByName(n).folder).sort());
      expect(fs.readdirSync(path.dirname(world))).toEqual([path.basename(world)]); // no lock or temp folder left
      for (const n of NAMES) {
        const t = taskByName(n);
        expect(listPngs(path.join(world, t.folder, 'images'))).toHaveLength(t.classes.length * (SMALL.train + SMALL.val + SMALL.test));
      }
    } finally {
      fs.rmSync(cache, { recursive: true, force: true });
    }
  });

  test("a crashed builder's lock and half-written folders are cleaned up, and the world is built", async () => {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-synth-crash-'));
    try {
      const world = path.join(cache, 'synthetic', worldDirName(SMALL));
      const dead = deadPid();
      fs.mkdirSync(world, { recursive: true });
      fs.writeFileSync(`${world}.lock`, JSON.stringify({ host: os.hostname(), pid: dead, token: 'x', acquiredAt: '', heartbeat: Date.now() }));
      const half = path.join(world, `.synth_sat.tmp-${os.hostname()}-${dead}-0badf00d`);
      fs.mkdirSync(path.join(half, 'images'), { recursive: true });
      fs.writeFileSync(path.join(half, 'images', 'x.png'), 'half');
      fs.mkdirSync(path.join(world, 'synth_sat', 'images'), { recursive: true }); // no marker: an old-style partial folder
      const r = await materialiseWorld({ cacheDir: cache, world: SMALL, tasks: NAMES });
      expect(r.regenerated.sort()).toEqual(['synth_aircraft', 'synth_sat']);
      expect(fs.readdirSync(world).sort()).toEqual(['synth_aircraft', 'synth_sat']);
      expect(fs.existsSync(`${world}.lock`)).toBe(false);
    } finally {
      fs.rmSync(cache, { recursive: true, force: true });
    }
  });

  test('pretraining images are disjoint from test images (paths and pixels)', () => {
    const pre = pretrainImages(tmp, SMALL, NAMES);
    expect(pre).toHaveLength(NAMES.reduce((a, n) => a + taskByName(n).classes.length * SMALL.pretrain, 0));
    const test = NAMES.flatMap((n) => listPngs(path.join(root, taskByName(n).folder, 'images')));
    const testHashes = new Set(test.map((p) => sha(fs.readFileSync(p))));
    for (const p of pre) {
      expect(test).not.toContain(p.absPath);
      expect(testHashes.has(sha(fs.readFileSync(p.absPath)))).toBe(false);
    }
  });

  test('corpus: all kinds, phrased unlike the task prompts, deterministic', () => {
    const pre = pretrainImages(tmp, SMALL, NAMES);
    const a = corpusBatch(pre, rngFrom('c'), 200);
    expect(corpusBatch(pre, rngFrom('c'), 200)).toEqual(a);
    expect(new Set(a.map((e) => e.kind)).size).toBe(5);
    for (const e of a) {
      expect(e.prompt).not.toContain('Please choose one from list');
      expect(pre.map((p) => p.absPath)).toContain(e.image);
    }
    const think = corpusExample(pre[0], rngFrom('t'), 'think');
    expect(think.target).toMatch(/^<think>.+<\/think><answer>(.+)<\/answer>$/);
    expect(think.target.endsWith(`<answer>${pre[0].classname}</answer>`)).toBe(true);
    expect(think.prompt).toContain(pre[0].classname);
  });
});
