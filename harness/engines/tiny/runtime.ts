// ONNX Runtime sessions cached by graph kind and shape (LRU, so memory stays bounded), with the
// engine's thread settings. Graph optimisation is 'disabled': measured faster for these graphs.

import * as os from 'os';
import { ort } from '../../onnx/ort';
import type { Graph } from '../../onnx';

export type Session = ort.InferenceSession;

export interface RuntimeOptions {
  /** Intra-op threads (default: all cores). */
  threads?: number;
  /** Sessions without a memory arena kept alive (prefill, decode, score); LRU beyond this. */
  maxSessions?: number;
  /**
   * Sessions with ORT's CPU memory arena (train graphs, run every step). The arena keeps a session's
   * peak activations allocated (0.3-1.5 GB for the default model) but saves ~30% of a step's time in
   * page faults; other graphs run without it, so RSS stays bounded.
   */
  maxArenaSessions?: number;
}

interface Entry {
  session: Promise<Session>;
  /** Runs in flight. */
  busy: number;
  evicted: boolean;
}

class Lru {
  readonly map = new Map<string, Entry>();
  constructor(readonly max: number) {}
}

async function release(e: Entry): Promise<void> {
  try {
    await (await e.session).release();
  } catch {
    // a session that failed to build has nothing to release
  }
}

export class Runtime {
  readonly threads: number;
  private readonly cold: Lru;
  private readonly hot: Lru;

  constructor(opts: RuntimeOptions = {}) {
    this.threads = Math.max(1, opts.threads ?? os.cpus().length);
    this.cold = new Lru(opts.maxSessions ?? 8);
    this.hot = new Lru(opts.maxArenaSessions ?? 2);
  }

  /**
   * Runs the session for `key` (`kind:shape`), building its graph with `build` on a miss. A session
   * evicted from the LRU while a run is in flight is released when that run ends.
   */
  async run(key: string, build: () => Graph, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.ReturnType> {
    const entry = this.entry(key, build);
    entry.busy++;
    try {
      return await (await entry.session).run(feeds);
    } finally {
      entry.busy--;
      if (entry.evicted && entry.busy === 0) void release(entry);
    }
  }

  private entry(key: string, build: () => Graph): Entry {
    const arena = key.startsWith('train:');
    const lru = arena ? this.hot : this.cold;
    const hit = lru.map.get(key);
    if (hit) {
      lru.map.delete(key);
      lru.map.set(key, hit);
      return hit;
    }
    const session = ort.InferenceSession.create(build().toModel(), {
      // One decode token per row is too little work to split across threads (measured slower).
      intraOpNumThreads: key.startsWith('decode:') ? 1 : this.threads,
      // Spinning worker threads halved throughput on the shared 2-core machine (measured): off.
      extra: { session: { intra_op: { allow_spinning: '0' } } },
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'disabled',
      logSeverityLevel: 3,
      enableCpuMemArena: arena,
    });
    const entry: Entry = { session, busy: 0, evicted: false };
    lru.map.set(key, entry);
    session.catch(() => lru.map.delete(key));
    while (lru.map.size > lru.max) {
      const [oldKey, old] = lru.map.entries().next().value as [string, Entry];
      lru.map.delete(oldKey);
      old.evicted = true;
      if (old.busy === 0) void release(old);
    }
    return entry;
  }

  /** Keys of the cached sessions (kind:shape). */
  keys(): string[] {
    return [...this.hot.map.keys(), ...this.cold.map.keys()];
  }

  async dispose(): Promise<void> {
    const all = [...this.hot.map.values(), ...this.cold.map.values()];
    this.hot.map.clear();
    this.cold.map.clear();
    for (const e of all) e.evicted = true;
    await Promise.all(all.filter((e) => e.busy === 0).map(release));
  }
}
