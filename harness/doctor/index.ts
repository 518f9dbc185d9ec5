// `clsrl doctor`: a preflight that checks, without training, what an engine's runs will need. Engines
// bring their own checks (Engine.preflight: trl's Python stack, GPUs, reward bridge, model; openai's
// endpoint); the data root is checked here for every engine. Also run by the sweep before it launches
// the first external training (runner/sweep.ts), unless --skip-doctor.

import { spawn } from 'child_process';
import type { Engine, PreflightCheck } from '../contracts';
import { checkRoot, resolveDataRoot } from '../data/root';
import { ClsrlError } from '../errors';

export interface DoctorReport {
  engine: string;
  ok: boolean;
  checks: PreflightCheck[];
}

export const ok = (name: string, detail: string): PreflightCheck => ({ name, status: 'ok', detail });
export const problem = (name: string, detail: string, fix: string): PreflightCheck => ({ name, status: 'problem', detail, fix });
export const skipped = (name: string, detail: string): PreflightCheck => ({ name, status: 'skipped', detail });

/** The data root (--data-root or CLSRL_DATA): needed unless the suite generates its data. */
export function dataRootCheck(dataRoot: string | undefined, generated = false): PreflightCheck {
  if (generated) return skipped('data root', 'the suite generates its own data');
  try {
    const root = resolveDataRoot(dataRoot);
    checkRoot(root);
    return ok('data root', root);
  } catch (e) {
    const err = e as ClsrlError;
    return problem('data root', err.message, err.hint ?? 'pass --data-root DIR or set CLSRL_DATA');
  }
}

/** Runs the engine's checks (each one isolated: a check that throws is a problem, not a crash). */
export async function runDoctor(engine: Engine, extra: PreflightCheck[] = []): Promise<DoctorReport> {
  let checks: PreflightCheck[];
  try {
    checks = engine.preflight ? await engine.preflight() : [skipped('engine', `engine '${engine.name}' runs in this process: nothing external to check`)];
  } catch (e) {
    checks = [problem('engine', (e as Error).message, e instanceof ClsrlError && e.hint ? e.hint : 'see the message')];
  }
  const all = [...checks, ...extra];
  return { engine: engine.name, ok: all.every((c) => c.status !== 'problem'), checks: all };
}

/** The report as a text table (check, verdict, what was found), each problem followed by how to fix it. */
export function doctorTable(r: DoctorReport): string {
  const w0 = Math.max(5, ...r.checks.map((c) => c.name.length));
  const w1 = 7;
  const lines = [`${'check'.padEnd(w0)}  ${'status'.padEnd(w1)}  found`, `${'-'.repeat(w0)}  ${'-'.repeat(w1)}  ${'-'.repeat(5)}`];
  for (const c of r.checks) {
    lines.push(`${c.name.padEnd(w0)}  ${c.status.padEnd(w1)}  ${c.detail}`);
    if (c.status === 'problem' && c.fix) lines.push(`${' '.repeat(w0 + w1 + 4)}fix: ${c.fix}`);
  }
  return lines.join('\n');
}

/** The error a failed preflight raises (the sweep stops before launching anything). */
export function preflightError(r: DoctorReport): ClsrlError {
  const bad = r.checks.filter((c) => c.status === 'problem');
  return new ClsrlError('PREFLIGHT', `preflight of engine '${r.engine}' found ${bad.length} problem(s): ${bad.map((c) => `${c.name}: ${c.detail}`).join('; ')}`, {
    hint: `${bad.map((c) => c.fix).filter(Boolean).join('; ')} (\`clsrl doctor --engine ${r.engine}\` shows every check; --skip-doctor launches anyway)`,
  });
}

export interface ProcResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Set when the program could not be started (not on PATH). */
  error?: string;
}

/** Runs a program to completion without blocking the event loop (servers in this process stay responsive). */
export function runProgram(cmd: string, args: string[], o: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<ProcResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: o.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let error: string | undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e) => (error = e.message));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, error });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(o.input ?? '');
  });
}
