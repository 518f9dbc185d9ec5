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
export function cli(args: string[], opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number; bin?: string } = {}): CliResult {
  const env: NodeJS.ProcessEnv = { ...process.env, CLSRL_DATA: '', FORCE_COLOR: '0', ...opts.env };
  const r = spawnSync(process.execPath, [opts.bin ?? BIN, ...args], { cwd: opts.cwd ?? REPO, env, encoding: 'utf8', timeout: opts.timeoutMs ?? CLI_TIMEOUT_MS });
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

export interface CliServer {
  /** What the server printed with --json ({url, ...}). */
  info: { url: string; model?: string };
  child: ReturnType<typeof spawn>;
  stderr(): string;
  /** SIGTERM, then the exit code (the server closes cleanly on SIGTERM). */
  stop(): Promise<number | null>;
}

/** Starts `clsrl <serve|serve-rewards> ... --json` and resolves once it prints where it listens. */
export function cliServer(args: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliServer> {
  const child = spawn(process.execPath, [BIN, ...args, '--json'], {
    cwd: REPO,
    env: { ...process.env, CLSRL_DATA: '', CLSRL_TOKEN: '', FORCE_COLOR: '0', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within ${opts.timeoutMs ?? 60_000} ms:\n${err}`));
    }, opts.timeoutMs ?? 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      resolve({
        info: JSON.parse(out.slice(0, nl)),
        child,
        stderr: () => err,
        stop: () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          return exited;
        },
      });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited ${code} before listening:\n${err}`));
    });
  });
}
