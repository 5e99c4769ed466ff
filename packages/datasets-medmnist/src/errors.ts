/**
 * @file Error classes of `@medsymmflow/datasets-medmnist`.
 *
 * Every error says what failed, quotes the bad value and gives the fix. Errors that a user can act on carry a
 * machine-readable `code` and a separate `hint` (the fix), so that front ends such as the `medsymmflow` CLI can
 * print a one-line reason followed by the hint. Lower-level failures (file system, zlib, network) are attached
 * as `cause`.
 * @module errors
 */

/** Machine-readable codes of {@link MedMnistError}. */
export type MedMnistErrorCode =
  | 'MEDMNIST_UNKNOWN_DATASET'
  | 'MEDMNIST_FORMAT'
  | 'MEDMNIST_LIMIT'
  | 'MEDMNIST_FILE_NOT_FOUND'
  | 'MEDMNIST_CHECKSUM'
  | 'MEDMNIST_DOWNLOAD';

/** Options shared by the error constructors. */
export interface MedMnistErrorOptions {
  /** How to fix the problem; appended to the message. */
  hint?: string;
  /** The lower-level error that caused this one. */
  cause?: unknown;
}

/** The message of an error with a `reason` and a `hint`: the reason, then the hint when there is one. */
export function joinErrorMessage(reason: string, hint: string | undefined): string {
  return hint ? `${reason} ${hint}` : reason;
}

/**
 * Base of the MedSymmFlow errors a user can act on: a machine-readable `code`, a one-sentence `reason` and a
 * separate `hint` (the fix), so front ends such as the `medsymmflow` CLI can print them on their own lines.
 * The message is the reason followed by the hint; a lower-level failure is attached as `cause`. Other
 * packages extend it with their own codes (e.g. core-flow's `ZooError`).
 *
 * @example
 * ```ts
 * class MyError extends CodedError<'MY_CODE'> {}
 * throw new MyError('MY_CODE', 'The file is empty.', { hint: 'Download it again.' });
 * ```
 */
export class CodedError<Code extends string = string> extends Error {
  /** Machine-readable error code. */
  readonly code: Code;
  /** What failed, in one sentence (the message without the hint). */
  readonly reason: string;
  /** How to fix it, or `undefined` when there is nothing the user can do. */
  readonly hint: string | undefined;

  constructor(code: Code, reason: string, options: MedMnistErrorOptions = {}) {
    super(
      joinErrorMessage(reason, options.hint),
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'CodedError';
    this.code = code;
    this.reason = reason;
    this.hint = options.hint;
  }
}

/** Base class of the errors this package throws for bad files, missing files and failed downloads. */
export class MedMnistError extends CodedError<MedMnistErrorCode> {
  constructor(code: MedMnistErrorCode, reason: string, options: MedMnistErrorOptions = {}) {
    super(code, reason, options);
    this.name = 'MedMnistError';
  }
}

/**
 * An unknown dataset flag. It is a `RangeError` (a bad argument) that also carries the valid flags and the
 * closest match.
 */
export class UnknownDatasetError extends RangeError {
  readonly code = 'MEDMNIST_UNKNOWN_DATASET' as const;
  /** The flag that was asked for. */
  readonly flag: string;
  /** Every valid flag. */
  readonly validFlags: readonly string[];
  /** The closest valid flag, when one is close enough. */
  readonly suggestion: string | undefined;
  readonly reason: string;
  readonly hint: string;

  constructor(flag: string, validFlags: readonly string[], suggestion: string | undefined) {
    const reason = `Unknown MedMNIST dataset ${JSON.stringify(flag)}.`;
    const hint =
      (suggestion ? `Did you mean "${suggestion}"? ` : '') + `Valid flags: ${validFlags.join(', ')}.`;
    super(joinErrorMessage(reason, hint));
    this.name = 'UnknownDatasetError';
    this.flag = flag;
    this.validFlags = validFlags;
    this.suggestion = suggestion;
    this.reason = reason;
    this.hint = hint;
  }
}

/** Where in an archive a format problem was found. */
export interface FormatErrorLocation {
  /** The archive or file name (a path, or the name given for in-memory bytes). */
  file: string;
  /** The member of the archive, e.g. `train_images.npy`, when the problem is inside one. */
  member?: string;
}

/** A `.npz`/`.npy` file that is corrupt, truncated, unsupported or inconsistent. */
export class NpzFormatError extends MedMnistError {
  /** The archive or file name. */
  readonly file: string;
  /** The member of the archive, when the problem is inside one. */
  readonly member: string | undefined;

  constructor(
    location: FormatErrorLocation,
    detail: string,
    options: MedMnistErrorOptions & { code?: 'MEDMNIST_FORMAT' | 'MEDMNIST_LIMIT' } = {},
  ) {
    const where = location.member ? `${location.file} (member ${location.member})` : location.file;
    super(options.code ?? 'MEDMNIST_FORMAT', `${where}: ${detail}`, options);
    this.name = 'NpzFormatError';
    this.file = location.file;
    this.member = location.member;
  }
}

/** A file that exceeds a safety limit (zip-bomb caps). Raise the limit only for files you trust. */
export class NpzLimitError extends NpzFormatError {
  constructor(location: FormatErrorLocation, detail: string, options: MedMnistErrorOptions = {}) {
    super(location, detail, { ...options, code: 'MEDMNIST_LIMIT' });
    this.name = 'NpzLimitError';
  }
}

/** A dataset file that is not on disk. The message names the file, its official URL and where to put it. */
export class DatasetFileNotFoundError extends MedMnistError {
  /** Where the file was expected. */
  readonly path: string;
  /** Where it can be downloaded. */
  readonly url: string;
  /** Its official MD5. */
  readonly md5: string;

  constructor(details: {
    path: string;
    url: string;
    md5: string;
    reason: string;
    hint: string;
    cause?: unknown;
  }) {
    super('MEDMNIST_FILE_NOT_FOUND', details.reason, { hint: details.hint, cause: details.cause });
    this.name = 'DatasetFileNotFoundError';
    this.path = details.path;
    this.url = details.url;
    this.md5 = details.md5;
  }
}

/** A file whose checksum (MD5, or SHA-256 when one was asked for) differs from the expected one. */
export class ChecksumError extends MedMnistError {
  /** The file (or download URL) that was checked. */
  readonly source: string;
  /** The hash algorithm: `'md5'` or `'sha256'`. */
  readonly algorithm: 'md5' | 'sha256';
  /** The expected digest (hex). */
  readonly expected: string;
  /** The digest found (hex). */
  readonly actual: string;

  constructor(details: {
    source: string;
    /** @defaultValue 'md5' */
    algorithm?: 'md5' | 'sha256';
    expected: string;
    actual: string;
    reason: string;
    hint: string;
  }) {
    super('MEDMNIST_CHECKSUM', details.reason, { hint: details.hint });
    this.name = 'ChecksumError';
    this.source = details.source;
    this.algorithm = details.algorithm ?? 'md5';
    this.expected = details.expected;
    this.actual = details.actual;
  }
}

/** A download that failed (network error, HTTP error, connection lost). Nothing is left on disk. */
export class DownloadError extends MedMnistError {
  /** The URL that was requested. */
  readonly url: string;
  /** The HTTP status, when the server answered. */
  readonly status: number | undefined;

  constructor(details: { url: string; status?: number; reason: string; hint?: string; cause?: unknown }) {
    super('MEDMNIST_DOWNLOAD', details.reason, { hint: details.hint, cause: details.cause });
    this.name = 'DownloadError';
    this.url = details.url;
    this.status = details.status;
  }
}
