/**
 * @file Errors the page shows to people: a short title, what happened and what to do. Lower-level errors are
 * kept as `cause` (and logged to the console), never shown raw as the only explanation.
 * @module lib/errors
 */

/** An error with a message meant for the page. */
export class PlaygroundError extends Error {
  override readonly name = 'PlaygroundError';
  /** What to do about it. */
  readonly hint: string | undefined;

  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.hint = options.hint;
  }
}

/** The text to show for any thrown value: the message, plus the hint of a {@link PlaygroundError}. */
export function describeError(error: unknown): { message: string; hint?: string } {
  if (error instanceof PlaygroundError)
    return { message: error.message, ...(error.hint ? { hint: error.hint } : {}) };
  if (error instanceof Error) return { message: error.message || error.name };
  return { message: String(error) };
}
