/**
 * @file The contract of a command group: one file per group (`datasets`, later `train`, `evaluate`, …)
 * registers its commands on the program.
 * @module commands/types
 */

import type { Command } from 'commander';
import type { CliContext } from '../lib/context';

/** A group of commands, e.g. `medsymmflow datasets …`. */
export interface CommandGroup {
  /** Group name (the first word after `medsymmflow`). */
  readonly name: string;
  /** Adds the group's commands to `program`. */
  register(program: Command, context: CliContext): void;
}
