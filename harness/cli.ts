// The clsrl command line: yargs over the command modules in harness/commands/. The only place that turns
// errors into exit codes: ClsrlError -> `error:`/`hint:` lines and exit 1 (bad flags: 2); anything else
// -> the full stack and exit 1. Commands print results on stdout; progress and errors go to stderr.

import yargs from 'yargs';
import { COMMANDS } from './commands';
import { ClsrlError, storageCondition, storageError } from './errors';

/** Exit code for a known error: 2 for usage errors, 1 otherwise. */
export function exitCodeOf(e: ClsrlError): number {
  return e.code === 'BAD_FLAG' ? 2 : 1;
}

/** Writes the short message (and hint) of an error; unknown errors get their stack. Returns the exit code. */
export function reportError(e: unknown, verbose = false, stderr: NodeJS.WritableStream = process.stderr): number {
  // disk full, read-only, permissions: a user condition wherever it surfaced, not a bug
  if (!(e instanceof ClsrlError) && storageCondition(e)) {
    const path = (e as NodeJS.ErrnoException).path;
    e = storageError(e, path ? `cannot ${(e as NodeJS.ErrnoException).syscall ?? 'access'}` : 'storage error', path);
  }
  if (e instanceof ClsrlError) {
    stderr.write(`error: ${e.message}\n`);
    if (e.hint) stderr.write(`hint: ${e.hint}\n`);
    if (verbose && e.cause instanceof Error) stderr.write(`cause: ${e.cause.stack ?? e.cause.message}\n`);
    return exitCodeOf(e);
  }
  stderr.write(`clsrl: unexpected error (a bug; please report it with this output)\n`);
  stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return 1;
}

function flush(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

/** Runs the CLI on `argv` (without `node` and the script) and exits the process with its exit code. */
export async function main(argv: string[]): Promise<void> {
  const code = await run(argv);
  await Promise.all([flush(process.stdout), flush(process.stderr)]);
  process.exit(code);
}

/** Runs the CLI and returns the exit code (no process.exit; for tests and embedding). */
export async function run(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  // stdout carries exactly one JSON document with --json: stray console output of any module goes to stderr
  if (argv.includes('--json')) for (const k of ['log', 'info', 'debug'] as const) console[k] = console.error;
  let y = yargs(argv)
    .scriptName('clsrl')
    .usage('$0 <command> [options]\n\nReproduce CLS-RL: few-shot image classification with SFT vs rule-based RL.')
    .option('verbose', { type: 'boolean', describe: 'show the cause of errors', global: true })
    .strict()
    .demandCommand(1, 'name a command (clsrl --help lists them)')
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns || 110))
    .help()
    .alias('help', 'h')
    .version(false)
    .fail((msg, err) => {
      if (err) throw err;
      throw new ClsrlError('BAD_FLAG', msg ?? 'bad command line', { hint: 'run `clsrl --help` or `clsrl <command> --help`' });
    });
  for (const c of COMMANDS) y = y.command(c);
  try {
    await y.parseAsync();
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    return reportError(e, verbose);
  }
}
