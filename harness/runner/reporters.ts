// Sweep reporters: optional lifecycle hooks the runner calls, so progress display and storage stay
// apart from running. Includes the progress bar (TTY only) and the plain line reporter (non-TTY).

import { SingleBar } from 'cli-progress';
import type { RunSpec, TrainStepRecord } from '../contracts';
import type { RunRecord } from '../store';
import type { ElsewhereInfo } from './claims';

export type RunPhase = 'data' | 'train' | 'eval';

export interface RunOutcome {
  status: 'done' | 'failed';
  error?: string;
  record?: RunRecord;
  ms: number;
}

export interface SweepPlanInfo {
  suite: string;
  specs: RunSpec[];
  todo: RunSpec[];
  /** Ids already stored as done, skipped. */
  skipped: string[];
  jobs: number;
}

export interface SweepReporter {
  onSweepStart?(plan: SweepPlanInfo): void;
  onRunStart?(spec: RunSpec): void;
  onPhase?(spec: RunSpec, phase: RunPhase, done: number, total: number): void;
  onStepEnd?(spec: RunSpec, rec: TrainStepRecord): void;
  onRunEnd?(spec: RunSpec, outcome: RunOutcome): void;
  /** A planned run this process did not execute because another process held, ran or failed it. */
  onRunElsewhere?(spec: RunSpec, info: ElsewhereInfo): void;
  onSweepEnd?(summary: { done: number; failed: number; skipped: number; held: number }): void;
}

/** Calls every reporter's hook; a reporter that throws never breaks the sweep. */
export function fanOut(reporters: SweepReporter[]): Required<SweepReporter> {
  const call =
    <K extends keyof SweepReporter>(k: K) =>
    (...args: Parameters<Required<SweepReporter>[K]>) => {
      for (const r of reporters) {
        try {
          (r[k] as ((...a: unknown[]) => void) | undefined)?.apply(r, args);
        } catch {
          /* display problems must not fail runs */
        }
      }
    };
  return {
    onSweepStart: call('onSweepStart'),
    onRunStart: call('onRunStart'),
    onPhase: call('onPhase'),
    onStepEnd: call('onStepEnd'),
    onRunEnd: call('onRunEnd'),
    onRunElsewhere: call('onRunElsewhere'),
    onSweepEnd: call('onSweepEnd'),
  };
}

export const runLabel = (s: RunSpec): string =>
  `${s.method} ${s.dataset} ${s.setting}${s.shots ? ` ${s.shots}-shot seed ${s.seed}` : ''}`;

/** A cli-progress bar on stderr: runs done / to do, and what each active run is doing. */
export function progressBarReporter(stream: NodeJS.WriteStream = process.stderr): SweepReporter {
  const bar = new SingleBar(
    { format: '{bar} {value}/{total} runs | {failed} failed | {active}', stream, hideCursor: true, clearOnComplete: false },
  );
  const active = new Map<string, string>();
  let failed = 0;
  const show = () => [...active.values()].join(' ; ').slice(0, 100);
  return {
    onSweepStart: (p) => bar.start(p.todo.length, 0, { active: '', failed: 0 }),
    onRunStart: (s) => (active.set(s.id, runLabel(s)), bar.update({ active: show() })),
    onPhase: (s, phase, done, total) => {
      active.set(s.id, `${runLabel(s)}: ${phase} ${done}/${total}`);
      bar.update({ active: show() });
    },
    onRunEnd: (s, o) => {
      active.delete(s.id);
      if (o.status === 'failed') failed++;
      bar.increment(1, { active: show(), failed });
    },
    onRunElsewhere: () => bar.increment(1, { active: show(), failed }),
    onSweepEnd: () => bar.stop(),
  };
}

/** One line per finished run on stderr (for logs and CI, where a bar would be noise). */
export function lineReporter(stream: NodeJS.WritableStream = process.stderr): SweepReporter {
  let n = 0;
  let total = 0;
  return {
    onSweepStart: (p) => {
      total = p.todo.length;
      stream.write(`sweep ${p.suite}: ${p.specs.length} runs planned, ${p.skipped.length} already done, ${total} to run\n`);
    },
    onRunEnd: (s, o) => {
      n++;
      const what = o.status === 'done' ? 'done' : `FAILED: ${o.error ?? ''}`;
      stream.write(`[${n}/${total}] ${runLabel(s)} (${s.id}) ${what} in ${(o.ms / 1000).toFixed(1)}s\n`);
    },
    onRunElsewhere: (s, info) => {
      n++;
      const who = info.by ? ` (pid ${info.by.pid} on ${info.by.host})` : '';
      const what = info.why === 'held' ? `skipped: running in another process${who}` : `skipped: ${info.why === 'done' ? 'finished' : 'failed'} by another process${who}`;
      stream.write(`(${n}/${total}) ${runLabel(s)} (${s.id}) ${what}\n`);
    },
  };
}
