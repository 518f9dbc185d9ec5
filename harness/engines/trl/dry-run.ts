// `clsrl sweep --dry-run` for engines that train outside the process (trl): writes every training run's
// folder (data, config, launch script) without launching or evaluating, for the user's own scheduler.
// Runs nothing else; zero-shot runs have no folder (they only evaluate).

import path from 'path';
import type { Engine, MethodPlugin, PromptInput, Question, RunSpec } from '../../contracts';
import { applyTemplate } from '../../prompts';
import { getDataset, splitFor, trainQuestions } from '../../runner/data';

export interface ExternalFolder {
  runId: string;
  method: string;
  workDir: string;
}

export async function writeExternalRunFolders(
  engine: Engine,
  specs: RunSpec[],
  opts: { dataRoot: string; workRoot: string; getMethod(name: string): MethodPlugin<object> },
): Promise<ExternalFolder[]> {
  if (!engine.trainExternally) return [];
  const written: ExternalFolder[] = [];
  for (const spec of specs) {
    const method = opts.getMethod(spec.method);
    if (!method.meta.trains) continue;
    const split = await splitFor(spec, await getDataset(spec.dataset, opts.dataRoot));
    const kind = method.meta.template;
    const workDir = path.join(opts.workRoot, spec.id);
    await engine.trainExternally({
      spec,
      method: method.meta,
      methodConfig: spec.config.method,
      train: trainQuestions(spec, split),
      prompt: (q: Question): PromptInput => ({ id: q.id, image: q.image, text: applyTemplate(q.problem, kind, 'train') }),
      workDir,
      dryRun: true,
      hooks: {},
    });
    written.push({ runId: spec.id, method: spec.method, workDir });
  }
  return written;
}
