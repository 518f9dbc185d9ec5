// Resuming an interrupted pretraining run: the optimizer state round-trips bit-exactly, and progress
// written with other options is refused with a clear error.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { resolveConfig } from '../../harness/engines/tiny/config';
import { AdamW } from '../../harness/engines/tiny/optimizer';
import { layout } from '../../harness/engines/tiny/params';
import { readProgress, restoreOptimizer, saveOptimizer, type Progress } from '../../scripts/pretrain-resume';

const cfg = resolveConfig({ dModel: 16, nHeads: 2, nLayers: 1, visionLayers: 1, vocabSize: 270, maxContext: 128 }, 'test');
const lay = layout(cfg);
const opts = { lr: 1e-2, weightDecay: 0.01, beta1: 0.9, beta2: 0.98, eps: 1e-8, gradClip: 1, warmupSteps: 2, schedule: 'cosine' as const, totalSteps: 10 };

let work: string;
beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-resume-'));
});
afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

test('AdamW state saved at step 3 and restored continues exactly like the uninterrupted optimizer', () => {
  const params = new Float32Array(lay.total).map((_, i) => Math.sin(i));
  const grad = (s: number) => new Float32Array(lay.total).map((_, i) => Math.cos(i * s) * 0.1);
  const a = new AdamW(opts, lay);
  const pa = params.slice();
  for (let s = 1; s <= 3; s++) a.update(pa, grad(s));
  saveOptimizer(a, work);
  const b = new AdamW(opts, lay);
  restoreOptimizer(b, work, 3);
  expect(b.t).toBe(3);
  const pb = pa.slice();
  for (let s = 4; s <= 6; s++) {
    a.update(pa, grad(s));
    b.update(pb, grad(s));
  }
  expect(Buffer.from(pb.buffer).equals(Buffer.from(pa.buffer))).toBe(true);
  expect(() => restoreOptimizer(new AdamW(opts, lay), work, 4)).toThrow(/at update 3, progress.json at step 4/);
});

test('progress written with other options is refused; none there means nothing to resume', () => {
  expect(readProgress(work, 'k1')).toBeUndefined();
  const p: Progress = { key: 'k1', step: 200, losses: [{ step: 200, loss: 1 }], minutes: 3 };
  fs.writeFileSync(path.join(work, 'progress.json'), JSON.stringify(p));
  expect(readProgress(work, 'k1')).toEqual(p);
  expect(() => readProgress(work, 'k2')).toThrow(/written with other options/);
});
