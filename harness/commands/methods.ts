// `clsrl methods`: the registered method plugins.

import type { Argv } from 'yargs';
import type { Command } from './index';
import { listMethods } from '../../methods/registry';
import { jsonOption, printJson, printLine, textTable } from './output';

export const command: Command = {
  command: 'methods',
  describe: 'list the registered methods',
  builder: (y: Argv) => jsonOption(y),
  handler: (raw) => {
    const argv = raw as unknown as { json: boolean };
    const metas = listMethods().map((m) => m.meta);
    if (argv.json) return printJson(metas);
    printLine(textTable(['name', 'title', 'template', 'trains', 'rewards', 'description'],
      metas.map((m) => [m.name, m.title, m.template, m.trains ? 'yes' : 'no', m.rewards.join('+'), m.description])));
  },
};
