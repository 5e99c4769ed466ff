/**
 * @file The `tfjs` exporter: core-flow's saved-model folder — `model.json` (format
 * `medsymmflow-flow-model`: the model config plus a tfjs weights manifest) and float32 weight shards of at
 * most 4 MiB, as `tf.io` writes them. core-flow owns the format; this exporter writes it through
 * `FlowModel.save` and `loadFlowModel` from `@medsymmflow/core-flow` reads it back on any engine.
 *
 * @module tfjs/tfjs-exporter
 */
import { createFlowModel, type FlowModel } from '@medsymmflow/core-flow';
import { type ExportableModel, modelConfig, modelParamData } from '../model-data.js';

/** Options of the `tfjs` exporter. */
export interface TfjsExportOptions {
  /**
   * Engine that briefly holds the weights while a plain `FlowNetwork` (not a `FlowModel`) is converted for
   * saving; any tfjs engine works, the weights are copied exactly.
   * @defaultValue 'cpu'
   */
  engine?: string;
}

const isFlowModel = (model: ExportableModel): model is ExportableModel & FlowModel =>
  typeof (model as Partial<FlowModel>).save === 'function' && model.config !== undefined;

/** The `tfjs` exporter. */
export const tfjsExporter = {
  name: 'tfjs' as const,
  description:
    "core-flow's saved model: model.json + tfjs weight shards, loadable with loadFlowModel on any engine",
  files: Object.freeze(['model.json', 'group1-shard1ofN.bin']),
  async export(model: ExportableModel, outDir: string, options: TfjsExportOptions = {}): Promise<void> {
    const weights = modelParamData(model);
    if (isFlowModel(model)) {
      await model.save(outDir, { overwrite: true });
      return;
    }
    const config = await modelConfig(model);
    const flowModel = await createFlowModel(config, { engine: options.engine ?? 'cpu' });
    try {
      flowModel.setWeights(weights);
      await flowModel.save(outDir, { overwrite: true });
    } finally {
      flowModel.dispose();
    }
  },
};
