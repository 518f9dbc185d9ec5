// Resuming an interrupted `npm run pretrain`: every --save-every steps the run writes, beside the
// weights in <work>/checkpoint, the optimizer state (<work>/optimizer.bin: the update count, then AdamW's
// m and v as raw float32) and <work>/progress.json (step, loss curve, minutes spent, the vision stage's
// record and the options that must not change). `--resume` reads them back.

import * as fs from 'fs';
import * as path from 'path';
import { ClsrlError } from '../harness/errors';
import type { AdamW } from '../harness/engines/tiny/optimizer';
import type { VisionRecord } from './pretrain-card';

/** What an intermediate checkpoint records beside the weights (work/progress.json). */
export interface Progress {
  /** The options that must not change across a resume. */
  key: string;
  step: number;
  losses: { step: number; loss: number }[];
  /** Minutes spent so far (all sessions). */
  minutes: number;
  vision?: VisionRecord;
}

export function readProgress(work: string, key: string): Progress | undefined {
  const file = path.join(work, 'progress.json');
  if (!fs.existsSync(file)) return undefined;
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as Progress;
  if (p.key !== key) throw new ClsrlError('BAD_CONFIG', `--resume: ${file} was written with other options (${p.key ?? 'none recorded'}); rerun with those, or drop --resume`, { hint: 'a resumed run must use the options of the run it continues' });
  return p;
}

/** Optimizer state as raw float32 (m then v) plus the update count. */
export function saveOptimizer(opt: AdamW, work: string): void {
  const buf = Buffer.alloc(8 + opt.m.byteLength + opt.v.byteLength);
  buf.writeDoubleLE(opt.t, 0);
  Buffer.from(opt.m.buffer, opt.m.byteOffset, opt.m.byteLength).copy(buf, 8);
  Buffer.from(opt.v.buffer, opt.v.byteOffset, opt.v.byteLength).copy(buf, 8 + opt.m.byteLength);
  fs.writeFileSync(path.join(work, 'optimizer.bin'), buf);
}

export function restoreOptimizer(opt: AdamW, work: string, step: number): void {
  const buf = fs.readFileSync(path.join(work, 'optimizer.bin'));
  if (buf.length !== 8 + opt.m.byteLength + opt.v.byteLength) throw new ClsrlError('BAD_CONFIG', `--resume: ${work}/optimizer.bin does not fit this model (${buf.length} bytes)`, { hint: 'the work folder belongs to another model config; use another --work' });
  opt.t = buf.readDoubleLE(0);
  if (opt.t !== step) throw new ClsrlError('BAD_CONFIG', `--resume: optimizer.bin is at update ${opt.t}, progress.json at step ${step}`, { hint: 'the run stopped while writing its checkpoint; rerun without --resume or from an older copy' });
  const f = new Float32Array(buf.buffer.slice(buf.byteOffset + 8, buf.byteOffset + buf.length));
  opt.m.set(f.subarray(0, opt.m.length));
  opt.v.set(f.subarray(opt.m.length));
}
