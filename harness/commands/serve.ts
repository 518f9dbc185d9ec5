// `clsrl serve --engine tiny [--checkpoint DIR]`: serves an in-process engine's model over the OpenAI
// chat-completions API, so `--engine openai` (or any OpenAI client) can evaluate it.

import path from 'path';
import type { Argv } from 'yargs';
import type { Command } from './index';
import { createEngine } from '../engines/registry';
import { parseFlags, yargsOptions, type FlagSpec } from '../flags';
import { IMAGE_CACHE_DEFAULTS } from '../serve/image-cache';
import { OPENAI_SERVER_DEFAULTS, defaultImageDir, startOpenAIServer } from '../serve/openai-server';
import { dropUndefined, PORT_FLAG, waitForSignal } from './serve-rewards';

const MB = 1024 * 1024;

export const SERVE_FLAGS = {
  engine: { kind: 'string', default: 'tiny', describe: 'engine whose model is served' },
  checkpoint: { kind: 'string', describe: 'checkpoint folder to serve (default: the engine base model)' },
  servedModelName: { kind: 'string', describe: 'model name clients send (default: the engine name, or the checkpoint path)' },
  host: { kind: 'string', default: OPENAI_SERVER_DEFAULTS.host, describe: 'bind address (beyond loopback needs --token)' },
  port: { ...PORT_FLAG, default: String(OPENAI_SERVER_DEFAULTS.port) },
  token: { kind: 'string', describe: 'bearer token clients must send (default: env CLSRL_TOKEN)' },
  maxBatch: { kind: 'int', min: 1, max: 4096, default: String(OPENAI_SERVER_DEFAULTS.maxBatch), describe: 'greedy requests generated together' },
  maxBodyBytes: { kind: 'int', min: 1, default: String(OPENAI_SERVER_DEFAULTS.maxBodyBytes), describe: 'request size limit in bytes (413 above)' },
  imageDir: { kind: 'string', default: defaultImageDir(), describe: 'folder for received images (this server keeps a bounded cache in a subfolder of its own, removed on exit)' },
  imageCacheFiles: { kind: 'int', min: 1, default: String(IMAGE_CACHE_DEFAULTS.maxFiles), describe: 'most received images kept on disk (least recently used evicted)' },
  imageCacheMb: { kind: 'int', min: 1, default: String(IMAGE_CACHE_DEFAULTS.maxBytes / MB), describe: 'most MiB of received images kept on disk' },
  threads: { kind: 'int', min: 1, describe: 'engine threads (engine option)' },
  json: { kind: 'boolean', describe: 'print {"url", "model"} as JSON once listening' },
} as const satisfies Record<string, FlagSpec>;

export const command: Command = {
  command: 'serve',
  describe: "serve an engine's model over the OpenAI chat-completions API (/v1/chat/completions, /v1/models)",
  builder: (y: Argv) => y.options(yargsOptions(SERVE_FLAGS)),
  handler: async (argv) => {
    const a = parseFlags('serve', SERVE_FLAGS, { token: process.env.CLSRL_TOKEN || undefined, ...dropUndefined(argv) });
    const engineOpts: Record<string, unknown> = {};
    if (a.threads !== undefined) engineOpts.threads = a.threads;
    const engine = await createEngine(a.engine!, engineOpts);
    const ref = a.checkpoint ? { engine: engine.name, id: 'checkpoint', path: path.resolve(a.checkpoint) } : engine.baseModel();
    const model = await engine.load(ref);
    const modelName = a.servedModelName ?? a.checkpoint ?? engine.name;
    const server = await startOpenAIServer({
      engine, model, modelName, host: a.host, port: a.port, token: a.token, maxBodyBytes: a.maxBodyBytes,
      imageDir: path.resolve(a.imageDir!), imageCache: { maxFiles: a.imageCacheFiles, maxBytes: a.imageCacheMb! * MB }, maxBatch: a.maxBatch,
    });
    const stopped = waitForSignal(); // before the ready line: a supervisor may signal as soon as it reads it
    if (a.json) process.stdout.write(JSON.stringify({ url: `${server.url}/v1`, model: modelName }) + '\n');
    else process.stdout.write(`serving ${modelName} (engine ${engine.name}) on ${server.url}/v1; Ctrl-C stops it\n`);
    await stopped;
    await server.close();
    await engine.dispose(model);
  },
};
