// The pin check of a TRL run folder (python/clsrl_trl/pins.py, used by train.py and `clsrl doctor`):
// python's own unit tests (PEP 440 matching, refusal text, flash-attn fallback) run under the python3
// found on PATH, then the CLI against fake installed packages (dist-info folders on PYTHONPATH, python -S
// so the machine's own site-packages cannot answer).

import fs from 'fs';
import os from 'os';
import path from 'path';
import { spawnSync } from 'child_process';
import { PYTHON_PINS } from '../../harness/engines/trl/config';

const PYTHON_DIR = path.resolve(__dirname, '../../python');
const env = { ...process.env, PYTHONDONTWRITEBYTECODE: '1', CLSRL_ALLOW_UNPINNED: '' };

test('python unit tests of pins.py and the attention fallback pass', () => {
  const res = spawnSync('python3', ['-m', 'unittest', 'discover', '-s', path.join(PYTHON_DIR, 'tests'), '-v'], {
    cwd: PYTHON_DIR, env: { ...env, PYTHONPATH: PYTHON_DIR }, timeout: 60_000,
  });
  const out = res.stderr.toString();
  expect(out).toMatch(/Ran \d+ tests/);
  expect(out).toMatch(/\nOK\n?$/);
  expect(res.status).toBe(0);
});

describe('python3 -m clsrl_trl.pins', () => {
  let site: string;
  const install = (name: string, version: string) => {
    const dir = path.join(site, `${name.replace(/-/g, '_')}-${version}.dist-info`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'METADATA'), `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n`);
  };
  const pinsCli = (args: string[], extraEnv: Record<string, string> = {}) => {
    const res = spawnSync('python3', ['-S', '-m', 'clsrl_trl.pins', '--pins', JSON.stringify(PYTHON_PINS), ...args], {
      cwd: PYTHON_DIR, env: { ...env, PYTHONPATH: `${PYTHON_DIR}${path.delimiter}${site}`, ...extraEnv }, timeout: 30_000,
    });
    return { status: res.status, stdout: res.stdout.toString(), stderr: res.stderr.toString() };
  };
  beforeEach(() => {
    site = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-pins-'));
  });
  afterEach(() => fs.rmSync(site, { recursive: true, force: true }));

  test('the documented install (torch from the cu128 index) passes', () => {
    install('torch', `${PYTHON_PINS.torch}+cu128`);
    for (const n of ['trl', 'transformers', 'accelerate', 'datasets', 'deepspeed'] as const) install(n, PYTHON_PINS[n]);
    const res = pinsCli(['--json']);
    expect(res.status).toBe(0);
    const out = JSON.parse(res.stdout) as { ok: boolean; packages: { name: string; found: string | null; ok: boolean; required: boolean }[] };
    expect(out.ok).toBe(true);
    const torch = out.packages.find((p) => p.name === 'torch')!;
    expect(torch).toMatchObject({ found: '2.8.0+cu128', ok: true, required: true });
    expect(out.packages.find((p) => p.name === 'flash-attn')).toMatchObject({ found: null, ok: false, required: false });
  });

  test('a wrong or missing package is refused with found, wanted and the fix; single GPU needs no deepspeed', () => {
    install('torch', '2.8.1+cu126');
    install('trl', '0.24.0');
    for (const n of ['transformers', 'accelerate', 'datasets'] as const) install(n, PYTHON_PINS[n]);
    const res = pinsCli([]);
    expect(res.status).toBe(1);
    expect(res.stderr).toContain("trl: found 0.24.0, wanted trl==0.23.1. Fix: pip install 'trl==0.23.1'");
    expect(res.stderr).toContain('deepspeed: found nothing (not installed), wanted deepspeed~=0.17.6');
    expect(res.stderr).not.toContain('torch:');
    const single = pinsCli(['--json', '--distributed', 'single'], { CLSRL_ALLOW_UNPINNED: 'trl' });
    expect(single.status).toBe(0);
    const rows = (JSON.parse(single.stdout) as { packages: { name: string; allowed: boolean; required: boolean }[] }).packages;
    expect(rows.find((p) => p.name === 'trl')).toMatchObject({ allowed: true, required: true });
    expect(rows.find((p) => p.name === 'deepspeed')).toMatchObject({ required: false });
  });

  test('--config reads a run folder\'s pins and distributed strategy', () => {
    for (const n of ['trl', 'transformers', 'accelerate', 'datasets', 'torch'] as const) install(n, PYTHON_PINS[n]);
    const config = path.join(site, 'config.json');
    fs.writeFileSync(config, JSON.stringify({ pins: PYTHON_PINS, distributed: 'zero3' }));
    const res = spawnSync('python3', ['-S', '-m', 'clsrl_trl.pins', '--config', config], {
      cwd: PYTHON_DIR, env: { ...env, PYTHONPATH: `${PYTHON_DIR}${path.delimiter}${site}` }, timeout: 30_000,
    });
    expect(res.status).toBe(1);
    expect(res.stderr.toString()).toContain('deepspeed: found nothing');
  });
});
