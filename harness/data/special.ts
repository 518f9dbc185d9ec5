// The two CoOp datasets without a split JSON: ImageNet (wnid folders + classnames.txt) and FGVCAircraft
// (variants.txt + images_variant_{train,val,test}.txt). Paths returned are relative to the dataset folder.

import * as path from 'path';
import { ClsrlError } from '../errors';
import { checkDir, listNoHidden, readText, textLines } from './root';
import type { RawItem, RawSplits } from './splitjson';

/**
 * CoOp's imagenet.py: labels = index of the wnid in the sorted `images/train` folders, names from
 * classnames.txt (`<wnid> <name words>`); official val is the test set and also CoOp's val, so we leave
 * val empty (no few-shot val for ImageNet). Files in a class folder are sorted (CoOp: os.listdir order).
 */
export function readImageNet(dir: string): RawSplits {
  const namesFile = path.join(dir, 'classnames.txt');
  const names = new Map<string, string>();
  textLines(readText(namesFile, 'imagenet/classnames.txt comes with CoOp (DATASETS.md); copy it into the imagenet folder')).forEach((line, i) => {
    if (line === '') return;
    const sp = line.indexOf(' ');
    if (sp <= 0) {
      throw new ClsrlError('DATA_FORMAT', `${namesFile}:${i + 1}: expected '<wnid> <class name>', got ${JSON.stringify(line)}`, {
        hint: 'each line of classnames.txt is a WordNet id, a space, then the class name',
      });
    }
    // CoOp: line.strip().split(" "); name = " ".join(parts[1:]) (keeps the words, single-spaced as written)
    names.set(line.slice(0, sp), line.split(' ').slice(1).join(' '));
  });
  const read = (split: 'train' | 'val'): { items: RawItem[]; folders: string[] } => {
    const splitDir = path.join(dir, 'images', split);
    checkDir(splitDir, `ImageNet ${split} folder`, `ImageNet needs images/${split}/<wnid>/ folders under the imagenet folder (CoOp layout)`);
    const folders = listNoHidden(splitDir, 'dirs');
    const items: RawItem[] = [];
    folders.forEach((wnid, label) => {
      const classname = names.get(wnid);
      if (classname === undefined) {
        throw new ClsrlError('DATA_FORMAT', `${namesFile}: no class name for folder images/${split}/${wnid}`, {
          hint: 'classnames.txt must list every wnid folder; use CoOp\'s file (all 1000 classes)',
        });
      }
      for (const f of listNoHidden(path.join(splitDir, wnid), 'files')) items.push({ impath: `images/${split}/${wnid}/${f}`, label, classname });
    });
    return { items, folders };
  };
  const train = read('train');
  const test = read('val');
  if (train.folders.join('\n') !== test.folders.join('\n')) {
    const onlyTrain = train.folders.filter((f) => !test.folders.includes(f));
    const onlyVal = test.folders.filter((f) => !train.folders.includes(f));
    throw new ClsrlError('DATA_FORMAT', `${dir}: images/train and images/val hold different class folders (train only: ${onlyTrain.slice(0, 3).join(', ') || '-'}; val only: ${onlyVal.slice(0, 3).join(', ') || '-'})`, {
      hint: 'CoOp labels each split by its sorted folder list, so both splits need the same wnid folders',
    });
  }
  return { train: train.items, val: [], test: test.items };
}

/** CoOp's fgvc_aircraft.py: class = line of variants.txt (label = line index), image = images/<id>.jpg. */
export function readFgvc(dir: string): RawSplits {
  const variantsFile = path.join(dir, 'variants.txt');
  const hint = 'FGVCAircraft is the data/ folder of fgvc-aircraft-2013b renamed to fgvc_aircraft (CoOp DATASETS.md)';
  const variants = textLines(readText(variantsFile, hint));
  const labelOf = new Map<string, number>();
  variants.forEach((v, i) => {
    if (v === '') throw new ClsrlError('DATA_FORMAT', `${variantsFile}:${i + 1}: empty class name`, { hint: 'remove blank lines from variants.txt' });
    if (labelOf.has(v)) throw new ClsrlError('DATA_FORMAT', `${variantsFile}:${i + 1}: variant '${v}' listed twice`, { hint: 'each variant must appear once' });
    labelOf.set(v, i);
  });
  const read = (split: string): RawItem[] => {
    const file = path.join(dir, `images_variant_${split}.txt`);
    const items: RawItem[] = [];
    textLines(readText(file, hint)).forEach((line, i) => {
      if (line === '') return;
      const parts = line.split(' ');
      const classname = parts.slice(1).join(' ');
      const label = labelOf.get(classname);
      if (parts[0] === '' || label === undefined) {
        throw new ClsrlError('DATA_FORMAT', `${file}:${i + 1}: unknown variant ${JSON.stringify(classname)} (line ${JSON.stringify(line)})`, {
          hint: 'each line is `<image id> <variant>` and the variant must be a line of variants.txt',
        });
      }
      items.push({ impath: `images/${parts[0]}.jpg`, label, classname });
    });
    return items;
  };
  return { train: read('train'), val: read('val'), test: read('test') };
}
