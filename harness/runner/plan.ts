// Planning a sweep: suite x datasets x settings x shots x seeds x methods -> RunSpec[] with ids hashed
// from their resolved content. Zero-shot (methods that do not train) gets one spec per dataset x setting,
// independent of shots and seeds (shots = 0, seed = 0), shared by every comparison. Pure: no I/O.

import type { MethodPlugin, PromptOptions, RunSpec, SettingName, SuiteDef } from '../contracts';
import { DEFAULT_DIAGNOSTICS, type DiagnosticsMode } from '../diagnostics';
import { ClsrlError, unknownName } from '../errors';
import { hashOf } from './hash';

/** Defaults of the documented prompt variants (contracts.PromptOptions). */
export const DEFAULT_PROMPT: PromptOptions = {
  candidateRule: 'code',
  evalSplit: 'test',
  // the paper's eval code seeds with 100; shared by all runs so every method sees identical test prompts
  evalPromptSeed: 100,
  evalLimit: 0,
};

/** Max new tokens at evaluation (paper D.2: max completion length 1024). */
export const DEFAULT_EVAL_MAX_TOKENS = 1024;

/** Narrowing a suite from the command line. Each filter must name things the suite has. */
export interface PlanFilters {
  datasets?: string[];
  methods?: string[];
  settings?: SettingName[];
  /** Replace every setting's shots. */
  shots?: number[];
  /** Replace every setting's seeds. */
  seeds?: number[];
  /** Override the suite's answer diagnostics (eval.diagnostics). */
  diagnostics?: DiagnosticsMode;
  /** Override the suite's T = 1 sampled accuracy switch (eval.sampled). */
  sampled?: boolean;
}

export interface PlanOptions extends PlanFilters {
  suite: SuiteDef;
  /** Engine name (the CLI's --engine, else the suite's, else `tiny`). */
  engine: string;
  /** Engine options merged over suite.engineConfig. */
  engineConfig?: Record<string, unknown>;
  /** The engine's fingerprint (weights/config identity), hashed into every id when known. */
  engineFingerprint?: string;
  /** Method lookup (methods/registry getMethod). */
  getMethod: (name: string) => MethodPlugin<object>;
}

function checkSubset(kind: string, asked: string[] | undefined, have: string[], suite: string): void {
  for (const a of asked ?? []) if (!have.includes(a)) throw unknownName(`${kind} of suite '${suite}'`, a, [...new Set(have)]);
}

/** Resolves and validates a method's config for one dataset, naming where a bad value came from. */
function methodConfig(plugin: MethodPlugin<object>, suite: SuiteDef, dataset: string): Record<string, unknown> {
  const partial = suite.methodConfig?.[plugin.meta.name] ?? {};
  try {
    return { ...(plugin.validate(partial, dataset) as Record<string, unknown>) };
  } catch (e) {
    if (e instanceof ClsrlError) {
      throw new ClsrlError(e.code, `suite '${suite.name}', method '${plugin.meta.name}', dataset '${dataset}': ${e.message}`, {
        hint: e.hint,
        cause: e,
      });
    }
    throw e;
  }
}

/** Expands a suite into run specs, in a stable order (setting, dataset, method, shots, seed). */
export function planSweep(opts: PlanOptions): RunSpec[] {
  const { suite } = opts;
  checkSubset('dataset', opts.datasets, suite.datasets, suite.name);
  checkSubset('setting', opts.settings, suite.settings.map((s) => s.setting), suite.name);
  const datasets = opts.datasets ? suite.datasets.filter((d) => opts.datasets!.includes(d)) : suite.datasets;
  const methodNames = opts.methods ?? suite.methods;
  const plugins = methodNames.map((m) => opts.getMethod(m));
  const prompt: PromptOptions = { ...DEFAULT_PROMPT, ...suite.prompt };
  const engineCfg = { ...suite.engineConfig, ...opts.engineConfig };
  const maxTokens = suite.eval?.maxTokens ?? DEFAULT_EVAL_MAX_TOKENS;
  const evalCfg = {
    maxTokens,
    diagnostics: opts.diagnostics ?? suite.eval?.diagnostics ?? DEFAULT_DIAGNOSTICS.mode,
    sampled: opts.sampled ?? suite.eval?.sampled ?? DEFAULT_DIAGNOSTICS.sampled,
  };

  const specs = new Map<string, RunSpec>();
  for (const setting of suite.settings) {
    if (opts.settings && !opts.settings.includes(setting.setting)) continue;
    const shotsList = opts.shots ?? setting.shots;
    const seeds = opts.seeds ?? setting.seeds;
    for (const dataset of datasets) {
      if (setting.datasets && !setting.datasets.includes(dataset)) continue;
      for (const plugin of plugins) {
        const config = { method: methodConfig(plugin, suite, dataset), prompt, engine: engineCfg, eval: evalCfg };
        const trains = plugin.meta.trains;
        // transfer targets come from the whole suite so ids do not change when --datasets narrows a sweep
        const transferTo =
          trains && setting.setting === 'few-shot' && setting.transfer ? suite.datasets.filter((d) => d !== dataset) : [];
        const combos: [number, number][] = trains ? shotsList.flatMap((k) => seeds.map((s): [number, number] => [k, s])) : [[0, 0]];
        for (const [shots, seed] of combos) {
          const content = {
            suite: suite.name,
            dataset,
            setting: setting.setting,
            shots,
            seed,
            method: plugin.meta.name,
            engine: opts.engine,
            transferTo,
            config,
          };
          // Answer diagnostics measure the same model and greedy answers, so they stay out of the id: runs
          // stored before them (or with them off) are kept and show n/a; a new --db measures them.
          const idContent = { ...content, config: { ...config, eval: { maxTokens } } };
          const id = hashOf({ v: 1, ...idContent, engineFingerprint: opts.engineFingerprint ?? null });
          if (!specs.has(id)) specs.set(id, { id, ...content });
        }
      }
    }
  }
  if (specs.size === 0) {
    throw new ClsrlError('BAD_FLAG', `the filters leave nothing to run in suite '${suite.name}'`, {
      hint: 'check --datasets, --methods, --settings against `clsrl suites`',
    });
  }
  return [...specs.values()];
}

/** Datasets a plan reads (trained-on and transfer targets), in first-use order. */
export function planDatasets(specs: RunSpec[]): string[] {
  const out: string[] = [];
  for (const s of specs) for (const d of [s.dataset, ...s.transferTo]) if (!out.includes(d)) out.push(d);
  return out;
}
