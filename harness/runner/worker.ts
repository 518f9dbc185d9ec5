// A sweep worker process (--jobs N): receives specs from the parent over IPC, runs them with executeRun
// and sends back the records. Reads the shared evaluation cache; never writes the database.

import type { Engine, MethodPlugin } from '../contracts';
import { createEngine } from '../engines/registry';
import { ClsrlError } from '../errors';
import { Store } from '../store';
import { getMethod } from '../../methods/registry';
import { registerSuiteDatasets } from './data';
import { executeRun } from './execute';
import type { FromWorker, ToWorker, WorkerInit } from './pool';
import { codeVersion } from './version';
import * as path from 'path';

const send = (m: FromWorker) => process.send?.(m);
let init: WorkerInit | undefined;
let store: Store | undefined;
const engines = new Map<string, Engine>();

async function engineFor(name: string): Promise<Engine> {
  let e = engines.get(name);
  if (!e) {
    e = await createEngine(name, init!.engineOpt, { db: init!.db });
    engines.set(name, e);
  }
  return e;
}

process.on('disconnect', () => process.exit(0));

process.on('message', async (m: ToWorker) => {
  if (m.t === 'init') {
    try {
      init = m.init;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      for (const mod of init.require) require(mod);
      registerSuiteDatasets(init.customDatasets);
      store = Store.open(init.db, { readonly: true });
      send({ t: 'ready' });
    } catch (e) {
      send({ t: 'fatal', error: (e as Error).message, hint: e instanceof ClsrlError ? e.hint : undefined });
    }
    return;
  }
  const spec = m.spec;
  try {
    const record = await executeRun(spec, {
      engine: await engineFor(spec.engine),
      dataRoot: init!.dataRoot,
      workRoot: path.join(path.dirname(init!.db), 'runs'),
      codeVersion: codeVersion(),
      getMethod: getMethod as (n: string) => MethodPlugin<object>,
      cache: store,
      reporter: {
        onPhase: (_s, phase, done, total) => send({ t: 'phase', id: spec.id, phase, done, total }),
        onStepEnd: (_s, rec) => send({ t: 'step', id: spec.id, rec }),
      },
    });
    send({ t: 'done', record });
  } catch (e) {
    send({ t: 'failed', id: spec.id, error: (e as Error).message ?? String(e), hint: e instanceof ClsrlError ? e.hint : undefined });
  }
});
