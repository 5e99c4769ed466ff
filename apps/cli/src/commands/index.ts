/**
 * @file Every command group of the CLI, in help order. Adding a group is one line here plus its own file.
 * @module commands
 */

import { classifyCommands } from './classify';
import { datasetsCommands } from './datasets';
import { evaluateCommands } from './evaluate';
import { exportCommands } from './export';
import { sampleCommands } from './sample';
import { trainCommands } from './train';
import type { CommandGroup } from './types';
import { zooCommands } from './zoo';

export type { CommandGroup } from './types';

/** Command groups registered by `createProgram()`. */
export const COMMAND_GROUPS: readonly CommandGroup[] = Object.freeze([
  datasetsCommands,
  trainCommands,
  evaluateCommands,
  classifyCommands,
  exportCommands,
  sampleCommands,
  zooCommands,
]);
