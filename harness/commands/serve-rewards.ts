// `clsrl serve-rewards`: runs the reward server (POST /score, GET /health) until interrupted, so an
// external trainer scores completions with clsrl's own reward functions.

import type { Argv } from 'yargs';
import type { Command } from './index';
import { parseFlags, yargsOptions, type FlagSpec } from '../flags';
import { REWARD_SERVER_DEFAULTS, startRewardServer } from '../serve/rewards';

/** Shared by both servers: a TCP port (0 picks a free one). */
export const PORT_FLAG = { kind: 'int', min: 0, max: 65535, describe: 'port (0 picks a free one)' } as const satisfies FlagSpec;

export const SERVE_REWARDS_FLAGS = {
  host: { kind: 'string', default: REWARD_SERVER_DEFAULTS.host, describe: 'bind address (beyond loopback needs --token)' },
  port: { ...PORT_FLAG, default: String(REWARD_SERVER_DEFAULTS.port) },
  token: { kind: 'string', describe: 'bearer token clients must send (default: env CLSRL_TOKEN)' },
  maxBodyBytes: { kind: 'int', min: 1, default: String(REWARD_SERVER_DEFAULTS.maxBodyBytes), describe: 'request size limit in bytes (413 above)' },
  json: { kind: 'boolean', describe: 'print {"url": ...} as JSON once listening' },
} as const satisfies Record<string, FlagSpec>;

export const command: Command = {
  command: 'serve-rewards',
  describe: "serve clsrl's reward functions over HTTP (POST /score) for external trainers",
  builder: (y: Argv) => y.options(yargsOptions(SERVE_REWARDS_FLAGS)),
  handler: async (argv) => {
    const a = parseFlags('serve-rewards', SERVE_REWARDS_FLAGS, { token: process.env.CLSRL_TOKEN || undefined, ...dropUndefined(argv) });
    const server = await startRewardServer({ host: a.host, port: a.port, token: a.token, maxBodyBytes: a.maxBodyBytes });
    const stopped = waitForSignal(); // before the ready line: a supervisor may signal as soon as it reads it
    if (a.json) process.stdout.write(JSON.stringify({ url: server.url }) + '\n');
    else process.stdout.write(`reward server listening on ${server.url} (POST /score, GET /health); Ctrl-C stops it\n`);
    await stopped;
    await server.close();
  },
};

/** argv without the keys yargs set to undefined (so a default or an environment value shows through). */
export function dropUndefined(argv: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(argv).filter(([, v]) => v !== undefined));
}

/** Resolves on SIGINT/SIGTERM so the command ends cleanly. */
export function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}
