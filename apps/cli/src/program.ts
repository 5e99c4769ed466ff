/**
 * @file Builds the `medsymmflow` program (commander) and runs it. Command groups live in `commands/`;
 * errors are printed as one reason line plus a hint, with stack traces only for `--verbose` or `DEBUG`.
 * @module program
 */

import { Command, CommanderError } from 'commander';
import { COMMAND_GROUPS } from './commands/index';
import { type CliContext, processContext } from './lib/context';
import { EXIT_CODES, isVerbose, reportError } from './lib/errors';
import { version } from './version';

/** Creates the program with every command group registered. */
export function createProgram(context: CliContext = processContext()): Command {
  const program = new Command('medsymmflow')
    .description(
      'MedSymmFlow from the command line: train, evaluate, classify, sample and export models; MedMNIST data and the zoo.',
    )
    .version(version, '-V, --version', 'print the version')
    .option('--verbose', 'print stack traces of errors (also: DEBUG=1)')
    .helpOption('-h, --help', 'show help')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => context.stdout.write(text),
      writeErr: (text) => context.stderr.write(text),
      outputError: (text, write) => {
        write(`medsymmflow: ${text.replace(/^error: /, '').trim()}\n`);
        write('hint: add --help to the command to see its usage.\n');
      },
    });
  for (const group of COMMAND_GROUPS) group.register(program, context);
  return program;
}

/**
 * Runs the CLI with `argv` (as `process.argv`: node, script, arguments…) and returns the exit code.
 * Never throws and never calls `process.exit`.
 */
export async function main(
  argv: readonly string[] = process.argv,
  context: CliContext = processContext(),
): Promise<number> {
  const program = createProgram(context);
  try {
    await program.parseAsync([...argv]);
    return EXIT_CODES.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has printed the message (help, version, or a usage error through outputError)
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version')
        return EXIT_CODES.ok;
      if (error.code === 'commander.help') return error.exitCode;
      return EXIT_CODES.usage;
    }
    return reportError(error, context, isVerbose(argv, context.env));
  }
}
