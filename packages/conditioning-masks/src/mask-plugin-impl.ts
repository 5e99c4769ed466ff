/**
 * @file Turns a plugin definition into a ready-to-use plugin instance (internal).
 */
import { assertArrayLike, assertFinite, assertInteger, quote, resolveShape } from './checks';
import { argminRows, meanPixelL2 } from './distances';
import type { EncodeOptions, MaskPlugin, MaskPluginConfig, MaskPluginDefinition } from './types';

/**
 * Copies `options` over the definition's defaults, rejects unknown keys and values whose type differs from
 * the default's, then runs the definition's own `validate`. Never mutates its input.
 */
export function resolveOptions<Options extends object>(
  definition: MaskPluginDefinition<string, Options>,
  options: Partial<Options> | undefined,
  numClasses: number,
): Options {
  const defaults = definition.defaults as Record<string, unknown>;
  const resolved: Record<string, unknown> = { ...defaults };
  if (options !== undefined && options !== null) {
    if (typeof options !== 'object' || Array.isArray(options)) {
      throw new TypeError(
        `Options of mask plugin '${definition.name}' must be an object, got ${quote(options)}.`,
      );
    }
    const valid = Object.keys(defaults);
    for (const [key, value] of Object.entries(options)) {
      if (!Object.hasOwn(defaults, key)) {
        throw new TypeError(
          `Unknown option ${quote(key)} for mask plugin '${definition.name}'. ` +
            `Valid options: ${valid.length > 0 ? valid.map((k) => `'${k}'`).join(', ') : '(none)'}.`,
        );
      }
      if (value === undefined) continue;
      if (typeof value !== typeof defaults[key]) {
        throw new TypeError(
          `Option '${key}' of mask plugin '${definition.name}' must be a ${typeof defaults[key]}, got ${quote(value)}.`,
        );
      }
      resolved[key] = value;
    }
  }
  definition.validate?.(resolved as Options, numClasses);
  return resolved as Options;
}

/** Builds a plugin instance; `numClasses` and the options are validated here. */
export function instantiateMaskPlugin<Name extends string, Options extends object>(
  definition: MaskPluginDefinition<Name, Options>,
  numClasses: number,
  options?: Partial<Options>,
): MaskPlugin<Name, Options> {
  assertInteger(`numClasses for mask plugin '${definition.name}'`, numClasses, 2);
  const resolved = Object.freeze(resolveOptions(definition, options, numClasses));
  const setup = definition.setup(numClasses, resolved);
  const channels = assertInteger(`'${definition.name}' setup().channels`, setup.channels, 1);
  if (setup.targets.length !== numClasses * channels) {
    throw new RangeError(
      `Mask plugin '${definition.name}' returned ${setup.targets.length} target values; ` +
        `expected numClasses * channels = ${numClasses * channels}.`,
    );
  }
  const targets = Float32Array.from(setup.targets);
  assertFinite(`Mask plugin '${definition.name}' class targets`, targets);
  const noiseWidth = setup.noiseWidth ?? 0;
  if (!Number.isFinite(noiseWidth) || noiseWidth < 0) {
    throw new RangeError(
      `Mask plugin '${definition.name}' noiseWidth must be >= 0, got ${quote(noiseWidth)}.`,
    );
  }

  const checkLabels = (labels: ArrayLike<number>): Int32Array => {
    assertArrayLike('labels', labels);
    const out = new Int32Array(labels.length);
    for (let i = 0; i < labels.length; i++) {
      const label = labels[i];
      if (!Number.isInteger(label) || label < 0 || label >= numClasses) {
        throw new RangeError(
          `Label ${quote(label)} at index ${i} is not a class of this ${numClasses}-class '${definition.name}' ` +
            `plugin. Labels must be integers in [0, ${numClasses - 1}].`,
        );
      }
      out[i] = label;
    }
    return out;
  };

  const defaultEncode = (labels: Int32Array, { height, width, random }: EncodeOptions): Float32Array => {
    const pixels = height * width;
    const out = new Float32Array(labels.length * pixels * channels);
    let o = 0;
    for (let b = 0; b < labels.length; b++) {
      const t = labels[b] * channels;
      for (let p = 0; p < pixels; p++) {
        for (let c = 0; c < channels; c++) {
          const u = random();
          if (!(u >= 0 && u < 1)) {
            throw new RangeError(
              `random() must return numbers in [0, 1), got ${quote(u)}. ` +
                'Fix: pass a uniform generator such as createRandom(seed).uniform from @medsymmflow/datasets-medmnist.',
            );
          }
          out[o++] = targets[t + c] + noiseWidth * (u - 0.5);
        }
      }
    }
    return out;
  };

  const plugin: MaskPlugin<Name, Options> = {
    name: definition.name,
    numClasses,
    channels,
    options: resolved,
    encode(labels, encodeOptions) {
      if (encodeOptions === null || typeof encodeOptions !== 'object') {
        throw new TypeError(`encode() needs { height, width, random }, got ${quote(encodeOptions)}.`);
      }
      const height = assertInteger('encode() height', encodeOptions.height, 1);
      const width = assertInteger('encode() width', encodeOptions.width, 1);
      if (typeof encodeOptions.random !== 'function') {
        throw new TypeError(
          `encode() needs a 'random' function returning uniform numbers in [0, 1), got ${quote(encodeOptions.random)}. ` +
            'Fix: pass createRandom(seed).uniform from @medsymmflow/datasets-medmnist, or () => 0.5 for no noise.',
        );
      }
      const checked = checkLabels(labels);
      const args = { height, width, random: encodeOptions.random };
      const mask = setup.encode ? setup.encode(checked, args) : defaultEncode(checked, args);
      const expected = checked.length * height * width * channels;
      if (mask.length !== expected) {
        throw new RangeError(
          `Mask plugin '${definition.name}' encode() returned ${mask.length} values; expected ${expected}.`,
        );
      }
      return mask;
    },
    classTargets() {
      return targets.slice();
    },
    distances(predictedMask, shape) {
      assertArrayLike('predictedMask', predictedMask);
      const size = resolveShape(predictedMask, shape, channels);
      assertFinite('Predicted mask', predictedMask);
      const out = setup.distances
        ? setup.distances(predictedMask, size)
        : meanPixelL2(predictedMask, size.n, size.height * size.width, channels, targets, numClasses);
      if (out.length !== size.n * numClasses) {
        throw new RangeError(
          `Mask plugin '${definition.name}' distances() returned ${out.length} values; expected ${size.n * numClasses}.`,
        );
      }
      return out;
    },
    predict(distances) {
      assertArrayLike('distances', distances);
      if (distances.length % numClasses !== 0) {
        throw new RangeError(
          `distances has ${distances.length} values, not a multiple of numClasses = ${numClasses}. ` +
            'Expected shape [n, numClasses] as returned by distances().',
        );
      }
      for (let i = 0; i < distances.length; i++) {
        if (Number.isNaN(distances[i])) {
          throw new RangeError(
            `distances contains NaN at row ${Math.floor(i / numClasses)}, class ${i % numClasses}.`,
          );
        }
      }
      return argminRows(distances, numClasses);
    },
    toJSON() {
      const config: MaskPluginConfig<Name, Options> & { options: Options } = {
        name: definition.name,
        options: { ...resolved },
      };
      if (definition.package !== undefined) config.package = definition.package;
      return config;
    },
  };
  return Object.freeze(plugin);
}
