/**
 * @file The engine registry (onnxruntime-common's backend registry, for engines).
 *
 * Engines are registered under a name with a priority. {@link resolveEngine} walks a hint list (or every
 * engine by descending priority), initialises each candidate at most once, skips those whose
 * initialisation failed and collects the reasons. The tfjs family is built in and registered lazily (no
 * import-time side effects): `tfjs-node-gpu` (400), `tfjs-node` (300), `wasm` (200), `cpu` (100).
 *
 * @module engines/registry
 */
import { env, logger } from '../env.js';
import type { Engine, EngineInfo, ResolvedEngine, SkippedEngine } from './engine.js';
import { TFJS_BACKENDS } from './tfjs/backends.js';
import { createTfjsEngine } from './tfjs/tfjs-engine.js';

interface Entry {
  readonly engine: Engine;
  readonly priority: number;
  initPromise?: Promise<void>;
  initialized?: boolean;
  error?: unknown;
}

const registry = new Map<string, Entry>();
let builtinsRegistered = false;

function ensureBuiltins(): void {
  if (builtinsRegistered) return;
  builtinsRegistered = true;
  for (const plugin of Object.values(TFJS_BACKENDS)) {
    if (!registry.has(plugin.name)) {
      registry.set(plugin.name, { engine: createTfjsEngine(plugin), priority: plugin.priority });
    }
  }
}

/**
 * Registers an engine under `name`. Higher `priority` is tried first when no hints are given.
 *
 * @throws Error when `name` is already registered (pass a different name, or `replace: true`).
 *
 * @example
 * ```ts
 * registerEngine('my-engine', myEngine, 500);
 * const { name } = await resolveEngine(); // 'my-engine' if its init() succeeds
 * ```
 */
export function registerEngine(
  name: string,
  engine: Engine,
  priority: number,
  options: { replace?: boolean } = {},
): void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError(`Engine name must be a non-empty string; got ${JSON.stringify(name)}.`);
  }
  if (!engine || typeof engine.init !== 'function' || typeof engine.info !== 'function') {
    throw new TypeError(`Engine "${name}" must have init() and info() methods (see the Engine interface).`);
  }
  if (!Number.isFinite(priority)) {
    throw new TypeError(`Engine priority must be a finite number; got ${JSON.stringify(priority)}.`);
  }
  ensureBuiltins();
  if (registry.has(name) && !options.replace) {
    throw new Error(`Engine "${name}" is already registered. Use another name or pass { replace: true }.`);
  }
  registry.set(name, { engine, priority });
}

/** Names of the registered engines (built-in ones included), highest priority first. */
export function listEngines(): string[] {
  ensureBuiltins();
  return [...registry.entries()].sort((a, b) => b[1].priority - a[1].priority).map(([name]) => name);
}

/** @ignore Removes a registered engine (tests, hot reload). */
export function unregisterEngine(name: string): boolean {
  ensureBuiltins();
  return registry.delete(name);
}

async function tryInit(entry: Entry): Promise<unknown | undefined> {
  if (entry.initialized) return undefined;
  if (entry.error !== undefined) return entry.error;
  entry.initPromise ??= entry.engine.init();
  try {
    await entry.initPromise;
    entry.initialized = true;
    return undefined;
  } catch (error) {
    entry.error = error ?? new Error('init() rejected without a reason');
    return entry.error;
  }
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Picks the first engine of `hints` (or of all engines by priority, or of `env.backends.engines`) that
 * initialises, and reports the skipped ones.
 *
 * - With no hints, missing optional engines (e.g. `tfjs-node` not installed) are skipped silently and
 *   logged at `info` level.
 * - A hint that names no registered engine fails with the valid names.
 * - If no candidate initialises, the error lists every reason and how to fix it (e.g. `npm i @tensorflow/tfjs-node`).
 *
 * @example
 * ```ts
 * const { name, info, skipped } = await resolveEngine();
 * console.log(name, info.backend); // 'wasm' 'wasm' (when tfjs-node is not installed)
 * console.log(skipped.map((s) => s.name)); // ['tfjs-node-gpu', 'tfjs-node']
 * ```
 */
export async function resolveEngine<T = unknown>(
  hints?: string | readonly string[],
): Promise<ResolvedEngine<T>> {
  ensureBuiltins();
  const explicit = hints !== undefined ? (typeof hints === 'string' ? [hints] : [...hints]) : undefined;
  const candidates = explicit ?? env.backends.engines ?? listEngines();
  if (candidates.length === 0) {
    throw new RangeError(`Engine hint list is empty. Valid engines: ${listEngines().join(', ')}.`);
  }
  const skipped: SkippedEngine[] = [];
  for (const name of candidates) {
    const entry = registry.get(name);
    if (!entry) {
      throw new RangeError(
        `Unknown engine "${name}". Should be one of: ${listEngines().join(', ')} (or register it with registerEngine()).`,
      );
    }
    const error = await tryInit(entry);
    if (error === undefined) {
      const info: EngineInfo = entry.engine.info();
      for (const s of skipped) logger.info(`engine "${s.name}" skipped: ${s.reason}`);
      logger.info(`using engine "${name}" (${info.family}/${info.backend} ${info.version})`);
      return { name, engine: entry.engine as Engine<T>, info, skipped };
    }
    skipped.push({ name, reason: reasonOf(error) });
  }
  const details = skipped.map((s) => `[${s.name}] ${s.reason}`).join('; ');
  const message =
    skipped.length === 1
      ? `Engine "${skipped[0].name}" is not available: ${skipped[0].reason}`
      : `No available engine among ${candidates.join(', ')}. ${details}`;
  const lastError = registry.get(skipped[skipped.length - 1].name)?.error;
  throw new Error(message, { cause: lastError });
}
