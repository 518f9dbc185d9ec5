// Starts `clsrl serve ...` (the OpenAI-compatible server over an in-process engine) as a child process on
// a free loopback port and resolves its base URL; stop() ends it.

import { spawn, type ChildProcess } from 'child_process';
import { BIN } from './cli';

export interface Served {
  url: string;
  stop(): Promise<void>;
}

export function serveClsrl(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Served> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--json', ...args], { env: { ...env, FORCE_COLOR: '0' } });
    let out = '';
    let err = '';
    const stop = () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      });
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ url: (JSON.parse(line) as { url: string }).url, stop });
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => reject(new Error(`clsrl serve exited ${code}: ${err}`)));
  });
}
