// Checkpoints: model.safetensors (one F32 tensor per named parameter view, readable by the safetensors
// libraries) plus config.json (model config, tokenizer description). Round trip is bit-exact.

import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ClsrlError } from '../../errors';
import { resolveConfig, type TinyConfig } from './config';
import { layout } from './params';
import { Tokenizer } from './tokenizer';

export const CONFIG_FILE = 'config.json';
export const WEIGHTS_FILE = 'model.safetensors';
export const FORMAT = 'clsrl-tiny';

/** What a config.json without pixel fields means: no normalisation (the engine before pixelMean/pixelStd). */
const LEGACY_PIXELS = { pixelMean: 0, pixelStd: 1 };

export interface Checkpoint {
  cfg: TinyConfig;
  params: Float32Array;
  tok: Tokenizer;
}

/** sha256 over config, tokenizer merges and weights, 16 hex chars: the identity of a model for run ids. */
export function fingerprintOf(cfg: TinyConfig, params: Float32Array, tok: Tokenizer): string {
  const h = crypto.createHash('sha256');
  h.update(JSON.stringify(cfg));
  h.update(tok.signature); // '' (no bytes hashed) for the byte tokenizer
  h.update(new Uint8Array(params.buffer, params.byteOffset, params.byteLength));
  return h.digest('hex').slice(0, 16);
}

export function saveCheckpoint(dir: string, cfg: TinyConfig, params: Float32Array, tok: Tokenizer, meta: Record<string, unknown> = {}): void {
  const lay = layout(cfg);
  const header: Record<string, unknown> = { __metadata__: { format: 'pt', producer: 'clsrl tiny engine' } };
  for (const s of lay.specs) header[s.name] = { dtype: 'F32', shape: s.shape, data_offsets: [s.offset * 4, (s.offset + s.size) * 4] };
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // align the data start to 8 bytes
  const hbytes = Buffer.from(json, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(hbytes.length));
  fs.mkdirSync(dir, { recursive: true });
  const data = Buffer.from(params.buffer, params.byteOffset, params.byteLength);
  fs.writeFileSync(path.join(dir, WEIGHTS_FILE), Buffer.concat([len, hbytes, data]));
  const config = {
    model_type: FORMAT,
    format_version: 1,
    config: cfg,
    tokenizer: tok.describe(),
    parameters: lay.total,
    fingerprint: fingerprintOf(cfg, params, tok),
    ...meta,
  };
  fs.writeFileSync(path.join(dir, CONFIG_FILE), JSON.stringify(config, null, 2) + '\n');
}

export function hasCheckpoint(dir: string): boolean {
  return fs.existsSync(path.join(dir, CONFIG_FILE)) && fs.existsSync(path.join(dir, WEIGHTS_FILE));
}

export function loadCheckpoint(dir: string): Checkpoint {
  const cfgPath = path.join(dir, CONFIG_FILE);
  const wPath = path.join(dir, WEIGHTS_FILE);
  if (!hasCheckpoint(dir)) {
    throw new ClsrlError('NOT_FOUND', `no tiny checkpoint in ${dir}`, { hint: `expected ${CONFIG_FILE} and ${WEIGHTS_FILE} (written by engine.save)` });
  }
  let doc: { model_type?: unknown; config?: Partial<TinyConfig>; tokenizer?: unknown };
  try {
    doc = JSON.parse(fs.readFileSync(cfgPath, 'utf8'));
  } catch (cause) {
    throw new ClsrlError('DATA_FORMAT', `${cfgPath} is not valid JSON`, { hint: 'rewrite the checkpoint with engine.save', cause });
  }
  if (doc.model_type !== FORMAT) throw new ClsrlError('DATA_FORMAT', `${cfgPath}: model_type is ${JSON.stringify(doc.model_type)}, expected '${FORMAT}'`, { hint: 'this folder is not a tiny engine checkpoint' });
  // Checkpoints written before pixel normalisation existed have no pixelMean/pixelStd: they saw raw 0..1 pixels.
  const cfg = resolveConfig({ ...LEGACY_PIXELS, ...doc.config }, `${cfgPath} field config`);
  let tok: Tokenizer;
  try {
    tok = Tokenizer.fromDescription(doc.tokenizer);
  } catch (cause) {
    throw new ClsrlError('DATA_FORMAT', `${cfgPath}: ${(cause as Error).message}`, { hint: 'rewrite the checkpoint with engine.save', cause });
  }
  if (tok.vocabSize !== cfg.vocabSize) {
    throw new ClsrlError('DATA_FORMAT', `${cfgPath}: config.vocabSize is ${cfg.vocabSize} but the tokenizer has ${tok.vocabSize} ids`, { hint: 'vocabSize must be 262 plus the number of tokenizer.merges' });
  }
  const lay = layout(cfg);
  const buf = fs.readFileSync(wPath);
  const bad = (msg: string): never => {
    throw new ClsrlError('DATA_FORMAT', `${wPath}: ${msg}`, { hint: 'the weights do not match config.json; rewrite the checkpoint with engine.save' });
  };
  if (buf.length < 8) bad('file too short');
  const hlen = Number(buf.readBigUInt64LE(0));
  if (8 + hlen > buf.length) bad('header length past end of file');
  let header: Record<string, { dtype?: unknown; shape?: unknown; data_offsets?: unknown }> = {};
  try {
    header = JSON.parse(buf.subarray(8, 8 + hlen).toString('utf8'));
  } catch {
    bad('header is not valid JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) bad('header is not a JSON object');
  const base = 8 + hlen;
  const dataBytes = buf.length - base;
  const params = new Float32Array(lay.total);
  for (const s of lay.specs) {
    const e = header[s.name];
    if (typeof e !== 'object' || e === null) bad(`tensor '${s.name}' missing`);
    if (e.dtype !== 'F32') bad(`tensor '${s.name}' has dtype ${JSON.stringify(e.dtype)}, expected F32`);
    if (!Array.isArray(e.shape) || e.shape.join(',') !== s.shape.join(',')) bad(`tensor '${s.name}' has shape ${JSON.stringify(e.shape)}, expected [${s.shape}]`);
    // safetensors: offsets are [begin, end) within the data section, after the header (never into it)
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((x) => Number.isSafeInteger(x))) bad(`tensor '${s.name}' has data_offsets ${JSON.stringify(off)}, expected two integers`);
    const [b0, b1] = off as [number, number];
    if (b0 < 0 || b1 > dataBytes || b1 - b0 !== s.size * 4) {
      bad(`tensor '${s.name}' has data_offsets [${b0}, ${b1}]: expected ${s.size * 4} bytes within the data section (0..${dataBytes})`);
    }
    const bytes = buf.subarray(base + b0, base + b1);
    params.set(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)), s.offset);
  }
  const nonFinite = params.findIndex((x) => !Number.isFinite(x));
  if (nonFinite >= 0) {
    const spec = lay.specs.find((s) => nonFinite >= s.offset && nonFinite < s.offset + s.size);
    bad(`tensor '${spec?.name}' holds a non-finite weight (${params[nonFinite]} at element ${nonFinite - (spec?.offset ?? 0)})`);
  }
  return { cfg, params, tok };
}
