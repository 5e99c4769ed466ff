/**
 * @file Resolution and validation of {@link FlowModelConfig}, shared by `createFlowModel` and loading.
 *
 * @module io/config
 */
import {
  createMaskPlugin,
  type MaskPlugin,
  type MaskPluginConfig,
  restoreMaskPlugin,
} from '@medsymmflow/conditioning-masks';
import { resolveUNetConfig } from '../model/unet.js';
import { FLOW_MODEL_DEFAULTS, type FlowModelConfig, type ResolvedFlowModelConfig } from './flow-model.js';

const KNOWN_KEYS = [
  'numClasses',
  'labels',
  'imageSize',
  'imageChannels',
  'conditioning',
  'architecture',
  'dataset',
  'normalization',
  'metadata',
];

function range(name: string, value: unknown): [number, number] {
  if (
    !Array.isArray(value) ||
    value.length !== 2 ||
    !value.every((v) => typeof v === 'number' && Number.isFinite(v)) ||
    !(value[0] < value[1])
  ) {
    throw new RangeError(
      `Model config '${name}' must be [min, max] with min < max; got ${JSON.stringify(value)}.`,
    );
  }
  return [value[0], value[1]];
}

function positiveInteger(name: string, value: unknown, min = 1): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new RangeError(`Model config '${name}' must be an integer ≥ ${min}; got ${JSON.stringify(value)}.`);
  }
  return value;
}

/**
 * Resolves and validates a model config and builds its mask plugin (loading a third-party plugin package
 * when the config names one). The input is copied, never mutated.
 */
export async function resolveFlowModelConfig(
  config: FlowModelConfig,
): Promise<{ config: ResolvedFlowModelConfig; maskPlugin: MaskPlugin }> {
  if (config === null || typeof config !== 'object') {
    throw new TypeError(`Model config must be an object; got ${JSON.stringify(config)}.`);
  }
  for (const key of Object.keys(config)) {
    if (!KNOWN_KEYS.includes(key)) {
      throw new TypeError(`Unknown model config key '${key}'. Valid keys: ${KNOWN_KEYS.join(', ')}.`);
    }
  }
  let labels: string[] | undefined;
  if (config.labels !== undefined) {
    if (!Array.isArray(config.labels) || !config.labels.every((l) => typeof l === 'string')) {
      throw new TypeError(
        `Model config 'labels' must be an array of strings; got ${JSON.stringify(config.labels)}.`,
      );
    }
    labels = [...config.labels];
  }
  if (config.numClasses === undefined && labels === undefined) {
    throw new TypeError("Model config needs 'numClasses' or 'labels' (class names), e.g. { numClasses: 2 }.");
  }
  const numClasses = positiveInteger('numClasses', config.numClasses ?? labels!.length, 2);
  if (labels && labels.length !== numClasses) {
    throw new RangeError(
      `Model config has ${labels.length} labels but numClasses is ${numClasses}; give one label per class.`,
    );
  }
  labels ??= Array.from({ length: numClasses }, (_, i) => String(i));
  const imageSize = positiveInteger('imageSize', config.imageSize ?? FLOW_MODEL_DEFAULTS.imageSize);
  const imageChannels = positiveInteger(
    'imageChannels',
    config.imageChannels ?? FLOW_MODEL_DEFAULTS.imageChannels,
  );

  const conditioningInput: MaskPluginConfig =
    typeof config.conditioning === 'string'
      ? { name: config.conditioning }
      : structuredClone(config.conditioning ?? FLOW_MODEL_DEFAULTS.conditioning);
  let maskPlugin: MaskPlugin;
  try {
    maskPlugin = conditioningInput.package
      ? await restoreMaskPlugin(conditioningInput, numClasses)
      : createMaskPlugin(conditioningInput, numClasses);
  } catch (error) {
    throw new RangeError(`Model config 'conditioning' is invalid: ${(error as Error).message}`, {
      cause: error,
    });
  }

  const { type = 'unet', ...unetOptions } = structuredClone(config.architecture ?? {}) as Record<
    string,
    unknown
  >;
  if (type !== 'unet') {
    throw new RangeError(`Unknown architecture type ${JSON.stringify(type)}. Should be one of: unet.`);
  }
  for (const derived of ['inChannels', 'outChannels', 'imageSize']) {
    if (derived in unetOptions) {
      // Saved configs carry these; they must agree with the model's own fields.
      const expected = derived === 'imageSize' ? imageSize : imageChannels + maskPlugin.channels;
      if (unetOptions[derived] !== expected) {
        throw new RangeError(
          `Model config 'architecture.${derived}' is ${JSON.stringify(unetOptions[derived])}, but the model needs ${expected} ` +
            `(${derived === 'imageSize' ? 'imageSize' : `${imageChannels} image + ${maskPlugin.channels} '${maskPlugin.name}' mask channels`}).`,
        );
      }
      delete unetOptions[derived];
    }
  }
  let unet: ReturnType<typeof resolveUNetConfig>;
  try {
    unet = resolveUNetConfig({
      ...unetOptions,
      imageSize,
      inChannels: imageChannels + maskPlugin.channels,
      outChannels: imageChannels + maskPlugin.channels,
    });
  } catch (error) {
    const E = error instanceof TypeError ? TypeError : RangeError;
    throw new E(`Model config 'architecture' is invalid: ${(error as Error).message}`, { cause: error });
  }
  const normalization = {
    inputRange: range(
      'normalization.inputRange',
      config.normalization?.inputRange ?? FLOW_MODEL_DEFAULTS.normalization.inputRange,
    ),
    modelRange: range(
      'normalization.modelRange',
      config.normalization?.modelRange ?? FLOW_MODEL_DEFAULTS.normalization.modelRange,
    ),
  } as const;
  const dataset = config.dataset ?? null;
  if (dataset !== null && typeof dataset !== 'string') {
    throw new TypeError(
      `Model config 'dataset' must be a MedMNIST data flag string or null; got ${JSON.stringify(dataset)}.`,
    );
  }
  const metadata = structuredClone(config.metadata ?? {});
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw new TypeError(
      `Model config 'metadata' must be a plain object; got ${JSON.stringify(config.metadata)}.`,
    );
  }
  const pluginJson = maskPlugin.toJSON();
  return {
    config: {
      numClasses,
      labels,
      imageSize,
      imageChannels,
      conditioning: { ...pluginJson, options: { ...pluginJson.options } },
      architecture: { type: 'unet', ...unet },
      dataset,
      normalization,
      metadata,
    },
    maskPlugin,
  };
}
