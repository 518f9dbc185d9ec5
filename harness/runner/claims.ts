// Which run a sweep process executes next, when several processes sweep one database: each run is
// claimed with a lease in the store (holder, heartbeat, expiry) before it starts, the todo list is
// re-read from the store at every claim, and runs that are done or held by another live process are
// skipped. A crashed holder's runs are taken over once its lease expires, at once when its pid is dead on
// this host. The queue also keeps what THIS process did with each planned run, for the summary.

import * as crypto from 'crypto';
import type { RunSpec } from '../contracts';
import { HOST, pidAlive } from '../fslock';
import type { LeaseHolder, LeaseRow, Store } from '../store';

/** Lease lifetime without a heartbeat; the holder renews every quarter of it. */
export const LEASE_TTL_MS = 2 * 60_000;

/**
 * What this process did with a planned run: `ran`/`failed` (executed here), `skipped` (done before this
 * sweep started), `elsewhere` (another process held it, ran it, or failed it while this sweep went).
 */
export type Fate = 'ran' | 'failed' | 'skipped' | 'elsewhere';

type State = 'open' | 'held' | 'mine' | Fate;

export interface ElsewhereInfo {
  /** held: still running in another process when this sweep ended; done/failed: what that process stored. */
  why: 'held' | 'done' | 'failed';
  by?: LeaseRow;
}

export interface ClaimQueueOptions {
  ttlMs?: number;
  /** Called once per run that ends up `elsewhere`. */
  onElsewhere?: (spec: RunSpec, info: ElsewhereInfo) => void;
}

/** A lease holder id for this process: host, pid and a random part (a pid may be reused). */
export function newHolder(): LeaseHolder {
  return { holder: `${HOST}:${process.pid}:${crypto.randomBytes(4).toString('hex')}`, host: HOST, pid: process.pid };
}

/** A lease whose holder is certainly dead: same host, pid gone. Other hosts wait for the expiry. */
export function holderGone(l: LeaseRow): boolean {
  return l.host === HOST && !pidAlive(l.pid);
}

export class ClaimQueue {
  readonly me: LeaseHolder = newHolder();
  /** Runs done before this sweep started. */
  readonly doneAtStart: Set<string>;
  private readonly state = new Map<string, State>();
  private readonly lastHolder = new Map<string, LeaseRow>();
  private readonly ttlMs: number;
  private readonly startedAt = new Date().toISOString();
  private readonly beat: NodeJS.Timeout;

  constructor(
    private readonly specs: RunSpec[],
    private readonly store: Store,
    private readonly opts: ClaimQueueOptions = {},
  ) {
    this.ttlMs = opts.ttlMs ?? LEASE_TTL_MS;
    this.doneAtStart = store.doneIds(specs.map((s) => s.id));
    for (const s of specs) this.state.set(s.id, this.doneAtStart.has(s.id) ? 'skipped' : 'open');
    this.beat = setInterval(() => this.heartbeat(), Math.max(1000, Math.floor(this.ttlMs / 4)));
    this.beat.unref();
  }

  /** Runs not done when the sweep started. */
  get todo(): RunSpec[] {
    return this.specs.filter((s) => !this.doneAtStart.has(s.id));
  }

  /** Claims the next run to execute here, or undefined when none is free (all done, mine or held). */
  next(): RunSpec | undefined {
    const candidates = this.specs.filter((s) => ['open', 'held'].includes(this.state.get(s.id)!));
    if (candidates.length === 0) return undefined;
    const done = this.store.doneIds(candidates.map((s) => s.id));
    const leases = new Map(this.store.leases().map((l) => [l.runId, l]));
    const now = Date.now();
    for (const spec of candidates) {
      if (done.has(spec.id)) {
        this.settleElsewhere(spec, { why: 'done', by: this.lastHolder.get(spec.id) });
        continue;
      }
      const l = leases.get(spec.id);
      if (l && l.holder !== this.me.holder && l.expiresAt > now && !holderGone(l)) {
        this.hold(spec, l);
        continue; // cheap pre-check; claimRun decides under a write lock
      }
      const r = this.store.claimRun(spec.id, this.me, this.ttlMs, { failedSince: this.startedAt, isGone: holderGone, now });
      if (r.state === 'claimed') {
        this.state.set(spec.id, 'mine');
        return spec;
      }
      if (r.state === 'held') this.hold(spec, r.by);
      else this.settleElsewhere(spec, { why: r.state === 'done' ? 'done' : 'failed', by: this.lastHolder.get(spec.id) });
    }
    return undefined;
  }

  /** Records what happened to a run this process claimed and gives its lease back. */
  finish(spec: RunSpec, fate: 'ran' | 'failed'): void {
    this.state.set(spec.id, fate);
    this.store.releaseRun(spec.id, this.me.holder);
  }

  /** Stops the heartbeat; runs still held by others are reported `elsewhere`. Returns the count per fate. */
  close(): Record<Fate, number> {
    clearInterval(this.beat);
    for (const s of this.specs) if (this.state.get(s.id) === 'held') this.settleElsewhere(s, { why: 'held', by: this.lastHolder.get(s.id) });
    const counts: Record<Fate, number> = { ran: 0, failed: 0, skipped: 0, elsewhere: 0 };
    for (const st of this.state.values()) if (st in counts) counts[st as Fate]++;
    return counts;
  }

  private heartbeat(): void {
    try {
      this.store.renewLeases(this.me.holder, this.ttlMs);
    } catch {
      /* a busy or closed database: the next beat tries again; the lease outlives a few misses */
    }
  }

  private hold(spec: RunSpec, by: LeaseRow): void {
    this.state.set(spec.id, 'held');
    this.lastHolder.set(spec.id, by);
  }

  private settleElsewhere(spec: RunSpec, info: ElsewhereInfo): void {
    this.state.set(spec.id, 'elsewhere');
    this.opts.onElsewhere?.(spec, info);
  }
}
