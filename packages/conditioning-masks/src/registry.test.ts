import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import {
  BUILTIN_MASK_PLUGINS,
  createMaskPlugin,
  DEFAULT_MASK_PLUGIN,
  defineMaskPlugin,
  listMaskPlugins,
  type MaskPlugin,
  type ResolvedRgbPaletteConfig,
  type ResolvedScalarConfig,
  registerMaskPlugin,
  resolveMaskPlugin,
  unregisterMaskPlugin,
} from './index';

const grey = defineMaskPlugin({
  name: 'test-grey',
  description: 'Evenly spaced grey levels, no noise.',
  defaults: { scale: 1 },
  setup: (numClasses: number, { scale }: { scale: number }) => ({
    channels: 1,
    targets: Array.from({ length: numClasses }, (_, k) => scale * ((2 * k) / (numClasses - 1) - 1)),
  }),
});

afterEach(() => {
  unregisterMaskPlugin('test-grey');
});

describe('mask plugin registry', () => {
  it('has frozen built-ins keyed by name', () => {
    expect(Object.keys(BUILTIN_MASK_PLUGINS)).toEqual(['rgb-palette', 'scalar']);
    expect(Object.isFrozen(BUILTIN_MASK_PLUGINS)).toBe(true);
    expect(Object.isFrozen(BUILTIN_MASK_PLUGINS['rgb-palette'])).toBe(true);
    expect(DEFAULT_MASK_PLUGIN).toBe('rgb-palette');
    expect(resolveMaskPlugin('scalar')).toBe(BUILTIN_MASK_PLUGINS.scalar);
  });

  it('types built-in plugins by name (checked by tsc)', () => {
    expectTypeOf(createMaskPlugin('scalar', 2).options).toEqualTypeOf<Readonly<ResolvedScalarConfig>>();
    expectTypeOf(createMaskPlugin({ name: 'rgb-palette', options: { beta: 2 } }, 2)).toEqualTypeOf<
      MaskPlugin<'rgb-palette', ResolvedRgbPaletteConfig>
    >();
    const thirdParty = () => createMaskPlugin('from-npm', 2);
    expectTypeOf(thirdParty).returns.toEqualTypeOf<MaskPlugin>();
    expect(createMaskPlugin('scalar', 2).name).toBe('scalar');
  });

  it('swaps plugins by name', () => {
    for (const [name, channels] of [
      ['rgb-palette', 3],
      ['scalar', 1],
    ] as const) {
      const plugin = createMaskPlugin(name, 4);
      expect(plugin.name).toBe(name);
      expect(plugin.channels).toBe(channels);
      expect(plugin.encode([1, 2], { height: 2, width: 3, random: () => 0.5 })).toHaveLength(
        2 * 6 * channels,
      );
    }
  });

  it('registers third-party plugins and uses them like built-ins', () => {
    registerMaskPlugin(grey);
    expect(listMaskPlugins()).toEqual(['rgb-palette', 'scalar', 'test-grey']);
    const plugin = createMaskPlugin({ name: 'test-grey', options: { scale: 2 } }, 3);
    expect(Array.from(plugin.classTargets())).toEqual([-2, 0, 2]);
    const mask = plugin.encode([2, 0], { height: 1, width: 2, random: Math.random });
    expect(Array.from(mask)).toEqual([2, 2, -2, -2]); // noiseWidth defaults to 0
    expect(Array.from(plugin.predict(plugin.distances(mask, { height: 1, width: 2 })))).toEqual([2, 0]);
    expect(createMaskPlugin(plugin.toJSON(), 3).options).toEqual({ scale: 2 });
  });

  it('refuses taken names', () => {
    registerMaskPlugin(grey);
    expect(() => registerMaskPlugin(grey)).toThrow(/'test-grey' is already registered/);
    expect(() => registerMaskPlugin({ ...grey, name: 'scalar' })).toThrow(
      /'scalar' is already registered \(built-in\)/,
    );
    expect(() => unregisterMaskPlugin('scalar')).toThrow(/built in/);
    expect(unregisterMaskPlugin('test-grey')).toBe(true);
    expect(unregisterMaskPlugin('test-grey')).toBe(false);
  });

  it('lists valid names for unknown plugins and says how to load packages', () => {
    expect(() => createMaskPlugin('rgb', 2)).toThrow(
      /Unknown mask plugin "rgb". Should be one of: 'rgb-palette', 'scalar'.*loadMaskPlugin/,
    );
    expect(() => createMaskPlugin({ name: 'checkerboard', package: 'some-pkg' }, 2)).toThrow(
      /comes from package 'some-pkg', which is not loaded.*loadMaskPlugin\('some-pkg'\)/,
    );
    expect(() => createMaskPlugin(42 as unknown as string, 2)).toThrow(TypeError);
  });

  it('checks definitions', () => {
    expect(() => defineMaskPlugin({ ...grey, name: 'Bad Name' })).toThrow(/kebab-case.*"Bad Name"/);
    expect(() => defineMaskPlugin({ ...grey, setup: undefined } as never)).toThrow(
      /'setup' must be a function/,
    );
    const wrongTargets = defineMaskPlugin({
      name: 'test-grey',
      description: '',
      defaults: {},
      setup: () => ({ channels: 2, targets: [0, 1, 2] }),
    });
    registerMaskPlugin(wrongTargets);
    expect(() => createMaskPlugin('test-grey', 2)).toThrow(/returned 3 target values; expected .* 4/);
  });
});
