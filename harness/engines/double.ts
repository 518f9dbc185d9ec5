// TEST DOUBLE, not a model: a deterministic tabular policy implementing the whole Engine contract,
// so methods, the runner and the CLI can be tested end to end (and can visibly learn) without a network.
//
// The policy. For a prompt it parses the candidate list (`Please choose one from list [ a, b, c].`)
// and chooses one action (template, candidate) from a softmax over
//   logit(template, c) = prior(prompt, template, c) + T[template] + C[stateKey(image)][c]
// where T and C are the trainable tables (zero at the base model) and the prior is fixed by the
// options (which template it "follows", which candidate it prefers). The action is rendered to text;
// tokens are the UTF-8 bytes of that text (+1) and an end token (0).
//
// Per-token log-probs are the exact autoregressive factorisation of that distribution over strings:
// log p(y_t | y_<t) = log P(y_1..t) - log P(y_1..t-1), where P(prefix) sums the probability of the
// actions whose token string starts with the prefix. A tiny byte-uniform "noise" component (weight
// `noise`) keeps every string possible, so SFT targets or truncated outputs outside the action set
// still get finite log-probs. `step` applies exact gradients of -sum w_t log p(y_t) to T and C
// (plain SGD, step lr * lrScale, with the optimizer config's clip, decay and schedule).
// `generate` samples from softmax(logits / T) (seeded per prompt id and sample; T = 0 is argmax) but
// reports the model's log-probs at T = 1, exactly what `logprobs` recomputes (as trl's forward pass).
// Unknown options are ignored (runners may pass engine-generic ones); bad values are BAD_CONFIG.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import type {
  Completion, Engine, GenerateOptions, LoadedModel, ModelRef, OptimizerConfig, OptimizerHandle,
  PromptInput, StepStats, TokenSeq,
} from '../contracts';
import { ClsrlError } from '../errors';

/** Output templates the double can produce, in a fixed order (ties in argmax break by this order). */
export const DOUBLE_TEMPLATES = ['think', 'direct', 'answer-tag', 'sentence'] as const;
export type DoubleTemplate = (typeof DOUBLE_TEMPLATES)[number];

export const END_TOKEN = 0;
const VOCAB = 257; // 256 bytes (+1) and the end token

const optionsSchema = z.object({
  seed: z.number().int().default(0).describe('mixed into every sampling seed'),
  answer: z.enum(['hash', 'first', 'path', 'uniform']).default('hash')
    .describe('which candidate the base model prefers: hash of image, first listed, the one named in the image path, none'),
  templatePrior: z.enum(['follow', 'uniform', ...DOUBLE_TEMPLATES]).default('follow')
    .describe("which template the base model prefers; 'follow' = the one the prompt asks for"),
  prior: z.number().min(0).default(1).describe('logit bonus of the preferred template and candidate'),
  stateKey: z.enum(['image', 'dir', 'none']).default('image')
    .describe("what the candidate table is keyed by: the image (parent/file), its folder (generalises within a class folder), nothing"),
  lrScale: z.number().positive().default(1e7)
    .describe('plain SGD with step lr * lrScale, so paper learning rates (1e-6) move the table visibly'),
  noise: z.number().min(1e-12).max(0.5).default(1e-6).describe('weight of the byte-uniform component'),
});
export type DoubleOptions = z.infer<typeof optionsSchema>;

interface Tables {
  /** Template logit deltas. */
  t: Record<string, number>;
  /** Candidate logit deltas per state key. */
  c: Record<string, Record<string, number>>;
}

class DoubleModel implements LoadedModel {
  disposed = false;
  constructor(readonly ref: ModelRef, public tables: Tables, readonly frozen: boolean) {}
}

class DoubleOptimizer implements OptimizerHandle {
  updates = 0;
  constructor(readonly config: OptimizerConfig) {}
}

interface Action { template: DoubleTemplate; cand: string; tokens: number[]; logit: number }

// ------------------------------------------------------------------------------------------------
// Small pure helpers

function hash32(s: string): number {
  return crypto.createHash('sha256').update(s).digest().readUInt32LE(0);
}

/** mulberry32: a tiny seeded uniform generator in [0, 1). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function encodeText(text: string): number[] {
  return [...Buffer.from(text, 'utf8')].map((b) => b + 1);
}

export function decodeTokens(tokens: number[]): string {
  return Buffer.from(tokens.filter((t) => t !== END_TOKEN).map((t) => t - 1)).toString('utf8');
}

/** Candidates from the last `Please choose one from list [ ... ]` in the prompt; ['unknown'] if none. */
export function parseCandidates(text: string): string[] {
  const marker = 'Please choose one from list [';
  const at = text.lastIndexOf(marker);
  if (at < 0) return ['unknown'];
  const end = text.indexOf(']', at + marker.length);
  const body = text.slice(at + marker.length, end < 0 ? undefined : end);
  const cands = body.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  return cands.length > 0 ? cands : ['unknown'];
}

export function renderAction(template: DoubleTemplate, cand: string): string {
  switch (template) {
    case 'think': return `<think>Comparing the image with each option.</think>\n<answer>${cand}</answer>`;
    case 'direct': return cand;
    case 'answer-tag': return `<answer>${cand}</answer>`;
    case 'sentence': return `The answer is ${cand}.`;
  }
}

function logSumExp(xs: number[]): number {
  if (xs.length === 0) return -Infinity;
  const m = Math.max(...xs);
  if (m === -Infinity) return -Infinity;
  return m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0));
}

function normalise(name: string): string {
  return name.toLowerCase().replace(/[_\s]+/g, ' ');
}

// ------------------------------------------------------------------------------------------------
// The policy

class Policy {
  constructor(readonly opts: DoubleOptions) {}

  stateKey(image: string): string {
    const parts = image.split(/[\\/]/).filter((p) => p.length > 0);
    switch (this.opts.stateKey) {
      case 'image': return parts.slice(-2).join('/');
      case 'dir': return parts.length >= 2 ? parts[parts.length - 2] : '';
      case 'none': return '';
    }
  }

  preferredTemplate(text: string): DoubleTemplate | null {
    const p = this.opts.templatePrior;
    if (p === 'uniform') return null;
    if (p !== 'follow') return p;
    if (text.includes('<think>')) return 'think';
    if (/directly output/i.test(text)) return 'direct';
    return 'sentence';
  }

  preferredCandidate(prompt: PromptInput, cands: string[]): number {
    switch (this.opts.answer) {
      case 'uniform': return -1;
      case 'first': return 0;
      case 'hash': return hash32(`${this.stateKey(prompt.image)}|${cands.join(',')}`) % cands.length;
      case 'path': {
        const p = normalise(prompt.image);
        let best = -1;
        cands.forEach((c, i) => {
          if (p.includes(normalise(c)) && (best < 0 || c.length > cands[best].length)) best = i;
        });
        return best >= 0 ? best : hash32(prompt.image) % cands.length;
      }
    }
  }

  actions(tables: Tables, prompt: PromptInput): Action[] {
    const cands = parseCandidates(prompt.text);
    const prefT = this.preferredTemplate(prompt.text);
    const prefC = this.preferredCandidate(prompt, cands);
    const row = tables.c[this.stateKey(prompt.image)] ?? {};
    const out: Action[] = [];
    for (const template of DOUBLE_TEMPLATES) {
      for (let i = 0; i < cands.length; i++) {
        const cand = cands[i];
        const logit = (template === prefT ? this.opts.prior : 0) + (i === prefC ? this.opts.prior : 0)
          + (tables.t[template] ?? 0) + (row[cand] ?? 0);
        out.push({ template, cand, tokens: [...encodeText(renderAction(template, cand)), END_TOKEN], logit });
      }
    }
    return out;
  }
}

function logSoftmax(actions: Action[], temperature = 1): number[] {
  const ls = actions.map((a) => a.logit / temperature);
  const z = logSumExp(ls);
  return ls.map((l) => l - z);
}

/**
 * Per-token log-probs of `tokens` and, if `grad` is given, d(sum_t w_t lp_t)/d(action logit) added
 * into grad[j] (w = weights). Mixture: P(prefix) = (1-eps) Q(prefix) + eps * (1/VOCAB)^len.
 *
 * Gradient in O(T + actions): with M_t = P(prefix of length t), S_t the actions matching it,
 * d log M_t/d l_j = a_t pi_j [j in S_t] - b_t pi_j (a_t = (1-eps)/M_t, b_t = a_t Q_t), and
 * sum_t w_t (D_t - D_{t-1}) = sum_t c_t D_t with c_t = w_t - w_{t+1}. The S_t are nested, so
 * grad_j = pi_j (sum_{t < depth_j} c_t a_t - sum_t c_t b_t), depth_j = tokens matched by action j.
 */
function sequenceLogprobs(actions: Action[], tokens: number[], eps: number, weights?: number[], grad?: number[]): number[] {
  const lpA = logSoftmax(actions);
  const logEps = Math.log(eps);
  const log1mEps = Math.log1p(-eps);
  const depth = new Array<number>(actions.length).fill(tokens.length);
  let alive = actions.map((_, j) => j);
  let prevLogP = 0;
  const out: number[] = [];
  const aw: number[] = []; // c_t a_t
  let bSum = 0; // sum_t c_t b_t
  for (let t = 0; t < tokens.length; t++) {
    const next: number[] = [];
    for (const j of alive) {
      if (actions[j].tokens[t] === tokens[t]) next.push(j);
      else depth[j] = t;
    }
    alive = next;
    const logQ = logSumExp(alive.map((j) => lpA[j]));
    const logP = logSumExp([log1mEps + logQ, logEps + (t + 1) * Math.log(1 / VOCAB)]);
    out.push(logP - prevLogP);
    prevLogP = logP;
    if (weights) {
      const c = weights[t] - (t + 1 < tokens.length ? weights[t + 1] : 0);
      aw.push(alive.length > 0 ? c * Math.exp(log1mEps - logP) : 0);
      if (alive.length > 0) bSum += c * Math.exp(log1mEps + logQ - logP);
    }
  }
  if (grad && weights) {
    const cum = [0];
    for (const x of aw) cum.push(cum[cum.length - 1] + x);
    lpA.forEach((lp, j) => { grad[j] += Math.exp(lp) * (cum[depth[j]] - bSum); });
  }
  return out;
}

function sampleNoise(next: () => number, maxTokens: number): number[] {
  const toks: number[] = [];
  while (toks.length < maxTokens) {
    const tok = Math.floor(next() * VOCAB);
    toks.push(tok);
    if (tok === END_TOKEN) break;
  }
  return toks;
}

function lrAt(cfg: OptimizerConfig, update: number): number {
  if (cfg.warmupSteps > 0 && update < cfg.warmupSteps) return (cfg.lr * (update + 1)) / cfg.warmupSteps;
  const total = Math.max(1, cfg.totalSteps - cfg.warmupSteps);
  const frac = Math.min(1, Math.max(0, (update - cfg.warmupSteps) / total));
  switch (cfg.schedule) {
    case 'constant': return cfg.lr;
    case 'linear': return cfg.lr * (1 - frac);
    case 'cosine': return cfg.lr * 0.5 * (1 + Math.cos(Math.PI * frac));
  }
}

// ------------------------------------------------------------------------------------------------
// The engine

export function parseDoubleOptions(raw: Record<string, unknown>): DoubleOptions {
  const r = optionsSchema.safeParse(raw ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new ClsrlError('BAD_CONFIG', `engine 'double' option '${issue.path.join('.')}': ${issue.message}`, {
      hint: `options: ${Object.keys(optionsSchema.shape).join(', ')}`,
    });
  }
  return r.data;
}

function asModel(m: LoadedModel): DoubleModel {
  if (!(m instanceof DoubleModel)) throw new ClsrlError('ENGINE', `model ${m.ref.engine}/${m.ref.id} was not loaded by the double engine`);
  if (m.disposed) throw new ClsrlError('ENGINE', `model ${m.ref.id} was disposed`);
  return m;
}

function promptOf(prompts: PromptInput[], s: TokenSeq, i: number): PromptInput {
  const p = prompts[s.promptIndex];
  if (!p) throw new ClsrlError('ENGINE', `sequence ${i} refers to prompt ${s.promptIndex}, but ${prompts.length} prompts were given`);
  return p;
}

function noPrefix(prompts: PromptInput[], what: string): void {
  if (prompts.some((p) => p.assistantPrefix)) {
    throw new ClsrlError('ENGINE', `the double engine takes assistantPrefix in logprobs only, not in ${what}`);
  }
}

const copyTables = (t: Tables): Tables => JSON.parse(JSON.stringify(t)) as Tables;

export async function createDoubleEngine(raw: Record<string, unknown> = {}): Promise<Engine> {
  const opts = parseDoubleOptions(raw);
  const policy = new Policy(opts);
  const fingerprint = crypto.createHash('sha256').update(JSON.stringify(['double', 1, opts])).digest('hex').slice(0, 16);

  /** Actions per prompt index, built once per call (tables do not change within a call). */
  const actionCache = (tables: Tables, prompts: PromptInput[]) => {
    const cache = new Map<number, Action[]>();
    return (s: TokenSeq, i: number): Action[] => {
      let a = cache.get(s.promptIndex);
      if (!a) cache.set(s.promptIndex, (a = policy.actions(tables, promptOf(prompts, s, i))));
      return a;
    };
  };

  const engine: Engine = {
    name: 'double',
    trains: true,
    scores: true,
    baseModel: () => ({ engine: 'double', id: 'base' }),
    fingerprint: () => fingerprint,
    encodeTarget: (text) => [...encodeText(text), END_TOKEN],

    async load(ref) {
      if (ref.id === 'base' && !ref.path) return new DoubleModel(ref, { t: {}, c: {} }, false);
      if (!ref.path) throw new ClsrlError('ENGINE', `double checkpoint '${ref.id}' has no path`);
      const file = path.join(ref.path, 'double.json');
      let parsed: { tables?: Tables };
      try {
        parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { tables?: Tables };
      } catch (cause) {
        throw new ClsrlError('ENGINE', `cannot read double checkpoint ${file}`, { cause, hint: 'was it written by engine.save?' });
      }
      if (!parsed.tables || typeof parsed.tables.t !== 'object' || typeof parsed.tables.c !== 'object') {
        throw new ClsrlError('ENGINE', `double checkpoint ${file} has no tables`);
      }
      return new DoubleModel(ref, parsed.tables, false);
    },

    async freeze(model) {
      const m = asModel(model);
      return new DoubleModel({ ...m.ref, id: `${m.ref.id}#frozen` }, copyTables(m.tables), true);
    },

    async generate(model, prompts, g: GenerateOptions) {
      const m = asModel(model);
      noPrefix(prompts, 'generate');
      return prompts.map((p) => {
        const actions = policy.actions(m.tables, p);
        const probs = g.temperature > 0 ? logSoftmax(actions, g.temperature).map(Math.exp) : [];
        const out: Completion[] = [];
        for (let k = 0; k < g.n; k++) {
          const next = rng(hash32(`${opts.seed}|${g.seed}|${p.id}|${p.text}|${k}`));
          let tokens: number[];
          if (g.temperature > 0 && next() < opts.noise) {
            tokens = sampleNoise(next, g.maxTokens);
          } else {
            let pick = 0;
            if (g.temperature <= 0) {
              actions.forEach((a, j) => { if (a.logit > actions[pick].logit) pick = j; });
            } else {
              const u = next();
              let acc = 0;
              pick = actions.length - 1;
              for (let j = 0; j < probs.length; j++) { acc += probs[j]; if (u < acc) { pick = j; break; } }
            }
            tokens = actions[pick].tokens.slice(0, Math.max(0, g.maxTokens));
          }
          const stopped = tokens[tokens.length - 1] === END_TOKEN;
          out.push({
            tokens,
            text: decodeTokens(tokens),
            logprobs: sequenceLogprobs(actions, tokens, opts.noise),
            finishReason: stopped ? 'stop' : 'length',
          });
        }
        return out;
      });
    },

    async logprobs(model, prompts, seqs) {
      const m = asModel(model);
      const actionsOf = actionCache(m.tables, prompts);
      return seqs.map((s, i) => {
        // an assistant prefix: score prefix + sequence, keep the sequence's part (exact conditionals)
        const prefix = encodeText(promptOf(prompts, s, i).assistantPrefix ?? '');
        return sequenceLogprobs(actionsOf(s, i), [...prefix, ...s.tokens], opts.noise).slice(prefix.length);
      });
    },

    createOptimizer(model, config) {
      asModel(model);
      return new DoubleOptimizer(config);
    },

    async step(model, prompts, seqs, tokenWeights, optimizer): Promise<StepStats> {
      const started = Date.now();
      const m = asModel(model);
      noPrefix(prompts, 'step');
      if (m.frozen) throw new ClsrlError('ENGINE', 'cannot step a frozen (reference) model');
      if (!(optimizer instanceof DoubleOptimizer)) throw new ClsrlError('ENGINE', 'optimizer was not created by the double engine');
      if (tokenWeights.length !== seqs.length) {
        throw new ClsrlError('ENGINE', `step got ${seqs.length} sequences but ${tokenWeights.length} weight rows`);
      }
      const gT: Record<string, number> = {};
      const gC: Record<string, Record<string, number>> = {};
      let loss = 0;
      let tokens = 0;
      const actionsOf = actionCache(m.tables, prompts);
      seqs.forEach((s, i) => {
        const prompt = promptOf(prompts, s, i);
        const w = tokenWeights[i];
        if (w.length !== s.tokens.length) {
          throw new ClsrlError('ENGINE', `step: sequence ${i} has ${s.tokens.length} tokens but ${w.length} weights`);
        }
        const actions = actionsOf(s, i);
        const grad = new Array<number>(actions.length).fill(0); // d(sum w lp)/d logit_j
        const lp = sequenceLogprobs(actions, s.tokens, opts.noise, w, grad);
        loss -= lp.reduce((acc, x, t) => acc + w[t] * x, 0);
        tokens += s.tokens.length;
        const key = policy.stateKey(prompt.image);
        actions.forEach((a, j) => {
          // loss = -sum w lp, so d loss/d logit = -grad
          gT[a.template] = (gT[a.template] ?? 0) - grad[j];
          (gC[key] ??= {})[a.cand] = (gC[key][a.cand] ?? 0) - grad[j];
        });
      });
      let sq = 0;
      for (const v of Object.values(gT)) sq += v * v;
      for (const row of Object.values(gC)) for (const v of Object.values(row)) sq += v * v;
      const gradNorm = Math.sqrt(sq);
      const cfg = optimizer.config;
      const clip = cfg.gradClip > 0 && gradNorm > cfg.gradClip ? cfg.gradClip / gradNorm : 1;
      const lr = lrAt(cfg, optimizer.updates);
      const stepSize = lr * opts.lrScale;
      const decay = 1 - stepSize * cfg.weightDecay;
      if (cfg.weightDecay > 0) {
        for (const k of Object.keys(m.tables.t)) m.tables.t[k] *= decay;
        for (const row of Object.values(m.tables.c)) for (const k of Object.keys(row)) row[k] *= decay;
      }
      for (const [k, g] of Object.entries(gT)) m.tables.t[k] = (m.tables.t[k] ?? 0) - stepSize * clip * g;
      for (const [key, row] of Object.entries(gC)) {
        const dst = (m.tables.c[key] ??= {});
        for (const [c, g] of Object.entries(row)) dst[c] = (dst[c] ?? 0) - stepSize * clip * g;
      }
      optimizer.updates++;
      return { loss, gradNorm, lr, tokens, wallMs: Date.now() - started };
    },

    async save(model, dir) {
      const m = asModel(model);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'double.json'), JSON.stringify({ engine: 'double', options: opts, tables: m.tables }));
      return { engine: 'double', id: path.basename(dir), path: dir };
    },

    async dispose(model) {
      if (model instanceof DoubleModel) model.disposed = true;
    },
  };
  return engine;
}
