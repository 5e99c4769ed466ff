import { execFile } from 'node:child_process';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SHARED_MEDMNIST_DIR } from '../../../test/shared-data';
import { makeTempDir } from '../test/fixtures';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
let temp: Awaited<ReturnType<typeof makeTempDir>>;

beforeAll(async () => {
  temp = await makeTempDir('medmnist-readme-');
});
afterAll(async () => temp.cleanup());

it('the first README example runs against the built package and prints the official split sizes', async () => {
  const readme = await readFile(join(packageDir, 'README.md'), 'utf8');
  const example = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(example).toBeDefined();
  await mkdir(join(temp.dir, 'node_modules', '@medsymmflow'), { recursive: true });
  await symlink(packageDir, join(temp.dir, 'node_modules', '@medsymmflow', 'datasets-medmnist'), 'dir');
  await writeFile(join(temp.dir, 'example.mjs'), example as string);
  const { stdout } = await promisify(execFile)(process.execPath, ['example.mjs'], {
    cwd: temp.dir,
    env: { ...process.env, MEDMNIST_ROOT: SHARED_MEDMNIST_DIR },
  });
  expect(stdout).toContain('train: 4708 images of 28×28×1, normal=1214, pneumonia=3494');
  expect(stdout).toContain('val: 524 images');
  expect(stdout).toContain('test: 624 images of 28×28×1, normal=234, pneumonia=390');
});
