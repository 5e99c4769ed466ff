/**
 * @file Test helper: runs the built `medsymmflow` binary in a child process, isolated from the developer's
 * shell settings, and collects its exit code and output. Shared by every CLI test file.
 * @module testing/run-cli
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The CLI package folder (default working directory of a run). */
export const CLI_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The binary the tests spawn (it imports the built dist). */
export const CLI_BIN = join(CLI_DIR, 'bin', 'medsymmflow.mjs');

/** Settings the CLI reads from the environment; tests start without them unless they pass them. */
const ISOLATED_ENV = [
  'DEBUG',
  'MEDMNIST_ROOT',
  'MEDMNIST_BASE_URL',
  'MEDSYMMFLOW_ZOO_URL',
  'MEDSYMMFLOW_CACHE_DIR',
];

/** Exit code and output of one CLI run. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of {@link runCli}. */
export interface RunCliOptions {
  /** Variables to set; `undefined` removes one. */
  env?: Record<string, string | undefined>;
  /** Working directory. @defaultValue the CLI package folder */
  cwd?: string;
}

/** Runs the CLI asynchronously (servers in the test process keep serving meanwhile). */
export function runCli(args: readonly string[], options: RunCliOptions = {}): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of ISOLATED_ENV) delete env[key];
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI_BIN, ...args],
      { env, cwd: options.cwd ?? CLI_DIR, maxBuffer: 1 << 24 },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: number }).code ?? 1) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
  });
}

/** `train` options for a UNet small enough for a quick CLI run (8 channels, 2 levels, no attention). */
/** `train` arguments for quick test runs: batches of 16 on wasm in the calling thread. */
export const WASM_BATCHES_OF_16: readonly string[] = Object.freeze([
  '--batch-size',
  '16',
  '--engine',
  'wasm',
  '--workers',
  '0',
]);

export const TINY_UNET_ARGS: readonly string[] = Object.freeze([
  '--base-channels',
  '8',
  '--channel-mults',
  '1,2',
  '--res-blocks',
  '1',
  '--attention',
  'none',
  '--head-channels',
  '8',
]);
