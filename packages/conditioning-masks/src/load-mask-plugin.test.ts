import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createMaskPlugin,
  listMaskPlugins,
  loadMaskPlugin,
  type MaskPluginConfig,
  restoreMaskPlugin,
  unregisterMaskPlugin,
} from './index';

/** Resolve package names as a project whose node_modules is src/__fixtures__/node_modules would. */
const fixtures = fileURLToPath(new URL('./__fixtures__/', import.meta.url));

/** The error a failing load rejects with. */
async function loadError(specifier: string): Promise<Error> {
  try {
    await loadMaskPlugin(specifier, { resolveFrom: fixtures });
  } catch (error) {
    return error as Error;
  }
  throw new Error(`loading '${specifier}' should have failed`);
}

afterAll(() => {
  unregisterMaskPlugin('checkerboard');
});

describe('loadMaskPlugin', () => {
  it('loads a plugin from an npm package by name and uses it like a built-in', async () => {
    const definition = await loadMaskPlugin('medsymmflow-mask-checkerboard', { resolveFrom: fixtures });
    expect(definition.name).toBe('checkerboard');
    expect(definition.package).toBe('medsymmflow-mask-checkerboard');
    expect(listMaskPlugins()).toContain('checkerboard');
    // Loading again is a no-op that returns the same definition.
    expect(await loadMaskPlugin('medsymmflow-mask-checkerboard', { resolveFrom: fixtures })).toBe(definition);

    const plugin = createMaskPlugin({ name: 'checkerboard', options: { cellSize: 1 } }, 3);
    expect(plugin.channels).toBe(1);
    expect(Array.from(plugin.classTargets())).toEqual([-1, 0, 1]);
    const mask = plugin.encode([2, 0], { height: 2, width: 2, random: () => 0.5 });
    expect(Array.from(mask)).toEqual([1, -1, -1, 1, -1, 1, 1, -1]);
    const d = plugin.distances(mask, { height: 2, width: 2 });
    expect(Array.from(d)).toEqual([2, 1, 0, 0, 1, 2]);
    expect(Array.from(plugin.predict(d))).toEqual([2, 0]);

    const config = JSON.parse(JSON.stringify(plugin)) as MaskPluginConfig;
    expect(config).toEqual({
      name: 'checkerboard',
      options: { cellSize: 1, amplitude: 1, noise: 0.1 },
      package: 'medsymmflow-mask-checkerboard',
    });
    const restored = await restoreMaskPlugin(config, 3, { resolveFrom: fixtures });
    expect(restored.options).toEqual(plugin.options);
    expect(Array.from(restored.distances(mask, [2, 2, 2, 1]))).toEqual(Array.from(d));
  });

  it('validates options of loaded plugins through their own validate()', async () => {
    await loadMaskPlugin('medsymmflow-mask-checkerboard', { resolveFrom: fixtures });
    expect(() => createMaskPlugin({ name: 'checkerboard', options: { cellSize: 0 } }, 2)).toThrow(
      /'cellSize' must be an integer >= 1/,
    );
  });

  it('wraps resolution failures with the cause', async () => {
    const error = await loadError('medsymmflow-mask-does-not-exist');
    expect(error.message).toMatch(/^Failed to load mask plugin from 'medsymmflow-mask-does-not-exist'/);
    expect((error.cause as { code?: string }).code).toBe('MODULE_NOT_FOUND');
  });

  it('rejects packages whose default export is not a plugin definition', async () => {
    const error = await loadError('medsymmflow-mask-broken');
    expect(error.message).toMatch(
      /Failed to load mask plugin from 'medsymmflow-mask-broken'.*'setup' must be a function/,
    );
    expect(error.cause).toBeInstanceOf(TypeError);
    expect(listMaskPlugins()).not.toContain('broken');
  });

  it('rejects bad specifiers', async () => {
    await expect(loadMaskPlugin('')).rejects.toThrow(TypeError);
  });
});
