/**
 * @file Errors of the model zoo hub. Each carries a machine-readable `code`, a one-sentence `reason` and a
 * separate `hint` (the fix): `ZooError` extends `CodedError` of `@medsymmflow/datasets-medmnist`, so front ends
 * such as the `medsymmflow` CLI print the reason and the hint on their own lines. Lower-level failures
 * (network, file system, checksum) are attached as `cause`.
 * @module hub/errors
 */
import { CodedError, joinErrorMessage } from '@medsymmflow/datasets-medmnist';

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

/**
 * A zoo operation that failed: no zoo source, an unreadable or invalid manifest, a model without weights, a
 * failed or corrupt download, a damaged cache.
 */
export class ZooError extends CodedError<ZooErrorCode> {
  constructor(code: ZooErrorCode, reason: string, options: { hint?: string; cause?: unknown } = {}) {
    super(code, reason, options);
    this.name = 'ZooError';
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
    super(joinErrorMessage(reason, hint));
    this.name = 'UnknownModelError';
    this.id = id;
    this.validIds = validIds;
    this.suggestion = suggestion;
    this.reason = reason;
    this.hint = hint;
  }
}
