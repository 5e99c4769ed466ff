/**
 * @file CLI errors and how they are shown: one line with the reason, one with the hint, and the stack trace
 * only with `--verbose` or `DEBUG`. Exit codes: 0 success, 1 the operation failed (missing or corrupt file,
 * download error, verification failed), 2 bad usage (unknown dataset, bad option values).
 * @module errors
 */

import type { CliContext } from './context';

/** Exit codes of `medsymmflow`. */
export const EXIT_CODES = Object.freeze({ ok: 0, failure: 1, usage: 2 });

/** An error with a message meant for the user (no stack trace unless `--verbose`). */
export class CliError extends Error {
  readonly exitCode: number;
  readonly hint: string | undefined;

  constructor(reason: string, options: { hint?: string; exitCode?: number; cause?: unknown } = {}) {
    super(reason, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? EXIT_CODES.failure;
  }
}

/** Bad arguments: exit code 2. */
export class UsageError extends CliError {
  constructor(reason: string, hint?: string) {
    super(reason, {
      hint: hint ?? 'Add --help to the command to see its usage.',
      exitCode: EXIT_CODES.usage,
    });
    this.name = 'UsageError';
  }
}

interface Explained {
  reason: string;
  hint: string | undefined;
  exitCode: number;
  expected: boolean;
}

/** Turns any error into a reason, a hint and an exit code. */
export function explainError(error: unknown): Explained {
  if (error instanceof CliError) {
    return { reason: error.message, hint: error.hint, exitCode: error.exitCode, expected: true };
  }
  const withHint = error as { reason?: unknown; hint?: unknown; code?: unknown; message?: unknown };
  if (error instanceof Error && typeof withHint.reason === 'string' && typeof withHint.code === 'string') {
    // Errors of @medsymmflow/* packages: a reason plus a separate hint.
    const usage = error instanceof RangeError || error instanceof TypeError;
    return {
      reason: withHint.reason,
      hint: typeof withHint.hint === 'string' ? withHint.hint : undefined,
      exitCode: usage ? EXIT_CODES.usage : EXIT_CODES.failure,
      expected: true,
    };
  }
  if (error instanceof RangeError || error instanceof TypeError) {
    // Argument validation in the libraries: the message already lists the valid values.
    return {
      reason: error.message,
      hint: 'Add --help to the command to see its usage.',
      exitCode: EXIT_CODES.usage,
      expected: true,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'EACCES' || code === 'EPERM' || code === 'ENOSPC' || code === 'ENOENT' || code === 'EROFS') {
    return {
      reason: message,
      hint: 'Check the path and its permissions.',
      exitCode: EXIT_CODES.failure,
      expected: true,
    };
  }
  return {
    reason: `Unexpected error: ${message}`,
    hint: 'Run again with --verbose for the stack trace, and please report it.',
    exitCode: EXIT_CODES.failure,
    expected: false,
  };
}

function stackWithCauses(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    parts.push(current instanceof Error ? (current.stack ?? String(current)) : String(current));
    current = current instanceof Error ? current.cause : undefined;
    if (current !== undefined) parts.push('Caused by:');
  }
  return parts.join('\n');
}

/** Prints an error (one-line reason, hint, stack when verbose) and returns the exit code. */
export function reportError(error: unknown, context: CliContext, verbose: boolean): number {
  const explained = explainError(error);
  const reason = explained.reason.replace(/\s*\n\s*/g, ' ');
  context.stderr.write(`medsymmflow: ${reason}\n`);
  if (explained.hint) context.stderr.write(`hint: ${explained.hint}\n`);
  if (verbose) context.stderr.write(`\n${stackWithCauses(error)}\n`);
  return explained.exitCode;
}

/** `true` when stack traces should be shown: `--verbose` on the command line or `DEBUG` set. */
export function isVerbose(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  const debug = env.DEBUG;
  return (
    argv.includes('--verbose') || (debug !== undefined && debug !== '' && debug !== '0' && debug !== 'false')
  );
}
