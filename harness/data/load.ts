// loadDataset: reads a registered dataset from the data root in CoOp's layout, checks labels, names and
// that every listed image exists, and returns Examples with a sha256 fingerprint of the split definition.

import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { Example, LoadedDataset } from '../contracts';
import { ClsrlError } from '../errors';
import type { DatasetEntry } from './coop';
import { getDatasetEntry } from './registry';
import { checkDir, checkRoot, missingFiles, missingImagesError } from './root';
import { readSplitJson, SPLIT_KEYS, type RawItem, type RawSplits, type SplitKey } from './splitjson';
import { readFgvc, readImageNet } from './special';

export interface LoadOptions {
  dataRoot: string;
  /** Reuse an earlier load of the same files in this process (default true; keyed by file mtimes). */
  cache?: boolean;
}

const cache = new Map<string, LoadedDataset>();

/** The files whose content defines the split (what the cache key stamps). */
function definitionFiles(entry: DatasetEntry, dir: string): string[] {
  switch (entry.kind) {
    case 'split-json':
      return [path.join(dir, entry.splitFile ?? '')];
    case 'imagenet':
      return ['classnames.txt', 'images/train', 'images/val'].map((f) => path.join(dir, f));
    case 'fgvc':
      return ['variants.txt', 'images_variant_train.txt', 'images_variant_val.txt', 'images_variant_test.txt'].map((f) => path.join(dir, f));
  }
}

/** Raw items and the image prefix (relative to the dataset folder) their impaths hang from. */
function readRaw(entry: DatasetEntry, dir: string): { raw: RawSplits; prefix: string } {
  switch (entry.kind) {
    case 'split-json':
      return { raw: readSplitJson(path.join(dir, entry.splitFile ?? '')), prefix: entry.imagePrefix ?? '' };
    case 'imagenet':
      return { raw: readImageNet(dir), prefix: '' };
    case 'fgvc':
      return { raw: readFgvc(dir), prefix: '' };
  }
}

function stamp(files: string[]): string {
  return files.map((f) => {
    try {
      const st = fs.statSync(f);
      return `${f}:${st.mtimeMs}:${st.size}`;
    } catch {
      return `${f}:-`;
    }
  }).join('|');
}

/**
 * Dassl's class list: `classnames[label]` from the train split (labels 0..max, one name each). Val/test
 * labels must be train labels with the same name. Returns notes on names shared by several labels.
 */
export function classListFromSplits(source: string, raw: RawSplits): { classnames: string[]; notes: string[] } {
  const fmt = (hint: string, msg: string) => new ClsrlError('DATA_FORMAT', `${source}: ${msg}`, { hint });
  if (raw.train.length === 0) throw fmt('the class list is derived from the train split, which must not be empty', 'train split is empty');
  const names = new Map<number, { name: string; at: number }>();
  raw.train.forEach((it, i) => {
    const seen = names.get(it.label);
    if (!seen) names.set(it.label, { name: it.classname, at: i });
    else if (seen.name !== it.classname) {
      throw fmt('one label must always carry the same class name', `label ${it.label} has two names: ${JSON.stringify(seen.name)} (train[${seen.at}]) and ${JSON.stringify(it.classname)} (train[${i}])`);
    }
  });
  const max = Math.max(...names.keys());
  const classnames: string[] = [];
  for (let l = 0; l <= max; l++) {
    const n = names.get(l);
    if (!n) throw fmt('labels must run 0..C-1 with every class present in train (Dassl derives C = max label + 1)', `label ${l} never appears in train (max label ${max})`);
    classnames.push(n.name);
  }
  for (const key of ['val', 'test'] as const) {
    raw[key].forEach((it, i) => {
      if (it.label > max) throw fmt('val/test may only use labels present in train', `${key}[${i}] has label ${it.label}, not a train label (0..${max})`);
      if (classnames[it.label] !== it.classname) {
        throw fmt('one label must always carry the same class name', `${key}[${i}] names label ${it.label} ${JSON.stringify(it.classname)} but train calls it ${JSON.stringify(classnames[it.label])}`);
      }
    });
  }
  if (classnames.length < 2) {
    throw fmt('classification needs at least two classes; check that the split file is the whole dataset', `only ${classnames.length} class (${JSON.stringify(classnames[0])}) in train`);
  }
  if (raw.test.length === 0) throw fmt('every run is evaluated on the test split; an empty one would be stored as 0% accuracy', 'test split is empty');
  for (const key of ['train', 'val', 'test'] as const) {
    const seen = new Map<string, number>();
    raw[key].forEach((it, i) => {
      const first = seen.get(it.impath);
      if (first !== undefined) {
        throw fmt('each image may appear once per split (a duplicate would be sampled or scored twice); remove the repeated entry', `${key}[${i}] repeats ${key}[${first}] (${JSON.stringify(it.impath)})`);
      }
      seen.set(it.impath, i);
    });
  }
  const byName = new Map<string, number[]>();
  classnames.forEach((n, l) => byName.set(n, [...(byName.get(n) ?? []), l]));
  const notes = [...byName].filter(([, ls]) => ls.length > 1).map(([n, ls]) => `class name ${JSON.stringify(n)} is shared by labels ${ls.join(', ')}; classes are identified by label`);
  return { classnames, notes };
}

/** sha256 over the split definition: every (split, image, label, classname) line in order, and the class list. */
export function fingerprintSplits(name: string, classnames: string[], splits: Record<SplitKey, Example[]>): string {
  const h = createHash('sha256');
  h.update(`clsrl-dataset-v1\t${name}\n`);
  classnames.forEach((c, l) => h.update(`class\t${l}\t${c}\n`));
  for (const key of SPLIT_KEYS) for (const e of splits[key]) h.update(`${key}\t${e.image}\t${e.label}\t${e.classname}\n`);
  return h.digest('hex');
}

/** Reads, validates and caches one registered dataset from `opts.dataRoot`. */
export async function loadDataset(name: string, opts: LoadOptions): Promise<LoadedDataset> {
  const entry = getDatasetEntry(name);
  const root = path.resolve(opts.dataRoot);
  checkRoot(root);
  const dir = path.join(root, entry.folder);
  checkDir(dir, `dataset folder of ${entry.name}`, `expected '${entry.folder}/' under the data root ${root} (CoOp layout, see CoOp DATASETS.md); symlinks are fine`);
  const defFiles = definitionFiles(entry, dir);
  const key = `${entry.name}|${root}|${JSON.stringify(entry)}|${stamp(defFiles)}`;
  const hit = opts.cache === false ? undefined : cache.get(key);
  if (hit) return hit;
  const { raw, prefix } = readRaw(entry, dir);

  const source = entry.kind === 'split-json' ? defFiles[0] : dir;
  const { classnames, notes } = classListFromSplits(source, raw);
  const relBase = path.posix.join(entry.folder, prefix);
  const toExample = (it: RawItem): Example => {
    const image = path.posix.join(relBase, it.impath);
    return { image, absPath: path.join(root, ...image.split('/')), label: it.label, classname: it.classname };
  };
  const splits = { train: raw.train.map(toExample), val: raw.val.map(toExample), test: raw.test.map(toExample) };
  if (entry.kind !== 'imagenet') {
    // ImageNet's items come from directory listings, so they exist; the others are names in text files.
    const all = [...splits.train, ...splits.val, ...splits.test].map((e) => e.absPath);
    const missing = missingFiles(all);
    if (missing.length > 0) throw missingImagesError(entry.name, missing, all.length);
  }
  if (entry.kind === 'imagenet') {
    notes.push('images within a class folder are sorted (CoOp uses os.listdir order, which varies by filesystem)');
    notes.push('no separate val split: CoOp sets val = test for ImageNet and samples no few-shot val');
  }
  const loaded: LoadedDataset = { name: entry.name, classnames, ...splits, fingerprint: fingerprintSplits(entry.name, classnames, splits), notes };
  if (opts.cache !== false) cache.set(key, loaded);
  return loaded;
}
