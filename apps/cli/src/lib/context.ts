/**
 * @file What a command needs from the outside world: output streams and the environment. `main()` builds it
 * from `process`; tests can pass their own.
 * @module context
 */

/** A stream the CLI writes to. */
export interface OutputStream {
  write(text: string): unknown;
  /** `true` when the stream is an interactive terminal (progress bars are drawn only then). */
  isTTY?: boolean;
}

/** Streams and environment of one CLI run. */
export interface CliContext {
  /** Results (tables, JSON, paths). */
  stdout: OutputStream;
  /** Progress, warnings and errors. */
  stderr: OutputStream;
  /** Environment variables (`MEDMNIST_ROOT`, `MEDMNIST_BASE_URL`, `DEBUG`). */
  env: NodeJS.ProcessEnv;
}

/** The context of the running process. */
export function processContext(): CliContext {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}
