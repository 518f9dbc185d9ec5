// Dataset registry and loaders on the CoOp fixture: class names and order per dataset, image paths,
// fingerprints, aliases, suite-declared split-JSON datasets, and every validation error.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ClsrlError } from '../../harness/errors';
import { listDatasets, loadDataset, PAPER_ORDER, questionPrefix, registerDataset, resolveDataRoot, resolveDatasetName } from '../../harness/data';
import { jsonErrorOffset } from '../../harness/data/jsonpos';
import { FIXTURE_DATASETS, makeCoopFixture, type CoopFixture } from '../fixtures/coop';

let tmp: string;
let fx: CoopFixture;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-data-'));
  fx = await makeCoopFixture(path.join(tmp, 'ok'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs `fn`, expecting a ClsrlError; returns it for further checks. */
async function clsrlError(fn: () => unknown): Promise<ClsrlError> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ClsrlError);
    return e as ClsrlError;
  }
  throw new Error('expected a ClsrlError');
}

describe('CoOp datasets on the fixture', () => {
  test.each(FIXTURE_DATASETS)('%s: class list, counts, paths exist', async (name) => {
    const ds = await loadDataset(name, { dataRoot: fx.root });
    const want = fx.datasets[name];
    expect(ds.name).toBe(name);
    expect(ds.classnames).toEqual(want.classnames);
    expect({ train: ds.train.length, val: ds.val.length, test: ds.test.length }).toEqual(want.counts);
    for (const e of [...ds.train, ...ds.val, ...ds.test]) {
      expect(e.image.startsWith(`${want.folder}/`)).toBe(true);
      expect(e.absPath).toBe(path.join(fx.root, e.image));
      expect(fs.existsSync(e.absPath)).toBe(true);
      expect(ds.classnames[e.label]).toBe(e.classname);
    }
    expect(ds.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  test('image prefixes follow the CoOp layout table', async () => {
    const first = async (n: string) => (await loadDataset(n, { dataRoot: fx.root })).test[0].image;
    expect(await first('Caltech101')).toBe('caltech-101/101_ObjectCategories/Faces/image_0201.jpg');
    expect(await first('StanfordCars')).toMatch(/^stanford_cars\/cars_test\/\d{5}\.jpg$/);
    expect(await first('EuroSAT')).toBe('eurosat/2750/AnnualCrop/AnnualCrop_201.jpg');
    expect(await first('SUN397')).toBe('sun397/SUN397/a/abbey/sun_test000.jpg');
    expect(await first('FGVCAircraft')).toBe('fgvc_aircraft/images/1000200.jpg');
    expect(await first('ImageNet')).toBe('imagenet/images/val/n01440764/ILSVRC2012_val_00000001.JPEG');
  });

  test('ImageNet: labels by sorted wnid folder, names from classnames.txt, duplicate names noted, no val', async () => {
    const ds = await loadDataset('ImageNet', { dataRoot: fx.root });
    expect(ds.classnames).toEqual(['tench', 'goldfish', 'missile', 'missile']);
    expect(ds.val).toEqual([]);
    expect(ds.notes.join('\n')).toMatch(/"missile" is shared by labels 2, 3/);
    expect(ds.notes.join('\n')).toMatch(/sorted/);
  });

  test('split JSON order and labels are kept exactly (first train item is label 1 in the fixture)', async () => {
    const ds = await loadDataset('OxfordPets', { dataRoot: fx.root });
    const json = JSON.parse(fs.readFileSync(path.join(fx.root, 'oxford_pets/split_zhou_OxfordPets.json'), 'utf8'));
    expect(ds.train.map((e) => [e.image.replace('oxford_pets/images/', ''), e.label, e.classname])).toEqual(json.train);
  });

  test('fingerprint is stable and changes with the split', async () => {
    const a = await loadDataset('DescribableTextures', { dataRoot: fx.root, cache: false });
    const b = await loadDataset('DescribableTextures', { dataRoot: fx.root, cache: false });
    expect(a.fingerprint).toBe(b.fingerprint);
    const eu = await loadDataset('EuroSAT', { dataRoot: fx.root });
    expect(eu.fingerprint).not.toBe(a.fingerprint);
  });

  test('aliases and paper order', async () => {
    expect(resolveDatasetName('DTD')).toBe('DescribableTextures');
    expect(resolveDatasetName('flowers102')).toBe('OxfordFlowers');
    expect((await loadDataset('dtd', { dataRoot: fx.root })).name).toBe('DescribableTextures');
    expect(listDatasets().slice(0, 11).map((d) => d.name)).toEqual([...PAPER_ORDER]);
    const dtd = listDatasets().find((d) => d.name === 'DescribableTextures');
    expect(dtd).toMatchObject({ folder: 'dtd', kind: 'split-json', paperName: 'DTD' });
    expect(questionPrefix('EuroSAT')).toBe('What type of object is in the centered satellite photo?');
    expect(questionPrefix('Food101')).toBe('What type of object is in the photo?');
  });
});

describe('validation errors name the path and give a hint', () => {
  test('unknown dataset name suggests close matches', async () => {
    const e = await clsrlError(() => loadDataset('OxfordPet', { dataRoot: fx.root }));
    expect(e.code).toBe('UNKNOWN_NAME');
    expect(e.hint).toMatch(/OxfordPets/);
  });

  test('missing root and missing dataset folder', async () => {
    const missing = path.join(tmp, 'nope');
    let e = await clsrlError(() => loadDataset('EuroSAT', { dataRoot: missing }));
    expect([e.code, e.message.includes(missing), !!e.hint]).toEqual(['DATA_ROOT', true, true]);
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty, { recursive: true });
    e = await clsrlError(() => loadDataset('EuroSAT', { dataRoot: empty }));
    expect(e.code).toBe('DATA_MISSING');
    expect(e.message).toContain(path.join(empty, 'eurosat'));
  });

  test('malformed JSON reports file and line/column', async () => {
    const bad = await makeCoopFixture(path.join(tmp, 'corrupt'), { datasets: ['EuroSAT', 'FGVCAircraft'], corruptSplit: ['EuroSAT', 'FGVCAircraft'] });
    const e = await clsrlError(() => loadDataset('EuroSAT', { dataRoot: bad.root }));
    expect(e.code).toBe('DATA_FORMAT');
    expect(e.message).toContain('split_zhou_EuroSAT.json');
    expect(e.message).toMatch(/line \d+ column \d+/);
    const f = await clsrlError(() => loadDataset('FGVCAircraft', { dataRoot: bad.root }));
    expect(f.message).toMatch(/images_variant_test\.txt:\d+: unknown variant "Not A Variant"/);
  });

  test('missing images: count and first paths', async () => {
    const bad = await makeCoopFixture(path.join(tmp, 'holes'), { datasets: ['UCF101'], omitImages: { UCF101: 2 } });
    const e = await clsrlError(() => loadDataset('UCF101', { dataRoot: bad.root }));
    expect(e.code).toBe('DATA_MISSING');
    expect(e.message).toMatch(/2 of \d+ images/);
    expect(e.message).toContain(path.join(bad.root, 'ucf101/UCF-101-midframes/Yo_Yo'));
  });

  describe('schema and label/name consistency (suite-declared dataset)', () => {
    const root = () => path.join(tmp, 'custom');
    const write = (split: unknown) => {
      fs.mkdirSync(path.join(root(), 'toy/img'), { recursive: true });
      for (const f of ['a.png', 'b.png', 'c.png']) fs.writeFileSync(path.join(root(), 'toy/img', f), 'x');
      fs.writeFileSync(path.join(root(), 'toy/split.json'), typeof split === 'string' ? split : JSON.stringify(split));
    };
    beforeAll(() => registerDataset({ name: 'ToyJson', folder: 'toy', splitFile: 'split.json', imagePrefix: 'img', questionPrefix: 'What toy?' }));
    const load = () => loadDataset('ToyJson', { dataRoot: root(), cache: false });

    test('a valid suite dataset loads with its prefix', async () => {
      write({ train: [['a.png', 0, 'cat'], ['b.png', 1, 'dog']], val: [], test: [['c.png', 1, 'dog']] });
      const ds = await load();
      expect(ds.classnames).toEqual(['cat', 'dog']);
      expect(ds.test[0].image).toBe('toy/img/c.png');
      expect(questionPrefix('ToyJson')).toBe('What toy?');
      expect(listDatasets().find((d) => d.name === 'ToyJson')?.kind).toBe('split-json');
    });
    test.each([
      [{ train: [], val: [], test: [] }, /train split is empty/],
      [{ train: [['a.png', 0, 'cat']], test: [] }, /key 'val' is missing/],
      [{ train: [['a.png', 0]], val: [], test: [] }, /train\[0\] must be a 3-element array/],
      [{ train: [['a.png', '0', 'cat']], val: [], test: [] }, /train\[0\] label must be an integer/],
      [{ train: [['/abs.png', 0, 'cat']], val: [], test: [] }, /impath must be relative/],
      [{ train: [['a.png', 0, 'cat'], ['b.png', 0, 'kitten']], val: [], test: [] }, /label 0 has two names: "cat" \(train\[0\]\) and "kitten" \(train\[1\]\)/],
      [{ train: [['a.png', 0, 'cat'], ['b.png', 2, 'dog']], val: [], test: [] }, /label 1 never appears in train/],
      [{ train: [['a.png', 0, 'cat']], val: [], test: [['c.png', 0, 'dog']] }, /test\[0\] names label 0 "dog" but train calls it "cat"/],
      [{ train: [['a.png', 0, 'cat']], val: [['c.png', 3, 'cat']], test: [] }, /val\[0\] has label 3/],
      [[1, 2], /top level must be an object/],
      [{ train: [['a.png', 0, ' ']], val: [], test: [] }, /train\[0\] classname must be a non-empty string/],
    ])('%j', async (split, re) => {
      write(split);
      const e = await clsrlError(load);
      expect(e.code).toBe('DATA_FORMAT');
      expect(e.message).toContain(path.join(root(), 'toy/split.json'));
      expect(e.message).toMatch(re);
      expect(e.hint).toBeTruthy();
    });
    test('JSON syntax error position', async () => {
      write('{\n  "train": [\n    ["a.png", 0, "cat"],,\n');
      const e = await clsrlError(load);
      expect(e.message).toMatch(/line 3 column \d+/);
    });
  });

  test('ImageNet: folder without a class name, train/val folder mismatch', async () => {
    const bad = await makeCoopFixture(path.join(tmp, 'inet'), { datasets: ['ImageNet'] });
    const dir = path.join(bad.root, 'imagenet');
    fs.mkdirSync(path.join(dir, 'images/val/n00000001'));
    let e = await clsrlError(() => loadDataset('ImageNet', { dataRoot: bad.root, cache: false }));
    expect(e.message).toMatch(/no class name for folder images\/val\/n00000001|different class folders/);
    fs.appendFileSync(path.join(dir, 'classnames.txt'), 'n00000001 new thing\n');
    e = await clsrlError(() => loadDataset('ImageNet', { dataRoot: bad.root, cache: false }));
    expect(e.message).toMatch(/images\/train and images\/val hold different class folders \(train only: -; val only: n00000001\)/);
  });

  test('FGVCAircraft: blank or duplicate variant lines', async () => {
    const bad = await makeCoopFixture(path.join(tmp, 'fgvc'), { datasets: ['FGVCAircraft'] });
    const variants = path.join(bad.root, 'fgvc_aircraft/variants.txt');
    fs.writeFileSync(variants, '707-320\n\nA300B4\n');
    expect((await clsrlError(() => loadDataset('FGVCAircraft', { dataRoot: bad.root, cache: false }))).message).toMatch(/variants\.txt:2: empty class name/);
    fs.writeFileSync(variants, '707-320\n707-320\n');
    expect((await clsrlError(() => loadDataset('FGVCAircraft', { dataRoot: bad.root, cache: false }))).message).toMatch(/variants\.txt:2: variant '707-320' listed twice/);
  });

  test('the load cache notices a changed split file', async () => {
    const fresh = await makeCoopFixture(path.join(tmp, 'cache'), { datasets: ['DescribableTextures'] });
    const a = await loadDataset('DescribableTextures', { dataRoot: fresh.root });
    expect(await loadDataset('DescribableTextures', { dataRoot: fresh.root })).toBe(a);
    const file = path.join(fresh.root, 'dtd/split_zhou_DescribableTextures.json');
    const split = JSON.parse(fs.readFileSync(file, 'utf8'));
    split.test.pop();
    fs.writeFileSync(file, JSON.stringify(split));
    const b = await loadDataset('DescribableTextures', { dataRoot: fresh.root });
    expect(b.test.length).toBe(a.test.length - 1);
    expect(b.fingerprint).not.toBe(a.fingerprint);
  });

  test('registerDataset refuses a built-in name and bad fields', async () => {
    expect((await clsrlError(() => registerDataset({ name: 'eurosat', folder: 'x', splitFile: 's.json', imagePrefix: '' }))).code).toBe('BAD_CONFIG');
    expect((await clsrlError(() => registerDataset({ name: 'X', folder: '../up', splitFile: 's.json', imagePrefix: '' }))).message).toMatch(/folder/);
  });
});

describe('resolveDataRoot', () => {
  const saved = process.env.CLSRL_DATA;
  afterEach(() => {
    if (saved === undefined) delete process.env.CLSRL_DATA;
    else process.env.CLSRL_DATA = saved;
  });
  test('flag, then CLSRL_DATA, else DATA_ROOT error', async () => {
    process.env.CLSRL_DATA = '/from/env';
    expect(resolveDataRoot('/from/flag')).toBe('/from/flag');
    expect(resolveDataRoot()).toBe('/from/env');
    delete process.env.CLSRL_DATA;
    const e = await clsrlError(() => resolveDataRoot());
    expect(e.code).toBe('DATA_ROOT');
    expect(e.hint).toMatch(/CLSRL_DATA/);
  });
});

describe('jsonErrorOffset (position of JSON syntax errors)', () => {
  test.each([
    ['{"a": tru}', 9],
    ['[1,2', 4],
    ['{"a":1}x', 7],
    ['{"train": [["a", 0, "c"],,]}', 25],
    ['{"a" 1}', 5],
    ['[1 2]', 3],
    ['{"a":[1,{"b":[]},"x\\u00e9"],"c":-1.5e3}', -1],
    ['[]', -1],
  ])('%j -> %i', (text, want) => expect(jsonErrorOffset(text)).toBe(want));
});
