// How many GPUs a TRL run gets when `--engine-opt gpus=N` is not given: counted where clsrl runs (the
// run folder is launched on this machine), from CUDA_VISIBLE_DEVICES when it is set, else from
// `nvidia-smi -L`. Nothing found: launching refuses with a hint; writing folders only (--dry-run,
// writeOnly) assumes the paper's 8-GPU node and says so.

import { spawnSync } from 'child_process';

export interface GpuCount {
  count: number;
  /** Where the count came from, for messages and config.json notes. */
  source: string;
}

export type ListGpus = () => string | undefined;

/** `nvidia-smi -L` output, or undefined when it is absent or fails. */
export const nvidiaSmiList: ListGpus = () => {
  const res = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8', timeout: 10_000 });
  return res.status === 0 && typeof res.stdout === 'string' ? res.stdout : undefined;
};

/** GPUs visible to a process started from here, or undefined when none can be found. */
export function detectGpus(env: NodeJS.ProcessEnv = process.env, list: ListGpus = nvidiaSmiList): GpuCount | undefined {
  const visible = env.CUDA_VISIBLE_DEVICES;
  if (visible !== undefined) {
    // CUDA stops at the first invalid entry ("-1" hides every GPU); an empty value hides all of them too
    const ids: string[] = [];
    for (const id of visible.split(',').map((s) => s.trim())) {
      if (id === '' || id.startsWith('-')) break;
      ids.push(id);
    }
    return ids.length > 0 ? { count: ids.length, source: `CUDA_VISIBLE_DEVICES=${visible}` } : undefined;
  }
  const out = list();
  const gpus = (out ?? '').split('\n').filter((l) => /^GPU \d+:/.test(l.trim())).length;
  return gpus > 0 ? { count: gpus, source: 'nvidia-smi -L' } : undefined;
}
