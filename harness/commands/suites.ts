// `clsrl suites`: the registered suites (or one suite file) and what they expand to.

import type { Argv } from 'yargs';
import type { Command } from './index';
import { listSuites } from '../../suites/registry';
import { jsonOption, printJson, printLine, textTable } from './output';

export const command: Command = {
  command: 'suites',
  describe: 'list the registered suites',
  builder: (y: Argv) => jsonOption(y),
  handler: (raw) => {
    const argv = raw as unknown as { json: boolean };
    const suites = listSuites().map((s) => ({
      name: s.name,
      description: s.description,
      datasets: s.datasets,
      settings: s.settings,
      methods: s.methods,
      engine: s.engine ?? null,
    }));
    if (argv.json) return printJson(suites);
    printLine(textTable(['name', 'datasets', 'settings', 'methods', 'description'],
      suites.map((s) => [s.name, s.datasets.length, s.settings.map((x) => `${x.setting} ${x.shots.join('/')}-shot seeds ${x.seeds.join(',')}${x.transfer ? ' +transfer' : ''}${x.datasets ? ` on ${x.datasets.join(',')}` : ''}`).join('; '), s.methods.join(','), s.description])));
  },
};
