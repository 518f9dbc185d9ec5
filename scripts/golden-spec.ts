// Regenerates the PyTorch reference values of test/engine/golden.test.ts: builds the test's inputs (same
// fixture images, config, seed, sequences and weights), writes the checkpoint and a spec, and runs
// scripts/torch_ref.py --golden (Debian python3-torch, float64). Paste the printed object into the test.
// Usage: npx tsx scripts/golden-spec.ts   (needs /usr/bin/python3 with torch; never used at run time)

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createTinyEngine } from '../harness/engines/tiny';
import { SMALL, colourImages, prompts } from '../test/engine/fixtures';
import { goldenSeqs } from '../test/engine/golden-inputs';
import { SYSTEM_PYTHON, torchTrainSpec } from './torch-spec';

async function main(): Promise<void> {
  const ps = prompts(await colourImages()).slice(0, 2);
  const eng = await createTinyEngine({ config: SMALL, seed: 11, threads: 1 });
  const model = await eng.load(eng.baseModel());
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-golden-'));
  const ck = path.join(work, 'ck');
  await eng.save(model, ck);
  const { seqs, weights } = goldenSeqs((t) => eng.encodeTarget(t));
  const spec = { checkpoint: ck, ...(await torchTrainSpec(eng, ps, seqs, weights)) };
  fs.writeFileSync(path.join(work, 'spec.json'), JSON.stringify(spec));
  const res = spawnSync(SYSTEM_PYTHON, [path.resolve(__dirname, 'torch_ref.py'), '--golden', path.join(work, 'spec.json')], { encoding: 'utf8' });
  await eng.close();
  fs.rmSync(work, { recursive: true, force: true });
  if (res.status !== 0) throw new Error(`torch_ref.py --golden failed:\n${res.stderr}`);
  process.stdout.write(res.stdout);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
