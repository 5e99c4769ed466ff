/**
 * @file Exporting a dataset split as PNG files plus `labels.csv`, written into a temporary folder next to the
 * destination and renamed into place at the end, so an interrupted export never leaves a partial folder under
 * the requested name.
 * @module export-images
 */

import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { MedMnistDataset } from '@medsymmflow/datasets-medmnist';
import { PNG } from 'pngjs';
import { CliError } from './errors';
import { csvField } from './format';

/** Options of {@link exportSplitAsPng}. */
export interface ExportConfig {
  dataset: MedMnistDataset;
  /** Destination folder (created; must not exist or be empty unless `force`). */
  out: string;
  /** Export only the first `limit` images. @defaultValue all */
  limit?: number;
  /** Replace a non-empty destination. @defaultValue false */
  force?: boolean;
}

/** Result of an export. */
export interface ExportResult {
  out: string;
  images: number;
  csv: string;
}

/** Encodes one grey or RGB uint8 image as PNG bytes. */
export function encodePng(pixels: Uint8Array, width: number, height: number, channels: number): Buffer {
  if (channels !== 1 && channels !== 3)
    throw new RangeError(`PNG export needs 1 or 3 channels, got ${channels}.`);
  const colorType = channels === 1 ? 0 : 2;
  const png = new PNG({
    width,
    height,
    colorType,
    inputColorType: colorType,
    inputHasAlpha: false,
    bitDepth: 8,
  });
  png.data = Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  return PNG.sync.write(png, { colorType, inputColorType: colorType, inputHasAlpha: false, bitDepth: 8 });
}

function labelColumns(dataset: MedMnistDataset, index: number): { label: string; name: string } {
  const row = dataset.getLabelRow(index);
  if (!dataset.multiLabel) return { label: String(row[0]), name: dataset.labelNames[row[0]] };
  const positives = Array.from(row.keys()).filter((k) => row[k] === 1);
  return { label: positives.join(';'), name: positives.map((k) => dataset.labelNames[k]).join(';') };
}

async function isEmptyDirectory(path: string): Promise<boolean> {
  return (await readdir(path)).length === 0;
}

/** Writes `<split>_<index>.png` for each image and `labels.csv` (`index,file,label,label_name`). */
export async function exportSplitAsPng(config: ExportConfig): Promise<ExportResult> {
  const { dataset } = config;
  const out = resolve(config.out);
  const count = Math.min(dataset.length, config.limit ?? dataset.length);
  let existing: 'none' | 'empty' | 'full' = 'none';
  try {
    const info = await stat(out);
    if (!info.isDirectory()) {
      throw new CliError(`Output path ${out} exists and is not a folder.`, { hint: 'Choose another --out.' });
    }
    existing = (await isEmptyDirectory(out)) ? 'empty' : 'full';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (existing === 'full' && !config.force) {
    throw new CliError(`Output folder ${out} is not empty.`, {
      hint: 'Choose another --out, or add --force to replace its contents.',
    });
  }
  const parent = dirname(out);
  await mkdir(parent, { recursive: true });
  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const temporary = join(parent, `.${basename(out)}.partial-${suffix}`);
  await mkdir(temporary);
  try {
    const digits = Math.max(4, String(Math.max(0, count - 1)).length);
    const lines = ['index,file,label,label_name'];
    for (let index = 0; index < count; index++) {
      const file = `${dataset.split}_${String(index).padStart(digits, '0')}.png`;
      const png = encodePng(dataset.getImage(index), dataset.width, dataset.height, dataset.channels);
      await writeFile(join(temporary, file), png);
      const { label, name } = labelColumns(dataset, index);
      lines.push([index, file, label, name].map(csvField).join(','));
    }
    await writeFile(join(temporary, 'labels.csv'), `${lines.join('\n')}\n`);
    if (existing === 'none') {
      await rename(temporary, out);
    } else {
      const old = join(parent, `.${basename(out)}.old-${suffix}`);
      await rename(out, old);
      try {
        await rename(temporary, out);
      } catch (error) {
        await rename(old, out);
        throw error;
      }
      await rm(old, { recursive: true, force: true });
    }
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw error;
  }
  return { out, images: count, csv: join(out, 'labels.csv') };
}
