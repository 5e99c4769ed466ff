import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { sharedMedmnistFile } from '../../../test/shared-data';
import { toNumbers } from '../test/fixtures';
import { encodeNpz, NpzFormatError, NpzLimitError, openNpz, readNpz } from './index';

const PNEUMONIA = sharedMedmnistFile('pneumoniamnist.npz');

async function formatError(promise: Promise<unknown>): Promise<NpzFormatError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(NpzFormatError);
    return error as NpzFormatError;
  }
  throw new Error('expected the promise to reject');
}

/** Offset of the central directory, from the end-of-central-directory record (no archive comment). */
function centralDirectoryOffset(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset).getUint32(bytes.length - 22 + 16, true);
}

describe('openNpz on an official MedMNIST file', () => {
  it('lists the members numpy.savez_compressed wrote, in order, without inflating them', async () => {
    const npz = await openNpz(PNEUMONIA);
    expect(npz.keys()).toEqual([
      'train_images',
      'val_images',
      'test_images',
      'train_labels',
      'val_labels',
      'test_labels',
    ]);
    expect(npz.entries.map((e) => e.memberName)).toEqual(npz.keys().map((k) => `${k}.npy`));
    expect(npz.entries.every((e) => e.compression === 'deflated')).toBe(true);
    // .npy sizes: 128-byte header + data (values also listed by Python's zipfile for this file)
    expect(npz.entries.map((e) => e.uncompressedSize)).toEqual([
      128 + 4708 * 784,
      128 + 524 * 784,
      128 + 624 * 784,
      128 + 4708,
      128 + 524,
      128 + 624,
    ]);
    const labels = await npz.read('test_labels');
    expect(labels.dtype).toBe('uint8');
    expect(labels.shape).toEqual([624, 1]);
    await npz.close();
    await expect(npz.read('test_labels')).rejects.toThrow(/closed/);
  });

  it('names the available arrays when a key is missing', async () => {
    const npz = await openNpz(PNEUMONIA);
    const error = await formatError(npz.read('train_masks'));
    expect(error.message).toContain('has no array "train_masks"');
    expect(error.message).toContain('train_images, val_images');
    await npz.close();
  });

  it('refuses a truncated copy, naming the file', async () => {
    const bytes = await readFile(PNEUMONIA);
    const error = await formatError(
      openNpz(bytes.subarray(0, bytes.length >> 1), { fileName: 'pneumoniamnist.npz' }),
    );
    expect(error.file).toBe('pneumoniamnist.npz');
    expect(error.message).toMatch(/^pneumoniamnist\.npz: .*truncated/);
  });

  it('refuses corrupted member data, naming the member', async () => {
    const bytes = new Uint8Array(await readFile(PNEUMONIA));
    bytes[1000] ^= 0xff; // inside train_images.npy's deflate stream
    const npz = await openNpz(bytes, { fileName: 'pneumoniamnist.npz' });
    const error = await formatError(npz.read('train_images'));
    expect(error.member).toBe('train_images.npy');
    expect(error.message).toMatch(/^pneumoniamnist\.npz \(member train_images\.npy\): /);
    expect(error.message).toMatch(/CRC-32 mismatch|could not be inflated/);
    // the other members are intact
    expect((await npz.read('test_labels')).shape).toEqual([624, 1]);
  });
});

describe('openNpz on crafted archives', () => {
  const arrays = {
    a: { data: Float32Array.from({ length: 12 }, (_, i) => i / 4), shape: [3, 4] },
    b: { data: new Int32Array([7, -8, 9]), shape: [3] },
  };

  for (const layout of [
    { compression: 'deflate' as const, zip64: 'none' as const },
    { compression: 'store' as const, zip64: 'none' as const },
    { compression: 'deflate' as const, zip64: 'local' as const },
    { compression: 'store' as const, zip64: 'full' as const },
    { compression: 'deflate' as const, zip64: 'full' as const },
  ]) {
    it(`reads ${layout.compression} members with zip64 ${layout.zip64}`, async () => {
      const decoded = await readNpz(encodeNpz(arrays, layout));
      expect(Object.keys(decoded)).toEqual(['a', 'b']);
      expect(decoded.a.shape).toEqual([3, 4]);
      expect(toNumbers(decoded.a.data)).toEqual(toNumbers(arrays.a.data));
      expect(toNumbers(decoded.b.data)).toEqual([7, -8, 9]);
    });
  }

  it('refuses bytes that are not a zip archive', async () => {
    const error = await formatError(
      openNpz(new TextEncoder().encode('x'.repeat(100)), { fileName: 'data.npz' }),
    );
    expect(error.message).toMatch(/^data\.npz: is not a zip\/\.npz archive/);
    await expect(openNpz(new Uint8Array(5))).rejects.toThrow(/too short/);
  });

  it('detects a CRC mismatch in a stored member', async () => {
    const bytes = encodeNpz(arrays, { compression: 'store' });
    bytes[30 + 'a.npy'.length + 128 + 5] ^= 0x01; // a data byte of a.npy
    const npz = await openNpz(bytes, { fileName: 'stored.npz' });
    const error = await formatError(npz.read('a'));
    expect(error.message).toMatch(/^stored\.npz \(member a\.npy\): CRC-32 mismatch/);
  });

  it('detects a local header that disagrees with the central directory', async () => {
    const bytes = encodeNpz(arrays);
    bytes[30] = 'z'.charCodeAt(0); // local name 'a.npy' -> 'z.npy'
    const npz = await openNpz(bytes);
    await expect(npz.read('a')).rejects.toThrow(/local header names it "z\.npy"/);
  });

  it('caps the total uncompressed size (zip-bomb cap)', async () => {
    const zeros = encodeNpz({ big: { data: new Uint8Array(8 << 20), shape: [8 << 20] } });
    expect(zeros.length).toBeLessThan(64 * 1024);
    let error: unknown;
    try {
      await openNpz(zeros, { fileName: 'bomb.npz', maxUncompressedBytes: 1 << 20 });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(NpzLimitError);
    expect((error as Error).message).toMatch(
      /^bomb\.npz: declares 8388736 uncompressed bytes, more than the limit of 1048576/,
    );
    // with a generous cap it reads fine
    const npz = await openNpz(zeros, { maxUncompressedBytes: 16 << 20 });
    expect((await npz.read('big')).data.length).toBe(8 << 20);
  });

  it('caps the compression ratio, naming the member', async () => {
    const zeros = encodeNpz({ big: { data: new Uint8Array(1 << 20), shape: [1 << 20] } });
    const npz = await openNpz(zeros, { fileName: 'bomb.npz', maxCompressionRatio: 50 });
    await expect(npz.read('big')).rejects.toThrow(NpzLimitError);
    await expect(npz.read('big')).rejects.toThrow(
      /^bomb\.npz \(member big\.npy\): would inflate .* above the limit of 50:1/,
    );
  });

  it('never inflates past the declared size (lying headers)', async () => {
    const bytes = encodeNpz({ big: { data: new Uint8Array(1 << 16), shape: [1 << 16] } });
    const dv = new DataView(bytes.buffer);
    const declared = 1000;
    dv.setUint32(22, declared, true); // local header: uncompressed size
    dv.setUint32(centralDirectoryOffset(bytes) + 24, declared, true); // central directory: uncompressed size
    const npz = await openNpz(bytes, { fileName: 'liar.npz' });
    await expect(npz.read('big')).rejects.toThrow(
      /^liar\.npz \(member big\.npy\): inflates to more than its declared 1000 bytes/,
    );
  });

  it('rejects invalid limits', async () => {
    await expect(openNpz(new Uint8Array(30), { maxUncompressedBytes: -1 })).rejects.toThrow(RangeError);
  });
});
