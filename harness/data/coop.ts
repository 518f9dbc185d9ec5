// The eleven CoOp datasets as data: folder, image prefix and split file per CoOp's DATASETS.md, the
// CLS-RL question prefix per dataset, and the paper's dataset order. Loading lives in load.ts.

export type DatasetKind = 'split-json' | 'imagenet' | 'fgvc';

/** A registered dataset. Split-JSON entries read `<root>/<folder>/<splitFile>`, images under `<folder>/<imagePrefix>`. */
export interface DatasetEntry {
  name: string;
  /** Display name in the paper's tables (`DTD`, `Flowers102`); defaults to name. */
  paperName: string;
  folder: string;
  kind: DatasetKind;
  /** Split-JSON only. */
  splitFile?: string;
  /** Split-JSON only: folder the JSON impaths are relative to, relative to the dataset folder ('' = itself). */
  imagePrefix?: string;
  questionPrefix: string;
  description: string;
  /** Other accepted names (all names match case-insensitively), e.g. `DTD`, the CLS-RL HF short names. */
  aliases: string[];
  builtin: boolean;
}

export const DEFAULT_QUESTION_PREFIX = 'What type of object is in the photo?';

/** [v6 Table 8, repo notebook]: four datasets have their own question; all others the default. */
export const QUESTION_PREFIXES: Readonly<Record<string, string>> = {
  EuroSAT: 'What type of object is in the centered satellite photo?',
  UCF101: 'What actions is the person performing in the photo?',
  DescribableTextures: 'What type of texture is in the photo?',
  FGVCAircraft: 'What type of aircraft is in the photo?',
};

/** Registry names in the order of every table and heatmap of the paper. */
export const PAPER_ORDER = [
  'ImageNet',
  'Caltech101',
  'DescribableTextures',
  'EuroSAT',
  'Food101',
  'OxfordFlowers',
  'OxfordPets',
  'StanfordCars',
  'SUN397',
  'UCF101',
  'FGVCAircraft',
] as const;

type Builtin = Omit<DatasetEntry, 'questionPrefix' | 'builtin' | 'paperName'> & { paperName?: string };

const json = (name: string, folder: string, imagePrefix: string, aliases: string[], description: string, paperName?: string): Builtin => ({
  name,
  folder,
  kind: 'split-json',
  splitFile: `split_zhou_${name}.json`,
  imagePrefix,
  aliases,
  description,
  paperName,
});

const BUILTINS: Builtin[] = [
  {
    name: 'ImageNet',
    folder: 'imagenet',
    kind: 'imagenet',
    aliases: [],
    description: '1000 classes; images/train/<wnid>/ and images/val/<wnid>/ (val is the test set) + classnames.txt',
  },
  json('Caltech101', 'caltech-101', '101_ObjectCategories', ['caltech'], '100 object classes (BACKGROUND_Google, Faces_easy dropped)'),
  json('DescribableTextures', 'dtd', 'images', ['DTD'], '47 texture classes', 'DTD'),
  json('EuroSAT', 'eurosat', '2750', [], '10 land-use classes from satellite tiles'),
  json('Food101', 'food-101', 'images', ['food'], '101 dish classes'),
  json('OxfordFlowers', 'oxford_flowers', 'jpg', ['Flowers102', 'flowers'], '102 flower species', 'Flowers102'),
  json('OxfordPets', 'oxford_pets', 'images', ['pets'], '37 cat and dog breeds'),
  json('StanfordCars', 'stanford_cars', '', ['cars'], '196 car models (make, model, year)'),
  json('SUN397', 'sun397', 'SUN397', ['sun'], '397 scene categories (partition 01)'),
  json('UCF101', 'ucf101', 'UCF-101-midframes', ['ucf'], '101 human actions, one middle frame per video'),
  {
    name: 'FGVCAircraft',
    folder: 'fgvc_aircraft',
    kind: 'fgvc',
    aliases: ['fgvc'],
    description: '100 aircraft variants; variants.txt + images_variant_{train,val,test}.txt + images/',
  },
];

/** Fresh copies of the built-in entries (paper order). */
export function builtinEntries(): DatasetEntry[] {
  return BUILTINS.map((b) => ({
    ...b,
    paperName: b.paperName ?? b.name,
    questionPrefix: QUESTION_PREFIXES[b.name] ?? DEFAULT_QUESTION_PREFIX,
    builtin: true,
    aliases: [...b.aliases],
  }));
}
