// Engine options declared as data: each option says what it does and whether it can change results.
// `result` options (model, dtype, image size, sampling, ...) enter run ids; `operational` ones (URLs,
// GPUs, launcher, concurrency, cache, ...) only say how or where a run executes, so changing them between
// training and evaluation finds the same run (and its trained checkpoint) instead of starting a new one.

import type { EngineOptionKind, EngineOptionKinds } from '../contracts';

export interface EngineOptionSpec {
  kind: EngineOptionKind;
  describe: string;
}

export type EngineOptionTable = Record<string, EngineOptionSpec>;

/** The kinds of a table (what an Engine exposes as `optionKinds`). */
export function kindsOf(table: EngineOptionTable): EngineOptionKinds {
  return Object.fromEntries(Object.entries(table).map(([k, v]) => [k, v.kind]));
}

/**
 * The engine options that enter a run id: every option but the declared operational ones (an option an
 * engine does not declare counts as result-changing, the safe reading).
 */
export function resultOptions(config: Record<string, unknown>, kinds: EngineOptionKinds | undefined): Record<string, unknown> {
  if (!kinds) return config;
  return Object.fromEntries(Object.entries(config).filter(([k]) => kinds[k] !== 'operational'));
}
