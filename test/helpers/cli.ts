// Drives the real CLI (`node bin/clsrl.js ...`) for end-to-end tests, and builds the small fixture suite
// (CoOp-layout fixture datasets, all four methods, tiny budgets, the `double` engine) they sweep.

import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { SuiteDef } from '../../harness/contracts';

export const REPO = path.resolve(__dirname, '..', '..');
export const BIN = path.join(REPO, 'bin', 'clsrl.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Default limit of one CLI call: generous, so a loaded machine slows tests down without failing them. */
export const CLI_TIMEOUT_MS = 10 * 60_000;

/** Runs `clsrl args...` to completion (CLSRL_DATA cleared unless given). */
export function cli(args: string[], opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): CliResult {
  const env: NodeJS.ProcessEnv = { ...process.env, CLSRL_DATA: '', FORCE_COLOR: '0', ...opts.env };
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? REPO, env, encoding: 'utf8', timeout: opts.timeoutMs ?? CLI_TIMEOUT_MS });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Starts `clsrl args...` in the background (for kill tests). */
export function cliSpawn(args: string[], opts: { cwd?: string } = {}) {
  return spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? REPO,
    env: { ...process.env, CLSRL_DATA: '', FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Parses stdout as exactly one JSON document (fails the test otherwise). */
export function json<T = unknown>(r: CliResult): T {
  if (r.code !== 0) throw new Error(`clsrl exited ${r.code}:\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Small budgets so a whole suite runs in seconds on the double engine. */
export const TINY_BUDGETS: SuiteDef['methodConfig'] = {
  sft: { epochs: 1, maxSteps: 2, batchSize: 4 },
  'cls-rl': { epochs: 1, maxSteps: 2, batchSize: 8, maxCompletionTokens: 64 },
  'no-thinking-cls-rl': { epochs: 1, maxSteps: 2, batchSize: 8, maxCompletionTokens: 64 },
};

export function fixtureSuite(name: string, datasets: string[], over: Partial<SuiteDef> = {}): SuiteDef {
  return {
    name,
    description: 'e2e fixture suite',
    datasets,
    settings: [
      { setting: 'base-to-new', shots: [2], seeds: [1] },
      { setting: 'few-shot', shots: [2], seeds: [1], transfer: true },
    ],
    methods: ['zero-shot', 'sft', 'cls-rl', 'no-thinking-cls-rl'],
    engine: 'double',
    methodConfig: TINY_BUDGETS,
    eval: { maxTokens: 64 },
    ...over,
  };
}

export function writeSuite(dir: string, suite: SuiteDef): string {
  const file = path.join(dir, `${suite.name}.json`);
  fs.writeFileSync(file, JSON.stringify(suite, null, 2));
  return file;
}
