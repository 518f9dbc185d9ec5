// Starts a throw-away one-node Slurm cluster (munged + slurmctld + slurmd on 127.0.0.1) in a temp folder
// for end-to-end tests, and stops exactly the daemons it started. Needs root and Debian's slurm-wlm/munge.

import { execFileSync, spawn, spawnSync, type ChildProcess } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { ensureDebianPackages } from './apt';

export interface SlurmCluster {
  /** Temp folder holding the config, munge key/socket, state, spool and logs. */
  dir: string;
  /** Path of the generated slurm.conf. */
  conf: string;
  /** Environment for Slurm clients (sbatch, squeue, scancel): SLURM_CONF points at `conf`. */
  env: NodeJS.ProcessEnv;
  partition: string;
  /** Cancels the test's jobs, stops the three daemons it started (by PID), removes `dir`. */
  stop(): Promise<void>;
}

const PARTITION = 'debug';

/**
 * The slurm.conf that works on a single Debian 12 VM/container (Slurm 22.05): no cgroups
 * (proctrack/linuxproc, task/none), no accounting daemon, everything under `dir`, root as SlurmUser.
 */
export function slurmConf(o: { dir: string; ctldPort: number; slurmdPort: number; cpus: number; mungeSocket: string }): string {
  const d = o.dir;
  return [
    'ClusterName=clsrltest',
    'SlurmctldHost=localhost(127.0.0.1)',
    'SlurmUser=root',
    'SlurmdUser=root',
    `SlurmctldPort=${o.ctldPort}`,
    `SlurmdPort=${o.slurmdPort}`,
    'AuthType=auth/munge',
    'CredType=cred/munge',
    `AuthInfo=socket=${o.mungeSocket}`,
    `StateSaveLocation=${d}/state`,
    `SlurmdSpoolDir=${d}/spool`,
    `SlurmctldPidFile=${d}/slurmctld.pid`,
    `SlurmdPidFile=${d}/slurmd.pid`,
    `SlurmctldLogFile=${d}/log/slurmctld.log`,
    `SlurmdLogFile=${d}/log/slurmd.log`,
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'SchedulerType=sched/backfill',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_Core',
    'ReturnToService=2',
    'MpiDefault=none',
    'MailProg=/bin/true',
    'JobCompType=jobcomp/none',
    'AccountingStorageType=accounting_storage/none',
    'JobAcctGatherType=jobacct_gather/none',
    'SlurmctldTimeout=30',
    'SlurmdTimeout=30',
    'KillWait=2',
    'MinJobAge=300',
    `NodeName=localhost NodeAddr=127.0.0.1 CPUs=${o.cpus} RealMemory=1000 State=UNKNOWN`,
    `PartitionName=${PARTITION} Nodes=localhost Default=YES MaxTime=INFINITE State=UP`,
    '',
  ].join('\n');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Polls `check` every 250 ms until it returns true or `ms` elapse. */
async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await sleep(250);
  }
  return check();
}

function exited(p: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve();
    p.once('exit', () => resolve());
  });
}

async function stopDaemon(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null || p.pid === undefined) return;
  p.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 10_000)));
  const done = await Promise.race([exited(p).then(() => true), timeout]);
  clearTimeout(timer);
  if (!done) {
    p.kill('SIGKILL');
    await exited(p);
  }
}

/**
 * Installs slurm-wlm and munge when missing, then starts the cluster. Throws (never skips) with the
 * daemons' log tails when something cannot start, so a broken environment fails the test loudly.
 */
export async function startSlurmCluster(): Promise<SlurmCluster> {
  if (process.getuid?.() !== 0) {
    throw new Error('the Slurm e2e test must run as root (it starts slurmd, which runs jobs as root)');
  }
  if (!ensureDebianPackages(['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scancel'], ['slurm-wlm', 'munge'])) {
    throw new Error('cannot install Debian packages slurm-wlm and munge (apt-get failed): the Slurm e2e test needs them');
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-slurm-'));
  fs.chmodSync(dir, 0o755); // munged requires the socket's folders to be traversable by all
  for (const sub of ['state', 'spool', 'log', 'munge']) fs.mkdirSync(path.join(dir, sub), { mode: 0o755 });
  const mungeDir = path.join(dir, 'munge');
  const mungeSocket = path.join(mungeDir, 'munge.socket');
  // A private key for this throw-away cluster; the system's /etc/munge is never touched.
  fs.writeFileSync(path.join(mungeDir, 'munge.key'), crypto.randomBytes(1024), { mode: 0o400 });

  const conf = path.join(dir, 'slurm.conf');
  const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
  fs.writeFileSync(conf, slurmConf({ dir, ctldPort, slurmdPort, cpus: os.cpus().length, mungeSocket }));
  const env: NodeJS.ProcessEnv = { ...process.env, SLURM_CONF: conf };

  const daemons: ChildProcess[] = [];
  const logs: Record<string, string> = {
    munged: path.join(mungeDir, 'munged.log'),
    slurmctld: path.join(dir, 'log', 'slurmctld.log'),
    slurmd: path.join(dir, 'log', 'slurmd.log'),
  };
  const start = (name: string, cmd: string, args: string[]) => {
    const out = fs.openSync(path.join(dir, 'log', `${name}.out`), 'a');
    const p = spawn(cmd, args, { env, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    p.on('error', () => undefined); // reported through the readiness checks below
    daemons.push(p);
    return p;
  };

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    spawnSync('scancel', ['--full', '--partition', PARTITION], { env, stdio: 'ignore', timeout: 10_000 });
    for (const p of [...daemons].reverse()) await stopDaemon(p);
    fs.rmSync(dir, { recursive: true, force: true });
  };

  const fail = async (what: string): Promise<never> => {
    const detail = Object.entries(logs)
      .map(([n, f]) => `--- ${n} ---\n${tail(f)}\n${tail(path.join(dir, 'log', `${n}.out`))}`)
      .join('\n');
    await stop();
    throw new Error(`one-node Slurm cluster did not start: ${what}\n${detail}`);
  };

  const munged = start('munged', 'munged', [
    '--foreground', '--force',
    `--socket=${mungeSocket}`,
    `--key-file=${path.join(mungeDir, 'munge.key')}`,
    `--log-file=${logs.munged}`,
    `--pid-file=${path.join(mungeDir, 'munged.pid')}`,
    `--seed-file=${path.join(mungeDir, 'munged.seed')}`,
  ]);
  if (!(await waitFor(() => fs.existsSync(mungeSocket) || munged.exitCode !== null, 10_000)) || munged.exitCode !== null) {
    return fail('munged exited or created no socket');
  }
  start('slurmctld', 'slurmctld', ['-D', '-f', conf]);
  start('slurmd', 'slurmd', ['-D', '-f', conf, '-N', 'localhost']);
  const idle = () => {
    const r = spawnSync('sinfo', ['-h', '-N', '-o', '%t'], { env, encoding: 'utf8', timeout: 5_000 });
    return r.status === 0 && /^(idle|mix|alloc)/m.test(r.stdout);
  };
  if (!(await waitFor(() => idle() || daemons.some((p) => p.exitCode !== null), 30_000)) || !idle()) {
    return fail('the node never became idle in sinfo');
  }
  return { dir, conf, env, partition: PARTITION, stop };
}

/** Runs a Slurm client command against the cluster and returns its stdout. */
export function slurmCmd(cluster: SlurmCluster, cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { env: cluster.env, encoding: 'utf8', timeout: 15_000 });
}
