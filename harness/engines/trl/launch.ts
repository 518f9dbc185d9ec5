// Runs a written TRL run folder as a child process: starts the reward server for GRPO (unless one is
// given), streams the log to <folder>/train.log, turns `CLSRL_LOG {json}` lines into live step records,
// and on exit checks the code, the final checkpoint and trainer_state.json.

import fs from 'fs';
import path from 'path';
import { spawn } from 'child_process';
import { randomBytes } from 'crypto';
import type { ExternalTrainContext, TrainStepRecord } from '../../contracts';
import { ClsrlError } from '../../errors';
import { startRewardServer } from '../../serve/rewards';
import type { RunningServer } from '../../serve/http';
import type { RunFolder } from './folder';
import { readTrainerState, stepsFromLogHistory } from './state';

export interface LaunchOptions {
  /** Program that runs launch.sh (default bash); the script is its only argument. */
  launcher: string;
  /** A reward server already running (e.g. on another host); default: start one on 127.0.0.1 for the run. */
  rewardUrl?: string;
}

const TAIL_LINES = 20;

/** Completions (GRPO) or examples (SFT) per optimizer step, from the trainer args. */
function itemsPerStep(folder: RunFolder, processes: number): number {
  const a = folder.config.args;
  return processes * Number(a.per_device_train_batch_size) * Number(a.gradient_accumulation_steps);
}

/** Optimizer steps the run will take (for progress): max_steps, else epochs x ceil(items / per step). */
function plannedSteps(folder: RunFolder, perStep: number): number {
  const a = folder.config.args;
  if (Number(a.max_steps) > 0) return Number(a.max_steps);
  const items = folder.config.data.examples * (folder.config.trainer === 'grpo' ? Number(a.num_generations) : 1);
  return Math.ceil(items / perStep) * Number(a.num_train_epochs);
}

/** Completions sampled per optimizer step (0 for SFT), to turn mean lengths into tokens generated. */
export function completionsPerStep(folder: RunFolder, o: { gpus: number; nodes: number }): number {
  return folder.config.trainer === 'grpo' ? itemsPerStep(folder, o.gpus * o.nodes) : 0;
}

export async function launchRun(folder: RunFolder, ctx: ExternalTrainContext, o: LaunchOptions & { gpus: number; nodes: number }): Promise<TrainStepRecord[]> {
  const perStep = itemsPerStep(folder, o.gpus * o.nodes);
  const perStepCompletions = completionsPerStep(folder, o);
  const total = plannedSteps(folder, perStep);
  let server: RunningServer | undefined;
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (folder.config.trainer === 'grpo') {
    if (o.rewardUrl) {
      env.CLSRL_REWARD_URL = o.rewardUrl;
    } else if (o.nodes > 1) {
      // every rank scores its own completions, so ranks on other nodes cannot reach a loopback server
      throw new ClsrlError('BAD_CONFIG', `run ${ctx.spec.id} spans ${o.nodes} nodes but the reward server would listen on 127.0.0.1 only`, {
        hint: 'start `clsrl serve-rewards --host 0.0.0.0 --token T` on a reachable host, export CLSRL_REWARD_TOKEN=T and pass --engine-opt rewardUrl=http://HOST:8765',
      });
    } else {
      const token = randomBytes(16).toString('hex');
      server = await startRewardServer({ port: 0, token });
      env.CLSRL_REWARD_URL = server.url;
      env.CLSRL_REWARD_TOKEN = token;
    }
  }
  try {
    let elapsed = 0;
    const code = await runChild(folder, o.launcher, env, (entry) => {
      const recs = stepsFromLogHistory([entry], perStepCompletions, elapsed);
      if (typeof entry.clsrl_elapsed_s === 'number') elapsed = entry.clsrl_elapsed_s;
      for (const rec of recs) {
        ctx.hooks.onStepEnd?.(rec);
        ctx.hooks.onProgress?.(rec.step, total);
      }
    });
    const log = path.join(folder.dir, 'train.log');
    if (code !== 0) {
      throw new ClsrlError('EXTERNAL', `TRL training for run ${ctx.spec.id} exited with ${code}:\n${tail(log)}`, { hint: `full log: ${log}; rerun by hand with \`bash ${folder.launch}\`` });
    }
    if (!fs.existsSync(folder.finalDir)) {
      throw new ClsrlError('EXTERNAL', `TRL training for run ${ctx.spec.id} ended without a checkpoint in ${folder.finalDir}`, { hint: `see ${log}` });
    }
    return readTrainerState(path.join(folder.outputDir, 'trainer_state.json'), perStepCompletions);
  } finally {
    await server?.close();
  }
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-TAIL_LINES).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Spawns `<launcher> launch.sh`, tees output to train.log and hands parsed CLSRL_LOG entries to `onLog`. */
function runChild(folder: RunFolder, launcher: string, env: NodeJS.ProcessEnv, onLog: (entry: Record<string, unknown>) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const log = fs.createWriteStream(path.join(folder.dir, 'train.log'));
    const child = spawn(launcher, [folder.launch], { cwd: folder.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      log.write(chunk);
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('CLSRL_LOG ')) continue;
        try {
          onLog(JSON.parse(line.slice('CLSRL_LOG '.length)) as Record<string, unknown>);
        } catch {
          // a malformed progress line is not worth failing a GPU run over; trainer_state.json is authoritative
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => log.write(chunk));
    child.on('error', (err) => {
      log.end();
      reject(new ClsrlError('EXTERNAL', `cannot start ${launcher} ${folder.launch}: ${err.message}`, { cause: err }));
    });
    child.on('close', (code, signal) => {
      log.end(() => resolve(code ?? (signal ? 128 : 1)));
    });
  });
}
