// End to end: data and model files that used to give silently wrong results now stop the real CLI
// before anything runs, with `error:` naming the file and a hint, exit 1 and no database written: an
// empty test split, duplicate entries, one class, non-UTF-8 bytes, corrupt or zero-byte images (found
// by the up-front decode, whose cache does not hide a changed file), a missing or damaged tiny
// checkpoint. K above the images of a class runs, with the documented Dassl behaviour as a warning.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import type { SuiteDef } from '../../harness/contracts';
import { cli, fixtureSuite, json, REPO, writeSuite } from '../helpers/cli';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-bad-data-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

type Entry = [string, number, string];

/** A dataset folder `<root>/<name>/` with PNGs and split.json ({train, val, test}) from `entries`. */
async function dataset(root: string, name: string, split: { train: Entry[]; val: Entry[]; test: Entry[] }, raw?: Buffer): Promise<void> {
  const dir = path.join(root, name);
  fs.mkdirSync(path.join(dir, 'img'), { recursive: true });
  const all = [...split.train, ...split.val, ...split.test];
  for (const [impath, label] of all) {
    const file = path.join(dir, 'img', impath);
    if (fs.existsSync(file)) continue;
    const colour = { r: (label * 80) % 256, g: (impath.length * 17) % 256, b: 40 };
    fs.writeFileSync(file, await sharp({ create: { width: 8, height: 8, channels: 3, background: colour } }).png().toBuffer());
  }
  fs.writeFileSync(path.join(dir, 'split.json'), raw ?? JSON.stringify(split));
}

/** `n` entries per class for `classes` (names), images named `<split>_<class>_<i>.png`. */
function entries(split: string, classes: string[], n: number): Entry[] {
  return classes.flatMap((c, label) => Array.from({ length: n }, (_, i): Entry => [`${split}_${c}_${i}.png`, label, c]));
}

const CLASSES = ['cat', 'dog', 'owl', 'fox'];
const goodSplit = () => ({ train: entries('train', CLASSES, 3), val: entries('val', CLASSES, 1), test: entries('test', CLASSES, 2) });

/** A suite over one custom dataset (the double engine: no model needed). */
function suite(name: string, folder: string, over: Partial<SuiteDef> = {}): string {
  return writeSuite(tmp, fixtureSuite(name, [folder], {
    customDatasets: [{ name: folder, folder, splitFile: 'split.json', imagePrefix: 'img' }],
    settings: [{ setting: 'few-shot', shots: [2], seeds: [1] }],
    methods: ['zero-shot', 'sft'],
    ...over,
  }));
}

/** A sweep that must fail before any run: exit 1, `error:` + `hint:`, no stack, no database. */
function expectRejected(suiteFile: string, root: string, message: RegExp, extra: string[] = []): string {
  const db = path.join(tmp, `db-${path.basename(suiteFile)}.sqlite`);
  const r = cli(['sweep', '--suite', suiteFile, '--data-root', root, '--db', db, ...extra]);
  expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 1, stdout: '' });
  expect(r.stderr).toMatch(/^error: /);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).toMatch(/^hint: /m);
  expect(r.stderr).not.toMatch(/unexpected error|^\s+at /m);
  expect(fs.existsSync(db)).toBe(false);
  return r.stderr;
}

describe('split files', () => {
  test('an empty test split is an error, not a run stored at 0.00%', async () => {
    const root = path.join(tmp, 'empty-test');
    await dataset(root, 'EmptyTest', { ...goodSplit(), test: [] });
    expectRejected(suite('empty-test', 'EmptyTest'), root, /EmptyTest.*split\.json: test split is empty/);
  });

  test('a duplicate entry is an error, not an image scored twice', async () => {
    const root = path.join(tmp, 'dup');
    const split = goodSplit();
    split.test.push(split.test[1]);
    await dataset(root, 'Dup', split);
    expectRejected(suite('dup', 'Dup'), root, /split\.json: test\[8\] repeats test\[1\] \("test_cat_1\.png"\)/);
  });

  test('one class is an error (every answer would be right), in the file and after a base-to-new split', async () => {
    const root = path.join(tmp, 'one-class');
    await dataset(root, 'OneClass', { train: entries('train', ['cat'], 3), val: [], test: entries('test', ['cat'], 2) });
    expectRejected(suite('one-class', 'OneClass'), root, /split\.json: only 1 class \("cat"\) in train/);
    await dataset(root, 'TwoClass', { train: entries('train', ['cat', 'dog'], 3), val: [], test: entries('test', ['cat', 'dog'], 2) });
    const b2n = suite('two-class', 'TwoClass', { settings: [{ setting: 'base-to-new', shots: [2], seeds: [1] }] });
    expectRejected(b2n, root, /TwoClass base-to-new \(zero-shot split\): evaluation set 'base' has one class \("cat"\)/);
  });

  test('bytes that are not UTF-8 are an error naming the file and offset, not U+FFFD class names', async () => {
    const root = path.join(tmp, 'latin1');
    const text = JSON.stringify(goodSplit()).replace(/"owl"/g, '"\u00e9owl"');
    const bytes = Buffer.from(text, 'latin1'); // é as the single byte 0xE9: not UTF-8
    await dataset(root, 'Latin1', goodSplit(), bytes);
    expectRejected(suite('latin1', 'Latin1'), root, new RegExp(`split\\.json: not valid UTF-8 \\(first bad byte at offset ${bytes.indexOf(0xe9)}\\)`));
  });

  test('--shots above the images of a class runs, stating Dassl\'s behaviour in a warning', async () => {
    const root = path.join(tmp, 'short');
    await dataset(root, 'Short', goodSplit());
    const db = path.join(tmp, 'short.sqlite');
    const r = cli(['sweep', '--suite', suite('short', 'Short'), '--data-root', root, '--db', db, '--shots', '5', '--json']);
    const doc = json<{ counts: Record<string, number> }>(r);
    expect(doc.counts).toEqual({ done: 2 });
    expect(r.stderr).toMatch(/^warning: Short few-shot 5-shot seed 1: 4 of 4 classes have fewer than 5 training images \(fewest: 3\); as in Dassl's generate_fewshot_dataset/m);
  });
});

describe('images, decoded before any run', () => {
  test('zero-byte and corrupt images fail the sweep up front, naming each; the check cache never hides a changed file', async () => {
    const root = path.join(tmp, 'images');
    await dataset(root, 'Pics', goodSplit());
    const sf = suite('pics', 'Pics');
    const img = (n: string) => path.join(root, 'Pics', 'img', n);
    const db = path.join(tmp, 'pics.sqlite');
    json(cli(['sweep', '--suite', sf, '--data-root', root, '--db', db, '--json']));
    const cache = JSON.parse(fs.readFileSync(path.join(tmp, 'cache', 'image-checks.json'), 'utf8')) as { ok: Record<string, string> };
    expect(cache.ok[img('test_owl_1.png')]).toBe(`${fs.statSync(img('test_owl_1.png')).size}:${fs.statSync(img('test_owl_1.png')).mtimeMs}`);

    fs.writeFileSync(img('test_owl_1.png'), ''); // zero bytes
    const png = fs.readFileSync(img('test_dog_0.png'));
    fs.writeFileSync(img('test_dog_0.png'), png.subarray(0, png.length - 30)); // truncated
    const before = fs.statSync(db).size;
    const r = cli(['sweep', '--suite', sf, '--data-root', root, '--db', db, '--seeds', '2']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: the plan of suite 'pics': 2 image\(s\) cannot be read/);
    expect(r.stderr).toContain(`${img('test_owl_1.png')} (zero bytes)`);
    expect(r.stderr).toContain(img('test_dog_0.png'));
    expect(r.stderr).not.toMatch(/unexpected error|^\s+at /m);
    expect(fs.statSync(db).size).toBe(before); // nothing ran
  });
});

// ---------------------------------------------------------------------------------------------
// The tiny engine's weights

/** safetensors bytes with `edit` applied to the parsed header (re-serialised, data section unchanged). */
function editSafetensors(file: string, edit: (h: Record<string, { data_offsets: [number, number] }>) => void, data?: (d: Buffer) => void): Buffer {
  const buf = fs.readFileSync(file);
  const hlen = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + hlen).toString('utf8'));
  edit(header);
  let text = JSON.stringify(header);
  text += ' '.repeat((8 - (text.length % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(text)));
  const body = Buffer.from(buf.subarray(8 + hlen));
  data?.(body);
  return Buffer.concat([len, Buffer.from(text), body]);
}

describe('tiny checkpoints', () => {
  const base = path.join(REPO, 'models', 'tiny-base');

  function checkpoint(name: string, bytes: Buffer): string {
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(base, 'config.json'), path.join(dir, 'config.json'));
    fs.writeFileSync(path.join(dir, 'model.safetensors'), bytes);
    return dir;
  }

  test('negative, out-of-range and non-finite weights are errors naming the tensor, not a served model', () => {
    const first = (h: Record<string, unknown>) => Object.keys(h).find((k) => k !== '__metadata__')!;
    const negative = checkpoint('neg', editSafetensors(path.join(base, 'model.safetensors'), (h) => {
      const t = h[first(h)];
      t.data_offsets = [t.data_offsets[0] - 8, t.data_offsets[1] - 8]; // 8 bytes into the header
    }));
    const past = checkpoint('past', editSafetensors(path.join(base, 'model.safetensors'), (h) => {
      const t = h[first(h)];
      t.data_offsets = [t.data_offsets[0] + 1e9, t.data_offsets[1] + 1e9];
    }));
    const nan = checkpoint('nan', editSafetensors(path.join(base, 'model.safetensors'), () => undefined, (d) => d.writeFloatLE(NaN, 4)));
    for (const [dir, msg] of [
      [negative, /data_offsets \[-8, \d+\]: expected \d+ bytes within the data section/],
      [past, /data_offsets \[1000000000, \d+\]/],
      [nan, /holds a non-finite weight \(NaN at element 1\)/],
    ] as const) {
      const r = cli(['serve', '--checkpoint', dir, '--port', '0', '--json'], { timeoutMs: 60_000 });
      expect({ dir, code: r.code, stdout: r.stdout }).toEqual({ dir, code: 1, stdout: '' });
      expect(r.stderr).toMatch(new RegExp(`^error: ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/model\\.safetensors: tensor '`));
      expect(r.stderr).toMatch(msg);
    }
  });

  test('a missing models/tiny-base/model.safetensors is an error, not random weights', () => {
    // a copy of the program whose shipped base lacks its weights
    const copy = path.join(tmp, 'clsrl-copy');
    for (const d of ['bin', 'harness', 'methods', 'suites', 'reports', 'package.json', 'tsconfig.json']) fs.cpSync(path.join(REPO, d), path.join(copy, d), { recursive: true });
    fs.mkdirSync(path.join(copy, 'models', 'tiny-base'), { recursive: true });
    fs.copyFileSync(path.join(base, 'config.json'), path.join(copy, 'models', 'tiny-base', 'config.json'));
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(copy, 'node_modules'));
    const r = cli(['sweep', '--suite', 'smoke', '--engine', 'tiny', '--db', path.join(tmp, 'copy.sqlite'), '--dry-run'], { cwd: copy, bin: path.join(copy, 'bin', 'clsrl.js') });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: the tiny engine's shipped base model is incomplete: .*clsrl-copy\/models\/tiny-base\/model\.safetensors missing/);
    expect(r.stderr).toMatch(/^hint: .*config=\{\}/m);
  });
});
