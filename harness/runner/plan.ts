// Planning a sweep: suite x datasets x settings x shots x seeds x methods -> RunSpec[] with ids hashed
// from their resolved content, less the engine options the engine declares operational (URLs, GPUs,
// launcher, cache...: harness/engines/options.ts), which are kept in the spec but not in the id. Zero-shot (methods that do not train) gets one spec per dataset x setting,
// independent of shots and seeds (shots = 0, seed = 0), shared by every comparison. Pure: no I/O.

import type { EngineOptionKinds, MethodPlugin, PromptOptions, RunSpec, SettingName, SuiteDef } from '../contracts';
import { resultOptions } from '../engines/options';
import { DEFAULT_DIAGNOSTICS, type DiagnosticsMode } from '../diagnostics';
import { ClsrlError, unknownName } from '../errors';
import { hashOf, stableStringify } from './hash';

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
  /** Replace the suite's prompt.evalSplit (`--eval-split`). */
  evalSplit?: PromptOptions['evalSplit'];
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
  /** The engine's option kinds (Engine.optionKinds): operational options stay out of run ids. */
  engineOptionKinds?: EngineOptionKinds;
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

/** A suite's options for one engine: engineConfig, then that engine's engineConfigs entry over it. */
export function suiteEngineConfig(suite: SuiteDef, engine: string): Record<string, unknown> {
  return { ...suite.engineConfig, ...suite.engineConfigs?.[engine] };
}

/** The method config as hashed into run ids: fields at their plugin's legacyConfig value left out. */
export function hashedMethodConfig(plugin: MethodPlugin<object>, config: Record<string, unknown>): Record<string, unknown> {
  const legacy = (plugin.legacyConfig ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) if (!(k in legacy && stableStringify(legacy[k]) === stableStringify(v))) out[k] = v;
  return out;
}

/** Expands a suite into run specs, in a stable order (setting, dataset, method, shots, seed). */
export function planSweep(opts: PlanOptions): RunSpec[] {
  const { suite } = opts;
  checkSubset('dataset', opts.datasets, suite.datasets, suite.name);
  checkSubset('setting', opts.settings, suite.settings.map((s) => s.setting), suite.name);
  const datasets = opts.datasets ? suite.datasets.filter((d) => opts.datasets!.includes(d)) : suite.datasets;
  const methodNames = opts.methods ?? suite.methods;
  const plugins = methodNames.map((m) => opts.getMethod(m));
  const prompt: PromptOptions = { ...DEFAULT_PROMPT, ...suite.prompt, ...(opts.evalSplit ? { evalSplit: opts.evalSplit } : {}) };
  const engineCfg = { ...suiteEngineConfig(suite, opts.engine), ...opts.engineConfig };
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
          const hashed = { ...content, config: { ...config, method: hashedMethodConfig(plugin, config.method), eval: { maxTokens } } };
          const id = runId(hashed, opts.engineFingerprint, opts.engineOptionKinds);
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

type SpecContent = Omit<RunSpec, 'id'>;

/** The id of a spec's content: its hash with the operational engine options left out. */
export function runId(content: SpecContent, engineFingerprint: string | undefined, kinds: EngineOptionKinds | undefined): string {
  const config = { ...content.config, engine: resultOptions(content.config.engine, kinds) };
  return hashOf({ v: 1, ...content, config, engineFingerprint: engineFingerprint ?? null });
}

/**
 * The id the same spec had before operational options were left out of ids (every option hashed). It
 * equals `spec.id` unless the spec carries operational options; the runner adopts runs stored under it.
 */
export function legacyRunId(spec: RunSpec, engineFingerprint: string | undefined, plugin?: MethodPlugin<object>): string {
  const { id: _id, ...content } = spec;
  const base = { ...content.config, eval: { maxTokens: content.config.eval.maxTokens } }; // diagnostics never entered ids
  const config = plugin ? { ...base, method: hashedMethodConfig(plugin, content.config.method) } : base;
  return hashOf({ v: 1, ...content, config, engineFingerprint: engineFingerprint ?? null });
}

/** Datasets a plan reads (trained-on and transfer targets), in first-use order. */
export function planDatasets(specs: RunSpec[]): string[] {
  const out: string[] = [];
  for (const s of specs) for (const d of [s.dataset, ...s.transferTo]) if (!out.includes(d)) out.push(d);
  return out;
}
