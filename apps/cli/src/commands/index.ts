/**
 * @file Every command group of the CLI, in help order. Adding a group is one line here plus its own file.
 * @module commands
 */

import { datasetsCommands } from './datasets';
import type { CommandGroup } from './types';

export type { CommandGroup } from './types';

/** Command groups registered by `createProgram()`. */
export const COMMAND_GROUPS: readonly CommandGroup[] = Object.freeze([datasetsCommands]);
