// The code version recorded with every run: `git describe --always --dirty` of the clsrl checkout, or
// `clsrl@<package version>` when it is not a git checkout (an npm install).

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');
let cached: string | undefined;

export function codeVersion(): string {
  if (cached !== undefined) return cached;
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  try {
    if (!fs.existsSync(path.join(ROOT, '.git'))) throw new Error('not a git checkout');
    const desc = execFileSync('git', ['describe', '--always', '--dirty', '--abbrev=12'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    })
      .toString()
      .trim();
    cached = `clsrl@${pkg.version}+git.${desc}`;
  } catch {
    cached = `clsrl@${pkg.version}`;
  }
  return cached;
}
