// Stage 1 of the tiny model's pretraining: the vision tower alone learns K-way image classification
// through a mean-pooled linear head; only `vis.*` parameters of the model change, and bad batches fail
// with ClsrlError before anything is updated.

import { ClsrlError } from '../../harness/errors';
import { createTinyEngine, layout, type TinyModel } from '../../harness/engines/tiny';
import { patchify } from '../../harness/engines/tiny/batch';
import { dims } from '../../harness/engines/tiny/config';
import { VisionPretrainer, visionLayout } from '../../harness/engines/tiny/vision-pretrain';
import { loadImage } from '../../harness/images';
import { ADAM, SMALL, colourImages } from './fixtures';

async function setup(): Promise<{ model: TinyModel; batch: Float32Array; labels: number[] }> {
  const eng = await createTinyEngine({ config: SMALL, seed: 3, threads: 1 });
  const model = (await eng.load(eng.baseModel())) as TinyModel;
  const images = Object.values(await colourImages());
  const { P, PD } = dims(model.cfg);
  const batch = new Float32Array(images.length * P * PD);
  for (let i = 0; i < images.length; i++) batch.set(patchify((await loadImage(images[i], model.cfg.imageSize)).data, model.cfg), i * P * PD);
  await eng.close();
  return { model, batch, labels: images.map((_, i) => i) };
}

describe('vision pretraining', () => {
  it('learns to tell the colour images apart and changes only the vision tower', async () => {
    const { model, batch, labels } = await setup();
    const before = model.params.slice();
    const vp = new VisionPretrainer(model, labels.length, labels.length, ADAM({ lr: 1e-2, totalSteps: 60 }), 1, 0);
    const first = await vp.evaluate(batch, labels);
    const losses: number[] = [];
    for (let i = 0; i < 60; i++) losses.push((await vp.step(batch, labels)).loss);
    const after = await vp.evaluate(batch, labels);
    await vp.close();
    expect(first.loss).toBeGreaterThan(Math.log(labels.length) * 0.8); // near chance at init
    expect(after.loss).toBeLessThan(first.loss / 5);
    expect(after.predictions).toEqual(labels);

    for (const s of layout(model.cfg).specs) {
      const moved = model.params.subarray(s.offset, s.offset + s.size).some((v, i) => v !== before[s.offset + i]);
      // LayerNorm gains/biases of the vision blocks move too; everything outside the tower stays bit-identical
      if (s.name.startsWith('vis.')) expect([s.name, moved]).toEqual([s.name, true]);
      else expect([s.name, moved]).toEqual([s.name, false]);
    }
  });

  it('evaluate() updates nothing; the layout is the vision parameters plus the head', async () => {
    const { model, batch, labels } = await setup();
    const before = model.params.slice();
    const vp = new VisionPretrainer(model, 4, 4, ADAM(), 1, 0);
    const a = await vp.evaluate(batch, labels);
    const b = await vp.evaluate(batch, labels);
    await vp.close();
    expect(b).toEqual(a);
    expect(model.params).toEqual(before);
    const lay = visionLayout(model.cfg, 4);
    const full = layout(model.cfg);
    const vis = full.specs.filter((s) => s.name.startsWith('vis.'));
    expect(lay.specs.map((s) => s.name)).toEqual([...vis.map((s) => s.name), 'cls_head']);
    expect(lay.total).toBe(vis.reduce((n, s) => n + s.size, 0) + model.cfg.dModel * 4);
  });

  it('rejects a batch of the wrong size or a label outside the classes, before updating', async () => {
    const { model, batch, labels } = await setup();
    const before = model.params.slice();
    const vp = new VisionPretrainer(model, 4, 4, ADAM(), 1, 0);
    await expect(vp.step(batch.subarray(0, batch.length / 2), labels.slice(0, 2))).rejects.toThrow(/needs 4 images \(got 2 labels, 2 images\)/);
    await expect(vp.step(batch, [0, 1, 2, 4])).rejects.toThrow(ClsrlError);
    await expect(vp.step(batch, [0, 1, 2, 4])).rejects.toThrow(/label 4 is outside 0\.\.3/);
    expect(model.params).toEqual(before);
    expect(() => new VisionPretrainer(model, 1, 4, ADAM(), 1, 0)).toThrow(/at least 2 classes/);
    await vp.close();
  });
});
