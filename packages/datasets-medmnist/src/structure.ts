/**
 * @file Checks that the arrays of a MedMNIST split have the layout the registry promises: uint8 images of
 * the right size and channels, one label row per image, labels in range, and (strict mode) the official count.
 * @module structure
 * @ignore
 */

import { NpzFormatError } from './errors';
import type { NpyArray } from './npy';
import type { DatasetInfo, Split } from './registry-types';

/** Geometry of a validated image array. */
export interface SplitGeometry {
  count: number;
  height: number;
  width: number;
  /** Channels (1 or 3); for 3D volumes, the depth. */
  channels: number;
}

/** Checks an `<split>_images` array; returns its geometry. */
export function validateImages(
  images: NpyArray,
  info: DatasetInfo,
  size: number,
  split: Split,
  file: string,
  strict: boolean,
): SplitGeometry {
  const member = `${split}_images.npy`;
  const fail = (detail: string): never => {
    throw new NpzFormatError({ file, member }, detail);
  };
  if (images.dtype !== 'uint8') fail(`images must be uint8 (|u1), found ${images.descr}`);
  const shape = images.shape;
  let geometry: SplitGeometry;
  if (info.dimensions === 3) {
    if (shape.length !== 4 || shape[1] !== size || shape[2] !== size || shape[3] !== size) {
      fail(`expected volumes of shape (N, ${size}, ${size}, ${size}), found (${shape.join(', ')})`);
    }
    geometry = { count: shape[0], height: shape[1], width: shape[2], channels: shape[3] };
  } else {
    const expected =
      info.nChannels === 1 ? `(N, ${size}, ${size})` : `(N, ${size}, ${size}, ${info.nChannels})`;
    const channels = shape.length === 3 ? 1 : shape[3];
    const ok =
      (shape.length === 3 || shape.length === 4) &&
      shape[1] === size &&
      shape[2] === size &&
      channels === info.nChannels;
    if (!ok)
      fail(`expected images of shape ${expected} for ${info.flag} at ${size}px, found (${shape.join(', ')})`);
    geometry = { count: shape[0], height: shape[1], width: shape[2], channels };
  }
  if (strict && geometry.count !== info.nSamples[split]) {
    fail(
      `has ${geometry.count} images but the official ${info.flag} ${split} split has ${info.nSamples[split]}; ` +
        'this is not the official file (pass strict: false, or --no-strict to the medsymmflow CLI, to load it anyway)',
    );
  }
  return geometry;
}

/** Checks an `<split>_labels` array against the image count; returns labels as Int32 rows. */
export function validateLabels(
  labels: NpyArray,
  info: DatasetInfo,
  count: number,
  split: Split,
  file: string,
): { labels: Int32Array; columns: number } {
  const member = `${split}_labels.npy`;
  const fail = (detail: string): never => {
    throw new NpzFormatError({ file, member }, detail);
  };
  if (labels.dtype.startsWith('float')) fail(`labels must be integers, found ${labels.descr}`);
  const shape = labels.shape;
  if (shape.length !== 1 && shape.length !== 2)
    fail(`labels must have shape (N, K), found (${shape.join(', ')})`);
  if (shape[0] !== count) {
    fail(`has ${shape[0]} labels but ${split}_images.npy has ${count} images; the label count must match`);
  }
  const columns = shape.length === 1 ? 1 : shape[1];
  const expectedColumns = info.multiLabel ? info.numClasses : 1;
  if (columns !== expectedColumns) {
    fail(`expected ${expectedColumns} label column(s) for ${info.flag}, found ${columns}`);
  }
  const out = new Int32Array(labels.data.length);
  const source = labels.data;
  const limit = info.multiLabel ? 2 : info.numClasses;
  for (let i = 0; i < out.length; i++) {
    const value = Number(source[i]);
    if (!(value >= 0 && value < limit && Number.isInteger(value))) {
      fail(
        `label ${value} at row ${Math.floor(i / columns)} is out of range; ${info.flag} labels are ` +
          (info.multiLabel ? '0 or 1' : `0…${limit - 1}`),
      );
    }
    out[i] = value;
  }
  return { labels: out, columns };
}
