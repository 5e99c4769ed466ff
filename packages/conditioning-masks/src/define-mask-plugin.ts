/**
 * @file `defineMaskPlugin`: the typed way to write a conditioning-mask plugin.
 */
import { quote } from './checks';
import type { MaskPluginDefinition } from './types';

const NAME_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/**
 * Checks a mask plugin definition and returns it frozen, with its literal name type kept.
 *
 * @example
 * ```ts
 * import { defineMaskPlugin, registerMaskPlugin, createMaskPlugin } from '@medsymmflow/conditioning-masks';
 *
 * // One channel, class k is the grey level k / (n - 1) * 2 - 1, no noise.
 * const grey = defineMaskPlugin({
 *   name: 'grey' as const,
 *   description: 'Evenly spaced grey levels without noise.',
 *   defaults: {},
 *   setup: (numClasses) => ({
 *     channels: 1,
 *     targets: Array.from({ length: numClasses }, (_, k) => (2 * k) / (numClasses - 1) - 1),
 *   }),
 * });
 * registerMaskPlugin(grey);
 * createMaskPlugin('grey', 3).classTargets(); // Float32Array [-1, 0, 1]
 * ```
 * @throws TypeError when a required field is missing or has the wrong type.
 */
export function defineMaskPlugin<const Name extends string, Options extends object>(
  definition: MaskPluginDefinition<Name, Options>,
): MaskPluginDefinition<Name, Options> {
  assertMaskPluginDefinition(definition, 'defineMaskPlugin()');
  return Object.freeze({ ...definition, defaults: Object.freeze({ ...definition.defaults }) });
}

/** Throws a TypeError unless `value` looks like a mask plugin definition. `where` names the caller. */
export function assertMaskPluginDefinition(
  value: unknown,
  where: string,
): asserts value is MaskPluginDefinition<string, object> {
  const problems: string[] = [];
  if (value === null || typeof value !== 'object') {
    throw new TypeError(`${where}: a mask plugin definition must be an object, got ${quote(value)}.`);
  }
  const def = value as Record<string, unknown>;
  if (typeof def.name !== 'string' || !NAME_PATTERN.test(def.name)) {
    problems.push(
      `'name' must be a lower-case kebab-case string such as 'rgb-palette', got ${quote(def.name)}`,
    );
  }
  if (typeof def.description !== 'string') {
    problems.push(`'description' must be a string, got ${quote(def.description)}`);
  }
  if (def.defaults === null || typeof def.defaults !== 'object' || Array.isArray(def.defaults)) {
    problems.push(`'defaults' must be a plain object of option defaults, got ${quote(def.defaults)}`);
  }
  if (typeof def.setup !== 'function') problems.push(`'setup' must be a function, got ${quote(def.setup)}`);
  if (def.validate !== undefined && typeof def.validate !== 'function') {
    problems.push(`'validate' must be a function when given, got ${quote(def.validate)}`);
  }
  if (problems.length > 0) {
    throw new TypeError(`${where}: invalid mask plugin definition: ${problems.join('; ')}.`);
  }
}
