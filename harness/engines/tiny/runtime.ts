// ONNX Runtime sessions cached by graph kind and shape (an LRU, so memory stays bounded), with the
// engine's thread settings. Graph optimisation is 'disabled': measured faster for these graphs.

import * as os from 'os';
import { ort } from '../../onnx/ort';
import type { Graph } from '../../onnx';

export type Session = ort.InferenceSession;

export interface RuntimeOptions {
  /** Intra-op threads (default: all cores). */
  threads?: number;
  /** Sessions kept alive; the least recently used beyond this are released. */
  maxSessions?: number;
  /**
   * ORT's CPU arena keeps every session's peak activations allocated (about 2 GB for the default model
   * on long prompts) for no measurable speed-up here; off by default so memory stays bounded.
   */
  memArena?: boolean;
}

export class Runtime {
  readonly threads: number;
  private readonly maxSessions: number;
  private readonly memArena: boolean;
  private readonly cache = new Map<string, Promise<Session>>();

  constructor(opts: RuntimeOptions = {}) {
    this.threads = Math.max(1, opts.threads ?? os.cpus().length);
    this.maxSessions = opts.maxSessions ?? 8;
    this.memArena = opts.memArena ?? false;
  }

  /** The session for `key`, building its graph with `build` on a miss. */
  async session(key: string, build: () => Graph): Promise<Session> {
    let hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    hit = ort.InferenceSession.create(build().toModel(), {
      intraOpNumThreads: this.threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'disabled',
      logSeverityLevel: 3,
      enableCpuMemArena: this.memArena,
    });
    this.cache.set(key, hit);
    hit.catch(() => this.cache.delete(key));
    while (this.cache.size > this.maxSessions) {
      const [oldKey, old] = this.cache.entries().next().value as [string, Promise<Session>];
      this.cache.delete(oldKey);
      old.then((s) => s.release()).catch(() => undefined);
    }
    return hit;
  }

  /** Keys of the cached sessions (kind:shape), most recently used last. */
  keys(): string[] {
    return [...this.cache.keys()];
  }

  async dispose(): Promise<void> {
    const all = [...this.cache.values()];
    this.cache.clear();
    await Promise.all(all.map((p) => p.then((s) => s.release()).catch(() => undefined)));
  }
}
