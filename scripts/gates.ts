// Measures issue 15's answer gates on a tiny checkpoint (see scripts/gates-eval.ts for the metrics):
//   npm run gates -- --model models/tiny-base [--split val] [--limit 60] [--json] [--write]
// Progress goes to stderr (quiet with --json or when stderr is not a TTY); the table (or JSON) to stdout.

import * as fs from 'fs';
import * as path from 'path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ClsrlError } from '../harness/errors';
import { createTinyEngine } from '../harness/engines/tiny';
import { hasCheckpoint } from '../harness/engines/tiny/checkpoint';
import { materialiseWorld } from '../suites/synthetic/materialise';
import { SYNTH_MAX_TOKENS } from '../suites/synthetic/suite-kit';
import { DEFAULT_WORLD, TASK_NAMES, WORLD_VERSION, taskByName } from '../suites/synthetic/world';
import { gateMeans, gateVerdicts, gatesMarkdown, measureGates } from './gates-eval';

const argv = yargs(hideBin(process.argv))
  .scriptName('npm run gates --')
  .option('model', { type: 'string', default: 'models/tiny-base', describe: 'tiny checkpoint folder' })
  .option('split', { choices: ['test', 'val'] as const, default: 'test' as const, describe: 'task images to ask about: test (as the zero-shot row) or val (for tuning a recipe without touching test images)' })
  .option('limit', { type: 'number', default: 60, describe: 'questions per task (the runner\'s seeded subset; 0 = all)' })
  .option('tasks', { type: 'string', describe: 'comma-separated task names (default: all eleven)' })
  .option('threads', { type: 'number', default: 2, describe: 'ONNX Runtime intra-op threads' })
  .option('cache', { type: 'string', default: '.cache', describe: 'cache folder for the synthetic world' })
  .option('json', { type: 'boolean', default: false, describe: 'print the rows, means and gates as JSON' })
  .option('write', { type: 'boolean', default: false, describe: 'also write <model>/gates.json (rows, means, gates, options, fingerprint)' })
  .strict()
  .help()
  .parseSync();

async function main(): Promise<void> {
  const dir = path.resolve(argv.model);
  if (!hasCheckpoint(dir)) throw new ClsrlError('NOT_FOUND', `--model ${argv.model}: no tiny checkpoint (model.safetensors + config.json) there`, { hint: 'pass a folder written by npm run pretrain, e.g. models/tiny-base' });
  if (!(Number.isInteger(argv.limit) && argv.limit >= 0)) throw new ClsrlError('BAD_CONFIG', `--limit must be an integer >= 0 (got ${argv.limit})`, { hint: '0 asks every image of the split' });
  const tasks = argv.tasks ? argv.tasks.split(',').map((t) => taskByName(t.trim()).name) : TASK_NAMES;
  const loud = !argv.json && process.stderr.isTTY;
  const say = (s: string) => {
    if (loud) process.stderr.write(`${s}\n`);
  };
  const { dataRoot } = await materialiseWorld({ cacheDir: argv.cache, world: DEFAULT_WORLD, tasks });
  const engine = await createTinyEngine({ checkpoint: dir, threads: argv.threads });
  const model = await engine.load(engine.baseModel());
  const t0 = Date.now();
  let done = 0;
  const rows = await measureGates(engine, model, dataRoot, tasks, {
    limit: argv.limit,
    maxTokens: SYNTH_MAX_TOKENS,
    split: argv.split,
    onTask: (r) => say(`[${++done}/${tasks.length}] ${r.task.padEnd(14)} full ${r.full.toFixed(1)}  2-name ${r.twoName.toFixed(1)}  unlisted ${r.unlisted.toFixed(1)}  forced ${r.forced.toFixed(1)}  direct ${r.direct.toFixed(1)}  (${((Date.now() - t0) / 1000).toFixed(0)} s)`),
  });
  await engine.close();
  const result = {
    model: argv.model,
    fingerprint: engine.fingerprint(),
    worldVersion: WORLD_VERSION,
    split: argv.split,
    limit: argv.limit,
    rows,
    means: gateMeans(rows),
    gates: gateVerdicts(rows),
    minutes: (Date.now() - t0) / 60000,
  };
  if (argv.write) fs.writeFileSync(path.join(dir, 'gates.json'), JSON.stringify(result, null, 1));
  process.stdout.write(argv.json ? `${JSON.stringify(result, null, 1)}\n` : `${gatesMarkdown(rows)}\n\n${argv.split} images, up to ${argv.limit || 'all'} per task, ${result.minutes.toFixed(1)} min\n`);
}

main().catch((e) => {
  const hint = e instanceof ClsrlError && e.hint ? `\nhint: ${e.hint}` : '';
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}${hint}\n`);
  process.exit(1);
});
