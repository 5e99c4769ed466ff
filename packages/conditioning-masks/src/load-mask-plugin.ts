/**
 * @file Loading third-party mask plugins from npm packages by package name.
 *
 * Node-only: the Node modules it needs are imported on first use (`await import('node:…')`), so the
 * package's entry stays loadable in browsers, where the built-in plugins work and `loadMaskPlugin` is
 * simply not available.
 */
import { quote } from './checks';
import { assertMaskPluginDefinition } from './define-mask-plugin';
import { createMaskPlugin, listMaskPlugins, registerMaskPlugin, resolveMaskPlugin } from './registry';
import type { MaskPlugin, MaskPluginConfig, MaskPluginDefinition } from './types';

/** Options of {@link loadMaskPlugin}. */
export interface LoadMaskPluginConfig {
  /**
   * Directory (or file inside it) that the package name is resolved from, as Node resolves
   * `node_modules`. A path or a `file:` URL.
   * @defaultValue `process.cwd()`
   */
  resolveFrom?: string | URL;
}

const loadedByFile = new Map<string, MaskPluginDefinition<string, object>>();

/** The Node modules the loader uses, imported on demand. */
interface NodeModules {
  existsSync: typeof import('node:fs').existsSync;
  readFileSync: typeof import('node:fs').readFileSync;
  statSync: typeof import('node:fs').statSync;
  createRequire: typeof import('node:module').createRequire;
  dirname: typeof import('node:path').dirname;
  isAbsolute: typeof import('node:path').isAbsolute;
  join: typeof import('node:path').join;
  resolvePath: typeof import('node:path').resolve;
  fileURLToPath: typeof import('node:url').fileURLToPath;
  pathToFileURL: typeof import('node:url').pathToFileURL;
}

let nodeModules: Promise<NodeModules> | undefined;

function loadNodeModules(): Promise<NodeModules> {
  nodeModules ??= Promise.all([
    import('node:fs'),
    import('node:module'),
    import('node:path'),
    import('node:url'),
  ]).then(([fs, module, path, url]) => ({
    existsSync: fs.existsSync,
    readFileSync: fs.readFileSync,
    statSync: fs.statSync,
    createRequire: module.createRequire,
    dirname: path.dirname,
    isAbsolute: path.isAbsolute,
    join: path.join,
    resolvePath: path.resolve,
    fileURLToPath: url.fileURLToPath,
    pathToFileURL: url.pathToFileURL,
  }));
  return nodeModules;
}

function baseFile(node: NodeModules, resolveFrom: string | URL | undefined): string {
  const { existsSync, fileURLToPath, join, resolvePath, statSync } = node;
  let base: string;
  if (resolveFrom === undefined) base = process.cwd();
  else if (resolveFrom instanceof URL || resolveFrom.startsWith('file:')) base = fileURLToPath(resolveFrom);
  else base = resolvePath(resolveFrom);
  const isDir = existsSync(base) ? statSync(base).isDirectory() : base.endsWith('/');
  return isDir ? join(base, '__medsymmflow_resolve__.js') : base;
}

/** Picks an ESM entry from a package.json `exports` value. */
function pickExport(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    for (const v of value) {
      const picked = pickExport(v);
      if (picked) return picked;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    const map = value as Record<string, unknown>;
    if ('.' in map) return pickExport(map['.']);
    for (const condition of ['import', 'node', 'default']) {
      if (condition in map) {
        const picked = pickExport(map[condition]);
        if (picked) return picked;
      }
    }
  }
  return undefined;
}

/** Resolves a bare package name or a path to an absolute file. */
function resolveSpecifier(node: NodeModules, specifier: string, from: string): string {
  const { createRequire, dirname, existsSync, fileURLToPath, isAbsolute, join, readFileSync, resolvePath } =
    node;
  if (specifier.startsWith('file:')) return fileURLToPath(specifier);
  if (specifier.startsWith('.') || isAbsolute(specifier)) return resolvePath(dirname(from), specifier);
  const require = createRequire(from);
  try {
    return require.resolve(specifier);
  } catch (error) {
    // ESM-only packages whose `exports` lack a `require`/`default` condition: find package.json ourselves.
    if ((error as { code?: string }).code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') throw error;
    const pkgJson = require.resolve
      .paths(specifier)
      ?.map((dir) => join(dir, specifier, 'package.json'))
      .find((file) => existsSync(file));
    if (!pkgJson) throw error;
    const pkg = JSON.parse(readFileSync(pkgJson, 'utf8'));
    const entry = pickExport(pkg.exports) ?? pkg.module ?? pkg.main ?? 'index.js';
    return join(dirname(pkgJson), entry);
  }
}

function isDefinition(value: unknown): boolean {
  return (
    value !== null && typeof value === 'object' && typeof (value as { setup?: unknown }).setup === 'function'
  );
}

/**
 * Loads a mask plugin from an npm package (or a file) and registers it under its own name.
 *
 * The package's default export must be a mask plugin definition (see `defineMaskPlugin`). Loading the same
 * package again returns the already registered definition. The returned definition carries `package`, so
 * `plugin.toJSON()` records where the plugin came from and `restoreMaskPlugin` can load it again.
 *
 * @param specifier - package name (`'medsymmflow-mask-checkerboard'`), or a relative/absolute path or `file:` URL.
 * @throws Error "Failed to load mask plugin from X" with the lower-level error as `cause` when the package
 *   cannot be resolved or imported, does not default-export a definition, or its name is already taken.
 * @example
 * ```ts
 * const definition = await loadMaskPlugin('medsymmflow-mask-checkerboard');
 * const plugin = createMaskPlugin(definition.name, 4);
 * ```
 */
export async function loadMaskPlugin(
  specifier: string,
  config: LoadMaskPluginConfig = {},
): Promise<MaskPluginDefinition<string, object>> {
  if (typeof specifier !== 'string' || specifier.length === 0) {
    throw new TypeError(`loadMaskPlugin() needs a package name or path, got ${quote(specifier)}.`);
  }
  let node: NodeModules;
  try {
    node = await loadNodeModules();
  } catch (error) {
    throw new Error(
      `Failed to load mask plugin from '${specifier}': loading plugin packages needs Node.js (node:fs, node:module). ` +
        'In a browser, import the plugin module yourself and call registerMaskPlugin(definition).',
      { cause: error },
    );
  }
  const { dirname, isAbsolute, pathToFileURL } = node;
  const from = baseFile(node, config.resolveFrom);
  try {
    const file = resolveSpecifier(node, specifier, from);
    const cached = loadedByFile.get(file);
    if (cached) return cached;
    const mod = await import(pathToFileURL(file).href);
    let definition: unknown = mod.default;
    if (
      !isDefinition(definition) &&
      isDefinition((definition as { default?: unknown } | undefined)?.default)
    ) {
      definition = (definition as { default: unknown }).default;
    }
    assertMaskPluginDefinition(definition, `default export of '${specifier}'`);
    const isPackage = !(specifier.startsWith('.') || specifier.startsWith('file:') || isAbsolute(specifier));
    const stamped = Object.freeze(isPackage ? { ...definition, package: specifier } : { ...definition });
    registerMaskPlugin(stamped);
    loadedByFile.set(file, stamped);
    return stamped;
  } catch (error) {
    throw new Error(
      `Failed to load mask plugin from '${specifier}' (resolved from ${dirname(from)}): ` +
        `${String((error as Error)?.message ?? error).replace(/\.$/, '')}. ` +
        'Fix: install the package next to your project, check that it default-exports defineMaskPlugin({...}), ' +
        `and that its name is not one of ${listMaskPlugins()
          .map((n) => `'${n}'`)
          .join(', ')}.`,
      { cause: error },
    );
  }
}

/**
 * Recreates a plugin from a stored config, loading its npm package first when the config names one and the
 * plugin is not registered yet.
 * @example
 * ```ts
 * const plugin = await restoreMaskPlugin(modelConfig.conditioning, modelConfig.numClasses);
 * ```
 */
export async function restoreMaskPlugin(
  config: MaskPluginConfig,
  numClasses: number,
  loadConfig?: LoadMaskPluginConfig,
): Promise<MaskPlugin> {
  if (config !== null && typeof config === 'object' && typeof config.package === 'string') {
    let known = true;
    try {
      resolveMaskPlugin(config.name);
    } catch {
      known = false;
    }
    if (!known) await loadMaskPlugin(config.package, loadConfig);
  }
  return createMaskPlugin(config, numClasses);
}
