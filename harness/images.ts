// Image decoding for engines: sharp decodes any format, resizes (Lanczos, as the paper's eval code),
// and returns channel-first float pixels. Results are cached in memory by (path, size, mtime).
// Not a data-augmentation pipeline: the paper uses none.

import * as fs from 'fs';
import sharp from 'sharp';
import { ClsrlError } from './errors';

export interface ImageTensor {
  /** (3, size, size) RGB in [0, 1], channel-first. */
  data: Float32Array;
  size: number;
}

const MAX_CACHE = 4096;
const cache = new Map<string, ImageTensor>();

/** Decode `absPath`, resize to size x size (aspect ratio not kept, as a 384x384 LANCZOS resize). */
export async function loadImage(absPath: string, size: number): Promise<ImageTensor> {
  let mtime: number;
  try {
    mtime = fs.statSync(absPath).mtimeMs;
  } catch (cause) {
    throw new ClsrlError('DATA_MISSING', `image not found: ${absPath}`, {
      hint: 'check --data-root and that every image listed in the split file is on disk',
      cause,
    });
  }
  const key = `${absPath}|${size}|${mtime}`;
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key); // refresh LRU position
    cache.set(key, hit);
    return hit;
  }
  let raw: Buffer;
  try {
    raw = await sharp(absPath)
      .removeAlpha()
      .toColourspace('srgb')
      .resize(size, size, { fit: 'fill', kernel: 'lanczos3' })
      .raw()
      .toBuffer();
  } catch (cause) {
    throw new ClsrlError('DATA_FORMAT', `cannot decode image ${absPath}`, {
      hint: 'the file exists but is not a readable image (JPEG/PNG/WebP/TIFF/GIF)',
      cause,
    });
  }
  const hw = size * size;
  const data = new Float32Array(3 * hw);
  for (let i = 0; i < hw; i++) {
    data[i] = raw[3 * i] / 255;
    data[hw + i] = raw[3 * i + 1] / 255;
    data[2 * hw + i] = raw[3 * i + 2] / 255;
  }
  const t: ImageTensor = { data, size };
  cache.set(key, t);
  if (cache.size > MAX_CACHE) cache.delete(cache.keys().next().value as string);
  return t;
}

export function clearImageCache(): void {
  cache.clear();
}
