/**
 * @packageDocumentation
 * Class-conditioning mask plugins for Symmetrical Flow Matching: labels → masks, predicted masks →
 * per-class distances → labels. Built in: `rgb-palette` (MedSymmFlow) and `scalar` (SymmFlow baseline);
 * third-party plugins register by name or load from npm packages.
 */

// Defining plugins
export { defineMaskPlugin } from './define-mask-plugin';
// Third-party plugins from npm packages
export { type LoadMaskPluginConfig, loadMaskPlugin, restoreMaskPlugin } from './load-mask-plugin';
// Palette
export {
  buildPalette,
  PALETTE_DEFAULTS,
  type PaletteConfig,
  paletteClassColors,
  paletteIndices,
} from './palette';
// Registry and factory
export {
  BUILTIN_MASK_PLUGINS,
  type BuiltinMaskPluginName,
  type BuiltinMaskPluginOptions,
  createMaskPlugin,
  DEFAULT_MASK_PLUGIN,
  listMaskPlugins,
  registerMaskPlugin,
  resolveMaskPlugin,
  unregisterMaskPlugin,
} from './registry';

// Built-in plugins
export {
  type ResolvedRgbPaletteConfig,
  RGB_PALETTE_DEFAULTS,
  type RgbPaletteConfig,
  rgbPaletteMaskPlugin,
} from './rgb-palette';
export {
  type ResolvedScalarConfig,
  SCALAR_DEFAULTS,
  SCALAR_DISTANCES,
  type ScalarConfig,
  type ScalarDistance,
  scalarMaskPlugin,
} from './scalar';
// Types
export type {
  EncodeOptions,
  MaskPlugin,
  MaskPluginConfig,
  MaskPluginDefinition,
  MaskPluginSetup,
  MaskShape,
  MaskSize,
} from './types';

// Version
export { version } from './version';
