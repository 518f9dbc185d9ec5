// Why a sweep runs slower under jest than from the CLI (issue 17 item 12; numbers in docs/reliability.md):
// runs one CLS-RL run of the smoke suite through runSweep and writes wall time, process CPU, the main JS
// thread's CPU (/proc/self/task/<pid>/stat), other threads' CPU, GC count and the most threads seen.
// Entry points: cli-probe.ts (tsx, as the CLI) and jest.bench.ts (inside a jest test); start both at once.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PerformanceObserver } from 'perf_hooks';
import { runSweep } from '../../harness/runner/sweep';

const USER_HZ = 100;

function mainThreadCpuMs(): number {
  const f = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / USER_HZ; // utime + stime
}

function threadCount(): number {
  return Number(/Threads:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]);
}

/** Runs the workload; `cacheDir` should hold the materialised world already (run once to warm it). */
export async function probe(label: string, out = process.env.PROBE_OUT ?? path.join(os.tmpdir(), `clsrl-probe-${label}.json`)) {
  const cacheDir = process.env.PROBE_CACHE ?? path.join(os.tmpdir(), 'clsrl-probe-cache');
  const db = path.join(os.tmpdir(), `clsrl-probe-${label}-${process.pid}.sqlite`);
  let maxThreads = 0;
  const sampler = setInterval(() => (maxThreads = Math.max(maxThreads, threadCount())), 500);
  let gcs = 0;
  const obs = new PerformanceObserver((l) => (gcs += l.getEntries().length));
  obs.observe({ entryTypes: ['gc'] });
  const m0 = mainThreadCpuMs();
  const c0 = process.cpuUsage();
  const t0 = Date.now();
  try {
    await runSweep({ suite: 'smoke', db, cacheDir, methods: ['cls-rl'], settings: ['few-shot'], jobs: 1 });
  } finally {
    clearInterval(sampler);
    obs.disconnect();
    for (const f of [db, `${db}-wal`, `${db}-shm`]) fs.rmSync(f, { force: true });
  }
  const cpu = process.cpuUsage(c0);
  const mainMs = mainThreadCpuMs() - m0;
  const res = { label, wallMs: Date.now() - t0, cpuMs: Math.round((cpu.user + cpu.system) / 1000), mainThreadCpuMs: mainMs, otherThreadsCpuMs: Math.round((cpu.user + cpu.system) / 1000 - mainMs), gcs, maxThreads };
  fs.writeFileSync(out, JSON.stringify(res));
  return res;
}
