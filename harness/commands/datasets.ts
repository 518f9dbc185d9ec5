// `clsrl datasets`: the registered datasets (the eleven CoOp ones and suite-declared ones).

import type { Argv } from 'yargs';
import type { Command } from './index';
import { listDatasets } from '../data';
import { jsonOption, printJson, printLine, textTable } from './output';

export const command: Command = {
  command: 'datasets',
  describe: 'list the registered datasets and the folder each expects under the data root',
  builder: (y: Argv) => jsonOption(y),
  handler: (raw) => {
    const argv = raw as unknown as { json: boolean };
    const ds = listDatasets();
    if (argv.json) return printJson(ds);
    printLine(textTable(['name', 'folder', 'kind', 'aliases', 'description'],
      ds.map((d) => [d.name, d.folder + '/', d.kind, d.aliases.join(','), d.description])));
  },
};
