// Row mapping between SQLite rows and the contract types (RunRow, TrainStepRecord, PredictionRow).

import type { RunRow, RunSpec, RunStatus, SettingName } from '../contracts';

export interface DbRun {
  id: string;
  suite: string;
  dataset: string;
  setting: string;
  shots: number;
  seed: number;
  method: string;
  engine: string;
  status: RunStatus;
  error: string | null;
  spec: string;
  code_version: string;
  data_fingerprint: string;
  started_at: string | null;
  finished_at: string | null;
  train_ms: number;
  eval_ms: number;
  tokens_generated: number;
}

export interface DbStep {
  step: number;
  epoch: number;
  loss: number | null;
  rewards: string;
  reward_std: number | null;
  completion_length: number | null;
  kl: number | null;
  lr: number | null;
  grad_norm: number | null;
  tokens_generated: number;
  wall_ms: number | null;
}

export interface DbPrediction {
  run_id: string;
  eval_dataset: string;
  eval_split: string;
  example_id: string;
  label: string;
  output: string;
  extracted: string;
  correct: number;
  strict_correct: number;
  /** Absent in databases older than the diagnostics columns. */
  in_list?: number | null;
  forced_choice?: string | null;
  forced_correct?: number | null;
  sampled_output?: string | null;
  sampled_correct?: number | null;
}

export function specColumns(spec: RunSpec) {
  return {
    id: spec.id,
    suite: spec.suite,
    dataset: spec.dataset,
    setting: spec.setting,
    shots: spec.shots,
    seed: spec.seed,
    method: spec.method,
    engine: spec.engine,
    spec: JSON.stringify(spec),
    config: JSON.stringify(spec.config),
  };
}

export function toRunRow(r: DbRun): RunRow {
  return {
    id: r.id,
    suite: r.suite,
    dataset: r.dataset,
    setting: r.setting as SettingName,
    shots: r.shots,
    seed: r.seed,
    method: r.method,
    engine: r.engine,
    status: r.status,
    error: r.error,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    trainMs: r.train_ms,
    evalMs: r.eval_ms,
    tokensGenerated: r.tokens_generated,
    spec: JSON.parse(r.spec) as RunSpec,
    codeVersion: r.code_version,
    dataFingerprint: r.data_fingerprint,
  };
}

/** NaN/Infinity (a diverged step) are stored as NULL and read back as NaN. */
export function num(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** A 0/1 column as boolean; NULL or absent (not measured) as null. */
export const bool = (x: number | null | undefined): boolean | null => (x === null || x === undefined ? null : x === 1);

export const real = (x: number | null): number => (x === null ? NaN : x);
