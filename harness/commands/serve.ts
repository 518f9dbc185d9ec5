// `clsrl serve --engine tiny [--checkpoint DIR]`: serves an in-process engine's model over the OpenAI
// chat-completions API, so `--engine openai` (or any OpenAI client) can evaluate it.

import path from 'path';
import type { Argv } from 'yargs';
import type { Command } from './index';
import { createEngine } from '../engines/registry';
import { OPENAI_SERVER_DEFAULTS, defaultImageDir, startOpenAIServer } from '../serve/openai-server';
import { waitForSignal } from './serve-rewards';

interface Args {
  engine: string;
  checkpoint?: string;
  'served-model-name'?: string;
  host: string;
  port: number;
  token?: string;
  'max-batch': number;
  'image-dir': string;
  threads?: number;
  json: boolean;
}

export const command: Command = {
  command: 'serve',
  describe: "serve an engine's model over the OpenAI chat-completions API (/v1/chat/completions, /v1/models)",
  builder: (y: Argv) =>
    y
      .option('engine', { type: 'string', default: 'tiny', describe: 'engine whose model is served' })
      .option('checkpoint', { type: 'string', describe: 'checkpoint folder to serve (default: the engine base model)' })
      .option('served-model-name', { type: 'string', describe: 'model name clients send (default: the engine name, or the checkpoint path)' })
      .option('host', { type: 'string', default: OPENAI_SERVER_DEFAULTS.host, describe: 'bind address (beyond loopback needs --token)' })
      .option('port', { type: 'number', default: OPENAI_SERVER_DEFAULTS.port, describe: 'port (0 picks a free one)' })
      .option('token', { type: 'string', default: process.env.CLSRL_TOKEN, describe: 'bearer token clients must send (env CLSRL_TOKEN)' })
      .option('max-batch', { type: 'number', default: OPENAI_SERVER_DEFAULTS.maxBatch, describe: 'greedy requests generated together' })
      .option('image-dir', { type: 'string', default: defaultImageDir(), describe: 'content-addressed folder for received images' })
      .option('threads', { type: 'number', describe: 'engine threads (engine option)' })
      .option('json', { type: 'boolean', default: false, describe: 'print {"url", "model"} as JSON once listening' }),
  handler: async (argv) => {
    const args = argv as unknown as Args;
    const engineOpts: Record<string, unknown> = {};
    if (args.threads !== undefined) engineOpts.threads = args.threads;
    const engine = await createEngine(args.engine, engineOpts);
    const ref = args.checkpoint ? { engine: engine.name, id: 'checkpoint', path: path.resolve(args.checkpoint) } : engine.baseModel();
    const model = await engine.load(ref);
    const modelName = args['served-model-name'] ?? args.checkpoint ?? engine.name;
    const server = await startOpenAIServer({
      engine, model, modelName, host: args.host, port: args.port, token: args.token,
      imageDir: path.resolve(args['image-dir']), maxBatch: args['max-batch'],
    });
    if (args.json) process.stdout.write(JSON.stringify({ url: `${server.url}/v1`, model: modelName }) + '\n');
    else process.stdout.write(`serving ${modelName} (engine ${engine.name}) on ${server.url}/v1; Ctrl-C stops it\n`);
    await waitForSignal();
    await server.close();
    await engine.dispose(model);
  },
};
