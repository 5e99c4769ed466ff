/**
 * @file Errors of the model zoo hub. Each carries a machine-readable `code`, a one-sentence `reason` and a
 * separate `hint` (the fix), like the errors of `@medsymmflow/datasets-medmnist`, so front ends such as the
 * `medsymmflow` CLI can print the reason and the hint on their own lines. Lower-level failures (network, file
 * system, checksum) are attached as `cause`.
 * @module hub/errors
 */

/** Machine-readable codes of {@link ZooError} and {@link UnknownModelError}. */
export type ZooErrorCode =
  | 'ZOO_SOURCE'
  | 'ZOO_REMOTE_DISABLED'
  | 'ZOO_MANIFEST'
  | 'ZOO_UNKNOWN_MODEL'
  | 'ZOO_NOT_TRAINED'
  | 'ZOO_DOWNLOAD'
  | 'ZOO_CHECKSUM'
  | 'ZOO_CACHE';

function joinMessage(reason: string, hint: string | undefined): string {
  return hint ? `${reason} ${hint}` : reason;
}

/**
 * A zoo operation that failed: no zoo source, an unreadable or invalid manifest, a model without weights, a
 * failed or corrupt download, a damaged cache.
 */
export class ZooError extends Error {
  /** Machine-readable error code. */
  readonly code: ZooErrorCode;
  /** What failed, in one sentence (the message without the hint). */
  readonly reason: string;
  /** How to fix it, or `undefined` when there is nothing the user can do. */
  readonly hint: string | undefined;

  constructor(code: ZooErrorCode, reason: string, options: { hint?: string; cause?: unknown } = {}) {
    super(
      joinMessage(reason, options.hint),
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'ZooError';
    this.code = code;
    this.reason = reason;
    this.hint = options.hint;
  }
}

/** A model id that is not in the manifest (a bad argument): lists the valid ids and the closest one. */
export class UnknownModelError extends RangeError {
  readonly code = 'ZOO_UNKNOWN_MODEL' as const;
  /** The id that was asked for. */
  readonly id: string;
  /** Every id of the manifest. */
  readonly validIds: readonly string[];
  /** The closest valid id, when one is close enough. */
  readonly suggestion: string | undefined;
  readonly reason: string;
  readonly hint: string;

  constructor(id: string, validIds: readonly string[], suggestion: string | undefined, where: string) {
    const reason = `Unknown zoo model ${JSON.stringify(id)} (not in ${where}).`;
    const hint =
      (suggestion ? `Did you mean "${suggestion}"? ` : '') +
      (validIds.length > 0 ? `Valid ids: ${validIds.join(', ')}.` : 'The manifest lists no models.');
    super(joinMessage(reason, hint));
    this.name = 'UnknownModelError';
    this.id = id;
    this.validIds = validIds;
    this.suggestion = suggestion;
    this.reason = reason;
    this.hint = hint;
  }
}
