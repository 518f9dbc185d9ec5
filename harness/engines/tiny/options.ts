// The tiny engine's options (suite engineConfig / --engine-opt) and what kind each is: `result` options
// enter run ids, `operational` ones do not (harness/engines/options.ts). parseOptions accepts exactly these.

import type { EngineOptionTable } from '../options';

export const TINY_OPTIONS = {
  checkpoint: { kind: 'result', describe: 'checkpoint folder used as the base model (default models/tiny-base)' },
  config: { kind: 'result', describe: 'model config of a randomly initialised base' },
  seed: { kind: 'result', describe: 'seed of the random initialisation' },
  merges: { kind: 'result', describe: 'BPE merges of a randomly initialised base' },
  promptDropout: { kind: 'result', describe: 'BPE-dropout of training prompts (changes what the model learns)' },
  threads: { kind: 'operational', describe: 'intra-op threads (ONNX Runtime results do not depend on it)' },
  arenaSessions: { kind: 'operational', describe: 'train-graph sessions kept with their memory arenas' },
} as const satisfies EngineOptionTable;
