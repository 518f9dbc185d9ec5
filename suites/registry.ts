// Suite registry: name -> SuiteDef (data), plus loading a suite from a .json/.ts/.js file validated with zod.
// Adding a suite is one file exporting `suite: SuiteDef` plus one line in SUITES below.

import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import type { SuiteDef } from '../harness/contracts';
import { ClsrlError, unknownName } from '../harness/errors';
import { EVAL_SPLITS } from '../harness/splits';

/* eslint-disable @typescript-eslint/no-require-imports */
const SUITES: Record<string, () => SuiteDef> = {
  // one line per suite, sorted:
  'paper-b2n': () => require('./paper-b2n').suite,
  'paper-fewshot': () => require('./paper-fewshot').suite,
  'replica-b2n': () => require('./replica-b2n').suite,
  'replica-fewshot': () => require('./replica-fewshot').suite,
  smoke: () => require('./smoke').suite,
};
/* eslint-enable @typescript-eslint/no-require-imports */

export function registerSuite(def: SuiteDef): void {
  const checked = validateSuite(def, `suite '${def?.name}'`);
  SUITES[checked.name] = () => checked;
}

export function suiteNames(): string[] {
  return Object.keys(SUITES).sort();
}

export function getSuite(name: string): SuiteDef {
  const load = SUITES[name];
  if (!load) throw unknownName('suite', name, suiteNames());
  return load();
}

export function listSuites(): SuiteDef[] {
  return suiteNames().map(getSuite);
}

/** Whether a --suite value names a file rather than a registered suite. */
export function looksLikePath(ref: string): boolean {
  return /[\\/]/.test(ref) || /\.(json|ts|js|cjs)$/.test(ref);
}

/** A registered suite name, or a path to a suite file (`.json`, or `.ts`/`.js` exporting `suite` or default). */
export function loadSuite(ref: string): SuiteDef {
  if (!looksLikePath(ref)) return getSuite(ref);
  const file = path.resolve(ref);
  if (!fs.existsSync(file)) {
    throw new ClsrlError('NOT_FOUND', `suite file ${ref} does not exist`, {
      hint: `pass a registered suite (${suiteNames().join(', ')}) or the path of a .json/.ts suite file`,
    });
  }
  let raw: unknown;
  try {
    if (file.endsWith('.json')) {
      raw = JSON.parse(fs.readFileSync(file, 'utf8'));
    } else {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(file);
      raw = mod.suite ?? mod.default;
    }
  } catch (e) {
    throw new ClsrlError('BAD_CONFIG', `cannot read suite file ${ref}: ${(e as Error).message}`, {
      hint: file.endsWith('.json') ? 'fix the JSON syntax' : 'the module must export `suite` (a SuiteDef)',
      cause: e,
    });
  }
  return validateSuite(raw, `suite file ${ref}`);
}

// ---------------------------------------------------------------------------------------------
// Validation

const name = z.string().min(1).regex(/^[A-Za-z0-9][\w.:-]*$/, 'letters, digits, _ . : - only');
const positiveInts = z.array(z.number().int().min(1)).min(1);

const datasetDef = z
  .object({
    name,
    folder: z.string().min(1),
    splitFile: z.string().min(1),
    imagePrefix: z.string(),
    questionPrefix: z.string().optional(),
    description: z.string().optional(),
  })
  .strict();

const suiteSchema = z
  .object({
    name,
    description: z.string(),
    datasets: z.array(z.string().min(1)).min(1),
    customDatasets: z.array(datasetDef).optional(),
    prepare: z.custom<SuiteDef['prepare']>((v) => typeof v === 'function', 'must be a function').optional(),
    settings: z
      .array(
        z
          .object({
            setting: z.enum(['few-shot', 'base-to-new']),
            shots: positiveInts,
            seeds: z.array(z.number().int().min(0)).min(1),
            transfer: z.boolean().optional(),
            datasets: z.array(z.string().min(1)).min(1).optional(),
          })
          .strict(),
      )
      .min(1),
    methods: z.array(z.string().min(1)).min(1),
    engine: z.string().min(1).optional(),
    engineConfig: z.record(z.string(), z.unknown()).optional(),
    engineConfigs: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
    methodConfig: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
    prompt: z
      .object({
        candidateRule: z.enum(['code', 'text', 'clamp']).optional(),
        evalSplit: z.enum(EVAL_SPLITS).optional(),
        evalPromptSeed: z.number().int().min(0).optional(),
        evalLimit: z.number().int().min(0).optional(),
      })
      .strict()
      .optional(),
    eval: z
      .object({
        maxTokens: z.number().int().min(1).optional(),
        diagnostics: z.enum(['full', 'off']).optional().describe('answer diagnostics: full (forced choice where the engine scores) or off (in-list only)'),
        sampled: z.boolean().optional().describe('also one seeded T = 1 sample per question (sampled accuracy)'),
      })
      .strict()
      .optional(),
  })
  .strict();

/** Checks a suite's shape; throws BAD_CONFIG naming every bad field (`settings.0.shots.1: ...`). */
export function validateSuite(raw: unknown, where: string): SuiteDef {
  const r = suiteSchema.safeParse(raw);
  if (!r.success) {
    const lines = r.error.issues.slice(0, 8).map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new ClsrlError('BAD_CONFIG', `${where} is not a valid suite: ${lines.join('; ')}`, {
      hint: 'a suite needs name, description, datasets[], settings[{setting, shots[], seeds[]}], methods[] (see suites/paper-fewshot.ts)',
    });
  }
  const suite = r.data as SuiteDef;
  const dup = (xs: string[]) => xs.find((x, i) => xs.indexOf(x) !== i);
  const d = dup(suite.datasets) ?? dup(suite.methods);
  if (d !== undefined) {
    throw new ClsrlError('BAD_CONFIG', `${where} lists '${d}' twice`, { hint: 'list each dataset and method once' });
  }
  suite.settings.forEach((st, i) => {
    const own = st.datasets ?? [];
    const twice = dup(own);
    if (twice !== undefined) {
      throw new ClsrlError('BAD_CONFIG', `${where}: settings.${i}.datasets lists '${twice}' twice`, { hint: 'list each dataset once' });
    }
    const stray = own.find((x) => !suite.datasets.includes(x));
    if (stray !== undefined) {
      throw new ClsrlError('BAD_CONFIG', `${where}: settings.${i}.datasets names '${stray}', which is not in the suite's datasets`, {
        hint: `a setting runs a subset of the suite's datasets: ${suite.datasets.join(', ')}`,
      });
    }
  });
  return suite;
}
