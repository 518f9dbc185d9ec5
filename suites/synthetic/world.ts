// The synthetic world: eleven tasks in the paper's dataset order, their split-JSON dataset
// definitions, and the options (seed, images per class) that fix what gets materialised.

import type { SplitJsonDatasetDef } from '../../harness/contracts';
import { unknownName } from '../../harness/errors';
import { synthCaltech, synthFood, synthObjects } from './tasks-generic';
import { synthAircraft, synthCars, synthFlowers, synthPets } from './tasks-fine';
import { synthActions, synthScenes } from './tasks-scenes';
import { synthSat, synthTextures } from './tasks-surfaces';
import { synthThings } from './tasks-open';
import type { SynthTask } from './task';

/** Bump when any drawing code changes, so cached worlds are regenerated. */
export const WORLD_VERSION = 'v3';

/** The eleven tasks in the order the paper lists the CoOp datasets they mirror. */
export const TASKS: readonly SynthTask[] = [
  synthObjects, // ImageNet
  synthCaltech, // Caltech101
  synthTextures, // DTD
  synthSat, // EuroSAT
  synthFood, // Food101
  synthFlowers, // Flowers102
  synthPets, // OxfordPets
  synthCars, // StanfordCars
  synthScenes, // SUN397
  synthActions, // UCF101
  synthAircraft, // FGVCAircraft
];

export const TASK_NAMES: readonly string[] = TASKS.map((t) => t.name);

export function taskByName(name: string): SynthTask {
  const t = TASKS.find((x) => x.name === name);
  if (!t) throw unknownName('synthetic task', name, TASK_NAMES);
  return t;
}

/** Pretraining-only concept families (recipe v4's open vocabulary): drawn, never a task. */
export const OPEN_TASKS: readonly SynthTask[] = [synthThings];

/** A task or an open-vocabulary family by name (pretraining code reads both). */
export function anyTaskByName(name: string): SynthTask {
  const t = TASKS.find((x) => x.name === name) ?? OPEN_TASKS.find((x) => x.name === name);
  if (!t) throw unknownName('synthetic task', name, [...TASK_NAMES, ...OPEN_TASKS.map((o) => o.name)]);
  return t;
}

export interface WorldOptions {
  /** World seed: every image's pixels derive from (seed, task, class, split, index). */
  seed: number;
  /** Images per class in each split of the task datasets. */
  train: number;
  val: number;
  test: number;
  /** Images per class for the pretraining corpus (a separate split key, never a task image). */
  pretrain: number;
}

/** Default sizes: 16 train (room for 4- and 8-shot sampling), 4 val, 30 test per class (with 10, a 6-class
 * base half had 60 test images and one seed's cells moved 5-15 points); 120 pretraining images per class
 * (with 40 the vision tower memorised them: 63% train vs 38% held-out accuracy). */
export const DEFAULT_WORLD: WorldOptions = { seed: 1, train: 16, val: 4, test: 30, pretrain: 120 };

/** The folder under the cache that holds a world with these options. */
export function worldDirName(o: WorldOptions): string {
  return `${WORLD_VERSION}-s${o.seed}-${o.train}.${o.val}.${o.test}`;
}

/** Split file name of a task, CoOp style. */
export function splitFileOf(t: SynthTask): string {
  return `split_zhou_${t.name}.json`;
}

export const IMAGE_PREFIX = 'images';

/** The dataset definitions a suite declares (`customDatasets`) so the ordinary loader reads the tasks. */
export function datasetDefs(names: readonly string[] = TASK_NAMES): SplitJsonDatasetDef[] {
  return names.map((n) => {
    const t = taskByName(n);
    return {
      name: t.name,
      folder: t.folder,
      splitFile: splitFileOf(t),
      imagePrefix: IMAGE_PREFIX,
      questionPrefix: t.questionPrefix,
      description: `Synthetic ${t.noun} task mirroring ${t.mirrors} (${t.classes.length} classes); see suites/synthetic/README.md`,
    };
  });
}

/** A class's folder name: the class name with anything but letters, digits, `-` and `_` as `_`. */
export function classDir(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_');
}
