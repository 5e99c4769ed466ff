/**
 * @file Verifying a MedMNIST file: MD5 against the registry, plus a full structure check (every array
 * inflated and CRC-checked, shapes, dtypes, label counts and ranges, official split sizes).
 *
 * @example
 * ```ts
 * import { verifyFile } from '@medsymmflow/datasets-medmnist';
 *
 * const report = await verifyFile({ flag: 'pneumoniamnist', root: '/data/medmnist' });
 * report.ok; // true for the official file
 * report.counts; // { train: 4708, val: 524, test: 624 }
 * ```
 * @module verify
 */

import { stat } from 'node:fs/promises';
import { ensureDownloaded, md5File } from './download';
import { DatasetFileNotFoundError } from './errors';
import { type NpzConfig, openNpz } from './npz';
import { getDatasetFile, getDatasetInfo, SPLITS } from './registry';
import type { ImageSize, Split, SplitCounts } from './registry-types';
import { validateImages, validateLabels } from './structure';

/** Options of {@link verifyFile}. */
export interface VerifyFileConfig {
  /** Dataset flag, e.g. `'pneumoniamnist'`. */
  flag: string;
  /**
   * Image size.
   * @defaultValue 28
   */
  size?: number;
  /**
   * Cache root.
   * @defaultValue `process.env.MEDMNIST_ROOT ?? '~/.medmnist'`
   */
  root?: string;
  /** Check this file instead of the one in the cache root. */
  path?: string;
  /** Safety limits for reading the archive. */
  limits?: NpzConfig;
}

/** Result of {@link verifyFile}. */
export interface VerifyReport {
  /** Dataset flag. */
  flag: string;
  /** Image size. */
  size: ImageSize;
  /** The file checked. */
  path: string;
  /** File size in bytes. */
  bytes: number;
  /** MD5 of the file. */
  md5: string;
  /** Official MD5. */
  expectedMd5: string;
  /** `md5 === expectedMd5`. */
  md5Ok: boolean;
  /** Images per split found in the file, or `null` when the file could not be read. */
  counts: SplitCounts | null;
  /** Whether the counts equal the official split sizes. */
  countsOk: boolean;
  /** Whether every array is present, readable (CRC) and shaped as the registry says. */
  structureOk: boolean;
  /** What is wrong, one sentence each; empty for the official file. */
  problems: string[];
  /** `md5Ok && structureOk && countsOk`: the file is the official one. */
  ok: boolean;
}

/**
 * Checks a MedMNIST file against the registry.
 *
 * @throws {DatasetFileNotFoundError} when the file does not exist (with its URL and where to put it).
 */
export async function verifyFile(config: VerifyFileConfig): Promise<VerifyReport> {
  const info = getDatasetInfo(config.flag);
  const file = getDatasetFile(info.flag, config.size ?? 28);
  const path =
    config.path ?? (await ensureDownloaded({ flag: info.flag, size: file.size, root: config.root }));
  let bytes: number;
  try {
    bytes = (await stat(path)).size;
  } catch (error) {
    throw new DatasetFileNotFoundError({
      path,
      url: file.url,
      md5: file.md5,
      reason: `Cannot verify ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}.`,
      hint: `Check the path, or download ${file.fileName} from ${file.url} (MD5 ${file.md5}).`,
      cause: error,
    });
  }
  const md5 = await md5File(path);
  const problems: string[] = [];
  const md5Ok = md5 === file.md5;
  if (!md5Ok) problems.push(`MD5 is ${md5}, the official ${file.fileName} has ${file.md5}.`);
  const counts: Partial<Record<Split, number>> = {};
  let structureOk = true;
  try {
    const npz = await openNpz(path, config.limits);
    try {
      for (const split of SPLITS) {
        try {
          const images = await npz.read(`${split}_images`);
          const geometry = validateImages(images, info, file.size, split, path, false);
          counts[split] = geometry.count;
          const labels = await npz.read(`${split}_labels`);
          validateLabels(labels, info, geometry.count, split, path);
        } catch (error) {
          structureOk = false;
          problems.push((error as Error).message);
        }
      }
    } finally {
      await npz.close();
    }
  } catch (error) {
    structureOk = false;
    problems.push((error as Error).message);
  }
  const complete = SPLITS.every((split) => counts[split] !== undefined);
  const countsOk = complete && SPLITS.every((split) => counts[split] === info.nSamples[split]);
  if (complete && !countsOk) {
    problems.push(
      `Split sizes ${SPLITS.map((s) => `${s} ${counts[s]}`).join(', ')} differ from the official ` +
        `${SPLITS.map((s) => `${s} ${info.nSamples[s]}`).join(', ')}.`,
    );
  }
  return {
    flag: info.flag,
    size: file.size,
    path,
    bytes,
    md5,
    expectedMd5: file.md5,
    md5Ok,
    counts: complete ? (counts as SplitCounts) : null,
    countsOk,
    structureOk,
    problems,
    ok: md5Ok && structureOk && countsOk,
  };
}
