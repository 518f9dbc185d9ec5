// The dataset registry: the eleven CoOp datasets plus split-JSON datasets that suites declare as data
// (`registerDataset(def)`). Names resolve case-insensitively, through aliases (`DTD`, `Flowers102`).

import type { SplitJsonDatasetDef } from '../contracts';
import { ClsrlError, unknownName } from '../errors';
import { builtinEntries, DEFAULT_QUESTION_PREFIX, type DatasetEntry, type DatasetKind } from './coop';

const entries = new Map<string, DatasetEntry>(builtinEntries().map((e) => [e.name, e]));

export interface DatasetInfo {
  name: string;
  folder: string;
  description: string;
  kind: DatasetKind;
  paperName: string;
  aliases: string[];
  questionPrefix: string;
}

function checkDef(def: SplitJsonDatasetDef): void {
  const bad = (field: string, why: string) =>
    new ClsrlError('BAD_CONFIG', `dataset definition '${def?.name ?? '?'}': ${field} ${why}`, {
      hint: 'a split-JSON dataset needs {name, folder, splitFile, imagePrefix} (strings; paths relative, forward slashes)',
    });
  if (typeof def !== 'object' || def === null) throw bad('definition', 'must be an object');
  if (typeof def.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(def.name)) throw bad('name', 'must be letters, digits, _ . - (it appears in question ids)');
  for (const field of ['folder', 'splitFile'] as const) {
    const v = def[field];
    if (typeof v !== 'string' || v === '' || v.startsWith('/') || v.split('/').includes('..')) throw bad(field, 'must be a non-empty relative path');
  }
  if (typeof def.imagePrefix !== 'string' || def.imagePrefix.startsWith('/') || def.imagePrefix.split('/').includes('..')) {
    throw bad('imagePrefix', "must be a relative path ('' for the dataset folder itself)");
  }
  if (def.questionPrefix !== undefined && (typeof def.questionPrefix !== 'string' || def.questionPrefix === '')) throw bad('questionPrefix', 'must be a non-empty string');
}

/**
 * Registers a split-JSON dataset declared as data. Re-registering a suite's name replaces it (suites may
 * register on every load); a built-in CoOp name cannot be replaced.
 */
export function registerDataset(def: SplitJsonDatasetDef): DatasetInfo {
  checkDef(def);
  const clash = findEntry(def.name);
  if (clash?.builtin) {
    throw new ClsrlError('BAD_CONFIG', `dataset name '${def.name}' is taken by the built-in CoOp dataset '${clash.name}'`, {
      hint: 'give the suite dataset another name',
    });
  }
  if (clash && clash.name !== def.name) entries.delete(clash.name);
  const entry: DatasetEntry = {
    name: def.name,
    paperName: def.name,
    folder: def.folder,
    kind: 'split-json',
    splitFile: def.splitFile,
    imagePrefix: def.imagePrefix,
    questionPrefix: def.questionPrefix ?? DEFAULT_QUESTION_PREFIX,
    description: def.description ?? `split-JSON dataset in ${def.folder}/`,
    aliases: [],
    builtin: false,
  };
  entries.set(def.name, entry);
  return info(entry);
}

function findEntry(name: string): DatasetEntry | undefined {
  const exact = entries.get(name);
  if (exact) return exact;
  const low = name.toLowerCase();
  for (const e of entries.values()) {
    if (e.name.toLowerCase() === low || e.aliases.some((a) => a.toLowerCase() === low)) return e;
  }
  return undefined;
}

/** The registry entry for a name or alias; UNKNOWN_NAME with close matches otherwise. */
export function getDatasetEntry(name: string): DatasetEntry {
  const e = findEntry(name);
  if (!e) throw unknownName('dataset', name, [...entries.keys()]);
  return e;
}

/** Canonical registry name of a name or alias (`dtd` -> `DescribableTextures`). */
export function resolveDatasetName(name: string): string {
  return getDatasetEntry(name).name;
}

/** The question prefix of a dataset's prompts (default "What type of object is in the photo?"). */
export function questionPrefix(name: string): string {
  return findEntry(name)?.questionPrefix ?? DEFAULT_QUESTION_PREFIX;
}

function info(e: DatasetEntry): DatasetInfo {
  return {
    name: e.name,
    folder: e.folder,
    description: e.description,
    kind: e.kind,
    paperName: e.paperName,
    aliases: [...e.aliases],
    questionPrefix: e.questionPrefix,
  };
}

/** Registered datasets: the CoOp ones in paper order, then suite datasets in registration order. */
export function listDatasets(): DatasetInfo[] {
  return [...entries.values()].map(info);
}
