/**
 * @file The tfjs engine: one instance per tfjs backend plugin.
 *
 * @module engines/tfjs/tfjs-engine
 */
import * as tf from '@tensorflow/tfjs-core';
import { env, LogLevel, onLogLevelChange } from '../../env.js';
import type { Params } from '../../ops/ops.js';
import type { Engine, EngineInfo, ValueAndGrads } from '../engine.js';
import type { TfjsBackendPlugin } from './backends.js';
import { registerMissingGradients } from './register-gradients.js';
import { createTfjsOps, type TfjsOps } from './tfjs-ops.js';

/** A tfjs engine: {@link Engine} over `tf.Tensor` plus the tfjs module it drives. */
export interface TfjsEngine extends Engine<tf.Tensor> {
  readonly ops: TfjsOps;
  /** The backend plugin. */
  readonly plugin: TfjsBackendPlugin;
  /** The `@tensorflow/tfjs-core` module (for trainers that need tfjs-specific APIs). */
  readonly tf: typeof tf;
}

let logLevelHooked = false;
function followLogLevel(): void {
  const apply = () => tf.env().set('PROD', LogLevel[env.logLevel] < LogLevel.warn);
  apply();
  if (!logLevelHooked) {
    logLevelHooked = true;
    onLogLevelChange(apply);
  }
}

class TfjsEngineImpl implements TfjsEngine {
  readonly plugin: TfjsBackendPlugin;
  readonly tf = tf;
  private opsInstance: TfjsOps | undefined;
  private infoValue: EngineInfo | undefined;

  constructor(plugin: TfjsBackendPlugin) {
    this.plugin = plugin;
  }

  get ops(): TfjsOps {
    if (!this.opsInstance) {
      throw new Error(
        `Engine "${this.plugin.name}" is not initialised. Use resolveEngine() to get a ready engine.`,
      );
    }
    return this.opsInstance;
  }

  async init(): Promise<void> {
    if (this.opsInstance) return;
    followLogLevel();
    registerMissingGradients();
    await this.plugin.load();
    let ok: boolean;
    try {
      ok = await tf.setBackend(this.plugin.tfBackend);
    } catch (error) {
      throw new Error(
        `tfjs backend "${this.plugin.tfBackend}" failed to initialise: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    if (!ok) {
      throw new Error(
        `tfjs backend "${this.plugin.tfBackend}" (from ${this.plugin.packageName}) failed to initialise. ` +
          `Reinstall it with \`npm i ${this.plugin.packageName}\` or choose another engine.`,
      );
    }
    const ops = createTfjsOps({ backend: this.plugin.tfBackend });
    const details = this.plugin.details ? await this.plugin.details() : {};
    this.infoValue = Object.freeze({
      name: this.plugin.name,
      family: 'tfjs',
      backend: this.plugin.tfBackend,
      version: tf.version_core,
      packageName: this.plugin.packageName,
      convGradient: ops.convGradient,
      ...details,
    });
    env.versions.tfjs = tf.version_core;
    this.opsInstance = ops;
  }

  info(): EngineInfo {
    if (!this.infoValue) {
      throw new Error(
        `Engine "${this.plugin.name}" is not initialised. Use resolveEngine() to get a ready engine.`,
      );
    }
    return this.infoValue;
  }

  valueAndGrads(
    f: (params: Params<tf.Tensor>) => tf.Tensor,
    params: Params<tf.Tensor>,
  ): ValueAndGrads<tf.Tensor> {
    this.ops.activate();
    const names = Object.keys(params);
    const tensors = names.map((name) => params[name]);
    const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => {
      const record: Params<tf.Tensor> = {};
      names.forEach((name, i) => {
        record[name] = xs[i];
      });
      return f(record) as tf.Scalar;
    })(tensors);
    const out: Params<tf.Tensor> = {};
    names.forEach((name, i) => {
      out[name] = grads[i];
    });
    return { value, grads: out };
  }
}

/** Creates an (uninitialised) tfjs engine for a backend plugin; the registry calls `init()`. */
export function createTfjsEngine(plugin: TfjsBackendPlugin): TfjsEngine {
  return new TfjsEngineImpl(plugin);
}
