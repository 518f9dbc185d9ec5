// `clsrl serve-rewards`: runs the reward server (POST /score, GET /health) until interrupted, so an
// external trainer scores completions with clsrl's own reward functions.

import type { Argv } from 'yargs';
import type { Command } from './index';
import { REWARD_SERVER_DEFAULTS, startRewardServer } from '../serve/rewards';

interface Args {
  host: string;
  port: number;
  token?: string;
  'max-body-bytes': number;
  json: boolean;
}

export const command: Command = {
  command: 'serve-rewards',
  describe: "serve clsrl's reward functions over HTTP (POST /score) for external trainers",
  builder: (y: Argv) =>
    y
      .option('host', { type: 'string', default: REWARD_SERVER_DEFAULTS.host, describe: 'bind address (beyond loopback needs --token)' })
      .option('port', { type: 'number', default: REWARD_SERVER_DEFAULTS.port, describe: 'port (0 picks a free one)' })
      .option('token', { type: 'string', default: process.env.CLSRL_TOKEN, describe: 'bearer token clients must send (env CLSRL_TOKEN)' })
      .option('max-body-bytes', { type: 'number', default: REWARD_SERVER_DEFAULTS.maxBodyBytes, describe: 'request size limit (413 above)' })
      .option('json', { type: 'boolean', default: false, describe: 'print {"url": ...} as JSON once listening' }),
  handler: async (argv) => {
    const args = argv as unknown as Args;
    const server = await startRewardServer({ host: args.host, port: args.port, token: args.token, maxBodyBytes: args['max-body-bytes'] });
    if (args.json) process.stdout.write(JSON.stringify({ url: server.url }) + '\n');
    else process.stdout.write(`reward server listening on ${server.url} (POST /score, GET /health); Ctrl-C stops it\n`);
    await waitForSignal();
    await server.close();
  },
};

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
