// The CLI's command list: each command is one file in this folder exporting a yargs CommandModule.
// Adding a command is one file plus one line here.

import type { CommandModule } from 'yargs';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Command = CommandModule<any, any>;

export const COMMANDS: Command[] = [
  // one line per command, e.g. require('./sweep').command,
  require('./datasets').command,
  require('./doctor').command,
  require('./ingest').command,
  require('./methods').command,
  require('./report').command,
  require('./results').command,
  require('./run').command,
  require('./score').command,
  require('./split').command,
  require('./start').command,
  require('./suites').command,
  require('./sweep').command,
  require('./serve').command,
  require('./serve-rewards').command,
];
