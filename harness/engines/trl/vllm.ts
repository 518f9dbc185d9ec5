// Optional: the trl engine starts `vllm serve <model>` itself for each model it evaluates (one GPU node,
// one checkpoint at a time), waits until /v1/models answers, and stops it when the runner disposes the
// model. Logs go to <checkpoint or work dir>/vllm.log. Without this, point --engine-opt baseUrl at a server.

import fs from 'fs';
import net from 'net';
import path from 'path';
import { spawn, type ChildProcess } from 'child_process';
import { ClsrlError } from '../../errors';

export interface VllmSpawnOptions {
  /** Executable (default `vllm`). */
  command: string;
  /** Extra arguments after the fixed ones (e.g. --gpu-memory-utilization 0.9). */
  extraArgs: string[];
  /** How long a model may take to load. */
  startTimeoutMs: number;
  /** Seed for the server's sampler (the paper uses 100). */
  seed: number;
  logDir: string;
}

export interface VllmServer {
  url: string;
  stop(): Promise<void>;
}

/** A free loopback port (the OS picks it; a tiny race with other programs is accepted). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Starts `vllm serve <model> --served-model-name <model>` on 127.0.0.1 and resolves once it serves. */
export async function startVllm(model: string, o: VllmSpawnOptions): Promise<VllmServer> {
  const port = await freePort();
  fs.mkdirSync(o.logDir, { recursive: true });
  const logFile = path.join(o.logDir, 'vllm.log');
  const log = fs.openSync(logFile, 'a');
  const args = ['serve', model, '--host', '127.0.0.1', '--port', String(port), '--served-model-name', model, '--seed', String(o.seed), ...o.extraArgs];
  let child: ChildProcess;
  try {
    child = spawn(o.command, args, { stdio: ['ignore', log, log], env: process.env });
  } finally {
    fs.closeSync(log);
  }
  let exited: number | null | undefined;
  let spawnError: Error | undefined;
  child.on('exit', (code) => (exited = code));
  child.on('error', (err) => (spawnError = err));
  const url = `http://127.0.0.1:${port}/v1`;
  const stop = async () => {
    if (exited !== undefined || spawnError) return;
    child.kill('SIGTERM');
    for (let i = 0; i < 100 && exited === undefined; i++) await sleep(100);
    if (exited === undefined) child.kill('SIGKILL');
  };
  const deadline = Date.now() + o.startTimeoutMs;
  while (Date.now() < deadline) {
    if (spawnError) {
      throw new ClsrlError('EXTERNAL', `cannot start ${o.command}: ${spawnError.message}`, { hint: 'install vLLM (docs/reproduce-the-paper.md) or pass --engine-opt baseUrl=... for a server you run yourself', cause: spawnError });
    }
    if (exited !== undefined) {
      throw new ClsrlError('EXTERNAL', `${o.command} serve ${model} exited with ${exited} before serving`, { hint: `see ${logFile}` });
    }
    try {
      const res = await fetch(`${url}/models`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return { url, stop };
    } catch {
      // not listening yet
    }
    await sleep(500);
  }
  await stop();
  throw new ClsrlError('EXTERNAL', `${o.command} serve ${model} did not answer within ${o.startTimeoutMs} ms`, { hint: `see ${logFile}; raise --engine-opt vllmStartTimeoutMs=` });
}
