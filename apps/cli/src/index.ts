/**
 * @packageDocumentation
 * `@medsymmflow/cli`: the `medsymmflow` command. `bin/medsymmflow.mjs` calls {@link main}.
 */

export { COMMAND_GROUPS, type CommandGroup } from './commands/index';
export type { CliContext, OutputStream } from './lib/context';
export { CliError, EXIT_CODES, UsageError } from './lib/errors';
export { createProgram, main } from './program';
export { version } from './version';
