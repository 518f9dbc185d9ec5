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

class Lru {
  readonly map = new Map<string, Promise<Session>>();
  constructor(readonly max: number) {}
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

  /** The session for `key` (`kind:shape`), building its graph with `build` on a miss. */
  async session(key: string, build: () => Graph): Promise<Session> {
    const arena = key.startsWith('train:');
    const lru = arena ? this.hot : this.cold;
    let hit = lru.map.get(key);
    if (hit) {
      lru.map.delete(key);
      lru.map.set(key, hit);
      return hit;
    }
    hit = ort.InferenceSession.create(build().toModel(), {
      intraOpNumThreads: this.threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'disabled',
      logSeverityLevel: 3,
      enableCpuMemArena: arena,
    });
    lru.map.set(key, hit);
    hit.catch(() => lru.map.delete(key));
    while (lru.map.size > lru.max) {
      const [oldKey, old] = lru.map.entries().next().value as [string, Promise<Session>];
      lru.map.delete(oldKey);
      old.then((s) => s.release()).catch(() => undefined);
    }
    return hit;
  }

  /** Keys of the cached sessions (kind:shape). */
  keys(): string[] {
    return [...this.hot.map.keys(), ...this.cold.map.keys()];
  }

  async dispose(): Promise<void> {
    const all = [...this.hot.map.values(), ...this.cold.map.values()];
    this.hot.map.clear();
    this.cold.map.clear();
    await Promise.all(all.map((p) => p.then((s) => s.release()).catch(() => undefined)));
  }
}
