/**
 * @file The reverse-flow options of the commands that classify (`classify`, `evaluate`): unset, each falls back
 * to the setting stored with the model's calibration, else the method's default (`resolveClassificationSettings`
 * of @medsymmflow/uncertainty).
 * @module lib/classification-options
 */
import { SOLVERS } from '@medsymmflow/core-flow';
import { type Command, Option } from 'commander';
import { parsePositiveInteger } from '../commands/datasets';

/** Adds `--steps`, `--solver` and `--samples` (no commander defaults: the model's settings apply). */
export function addClassificationOptions(command: Command): Command {
  return command
    .option(
      '--steps <n>',
      "solver steps from t = 1 to t = 0 (default: the model's calibrated setting, else 1)",
      parsePositiveInteger('--steps'),
    )
    .addOption(
      new Option(
        '--solver <name>',
        "ODE solver (default: the model's calibrated setting, else euler)",
      ).choices(Object.keys(SOLVERS)),
    )
    .option(
      '--samples <n>',
      "mask-noise samples per image, distances averaged (default: the model's calibrated setting, else 1)",
      parsePositiveInteger('--samples'),
    );
}
