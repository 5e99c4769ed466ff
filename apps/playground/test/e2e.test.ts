/**
 * End to end in real headless Chromium (Debian `chromium`, driven by playwright-core): build the static site
 * with Vite, serve it and a zoo over 127.0.0.1, open the page, classify a demo image and compare with what
 * `medsymmflow classify --json` prints for the same image, model and seed; generate 4 samples; feed bad input
 * (a text file, a 20000×20000 PNG, a corrupt and a missing model) and check the page says what is wrong and
 * keeps working. Screenshots go to apps/playground/test-artifacts/.
 *
 * The zoo is `PLAYGROUND_ZOO_DIR` (default: the repository's zoo/), its demo images `PLAYGROUND_DEMO_DIR`
 * (default: `<zoo>/demo`). The test uses the first `available` model with an `onnx` file and FAILS (does not
 * skip) when there is none.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ZooEntry, ZooManifest } from '@medsymmflow/core-flow';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDemoLabels } from '../src/lib/demo-labels';
import { type StaticServer, startStaticServer } from './static-server';

const appDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = resolve(appDir, '../..');
const zooDir = resolve(process.env.PLAYGROUND_ZOO_DIR ?? join(repoRoot, 'zoo'));
const demoDir = resolve(process.env.PLAYGROUND_DEMO_DIR ?? join(zooDir, 'demo'));
const artifacts = join(appDir, 'test-artifacts');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The first available model with an ONNX file, or a clear failure. */
function pickModel(): ZooEntry {
  const manifestPath = join(zooDir, 'manifest.json');
  if (!existsSync(manifestPath))
    throw new Error(`No zoo manifest at ${manifestPath}. Set PLAYGROUND_ZOO_DIR to a zoo folder.`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as ZooManifest;
  const entry = manifest.models.find(
    (m) => m.status === 'available' && m.files.some((f) => f.role === 'onnx'),
  );
  if (!entry) {
    throw new Error(
      `The zoo at ${zooDir} has no "available" model with an "onnx" file yet, so the playground has nothing to run. ` +
        'Publish a trained model (zoo/README.md, "Publishing a model") or set PLAYGROUND_ZOO_DIR to a zoo folder that has one.',
    );
  }
  return entry;
}

/** The first demo image of the model's dataset, or a clear failure. */
function pickDemo(dataset: string): { file: string; path: string; name: string } {
  const csv = join(demoDir, dataset, 'labels.csv');
  if (!existsSync(csv)) {
    throw new Error(
      `No demo images for ${dataset}: ${csv} is missing. Add zoo/demo/${dataset}/*.png with labels.csv ` +
        '(header index,file,label,label_name, as `medsymmflow datasets export` writes it) or set PLAYGROUND_DEMO_DIR.',
    );
  }
  const [row] = parseDemoLabels(readFileSync(csv, 'utf8'), csv);
  if (!row) throw new Error(`${csv} lists no images.`);
  return { file: row.file, path: join(demoDir, dataset, row.file), name: row.name };
}

interface CliReport {
  threshold: number | null;
  images: {
    label: number;
    name: string;
    distances: Record<string, number>;
    uncertainty: number;
    abstain: boolean | null;
  }[];
}

let entry: ZooEntry;
let demo: ReturnType<typeof pickDemo>;
let cli: CliReport;
let server: StaticServer;
let browser: Browser;
const work = mkdtempSync(join(tmpdir(), 'playground-e2e-'));

/** What `medsymmflow classify --json` prints for one image with the test's model and seed. */
async function classifyWithCli(image: string): Promise<CliReport> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      join(repoRoot, 'apps/cli/bin/medsymmflow.mjs'),
      'classify',
      image,
      '--model',
      entry.id,
      '--zoo-url',
      zooDir,
      '--cache-dir',
      join(work, 'cache'),
      '--seed',
      '0',
      '--json',
      '--quiet',
    ],
    { maxBuffer: 1 << 24 },
  );
  return JSON.parse(stdout) as CliReport;
}

/** Set when the zoo has no runnable model or no demo image: every test then fails with this message. */
let setupError: Error | undefined;

beforeAll(async () => {
  try {
    entry = pickModel();
    demo = pickDemo(entry.dataset);
  } catch (error) {
    setupError = error as Error;
    return;
  }
  mkdirSync(artifacts, { recursive: true });

  // A second zoo with a corrupt and a missing model next to the real one (served from the real folder).
  const badZoo = join(work, 'bad-zoo');
  mkdirSync(join(badZoo, 'corrupt-onnx-28'), { recursive: true });
  const garbage = new TextEncoder().encode('this is not an ONNX model\n'.repeat(40));
  writeFileSync(join(badZoo, 'corrupt-onnx-28', 'model.onnx'), garbage);
  const fileOf = (bytes: Uint8Array) => ({
    path: 'model.onnx',
    sha256: createHash('sha256').update(bytes).digest('hex'),
    bytes: bytes.length,
    role: 'onnx',
  });
  writeFileSync(
    join(badZoo, 'manifest.json'),
    JSON.stringify({
      format: 'medsymmflow-zoo',
      version: 1,
      models: [
        { ...entry, id: 'corrupt-onnx-28', files: [fileOf(garbage)] },
        { ...entry, id: 'missing-onnx-28', files: [fileOf(new Uint8Array(10))] },
        entry,
      ],
    }),
  );

  const outDir = join(work, 'site');
  process.env.PLAYGROUND_DEMO_DIR = demoDir;
  const [, report] = await Promise.all([
    build({
      root: appDir,
      configFile: join(appDir, 'vite.config.ts'),
      logLevel: 'error',
      build: { outDir, emptyOutDir: true },
    }),
    classifyWithCli(demo.path),
  ]);
  cli = report;
  server = await startStaticServer({
    '/': outDir,
    '/zoo/': zooDir,
    '/bad-zoo/': badZoo,
    [`/bad-zoo/${entry.id}/`]: join(zooDir, entry.id),
  });
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

/** A page with console errors and uncaught exceptions collected. */
async function openPage(query: string): Promise<{ page: Page; pageErrors: string[] }> {
  if (setupError) throw setupError;
  const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${server.origin}/?${query}`);
  return { page, pageErrors };
}

const zooQuery = (zoo: string, model: string) => {
  if (setupError) throw setupError;
  return `zoo=${encodeURIComponent(`${server.origin}/${zoo}/`)}&model=${encodeURIComponent(model)}&backend=wasm`;
};

async function classifyDemo(page: Page): Promise<void> {
  await page.locator(`[data-testid=demo][data-file="${demo.file}"]`).click({ timeout: 60_000 });
  await page.waitForSelector(`[data-testid=result][data-status=done][data-image="${demo.file}"]`, {
    timeout: 60_000,
  });
}

async function expectMatchesCli(page: Page): Promise<void> {
  const expected = cli.images[0];
  const label = page.getByTestId('label');
  await expect.poll(() => label.textContent()).toBe(expected.name);
  expect(await label.getAttribute('data-label')).toBe(String(expected.label));
  const distances = await page
    .locator('svg.distances g.bar')
    .evaluateAll((bars) => bars.map((bar) => Number(bar.getAttribute('data-distance'))));
  expect(distances).toHaveLength(entry.labels.length);
  entry.labels.forEach((name, c) => {
    expect(Math.abs(distances[c] - expected.distances[name])).toBeLessThan(1e-3);
  });
  if (
    expected.abstain !== null &&
    cli.threshold !== null &&
    Math.abs(expected.uncertainty - cli.threshold) > 1e-3
  ) {
    expect(await page.getByTestId('abstain').getAttribute('data-abstain')).toBe(String(expected.abstain));
  }
}

describe('playground in headless Chromium', () => {
  it('classifies a demo image with the label `medsymmflow classify` prints', async () => {
    const { page, pageErrors } = await openPage(zooQuery('zoo', entry.id));
    await classifyDemo(page);
    await expectMatchesCli(page);
    await expect.poll(() => page.getByTestId('selective').count()).toBe(1);
    await page.screenshot({ path: join(artifacts, 'classify.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('generates 4 samples with a progress bar', async () => {
    const { page, pageErrors } = await openPage(zooQuery('zoo', entry.id));
    await page.waitForSelector('[data-testid=generate-button]:not([disabled])', { timeout: 60_000 });
    await page.getByTestId('generate-count').fill('4');
    await page.getByTestId('generate-steps').fill('8');
    await page.getByTestId('generate-button').click();
    await page.waitForSelector('[data-testid=samples][data-status=done]', { timeout: 90_000 });
    expect(await page.getByTestId('sample').count()).toBe(4);
    const progress = page.getByTestId('generate-progress');
    expect(await progress.evaluate((p: HTMLProgressElement) => [p.value, p.max])).toEqual([8, 8]);
    await page.screenshot({ path: join(artifacts, 'generate.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('an image smaller than the model input is enlarged as the CLI enlarges it (same distances)', async () => {
    if (setupError) throw setupError;
    // A 20 × 20 copy of the demo image (sharp from the CLI's dependencies), classified by the CLI and the page.
    type Sharp = (path: string) => {
      resize(width: number, height: number): { png(): { toFile(path: string): Promise<unknown> } };
    };
    const sharp = createRequire(join(repoRoot, 'apps/cli/package.json'))('sharp') as Sharp;
    const small = join(work, 'small.png');
    await sharp(demo.path).resize(20, 20).png().toFile(small);
    const expected = (await classifyWithCli(small)).images[0];
    const { page, pageErrors } = await openPage(zooQuery('zoo', entry.id));
    await page.waitForSelector('[data-testid=generate-button]:not([disabled])', { timeout: 60_000 });
    await page.getByTestId('file-input').setInputFiles(small);
    await page.waitForSelector('[data-testid=result][data-status=done][data-image="small.png"]', {
      timeout: 60_000,
    });
    const distances = await page
      .locator('svg.distances g.bar')
      .evaluateAll((bars) => bars.map((bar) => Number(bar.getAttribute('data-distance'))));
    entry.labels.forEach((name, c) => {
      expect(Math.abs(distances[c] - expected.distances[name])).toBeLessThan(1e-3);
    });
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('an image picked while the model downloads waits for it, then is classified', async () => {
    if (setupError) throw setupError;
    const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // Hold the model file back until the image has been picked.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route('**/model.onnx', async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(`${server.origin}/?${zooQuery('zoo', entry.id)}`);
    await page.locator(`[data-testid=demo][data-file="${demo.file}"]`).click({ timeout: 60_000 });
    await expect
      .poll(() => page.getByTestId('status').textContent())
      .toBe(`${demo.file} will be classified when ${entry.id} has loaded…`);
    expect(await page.getByTestId('error').isHidden()).toBe(true);
    release();
    await page.waitForSelector(`[data-testid=result][data-status=done][data-image="${demo.file}"]`, {
      timeout: 60_000,
    });
    await expectMatchesCli(page);
    expect(await page.getByTestId('error').isHidden()).toBe(true);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('bad input shows a readable message and the page keeps working', async () => {
    const { page, pageErrors } = await openPage(zooQuery('zoo', entry.id));
    await page.waitForSelector(`[data-testid=demo][data-file="${demo.file}"]`, { timeout: 60_000 });
    // With the model loaded (a file dropped while it loads waits for it: the test above).
    await page.waitForSelector('[data-testid=generate-button]:not([disabled])', { timeout: 60_000 });
    const error = page.getByTestId('error');

    await page.getByTestId('file-input').setInputFiles({
      name: 'notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('Patient notes: not an image.\n'),
    });
    await expect.poll(() => error.textContent()).toContain('“notes.txt” is a text file, not an image.');
    await page.screenshot({ path: join(artifacts, 'error-text-file.png') });

    // A PNG whose header declares 20000 × 20000 pixels: refused before the browser decodes it.
    const huge = Buffer.alloc(64);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]).copy(huge, 0);
    huge.write('IHDR', 12, 'latin1');
    huge.writeUInt32BE(20000, 16);
    huge.writeUInt32BE(20000, 20);
    await page
      .getByTestId('file-input')
      .setInputFiles({ name: 'huge.png', mimeType: 'image/png', buffer: huge });
    await expect.poll(() => error.textContent()).toContain('“huge.png” is 20000 × 20000 pixels');
    await page.screenshot({ path: join(artifacts, 'error-huge-image.png') });

    // A valid image afterwards still classifies, and the message goes away.
    await classifyDemo(page);
    await expectMatchesCli(page);
    expect(await error.isHidden()).toBe(true);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('a model that fails to load shows a readable message; other models still work', async () => {
    const { page, pageErrors } = await openPage(zooQuery('bad-zoo', 'corrupt-onnx-28'));
    const error = page.getByTestId('error');
    await expect
      .poll(() => error.textContent(), { timeout: 60_000 })
      .toMatch(/Model corrupt-onnx-28 failed to load: .*not a readable ONNX file/);
    await page.screenshot({ path: join(artifacts, 'error-corrupt-model.png') });

    await page.getByTestId('model-select').selectOption('missing-onnx-28');
    await expect
      .poll(() => error.textContent(), { timeout: 60_000 })
      .toMatch(/Cannot download the ONNX file of missing-onnx-28: HTTP 404/);
    await page.screenshot({ path: join(artifacts, 'error-missing-model.png') });

    await page.getByTestId('model-select').selectOption(entry.id);
    await classifyDemo(page);
    await expectMatchesCli(page);
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
