// Engine registry: name -> factory. Engines are created per sweep with their resolved options.
// Adding an engine is one file under harness/engines/ plus one line here.

import type { Engine } from '../contracts';
import { unknownName } from '../errors';

export interface EngineOptions {
  /** Engine-specific options from the suite and CLI (e.g. {threads, checkpoint, model}). */
  [key: string]: unknown;
}

/** Where the engine is used (not part of its options, so not of run ids). */
export interface EngineContext {
  /** The results database the runs are stored in; engines keep their caches beside it. */
  db?: string;
}

export type EngineFactory = (opts: EngineOptions, ctx: EngineContext) => Promise<Engine>;

const ENGINES: Record<string, EngineFactory> = {
  // Registration lines (one per engine), sorted:
  double: async (opts) => (await import('./double')).createDoubleEngine(opts),
  openai: async (opts, ctx) => (await import('./openai')).createOpenAIEngine(opts, ctx),
  tiny: async (opts) => (await import('./tiny')).createTinyEngine(opts),
  trl: async (opts, ctx) => (await import('./trl')).createTrlEngine(opts, ctx),
};

export function registerEngine(name: string, factory: EngineFactory): void {
  ENGINES[name] = factory;
}

export function engineNames(): string[] {
  return Object.keys(ENGINES).sort();
}

export async function createEngine(name: string, opts: EngineOptions = {}, ctx: EngineContext = {}): Promise<Engine> {
  const factory = ENGINES[name];
  if (!factory) throw unknownName('engine', name, engineNames());
  return factory(opts, ctx);
}
