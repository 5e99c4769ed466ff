/**
 * @file What the exporters read from a model: plain parameter data (validated: complete, right sizes,
 * finite) and its configuration in core-flow's saved-model form (`ResolvedFlowModelConfig`: classes,
 * labels, image size/channels, conditioning plugin, architecture, dataset, normalisation, metadata).
 *
 * @module model-data
 */
import {
  type FlowNetwork,
  type ParamSpec,
  type ResolvedFlowModelConfig,
  resolveFlowModelConfig,
} from '@medsymmflow/core-flow';
import { firstNonFinite, sizeOf } from './internal/float-kernels.js';

/**
 * A model the exporters accept: a core-flow `FlowModel` (created, trained or loaded), or any `FlowNetwork`
 * `{ ops, unet, params, maskPlugin, imageChannels }` (its config is then derived from those parts).
 */
export type ExportableModel = FlowNetwork<unknown> & { readonly config?: ResolvedFlowModelConfig };

function assertModel(model: unknown): asserts model is ExportableModel {
  const m = model as Partial<ExportableModel> | null;
  if (!m || typeof m !== 'object' || !m.ops || !m.unet || !m.params || !m.maskPlugin) {
    throw new TypeError(
      "'model' must be a FlowModel or FlowNetwork of @medsymmflow/core-flow: { ops, unet, params, maskPlugin, imageChannels }. " +
        `Got ${m === null ? 'null' : typeof m === 'object' ? `an object with keys ${Object.keys(m).join(', ') || '(none)'}` : typeof m}.`,
    );
  }
  const expected = m.imageChannels! + m.maskPlugin.channels;
  if (!Number.isInteger(m.imageChannels) || m.unet.config.inChannels !== expected) {
    throw new RangeError(
      `The model's UNet takes ${m.unet.config.inChannels} channels, but imageChannels ${JSON.stringify(m.imageChannels)} + ` +
        `${m.maskPlugin.channels} mask channels = ${expected}.`,
    );
  }
}

/**
 * The model's configuration as core-flow stores it in `model.json`: a `FlowModel`'s own `config`, or one
 * derived from a plain network's UNet config, mask plugin and image channels.
 */
export async function modelConfig(model: ExportableModel): Promise<ResolvedFlowModelConfig> {
  assertModel(model);
  if (model.config && typeof model.config === 'object' && model.config.architecture) return model.config;
  const { config } = await resolveFlowModelConfig({
    numClasses: model.maskPlugin.numClasses,
    imageSize: model.unet.config.imageSize,
    imageChannels: model.imageChannels,
    conditioning: model.maskPlugin.toJSON(),
    architecture: { ...model.unet.config },
  });
  return config;
}

/**
 * Checks plain parameter data against the specs: every parameter present with the right number of
 * finite values.
 * @throws RangeError naming the parameter (and the first bad value) otherwise.
 */
export function checkParamData(
  specs: readonly ParamSpec[],
  data: Readonly<Record<string, Float32Array>>,
  where = 'The model',
): void {
  for (const spec of specs) {
    const values = data[spec.name];
    if (!(values instanceof Float32Array)) {
      throw new RangeError(`${where} has no values for parameter "${spec.name}" [${spec.shape.join(', ')}].`);
    }
    if (values.length !== sizeOf(spec.shape)) {
      throw new RangeError(
        `${where}: parameter "${spec.name}" has ${values.length} values; shape [${spec.shape.join(', ')}] needs ${sizeOf(spec.shape)}.`,
      );
    }
    const bad = firstNonFinite(values);
    if (bad) {
      throw new RangeError(
        `${where}: parameter "${spec.name}" contains ${bad.value} at index ${bad.index}. ` +
          'Non-finite weights usually mean training diverged; export a checkpoint from before the divergence.',
      );
    }
  }
}

/** Plain parameter data of `model` (canonical layouts), validated with {@link checkParamData}. */
export function modelParamData(model: ExportableModel): Record<string, Float32Array> {
  assertModel(model);
  const out: Record<string, Float32Array> = {};
  for (const spec of model.unet.paramSpecs) {
    const tensor = model.params[spec.name];
    if (tensor === undefined) {
      throw new RangeError(
        `The model has no tensor for parameter "${spec.name}"; its params record is incomplete.`,
      );
    }
    out[spec.name] = model.ops.read(tensor);
  }
  checkParamData(model.unet.paramSpecs, out);
  return out;
}
