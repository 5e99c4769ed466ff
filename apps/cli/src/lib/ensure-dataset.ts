/**
 * @file Makes sure a MedMNIST file is in the dataset folder before a command reads it: when it is missing,
 * it is downloaded (official Zenodo URL, or the mirror in `--base-url` / `MEDMNIST_BASE_URL`) with a progress
 * bar, checked against the official MD5 and written atomically, like the official `medmnist` package with
 * `download=True`. `--no-download` (offline clusters) turns a missing file into an error that says where to get
 * it. A mirror that serves its own files (not the official ones) publishes a checksum list, named by
 * `MEDMNIST_CHECKSUMS` (or `--checksums`); it is honoured only with a mirror, and the CLI says when it is used.
 * Shared by `train`, `evaluate` and `datasets download`.
 * @module ensure-dataset
 */

import { stat } from 'node:fs/promises';
import {
  ChecksumError,
  DownloadError,
  downloadMedMnist,
  getDatasetFile,
  getDatasetInfo,
  getDatasetPath,
  MEDMNIST_BASE_URL_ENV,
  MEDMNIST_CHECKSUMS_ENV,
  type MedMnistDownloadSource,
  resolveDownloadSource,
} from '@medsymmflow/datasets-medmnist';
import type { CliContext } from './context';
import { CliError, UsageError } from './errors';
import { createByteProgress } from './progress';

/** What {@link ensureDatasetFile} needs. */
export interface EnsureDatasetOptions {
  /** Dataset flag (any spelling `getDatasetInfo` accepts). */
  flag: string;
  /** Image size of the file. */
  size: number;
  /** Resolved dataset folder. */
  root: string;
  /** Download the file when it is missing (`false`: `--no-download`). */
  download: boolean;
  /** Mirror; `undefined` falls back to `MEDMNIST_BASE_URL`, then the official URL. */
  baseUrl?: string;
  /** The mirror's checksum list; `undefined` falls back to `MEDMNIST_CHECKSUMS`. */
  checksums?: string;
  /** Download again even when the file is present. */
  force?: boolean;
  /** No progress bar and no "Downloading …" lines (the mirror-checksum notice is still printed). */
  quiet: boolean;
}

/** Result of {@link ensureDatasetFile}. */
export interface EnsuredDataset {
  /** Path of the file in the dataset folder. */
  path: string;
  /** Where it was downloaded from and which checksum was verified; `undefined` when it was already there. */
  downloaded: MedMnistDownloadSource | undefined;
}

function sizeFlag(size: number): string {
  return size === 28 ? '' : ` --size ${size}`;
}

/** `MD5 0744…` / `SHA-256 9f86…`. */
export function describeChecksum(source: MedMnistDownloadSource): string {
  return `${source.checksum.algorithm === 'md5' ? 'MD5' : 'SHA-256'} ${source.checksum.expected}`;
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isFile(),
    () => false,
  );
}

/**
 * Returns the path of a dataset file, downloading it into `root` first when it is missing (unless
 * `download` is false). Library errors are re-worded with CLI options in the hint.
 */
export async function ensureDatasetFile(
  context: CliContext,
  options: EnsureDatasetOptions,
): Promise<EnsuredDataset> {
  const info = getDatasetInfo(options.flag);
  const file = getDatasetFile(info.flag, options.size);
  const path = getDatasetPath({ flag: info.flag, size: file.size, root: options.root });
  if (!options.force && (await isFile(path))) return { path, downloaded: undefined };
  if (!options.download) {
    throw new CliError(
      `${file.fileName} (${info.flag}, ${file.size}px) is not in ${options.root}, and --no-download forbids fetching it.`,
      {
        hint:
          `Drop --no-download to download it (MD5-checked), run "medsymmflow datasets download ${info.flag}` +
          `${sizeFlag(file.size)} --root ${options.root}" on a machine with internet, or download ${file.url} ` +
          `(MD5 ${file.md5}) yourself and save it as ${path}.`,
      },
    );
  }
  const baseUrl = options.baseUrl ?? (context.env[MEDMNIST_BASE_URL_ENV] || undefined);
  const checksums = options.checksums ?? (context.env[MEDMNIST_CHECKSUMS_ENV] || undefined);
  const location = { flag: info.flag, size: file.size, root: options.root, baseUrl, checksums };
  let source: MedMnistDownloadSource;
  try {
    source = await resolveDownloadSource(location);
  } catch (error) {
    if (error instanceof RangeError) {
      throw new UsageError(
        error.message,
        `Unset ${MEDMNIST_CHECKSUMS_ENV} (and drop --checksums), or set ${MEDMNIST_BASE_URL_ENV} (or --base-url) to the mirror that publishes the list.`,
      );
    }
    throw error;
  }
  const log = (line: string) => {
    if (!options.quiet) context.stderr.write(`${line}\n`);
  };
  if (source.checksumOrigin === 'mirror') {
    context.stderr.write(
      `note: checking ${file.fileName} against ${describeChecksum(source)} from the mirror's checksum list ` +
        `${source.checksumList} (${MEDMNIST_CHECKSUMS_ENV}), not against the official MD5 ${file.md5}: ` +
        "the file is the mirror's, not necessarily the official one.\n",
    );
  }
  log(
    `${options.force ? 'Downloading' : `${file.fileName} is not in ${options.root}; downloading`} it from ` +
      `${source.url} (${describeChecksum(source)}${source.checksumOrigin === 'official' ? ', official' : ''})`,
  );
  const progress = createByteProgress(context, file.fileName, !options.quiet);
  try {
    await downloadMedMnist({ ...location, source, force: options.force, onProgress: progress.onProgress });
  } catch (error) {
    if (error instanceof ChecksumError) {
      throw new CliError(error.reason, { hint: error.hint, cause: error });
    }
    if (error instanceof DownloadError) {
      throw new CliError(error.reason, {
        hint:
          `If this machine is offline, download ${file.url} (MD5 ${file.md5}) elsewhere and save it as ${path}` +
          ` (then nothing is downloaded; --no-download makes sure of it); --base-url or ${MEDMNIST_BASE_URL_ENV} selects a mirror.`,
        cause: error,
      });
    }
    throw error;
  } finally {
    progress.stop();
  }
  log(`Saved ${path} (${describeChecksum(source)} verified)`);
  return { path, downloaded: source };
}
