// Supervised pretraining of the tiny model's vision tower alone, the way real MLLMs start from a
// pretrained image encoder (CLIP, SigLIP) before any language training: the ViT's image tokens are
// mean-pooled and a linear head (C x K, discarded afterwards) classifies the image among K labels.
// Trained end to end by learning the tower through the decoder, a 1-block ViT learned colour and little
// else (shapes, ears, wheel sizes stayed at chance); this stage gives it those features first.

import { ort } from '../../onnx/ort';
import { Graph, gemm, grad, logSoftmax, mul, neg, oneHot, reduceMean, reduceSum, type Value } from '../../onnx';
import type { OptimizerConfig } from '../../contracts';
import { ClsrlError } from '../../errors';
import { dims, type TinyConfig } from './config';
import { paramInputs, visionEncoder } from './model';
import { AdamW } from './optimizer';
import { layout, mulberry32, gaussian, type Layout, type ParamSpec } from './params';
import type { TinyModel } from './index';

const HEAD = 'cls_head';

/** The vision parameters of `cfg` plus the classification head, laid out in one flat buffer. */
export function visionLayout(cfg: TinyConfig, classes: number): Layout {
  const full = layout(cfg);
  const specs: ParamSpec[] = [];
  let offset = 0;
  for (const s of full.specs.filter((x) => x.name.startsWith('vis.'))) {
    specs.push({ ...s, offset });
    offset += s.size;
  }
  specs.push({ name: HEAD, shape: [cfg.dModel, classes], offset, size: cfg.dModel * classes, init: { std: 0.02 }, decay: true });
  offset += cfg.dModel * classes;
  return { specs, byName: new Map(specs.map((s) => [s.name, s])), total: offset };
}

/**
 * Inputs: the vision parameters and `cls_head` (C, K), patches (B, P, PD), labels (B) int64.
 * Outputs: logits (B, K), loss = mean cross-entropy, d_<param> for every input parameter.
 */
export function buildVisionClsGraph(cfg: TinyConfig, B: number, K: number): Graph {
  const d = dims(cfg);
  const lay = visionLayout(cfg, K);
  const g = new Graph('float32', `vision_cls_${B}x${K}`);
  const p = paramInputs(g, lay);
  const patches = g.input('patches', [B, d.P, d.PD]);
  const labels = g.input('labels', [B], 'int64');
  const pooled = reduceMean(visionEncoder(p, cfg, patches, d), [1]); // (B, C)
  const logits = gemm(pooled, p.get(HEAD) as Value); // (B, K)
  const nll = neg(reduceSum(mul(logSoftmax(logits, -1), oneHot(labels, K, 'float32')), [0, 1]));
  const loss = mul(nll, g.scalar(1 / B));
  g.output(logits, 'logits');
  g.output(loss, 'loss');
  const names = lay.specs.map((s) => s.name);
  grad(loss, names.map((n) => p.get(n) as Value)).forEach((gr, i) => {
    if (!gr) throw new Error(`vision pretraining: parameter ${names[i]} gets no gradient`);
    g.output(gr, `d_${names[i]}`);
  });
  return g;
}

export interface VisionStepStats {
  loss: number;
  /** Share of the batch whose arg-max logit is the label. */
  accuracy: number;
  gradNorm: number;
  lr: number;
}

/**
 * Trains `model`'s vision tower (every `vis.*` parameter, in place) on K-way image classification.
 * Batches are fixed-size (one ONNX session); the head is seeded and never saved.
 */
export class VisionPretrainer {
  readonly lay: Layout;
  private readonly flat: Float32Array;
  private readonly full: Layout;
  private readonly opt: AdamW;
  private session: Promise<ort.InferenceSession> | null = null;

  constructor(
    readonly model: TinyModel,
    readonly classes: number,
    readonly batch: number,
    opt: OptimizerConfig,
    private readonly threads: number,
    seed = 0,
  ) {
    if (!(Number.isInteger(classes) && classes >= 2)) throw new ClsrlError('BAD_CONFIG', `vision pretraining needs at least 2 classes (got ${classes})`, { hint: 'pass the number of distinct labels' });
    if (!(Number.isInteger(batch) && batch >= 1)) throw new ClsrlError('BAD_CONFIG', `vision pretraining batch must be an integer >= 1 (got ${batch})`, { hint: 'e.g. 128' });
    this.full = layout(model.cfg);
    this.lay = visionLayout(model.cfg, classes);
    this.flat = new Float32Array(this.lay.total);
    const head = this.lay.byName.get(HEAD) as ParamSpec;
    const rand = mulberry32(seed ^ 0x71510);
    for (let i = 0; i < head.size; i++) this.flat[head.offset + i] = gaussian(rand) * 0.02;
    this.opt = new AdamW(opt, this.lay);
  }

  /** Copies between the model's flat parameters and this stage's buffer (vision parameters only). */
  private sync(toModel: boolean): void {
    for (const s of this.lay.specs) {
      if (s.name === HEAD) continue;
      const src = this.full.byName.get(s.name) as ParamSpec;
      const a = this.model.params.subarray(src.offset, src.offset + src.size);
      const b = this.flat.subarray(s.offset, s.offset + s.size);
      if (toModel) a.set(b);
      else b.set(a);
    }
  }

  private check(patches: Float32Array, labels: readonly number[]): void {
    const { P, PD } = dims(this.model.cfg);
    const B = this.batch;
    if (labels.length !== B || patches.length !== B * P * PD) {
      throw new ClsrlError('BAD_CONFIG', `vision pretraining batch needs ${B} images (got ${labels.length} labels, ${patches.length / (P * PD)} images)`, { hint: 'every batch has the size the pretrainer was made with' });
    }
    for (const l of labels) if (!(Number.isInteger(l) && l >= 0 && l < this.classes)) throw new ClsrlError('BAD_CONFIG', `vision pretraining label ${l} is outside 0..${this.classes - 1}`, { hint: 'labels index the class list' });
  }

  /** Runs the graph on one batch: loss, number correct, and the gradient over this stage's buffer. */
  private async run(patches: Float32Array, labels: readonly number[]): Promise<{ loss: number; predictions: number[]; grad: Float32Array }> {
    this.check(patches, labels);
    const { P, PD } = dims(this.model.cfg);
    const B = this.batch;
    this.sync(false);
    if (!this.session) {
      const g = buildVisionClsGraph(this.model.cfg, B, this.classes);
      this.session = ort.InferenceSession.create(g.toModel(), {
        intraOpNumThreads: this.threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'disabled',
        logSeverityLevel: 3,
        extra: { session: { intra_op: { allow_spinning: '0' } } },
      });
    }
    const feeds: Record<string, ort.Tensor> = {
      patches: new ort.Tensor('float32', patches, [B, P, PD]),
      labels: new ort.Tensor('int64', BigInt64Array.from(labels, (l) => BigInt(l)), [B]),
    };
    for (const s of this.lay.specs) feeds[s.name] = new ort.Tensor('float32', this.flat.subarray(s.offset, s.offset + s.size), s.shape);
    const out = await (await this.session).run(feeds);
    const grad = new Float32Array(this.lay.total);
    for (const s of this.lay.specs) grad.set(out[`d_${s.name}`].data as Float32Array, s.offset);
    const logits = out.logits.data as Float32Array;
    const predictions: number[] = [];
    for (let b = 0; b < B; b++) {
      let best = 0;
      for (let k = 1; k < this.classes; k++) if (logits[b * this.classes + k] > logits[b * this.classes + best]) best = k;
      predictions.push(best);
    }
    const loss = (out.loss.data as Float32Array)[0];
    for (const t of Object.values(out)) t.dispose?.();
    return { loss, predictions, grad };
  }

  /** One AdamW update on `batch` images: patches (batch x P x PD, as `patchify` makes them) and labels. */
  async step(patches: Float32Array, labels: readonly number[]): Promise<VisionStepStats> {
    const { loss, predictions, grad } = await this.run(patches, labels);
    const { gradNorm, lr } = this.opt.update(this.flat, grad);
    this.sync(true);
    return { loss, accuracy: predictions.filter((p, b) => p === labels[b]).length / this.batch, gradNorm, lr };
  }

  /** Mean loss and the arg-max class of every row, without updating anything (held-out measurement). */
  async evaluate(patches: Float32Array, labels: readonly number[]): Promise<{ loss: number; predictions: number[] }> {
    const { loss, predictions } = await this.run(patches, labels);
    return { loss, predictions };
  }

  async close(): Promise<void> {
    if (this.session) await (await this.session).release();
    this.session = null;
  }
}
