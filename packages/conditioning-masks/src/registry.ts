/**
 * @file The mask plugin registry: built-in plugins by name, third-party registration, and the factory.
 */
import { quote } from './checks';
import { assertMaskPluginDefinition } from './define-mask-plugin';
import { instantiateMaskPlugin } from './mask-plugin-impl';
import { type ResolvedRgbPaletteConfig, rgbPaletteMaskPlugin } from './rgb-palette';
import { type ResolvedScalarConfig, scalarMaskPlugin } from './scalar';
import type { MaskPlugin, MaskPluginConfig, MaskPluginDefinition } from './types';

/** The built-in mask plugins, keyed by name. Frozen. */
export const BUILTIN_MASK_PLUGINS = Object.freeze({
  'rgb-palette': rgbPaletteMaskPlugin,
  scalar: scalarMaskPlugin,
});

/** Name of a built-in mask plugin. */
export type BuiltinMaskPluginName = keyof typeof BUILTIN_MASK_PLUGINS;

/** Resolved options of each built-in plugin. */
export interface BuiltinMaskPluginOptions {
  'rgb-palette': ResolvedRgbPaletteConfig;
  scalar: ResolvedScalarConfig;
}

/** The plugin used when none is named: the paper's RGB palette. */
export const DEFAULT_MASK_PLUGIN: BuiltinMaskPluginName = 'rgb-palette';

// biome-ignore lint/suspicious/noExplicitAny: definitions of any option type live in one registry.
type AnyDefinition = MaskPluginDefinition<string, any>;

const registered = new Map<string, AnyDefinition>();

function isBuiltin(name: string): name is BuiltinMaskPluginName {
  return Object.hasOwn(BUILTIN_MASK_PLUGINS, name);
}

/**
 * Registers a third-party mask plugin so that `createMaskPlugin(name, …)` and model configs can use it.
 * @throws TypeError for an invalid definition; Error when the name is already taken (built-in or registered).
 * @example
 * ```ts
 * registerMaskPlugin(defineMaskPlugin({ name: 'grey', description: '…', defaults: {}, setup: … }));
 * ```
 */
export function registerMaskPlugin<Name extends string, Options extends object>(
  definition: MaskPluginDefinition<Name, Options>,
): MaskPluginDefinition<Name, Options> {
  assertMaskPluginDefinition(definition, 'registerMaskPlugin()');
  const { name } = definition;
  if (isBuiltin(name) || registered.has(name)) {
    throw new Error(
      `Mask plugin '${name}' is already registered${isBuiltin(name) ? ' (built-in)' : ''}. ` +
        'Fix: give your plugin another name, or call unregisterMaskPlugin() first to replace a third-party one.',
    );
  }
  registered.set(name, definition);
  return definition;
}

/**
 * Removes a third-party plugin. Built-in plugins cannot be removed.
 * @returns whether a plugin was removed.
 */
export function unregisterMaskPlugin(name: string): boolean {
  if (isBuiltin(name)) {
    throw new Error(`Mask plugin '${name}' is built in and cannot be unregistered.`);
  }
  return registered.delete(name);
}

/** Names of all available plugins: built-ins first, then registered ones in registration order. */
export function listMaskPlugins(): string[] {
  return [...Object.keys(BUILTIN_MASK_PLUGINS), ...registered.keys()];
}

/**
 * The definition registered under `name`.
 * @throws RangeError listing the available names when `name` is unknown.
 */
export function resolveMaskPlugin<N extends BuiltinMaskPluginName>(
  name: N,
): MaskPluginDefinition<N, BuiltinMaskPluginOptions[N]>;
export function resolveMaskPlugin(name: string): AnyDefinition;
export function resolveMaskPlugin(name: string): AnyDefinition {
  if (typeof name !== 'string') {
    throw new TypeError(`Mask plugin name must be a string, got ${quote(name)}.`);
  }
  const definition = isBuiltin(name) ? BUILTIN_MASK_PLUGINS[name] : registered.get(name);
  if (definition === undefined) {
    throw new RangeError(
      `Unknown mask plugin ${quote(name)}. Should be one of: ${listMaskPlugins()
        .map((n) => `'${n}'`)
        .join(', ')}. ` +
        "Fix: for a plugin published on npm, call `await loadMaskPlugin('<package-name>')` first " +
        '(or use restoreMaskPlugin() with a config that names its package).',
    );
  }
  return definition;
}

/**
 * Creates a mask plugin by name or from a config (`{ name, options }`, as stored in a model config or
 * returned by `plugin.toJSON()`).
 * @param nameOrConfig - `'rgb-palette'`, `'scalar'`, a registered third-party name, or a config object.
 * @param numClasses - number of classes (≥ 2, and ≤ the palette size for `rgb-palette`).
 * @throws RangeError/TypeError for unknown names, bad options or a bad class count.
 * @example
 * ```ts
 * const plugin = createMaskPlugin({ name: 'rgb-palette', options: { beta: 4 } }, 2);
 * plugin.channels;           // 3
 * plugin.classTargets();     // Float32Array [-1, -1, -1, 0.7647, 0.7647, 0.7647]
 * const same = createMaskPlugin(plugin.toJSON(), 2);
 * ```
 */
export function createMaskPlugin<N extends BuiltinMaskPluginName>(
  nameOrConfig: N | MaskPluginConfig<N, BuiltinMaskPluginOptions[N]>,
  numClasses: number,
): MaskPlugin<N, BuiltinMaskPluginOptions[N]>;
export function createMaskPlugin(nameOrConfig: string | MaskPluginConfig, numClasses: number): MaskPlugin;
export function createMaskPlugin(nameOrConfig: string | MaskPluginConfig, numClasses: number): MaskPlugin {
  let name: string;
  let options: Record<string, unknown> | undefined;
  if (typeof nameOrConfig === 'string') {
    name = nameOrConfig;
  } else if (
    nameOrConfig !== null &&
    typeof nameOrConfig === 'object' &&
    typeof nameOrConfig.name === 'string'
  ) {
    name = nameOrConfig.name;
    options = nameOrConfig.options;
    if (
      nameOrConfig.package !== undefined &&
      !isBuiltin(name) &&
      !registered.has(name) &&
      typeof nameOrConfig.package === 'string'
    ) {
      throw new RangeError(
        `Mask plugin '${name}' comes from package '${nameOrConfig.package}', which is not loaded. ` +
          `Fix: call \`await loadMaskPlugin('${nameOrConfig.package}')\` first, or use restoreMaskPlugin().`,
      );
    }
  } else {
    throw new TypeError(
      `createMaskPlugin() needs a plugin name or a { name, options } config, got ${quote(nameOrConfig)}.`,
    );
  }
  return instantiateMaskPlugin(resolveMaskPlugin(name), numClasses, options) as MaskPlugin;
}
