// The shipped base model (models/tiny-base) against the targets its issue sets, read from the record that
// `npm run pretrain` (and `--eval-only`) writes beside the weights: trained on the current synthetic world,
// at most 16 MB, made within 60 minutes, zero-shot above chance on every task and 25-75% on average; and
// the smoke suite's tasks leave room for tuning to show a gain. Re-measuring takes a minute and belongs to
// the pretraining script; this catches a stale or out-of-target checkpoint (say, WORLD_VERSION bumped
// without re-pretraining, or a smoke task at the ceiling) in every CI run.

import * as fs from 'fs';
import * as path from 'path';
import { mean } from '../../reports/stats';
import type { PretrainRecord } from '../../scripts/pretrain-card';
import { gateVerdicts, type Gate, type GateRow } from '../../scripts/gates-eval';
import { SMOKE_TASKS } from '../../suites/smoke';
import { DEFAULT_WORLD, TASK_NAMES, WORLD_VERSION } from '../../suites/synthetic/world';

const DIR = path.join(__dirname, '..', '..', 'models', 'tiny-base');
const rec = JSON.parse(fs.readFileSync(path.join(DIR, 'pretrain.json'), 'utf8')) as PretrainRecord;

describe('shipped tiny-base checkpoint', () => {
  test('trained on the current world with the default sizes, by the documented command', () => {
    expect(rec.worldVersion).toBe(WORLD_VERSION);
    expect(rec.world).toEqual(DEFAULT_WORLD);
    expect(rec.command).toBe('npm run pretrain --');
  });

  test('at most 16 MB of safetensors, with its config and model card, made in at most 60 minutes', () => {
    expect(fs.statSync(path.join(DIR, 'model.safetensors')).size).toBeLessThanOrEqual(16 * 1024 * 1024);
    expect(fs.existsSync(path.join(DIR, 'config.json'))).toBe(true);
    const card = fs.readFileSync(path.join(DIR, 'MODEL_CARD.md'), 'utf8');
    expect(card).toContain(`World ${WORLD_VERSION}`);
    expect(card).toContain(`**${rec.meanZeroShot.toFixed(1)}**`);
    expect(rec.totalMinutes).toBeLessThanOrEqual(60);
  });

  test('zero-shot above chance on every task and 25-75% on average', () => {
    expect(rec.zeroShot.map((a) => a.task).sort()).toEqual([...TASK_NAMES].sort());
    for (const a of rec.zeroShot) {
      expect(a.n).toBeGreaterThanOrEqual(60);
      expect({ task: a.task, above: a.accuracy > a.chance }).toEqual({ task: a.task, above: true });
    }
    expect(rec.meanZeroShot).toBeCloseTo(mean(rec.zeroShot.map((a) => a.accuracy)), 6);
    expect(rec.meanZeroShot).toBeGreaterThanOrEqual(25);
    expect(rec.meanZeroShot).toBeLessThanOrEqual(75);
  });

  test('the smoke tasks leave room for tuning (zero-shot at most 75%)', () => {
    for (const task of SMOKE_TASKS) {
      const a = rec.zeroShot.find((z) => z.task === task);
      expect(a).toBeDefined();
      expect({ task, roomy: (a?.accuracy ?? 100) <= 75 }).toEqual({ task, roomy: true });
    }
  });

  // Issue 15's answer gates, as `npm run gates -- --write` recorded them for this very checkpoint (re-measuring
  // takes ~10 min). The v3 checkpoint fails all three (it neither reads the list nor knows more than it
  // answers); the checkpoint that replaces it must pass them, and this test then lists all three.
  test('its answer gates are recorded for these weights, on every task', () => {
    const gates = JSON.parse(fs.readFileSync(path.join(DIR, 'gates.json'), 'utf8')) as { fingerprint: string; split: string; rows: GateRow[]; gates: Gate[] };
    const config = JSON.parse(fs.readFileSync(path.join(DIR, 'config.json'), 'utf8')) as { fingerprint: string };
    expect(gates.fingerprint).toBe(config.fingerprint);
    expect(gates.split).toBe('test');
    expect(gates.rows.map((r) => r.task)).toEqual([...TASK_NAMES]);
    for (const r of gates.rows) expect(r.n).toBeGreaterThanOrEqual(40);
    expect(gates.gates).toEqual(gateVerdicts(gates.rows));
    expect(gates.gates.filter((g) => g.pass).map((g) => g.name)).toEqual([]);
  });
});
