/**
 * @file Model cards: a markdown page that says what a model was trained on, how it is configured, how well
 * it classifies (MedMNIST ACC/AUC, AURC and a selective-accuracy table from `@medsymmflow/uncertainty`),
 * what it is for and where it fails, with the selective-prediction plot as an SVG next to it.
 *
 * @module model-card/model-card
 */
import { join } from 'node:path';
import { type ResolvedFlowModelConfig, unetParameterCount, writeFileAtomic } from '@medsymmflow/core-flow';
import {
  aurc,
  correctness,
  distanceAuc,
  distanceProbabilities,
  distanceUncertainty,
  expectedCalibrationError,
  getAUC,
  type MedmnistTask,
  perClassReport,
  scoresFromDistances,
  selectivePrediction,
  selectivePredictionSvg,
} from '@medsymmflow/uncertainty';
import { type ExportableModel, modelConfig } from '../model-data.js';

/** The evaluation a model card reports. */
export interface ModelCardEvaluation {
  /** Name of the evaluated split. @defaultValue 'test' */
  split?: string;
  /** True class of each image. */
  labels: ArrayLike<number>;
  /** Per-class mask distances `[n, numClasses]` row-major, as `classify()` returns them. */
  distances: ArrayLike<number>;
  /** MedMNIST task for the AUC. @defaultValue 'binary-class' for 2 classes, else 'multi-class' */
  task?: MedmnistTask;
  /** Rejection rates of the selective-accuracy table. @defaultValue [0, 0.1, 0.2, 0.3, 0.4, 0.5] */
  rejectionRates?: readonly number[];
  /** How classification was run, e.g. `'Euler, 1 step, 1 noise sample'`. */
  procedure?: string;
  /**
   * Temperature of the distance softmax (`softmax(−d/T)`, fitted on validation) for the ECE.
   * @defaultValue 1
   */
  temperature?: number;
}

/** Metrics computed for a model card. */
export interface ModelCardMetrics {
  /** Evaluated images. */
  readonly n: number;
  /** Accuracy of the model's prediction (argmin of the distances). */
  readonly acc: number;
  /** MedMNIST AUC (`getAUC` on negative distances for the task). */
  readonly auc: number;
  /** The official MedSymmFlow AUC (one-vs-rest over all classes, averaged). */
  readonly distanceAuc: number;
  /** Area under the risk–coverage curve with the distance to the predicted class as uncertainty. */
  readonly aurc: number;
  /** Excess AURC over an oracle ranking. */
  readonly eAurc: number;
  /** Expected calibration error (15 bins) of `softmax(−d/T)`. */
  readonly ece: number;
  /** The temperature T of {@link ece}. */
  readonly temperature: number;
  /** Mean per-class recall (over the classes with images). */
  readonly balancedAccuracy: number;
  /** Recall of each class; `null` for a class without images. */
  readonly recall: readonly (number | null)[];
  /** `confusion[truth][predicted]` image counts. */
  readonly confusion: readonly (readonly number[])[];
  /** Accuracy of the kept images after rejecting the most uncertain fraction. */
  readonly selective: readonly {
    readonly rejectionRate: number;
    readonly coverage: number;
    readonly accuracy: number;
  }[];
}

/** What a model card describes. */
export interface ModelCardInput {
  /** Model name, e.g. `'medsymmflow-pneumoniamnist-28'`. */
  name: string;
  /** One paragraph about the model. */
  summary?: string;
  /** Model version. */
  version?: string;
  /** The model (a core-flow `FlowModel` or `FlowNetwork`), or its config (`model.json`'s `config`, ONNX metadata). */
  model: ExportableModel | ResolvedFlowModelConfig;
  /** Training data. Dataset and class names default to the model config's `dataset` and `labels`. */
  data?: {
    /** Dataset, e.g. `'pneumoniamnist'`. @defaultValue the config's `dataset` */
    dataset?: string;
    /** Images per split, e.g. `{ train: 4708, val: 524, test: 624 }`. */
    splits?: Readonly<Record<string, number>>;
    /** Class names, index = label. @defaultValue the config's `labels` */
    labelNames?: readonly string[];
    /** Where the data comes from (citation or URL). */
    source?: string;
    /** Preprocessing and anything else worth knowing. */
    notes?: string;
  };
  /** Training setup as key/value pairs (steps, batch size, learning rate, EMA, engine, duration …). */
  training?: Readonly<Record<string, string | number | boolean>>;
  /** Evaluation to compute metrics and the selective-prediction plot from. */
  evaluation?: ModelCardEvaluation;
  /** More sections (e.g. generated samples), placed after the metrics: a title and markdown. */
  sections?: readonly { readonly title: string; readonly markdown: string }[];
  /** Intended uses. @defaultValue research and education uses (see {@link MODEL_CARD_DEFAULTS}) */
  intendedUse?: readonly string[];
  /** Limitations and out-of-scope uses. @defaultValue the limits of 28 px MedMNIST models */
  limitations?: readonly string[];
  /** License of the weights. */
  license?: string;
  /** How to cite. */
  citation?: string;
}

/** Default texts and file names of model cards. */
export const MODEL_CARD_DEFAULTS = Object.freeze({
  fileName: 'MODEL_CARD.md',
  plotFileName: 'selective-prediction.svg',
  rejectionRates: Object.freeze([0, 0.1, 0.2, 0.3, 0.4, 0.5]),
  intendedUse: Object.freeze([
    'Research on generative classifiers, uncertainty estimation and selective prediction for medical images.',
    'Teaching and benchmarking on MedMNIST; generating class-conditional samples for illustration.',
  ]),
  limitations: Object.freeze([
    'Not a medical device: do not use it for diagnosis, triage or any clinical decision.',
    'Trained on low-resolution (e.g. 28×28) MedMNIST images from one source; accuracy on other scanners, ' +
      'resolutions, populations or preprocessing is unknown and likely lower.',
    'The uncertainty (distance of the predicted mask to the nearest class) ranks errors but is not a calibrated probability.',
    'Generated images are samples of the training distribution, not real patients, and must not be used as clinical data.',
  ]),
});

const isConfig = (model: ExportableModel | ResolvedFlowModelConfig): model is ResolvedFlowModelConfig =>
  (model as ExportableModel).ops === undefined &&
  (model as ResolvedFlowModelConfig).architecture !== undefined;

function argminRows(distances: ArrayLike<number>, n: number, numClasses: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < numClasses; k++) {
      if (distances[i * numClasses + k] < distances[i * numClasses + best]) best = k;
    }
    out[i] = best;
  }
  return out;
}

function evaluate(evaluation: ModelCardEvaluation, numClasses: number) {
  const { labels, distances } = evaluation;
  const n = labels.length;
  if (distances.length !== n * numClasses) {
    throw new RangeError(
      `'distances' must hold n × numClasses = ${n} × ${numClasses} values; got ${distances.length}.`,
    );
  }
  const predictions = argminRows(distances, n, numClasses);
  const correct = correctness(labels, predictions);
  const { balancedAccuracy, recall, confusion } = perClassReport(labels, predictions, numClasses);
  const uncertainty = distanceUncertainty(distances, numClasses);
  const task = evaluation.task ?? (numClasses === 2 ? 'binary-class' : 'multi-class');
  const rates = evaluation.rejectionRates ?? MODEL_CARD_DEFAULTS.rejectionRates;
  const curve = selectivePrediction(uncertainty, correct, { rejectionRates: rates });
  const area = aurc(uncertainty, correct);
  const temperature = evaluation.temperature ?? 1;
  const metrics: ModelCardMetrics = {
    n,
    acc: correct.reduce((s, c) => s + c, 0) / n,
    auc: getAUC(labels, scoresFromDistances(distances, numClasses), task, numClasses),
    distanceAuc: distanceAuc(labels, distances, numClasses),
    aurc: area.aurc,
    eAurc: area.eAurc,
    ece: expectedCalibrationError(
      distanceProbabilities(distances, numClasses, temperature),
      labels,
      numClasses,
    ),
    temperature,
    balancedAccuracy,
    recall,
    confusion,
    selective: curve.points.map((p) => ({
      rejectionRate: p.rejectionRate,
      coverage: p.coverage,
      accuracy: p.accuracy,
    })),
  };
  return { metrics, correct, uncertainty };
}

/** Metrics of a model card from labels and distances. */
export function computeModelCardMetrics(
  evaluation: ModelCardEvaluation,
  numClasses: number,
): ModelCardMetrics {
  return evaluate(evaluation, numClasses).metrics;
}

const pct = (v: number) => `${(100 * v).toFixed(1)} %`;
const escapeCell = (v: unknown) => String(v).replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Result of {@link renderModelCard}. */
export interface RenderedModelCard {
  /** The markdown page. */
  readonly markdown: string;
  /** The selective-prediction plot (only with an evaluation). */
  readonly svg?: string;
  /** The computed metrics (only with an evaluation). */
  readonly metrics?: ModelCardMetrics;
}

/**
 * Renders a model card.
 * @param plotFileName - file name the markdown links the plot as.
 * @example
 * ```ts
 * const { markdown } = await renderModelCard({ name: 'tiny', model, data: { dataset: 'pneumoniamnist' } });
 * ```
 */
export async function renderModelCard(
  input: ModelCardInput,
  plotFileName: string = MODEL_CARD_DEFAULTS.plotFileName,
): Promise<RenderedModelCard> {
  if (!input || typeof input !== 'object' || typeof input.name !== 'string' || input.name.length === 0) {
    throw new TypeError("renderModelCard() needs { name, model }; 'name' must be a non-empty string.");
  }
  if (!input.model || typeof input.model !== 'object') {
    throw new TypeError(
      "renderModelCard() needs 'model': a FlowModel, a FlowNetwork or a saved model config.",
    );
  }
  const modelCfg = isConfig(input.model) ? input.model : await modelConfig(input.model);
  const { architecture: unet, conditioning, numClasses, imageChannels } = modelCfg;
  const { type: _type, ...unetConfig } = unet;
  const numParameters = unetParameterCount(unetConfig);
  const data = input.data ?? {};
  const dataset = data.dataset ?? modelCfg.dataset;
  if (typeof dataset !== 'string' || dataset.length === 0) {
    throw new TypeError(
      "renderModelCard() needs the training dataset: set 'data.dataset' (e.g. 'pneumoniamnist') or the model config's 'dataset'.",
    );
  }
  const labelNames = data.labelNames ?? modelCfg.labels;
  const lines: string[] = [`# ${input.name}${input.version ? ` (v${input.version})` : ''}`, ''];
  lines.push(
    input.summary ??
      'A MedSymmFlow model: one velocity network trained with symmetrical flow matching that classifies an image ' +
        '(reverse flow to a class mask), generates images of a class (forward flow) and reports how sure it is ' +
        '(distance of the predicted mask to the class colour).',
    '',
  );

  lines.push('## Data', '', `- Dataset: **${dataset}**`);
  lines.push(`- Image size: ${modelCfg.imageSize}×${modelCfg.imageSize}, ${imageChannels} channel(s)`);
  if (data.splits) {
    lines.push(
      `- Splits: ${Object.entries(data.splits)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  }
  lines.push(`- Classes (${labelNames.length}): ${labelNames.map((l, i) => `${i} = ${l}`).join('; ')}`);
  const [lo, hi] = modelCfg.normalization.modelRange;
  const [inLo, inHi] = modelCfg.normalization.inputRange;
  lines.push(`- Preprocessing: pixel values [${inLo}, ${inHi}] mapped linearly to [${lo}, ${hi}]`);
  if (data.source) lines.push(`- Source: ${data.source}`);
  if (data.notes) lines.push(`- Notes: ${data.notes}`);
  lines.push('');

  lines.push('## Configuration', '', '| setting | value |', '| --- | --- |');
  const config: [string, unknown][] = [
    ['parameters', numParameters.toLocaleString('en-US')],
    ['image size', unet.imageSize],
    [
      'input channels (image + mask)',
      `${unet.inChannels} (${imageChannels} + ${unet.inChannels - imageChannels})`,
    ],
    ['base channels', unet.baseChannels],
    ['channel multipliers', unet.channelMults.join(', ')],
    ['residual blocks per level', unet.numResBlocks],
    ['attention at', `${unet.attentionResolutions.join(', ')} px (+ middle block)`],
    ['channels per head', unet.numHeadChannels || `${unet.numHeads} heads`],
    ['GroupNorm groups (max)', unet.normGroups],
    ['dropout', unet.dropout],
    ['scale-shift norm', unet.useScaleShiftNorm],
    ['conditioning', `${conditioning.name} ${JSON.stringify(conditioning.options ?? {})}`],
    ['classes', numClasses],
  ];
  for (const [k, v] of config) lines.push(`| ${escapeCell(k)} | ${escapeCell(v)} |`);
  lines.push('');

  if (input.training && Object.keys(input.training).length > 0) {
    lines.push('## Training', '', '| setting | value |', '| --- | --- |');
    for (const [k, v] of Object.entries(input.training))
      lines.push(`| ${escapeCell(k)} | ${escapeCell(v)} |`);
    lines.push('');
  }

  let metrics: ModelCardMetrics | undefined;
  let svg: string | undefined;
  if (input.evaluation) {
    const evaluated = evaluate(input.evaluation, numClasses);
    metrics = evaluated.metrics;
    const split = input.evaluation.split ?? 'test';
    lines.push(
      '## Metrics',
      '',
      `Evaluated on the ${split} split (${metrics.n} images)${input.evaluation.procedure ? `; ${input.evaluation.procedure}` : ''}.`,
      '',
    );
    lines.push('| metric | value |', '| --- | --- |');
    lines.push(`| ACC | ${metrics.acc.toFixed(4)} |`);
    lines.push(`| balanced ACC (mean per-class recall) | ${metrics.balancedAccuracy.toFixed(4)} |`);
    lines.push(`| AUC (MedMNIST) | ${metrics.auc.toFixed(4)} |`);
    lines.push(`| AUC (MedSymmFlow, all classes) | ${metrics.distanceAuc.toFixed(4)} |`);
    lines.push(`| AURC (lower is better) | ${metrics.aurc.toFixed(4)} |`);
    lines.push(`| E-AURC | ${metrics.eAurc.toFixed(4)} |`);
    lines.push(
      `| ECE (15 bins, softmax(−d/T), T = ${metrics.temperature.toPrecision(4)}) | ${metrics.ece.toFixed(4)} |`,
      '',
    );
    lines.push('### Per class', '');
    lines.push(
      'Recall (sensitivity) of each class and where its images went: rows are the true class, columns the prediction.',
      '',
    );
    const names = labelNames.map((l, k) => escapeCell(l === String(k) ? l : `${k} ${l}`));
    lines.push(
      `| true class | images | recall | ${names.map((l) => `→ ${l}`).join(' | ')} |`,
      `| --- | --- | --- |${' --- |'.repeat(names.length)}`,
    );
    const { confusion, recall } = metrics;
    for (const [k, row] of confusion.entries()) {
      const images = row.reduce((a, b) => a + b, 0);
      const classRecall = recall[k];
      lines.push(
        `| ${names[k]} | ${images} | ${classRecall === null ? '–' : pct(classRecall)} | ${row.join(' | ')} |`,
      );
    }
    lines.push('');
    lines.push('### Selective prediction', '');
    lines.push(
      'Images are ranked by uncertainty (distance to the predicted class) and the most uncertain are rejected first.',
      '',
    );
    lines.push('| rejected | coverage | accuracy of kept |', '| --- | --- | --- |');
    for (const p of metrics.selective)
      lines.push(`| ${pct(p.rejectionRate)} | ${pct(p.coverage)} | ${p.accuracy.toFixed(4)} |`);
    lines.push(
      '',
      `![Selective prediction: accuracy of kept images versus rejection rate](${plotFileName})`,
      '',
    );
    svg = selectivePredictionSvg(selectivePrediction(evaluated.uncertainty, evaluated.correct), {
      title: `${input.name}: selective prediction (${split})`,
    });
  }

  for (const section of input.sections ?? [])
    lines.push(`## ${section.title}`, '', section.markdown.trim(), '');
  lines.push('## Intended use', '');
  for (const item of input.intendedUse ?? MODEL_CARD_DEFAULTS.intendedUse) lines.push(`- ${item}`);
  lines.push('', '## Limitations', '');
  for (const item of input.limitations ?? MODEL_CARD_DEFAULTS.limitations) lines.push(`- ${item}`);
  lines.push('');
  if (input.license) lines.push('## License', '', input.license, '');
  if (input.citation) lines.push('## Citation', '', '```', input.citation, '```', '');
  return { markdown: lines.join('\n'), ...(svg ? { svg } : {}), ...(metrics ? { metrics } : {}) };
}

/** Options of {@link writeModelCard}. */
export interface WriteModelCardConfig {
  /** Markdown file name. @defaultValue 'MODEL_CARD.md' */
  fileName?: string;
  /** Plot file name (written next to the markdown). @defaultValue 'selective-prediction.svg' */
  plotFileName?: string;
}

/** Paths written by {@link writeModelCard}. */
export interface WrittenModelCard extends RenderedModelCard {
  readonly markdownPath: string;
  readonly plotPath?: string;
}

/**
 * Renders a model card and writes it (and the selective-prediction SVG) into the existing folder `dir`,
 * each file atomically.
 * @example
 * ```ts
 * await writeModelCard('exported/pneumonia', {
 *   name: 'medsymmflow-pneumoniamnist-28',
 *   model,
 *   data: { splits: { train: 4708, val: 524, test: 624 } },
 *   evaluation: { labels: test.labels, distances: result.distances },
 * });
 * ```
 */
export async function writeModelCard(
  dir: string,
  input: ModelCardInput,
  config: WriteModelCardConfig = {},
): Promise<WrittenModelCard> {
  const fileName = config.fileName ?? MODEL_CARD_DEFAULTS.fileName;
  const plotFileName = config.plotFileName ?? MODEL_CARD_DEFAULTS.plotFileName;
  const rendered = await renderModelCard(input, plotFileName);
  const markdownPath = join(dir, fileName);
  let plotPath: string | undefined;
  if (rendered.svg) {
    plotPath = join(dir, plotFileName);
    await writeFileAtomic(plotPath, rendered.svg);
  }
  await writeFileAtomic(markdownPath, rendered.markdown);
  return { ...rendered, markdownPath, ...(plotPath ? { plotPath } : {}) };
}
