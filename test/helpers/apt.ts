// Installs Debian packages a test needs when they are missing (tests and CI run as root).
// Returns false instead of throwing when apt is unusable, so a test can say why it was skipped.

import { execFileSync, spawnSync } from 'child_process';

function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Ensures each `command` exists, installing `packages` with apt-get if any is missing. */
export function ensureDebianPackages(commands: string[], packages: string[]): boolean {
  if (commands.every(hasCommand)) return true;
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', timeout: 300_000 });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
      stdio: 'ignore',
      timeout: 900_000,
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch {
    return false;
  }
  return commands.every(hasCommand);
}
