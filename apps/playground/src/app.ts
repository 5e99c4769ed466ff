/**
 * @file The playground page: pick a zoo model, drop or choose an image, see the label, distances, calibrated
 * probability, the abstain decision, the predicted mask and the selective-prediction curve; generate
 * images of a class. All model code is the library's: `@medsymmflow/exporters/web` (onnxruntime-web session
 * → core-flow's `classifyAsync` / `generateAsync`) and `@medsymmflow/uncertainty` (probabilities).
 *
 * Query parameters: `zoo` (zoo base URL), `model` (model id), `backend` (`auto` | `wasm` | `webgpu`),
 * `seed`, `steps`, `samples` (classification settings).
 * @module app
 */

import { DEMO_IMAGES, DEMO_LICENSE } from 'virtual:playground-demo';
import { type ClassifyResult, generateAsync, type SolverName } from '@medsymmflow/core-flow/flow';
import { createRandom } from '@medsymmflow/datasets-medmnist/random';
import type { OrtWebFlowModel } from '@medsymmflow/exporters/web';
import {
  readStoredCalibration,
  resolveClassificationSettings,
  type StoredCalibration,
  type StoredThreshold,
} from '@medsymmflow/uncertainty';
import {
  abstainDecision,
  defaultSliderIndex,
  describeFittedOn,
  formatPercent,
  predictedProbability,
  sliderTargets,
} from './lib/calibration';
import { distanceBarsSvg, escapeXml, selectiveCurveSvg } from './lib/charts';
import type { DemoImage } from './lib/demo-labels';
import { describeError } from './lib/errors';
import { type DecodedImage, decodeImage, modelOutputToRgba } from './lib/image';
import { classColours, maskToRgba } from './lib/mask-render';
import { type Backend, configureOrt, loadZooModel, webgpuAvailable } from './lib/runtime';
import { positionOnCurve, readSelectiveCurve, type SelectiveCurve } from './lib/selective';
import { fetchManifest, type PlaygroundModel, resolveZooUrl } from './lib/zoo';

/** Default zoo of a build: `VITE_ZOO_URL`, else a `zoo/` folder next to the page. */
const DEFAULT_ZOO_URL = (import.meta.env.VITE_ZOO_URL as string | undefined) || './zoo/';
/** Generated images use their own seed stream, advanced on every run so repeated clicks give new samples. */
const GENERATE_SEED_BASE = 1000;

interface LoadedModel {
  readonly source: PlaygroundModel;
  readonly model: OrtWebFlowModel;
  readonly calibration: StoredCalibration;
  /** The target-accuracy slider's steps and their thresholds. */
  readonly targets: readonly StoredThreshold[];
  readonly curve: SelectiveCurve;
  readonly colours: string[];
}

interface CurrentImage {
  readonly name: string;
  readonly blob: Blob;
  readonly truth?: DemoImage;
}

function byId<T extends HTMLElement>(doc: Document, id: string): T {
  const element = doc.getElementById(id);
  if (!element) throw new Error(`The page lacks #${id}.`);
  return element as T;
}

function intParam<F>(
  params: URLSearchParams,
  name: string,
  fallback: F,
  min: number,
  max: number,
): number | F {
  const value = Number(params.get(name));
  return params.has(name) && Number.isInteger(value) && value >= min && value <= max ? value : fallback;
}

/** A whole number typed into a settings field, or `undefined` when it is empty or invalid. */
function intInput(input: HTMLInputElement): number | undefined {
  const value = Number(input.value);
  return input.value.trim() !== '' && Number.isInteger(value) && value >= 1 ? value : undefined;
}

/** Draws RGBA pixels into a canvas of the image's own size (CSS scales it up, pixelated). */
function pixelCanvas(doc: Document, rgba: Uint8ClampedArray, size: number, label: string): HTMLCanvasElement {
  const canvas = doc.createElement('canvas');
  canvas.width = size;
  canvas.height = size;
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', label);
  canvas.getContext('2d')?.putImageData(new ImageData(new Uint8ClampedArray(rgba), size, size), 0, 0);
  return canvas;
}

/** Starts the page; resolves when the zoo is read and the first model is loading. */
export async function startPlayground(doc: Document): Promise<void> {
  const params = new URLSearchParams(doc.location.search);
  const zooUrl = resolveZooUrl(doc.location.href, DEFAULT_ZOO_URL);
  const ui = {
    modelSelect: byId<HTMLSelectElement>(doc, 'model-select'),
    status: byId(doc, 'status'),
    modelProgress: byId<HTMLProgressElement>(doc, 'model-progress'),
    error: byId(doc, 'error'),
    errorMessage: byId(doc, 'error-message'),
    errorHint: byId(doc, 'error-hint'),
    dropZone: byId(doc, 'drop-zone'),
    fileInput: byId<HTMLInputElement>(doc, 'file-input'),
    gallery: byId(doc, 'demo-gallery'),
    demoNote: byId(doc, 'demo-note'),
    demoLicense: byId(doc, 'demo-license'),
    result: byId(doc, 'result'),
    generateForm: byId<HTMLFormElement>(doc, 'generate-form'),
    generateClass: byId<HTMLSelectElement>(doc, 'generate-class'),
    generateCount: byId<HTMLInputElement>(doc, 'generate-count'),
    generateSteps: byId<HTMLInputElement>(doc, 'generate-steps'),
    generateButton: byId<HTMLButtonElement>(doc, 'generate-button'),
    generateProgress: byId<HTMLProgressElement>(doc, 'generate-progress'),
    generateStatus: byId(doc, 'generate-status'),
    samples: byId(doc, 'samples'),
    modelInfo: byId(doc, 'model-info'),
    settingsForm: byId<HTMLFormElement>(doc, 'settings-form'),
    zooInput: byId<HTMLInputElement>(doc, 'zoo-url'),
    backendSelect: byId<HTMLSelectElement>(doc, 'backend-select'),
    seed: byId<HTMLInputElement>(doc, 'seed'),
    classifySteps: byId<HTMLInputElement>(doc, 'classify-steps'),
    classifySamples: byId<HTMLInputElement>(doc, 'classify-samples'),
  };
  ui.zooInput.value = zooUrl;
  ui.seed.value = String(intParam(params, 'seed', 0, 0, 2 ** 31 - 1));
  // Empty = the settings the model's calibration was fitted with (as `medsymmflow classify` without flags).
  ui.classifySteps.value = String(intParam(params, 'steps', '', 1, 50));
  ui.classifySamples.value = String(intParam(params, 'samples', '', 1, 16));
  const requestedBackend = params.get('backend') ?? 'auto';
  ui.backendSelect.value = ['auto', 'wasm', 'webgpu'].includes(requestedBackend) ? requestedBackend : 'auto';

  let models: PlaygroundModel[] = [];
  let loaded: LoadedModel | undefined;
  /** The model being loaded, if any: an image picked meanwhile waits for it instead of failing. */
  let loadingId: string | undefined;
  let current: CurrentImage | undefined;
  let lastResult: { image: DecodedImage; result: ClassifyResult } | undefined;
  let sliderIndex = -1;
  let loadToken = 0;
  let classifyToken = 0;
  let generateRuns = 0;

  // ---- messages ----
  const showError = (error: unknown, context?: string) => {
    console.error(error);
    const { message, hint } = describeError(error);
    ui.errorMessage.textContent = context ? `${context}: ${message}` : message;
    ui.errorHint.textContent = hint ?? '';
    ui.error.hidden = false;
  };
  const clearError = () => {
    ui.error.hidden = true;
  };
  byId(doc, 'error-close').addEventListener('click', clearError);
  const setStatus = (text: string) => {
    ui.status.textContent = text;
  };

  // ---- settings ----
  ui.settingsForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = new URL(doc.location.href);
    next.searchParams.set('zoo', ui.zooInput.value.trim());
    next.searchParams.set('backend', ui.backendSelect.value);
    next.searchParams.set('seed', ui.seed.value);
    next.searchParams.set('steps', ui.classifySteps.value);
    next.searchParams.set('samples', ui.classifySamples.value);
    if (loaded) next.searchParams.set('model', loaded.source.entry.id);
    doc.location.assign(next.href);
  });

  // ---- model loading ----
  const chooseBackend = async (): Promise<Backend> => {
    const wanted = ui.backendSelect.value;
    if (wanted === 'wasm') return 'wasm';
    const gpu = await webgpuAvailable();
    if (wanted === 'webgpu' && !gpu) {
      showError(new Error('This browser has no WebGPU adapter; using wasm instead.'));
      return 'wasm';
    }
    return gpu ? 'webgpu' : 'wasm';
  };

  const renderGallery = () => {
    ui.gallery.replaceChildren();
    // The selected model's dataset, even while it loads or after it failed to load.
    const dataset = (loaded?.source ?? models.find((m) => m.entry.id === ui.modelSelect.value))?.entry
      .dataset;
    const images = DEMO_IMAGES.filter((image) => image.dataset === dataset);
    ui.demoNote.textContent = dataset
      ? images.length
        ? `from the ${dataset} test split`
        : `(none built in for ${dataset})`
      : '';
    for (const image of images) {
      const button = doc.createElement('button');
      button.type = 'button';
      button.className = 'demo';
      button.dataset.testid = 'demo';
      button.dataset.file = image.file;
      button.title = `${image.file}: true label ${image.name} (test image #${image.testIndex})`;
      const img = doc.createElement('img');
      img.src = image.url;
      img.alt = `Demo image, true label ${image.name}`;
      const caption = doc.createElement('span');
      caption.textContent = image.name;
      button.append(img, caption);
      button.addEventListener('click', async () => {
        try {
          const response = await fetch(image.url);
          if (!response.ok) throw new Error(`HTTP ${response.status} for ${image.url}`);
          await classifyImage({ name: image.file, blob: await response.blob(), truth: image });
        } catch (error) {
          showError(error, `Demo image ${image.file}`);
        }
      });
      ui.gallery.append(button);
    }
    ui.demoLicense.innerHTML = DEMO_LICENSE
      ? `Demo images: MedMNIST v2 test images — <a href="${DEMO_LICENSE}">licence and attribution</a>.`
      : '';
  };

  const renderGenerateControls = () => {
    ui.generateClass.replaceChildren();
    for (const [i, name] of (loaded?.model.config.labels ?? []).entries()) {
      const option = doc.createElement('option');
      option.value = String(i);
      option.textContent = `${i} · ${name}`;
      ui.generateClass.append(option);
    }
    ui.generateButton.disabled = !loaded;
  };

  const renderModelInfo = () => {
    if (!loaded) {
      ui.modelInfo.textContent = '';
      return;
    }
    const { entry } = loaded.source;
    const m = entry.metrics as { acc?: number; auc?: number; split?: string; n?: number } | null;
    const metrics =
      m && typeof m.acc === 'number'
        ? ` · ${m.split ?? 'test'} ACC ${formatPercent(m.acc)}${typeof m.auc === 'number' ? `, AUC ${m.auc.toFixed(3)}` : ''}${m.n ? ` (n = ${m.n})` : ''}`
        : '';
    ui.modelInfo.textContent =
      `${entry.id} ${entry.version ?? ''} · ${entry.dataset} (${entry.task}) · ${entry.conditioning.name} conditioning` +
      `${metrics} · weights ${entry.license.weights ?? 'n/a'}, data ${entry.license.data}`;
  };

  const loadModel = async (source: PlaygroundModel) => {
    const token = ++loadToken;
    const previous = loaded;
    loaded = undefined;
    loadingId = source.entry.id;
    ui.generateButton.disabled = true;
    ui.modelSelect.value = source.entry.id;
    clearError();
    setStatus(`Loading ${source.entry.id}…`);
    ui.modelProgress.hidden = false;
    ui.modelProgress.removeAttribute('value');
    ui.result.dataset.status = lastResult ? 'stale' : 'empty';
    renderGallery();
    try {
      const backend = await chooseBackend();
      const model = await loadZooModel(source, backend, ({ received, total }) => {
        if (token !== loadToken) return;
        if (total) {
          ui.modelProgress.max = total;
          ui.modelProgress.value = received;
        }
        setStatus(
          `Downloading ${source.entry.id}… ${(received / 1024 / 1024).toFixed(1)} MB` +
            (current ? ` · then classifying ${current.name}` : ''),
        );
      });
      if (token !== loadToken) {
        await model.dispose();
        return;
      }
      await previous?.model.dispose();
      const calibration = readStoredCalibration(model.config.metadata);
      loaded = {
        source,
        model,
        calibration,
        targets: sliderTargets(calibration),
        curve: readSelectiveCurve(source.entry.metrics),
        colours: classColours(model.maskPlugin),
      };
      sliderIndex = defaultSliderIndex(loaded.targets);
      setStatus(
        `${source.entry.id} ready · ${backend === 'webgpu' ? 'WebGPU' : 'wasm'} · ${model.config.imageSize}×${model.config.imageSize} ${model.config.imageChannels === 1 ? 'grey' : 'RGB'}`,
      );
      doc.body.dataset.model = source.entry.id;
      renderGallery();
      renderGenerateControls();
      renderModelInfo();
      if (current) await classifyImage(current);
      else ui.result.dataset.status = 'empty';
    } catch (error) {
      if (token !== loadToken) return;
      await previous?.model.dispose();
      doc.body.dataset.model = '';
      setStatus(`No model loaded. Pick another one above.`);
      renderGallery();
      renderGenerateControls();
      renderModelInfo();
      ui.result.dataset.status = 'empty';
      showError(error);
    } finally {
      if (token === loadToken) {
        ui.modelProgress.hidden = true;
        loadingId = undefined;
      }
    }
  };

  ui.modelSelect.addEventListener('change', () => {
    const source = models.find((m) => m.entry.id === ui.modelSelect.value);
    if (source) void loadModel(source);
  });

  // ---- classification ----
  const renderResult = () => {
    if (!loaded || !lastResult || !current) return;
    const { model, calibration, targets, curve, colours } = loaded;
    const { image, result } = lastResult;
    const { labels } = model.config;
    const k = result.numClasses;
    const label = result.labels[0];
    const distances = result.distances.slice(0, k);
    const uncertainty = result.uncertainty[0];
    const probability = predictedProbability(distances, label, calibration.temperature);
    const entry = sliderIndex >= 0 ? targets[sliderIndex] : undefined;
    const decision = abstainDecision(uncertainty, entry, calibration);
    const size = model.config.imageSize;
    const truth = current.truth;

    const root = ui.result;
    root.replaceChildren();
    const head = doc.createElement('div');
    head.className = 'verdict';
    head.innerHTML =
      `<div><span class="caption">Predicted</span> <strong class="label" data-testid="label" data-label="${label}">${escapeXml(labels[label])}</strong></div>` +
      `<div><span class="caption">Calibrated probability</span> <strong data-testid="probability">${
        probability === null ? 'n/a' : formatPercent(probability)
      }</strong>${probability === null ? '<small>the model stores no temperature</small>' : ''}</div>` +
      `<div><span class="caption">Uncertainty</span> <strong data-testid="uncertainty">${uncertainty.toFixed(4)}</strong><small>distance to the predicted class colour</small></div>` +
      (truth
        ? `<div><span class="caption">True label</span> <strong>${escapeXml(truth.name)}</strong></div>`
        : '');
    root.append(head);

    // Abstain decision with the target-accuracy slider.
    const abstain = doc.createElement('div');
    abstain.className = 'abstain';
    const badge =
      decision.kind === 'abstain'
        ? `<span class="badge abstain-yes" data-testid="abstain" data-abstain="true">Abstain — refer to a specialist</span>`
        : decision.kind === 'predict'
          ? `<span class="badge abstain-no" data-testid="abstain" data-abstain="false">Confident enough to predict</span>`
          : `<span class="badge abstain-unknown" data-testid="abstain" data-abstain="unknown">No decision</span>`;
    const target = entry ? formatPercent(entry.targetAccuracy) : '—';
    abstain.innerHTML =
      `${badge}<label class="slider">Target accuracy <strong>${target}</strong>` +
      `<input type="range" data-testid="target-slider" min="0" max="${Math.max(0, targets.length - 1)}" step="1" value="${Math.max(0, sliderIndex)}" ${targets.length ? '' : 'disabled'} list="target-ticks"/></label>` +
      `<small>${
        decision.kind === 'unknown'
          ? escapeXml(decision.reason)
          : `Abstains when the uncertainty exceeds ${decision.threshold.toFixed(4)}, the threshold fitted on ${escapeXml(describeFittedOn(calibration) ?? 'validation')} to reach ${target} accuracy.`
      }</small>`;
    abstain.querySelector('input')?.addEventListener('input', (event) => {
      sliderIndex = Number((event.target as HTMLInputElement).value);
      renderResult();
      (ui.result.querySelector('[data-testid="target-slider"]') as HTMLInputElement | null)?.focus();
    });
    root.append(abstain);

    // Distances.
    const bars = doc.createElement('figure');
    bars.innerHTML = `${distanceBarsSvg({ labels, distances, predicted: label, colours })}<figcaption>Mean per-pixel distance of the predicted mask to each class colour — the closest class wins.</figcaption>`;
    root.append(bars);

    // Image and predicted mask.
    const pair = doc.createElement('div');
    pair.className = 'pair';
    const inputFigure = doc.createElement('figure');
    inputFigure.append(pixelCanvas(doc, image.preview.data, size, 'The image as the model sees it'));
    inputFigure.insertAdjacentHTML(
      'beforeend',
      `<figcaption>Input ${size}×${size}${image.resized ? ` (resized from ${image.width}×${image.height})` : ''}</figcaption>`,
    );
    const maskFigure = doc.createElement('figure');
    maskFigure.dataset.testid = 'mask';
    if (result.masks) {
      maskFigure.append(
        pixelCanvas(doc, maskToRgba(result.masks, size, model.maskPlugin), size, 'Predicted mask'),
      );
    }
    const legend = labels
      .map((name, i) => `<span class="swatch" style="--swatch:${colours[i]}"></span>${escapeXml(name)}`)
      .join(' ');
    maskFigure.insertAdjacentHTML('beforeend', `<figcaption>Predicted mask · ${legend}</figcaption>`);
    pair.append(inputFigure, maskFigure);
    root.append(pair);

    // Selective-prediction curve.
    const selective = doc.createElement('figure');
    selective.dataset.testid = 'selective';
    if (curve.available) {
      const position = positionOnCurve(curve.points, uncertainty);
      selective.innerHTML =
        selectiveCurveSvg({ points: curve.points, position, targetAccuracy: entry?.targetAccuracy }) +
        `<figcaption>${
          position === null
            ? 'The curve reports no thresholds, so this image is not placed on it.'
            : position.beyondCurve
              ? 'This image is more uncertain than every test image: it is the first to be rejected.'
              : position.keptEverywhere
                ? `This image is kept even when the ${formatPercent(position.reject)} most uncertain test images are rejected.`
                : `This image would be rejected once the ${formatPercent(position.reject)} most uncertain ${curve.split} images are (accuracy on the rest: ${formatPercent(position.acc)}).`
        }</figcaption>`;
    } else {
      selective.innerHTML = `<p class="note" data-testid="selective-note">${escapeXml(curve.reason)}</p>`;
    }
    root.append(selective);
    root.dataset.status = 'done';
    root.dataset.image = current.name;
  };

  async function classifyImage(image: CurrentImage): Promise<void> {
    current = image;
    if (!loaded) {
      // Classified as soon as the model has loaded (loadModel classifies the current image).
      if (loadingId) setStatus(`${image.name} will be classified when ${loadingId} has loaded…`);
      else showError(new Error('No model is loaded; pick a model that loads, then try again.'));
      return;
    }
    const token = ++classifyToken;
    const { model } = loaded;
    ui.result.dataset.status = 'running';
    setStatus(`Classifying ${image.name}…`);
    try {
      const decoded = await decodeImage(
        image.blob,
        image.name,
        model.config.imageSize,
        model.config.imageChannels,
        model.config.normalization,
      );
      const settings = resolveClassificationSettings(
        { steps: intInput(ui.classifySteps), samples: intInput(ui.classifySamples) },
        loaded.calibration,
      );
      const result = await model.classify({
        images: decoded.input,
        solver: settings.solver as SolverName,
        steps: settings.steps,
        numSamples: settings.samples,
        random: createRandom(Number(ui.seed.value) || 0),
        returnMasks: true,
      });
      if (token !== classifyToken || loaded?.model !== model) return;
      lastResult = { image: decoded, result };
      clearError();
      renderResult();
      setStatus(
        `${loaded.source.entry.id}: classified ${image.name} (${settings.solver}, ${settings.steps} step` +
          `${settings.steps === 1 ? '' : 's'}, ${settings.samples} noise mask${settings.samples === 1 ? '' : 's'})`,
      );
    } catch (error) {
      if (token !== classifyToken) return;
      ui.result.dataset.status = lastResult ? 'stale' : 'empty';
      setStatus('');
      showError(error);
    }
  }

  const onFiles = (files: FileList | null | undefined) => {
    const file = files?.[0];
    if (file) void classifyImage({ name: file.name, blob: file });
  };
  ui.fileInput.addEventListener('change', () => {
    onFiles(ui.fileInput.files);
    ui.fileInput.value = '';
  });
  ui.dropZone.addEventListener('dragover', (event) => {
    event.preventDefault();
    ui.dropZone.classList.add('over');
  });
  ui.dropZone.addEventListener('dragleave', () => ui.dropZone.classList.remove('over'));
  ui.dropZone.addEventListener('drop', (event) => {
    event.preventDefault();
    ui.dropZone.classList.remove('over');
    onFiles(event.dataTransfer?.files);
  });

  // ---- generation ----
  ui.generateForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!loaded) return;
    const { model } = loaded;
    const label = Number(ui.generateClass.value);
    const count = Math.min(16, Math.max(1, Math.round(Number(ui.generateCount.value) || 4)));
    const steps = Math.min(100, Math.max(1, Math.round(Number(ui.generateSteps.value) || 25)));
    ui.generateCount.value = String(count);
    ui.generateSteps.value = String(steps);
    const seed = GENERATE_SEED_BASE + generateRuns++;
    ui.generateButton.disabled = true;
    ui.samples.replaceChildren();
    ui.samples.dataset.status = 'running';
    ui.generateProgress.max = steps;
    ui.generateProgress.value = 0;
    ui.generateStatus.textContent = `Generating ${count} × ${model.config.labels[label]}… step 0/${steps}`;
    // Let the page paint between solver steps: each network call waits for a macrotask first.
    const network = {
      ...model.network,
      velocity: async (t: number, x: Parameters<typeof model.network.velocity>[1]) => {
        await new Promise((resolve) => setTimeout(resolve, 0));
        return model.network.velocity(t, x);
      },
    };
    try {
      const result = await generateAsync({
        model: network,
        labels: new Array(count).fill(label),
        steps,
        batchSize: 16,
        random: createRandom(seed),
        onProgress: (e) => {
          if (e.step === undefined) return;
          ui.generateProgress.value = e.step;
          ui.generateStatus.textContent = `Generating ${count} × ${model.config.labels[label]}… step ${e.step}/${steps}`;
        },
      });
      const size = model.config.imageSize;
      const channels = model.config.imageChannels;
      const per = size * size * channels;
      for (let i = 0; i < count; i++) {
        const rgba = modelOutputToRgba(
          result.images.subarray(i * per, (i + 1) * per),
          size,
          channels,
          model.config.normalization,
        );
        const canvas = pixelCanvas(doc, rgba, size, `Generated ${model.config.labels[label]} #${i + 1}`);
        const img = doc.createElement('img');
        img.src = canvas.toDataURL('image/png');
        img.alt = canvas.getAttribute('aria-label') ?? '';
        img.dataset.testid = 'sample';
        ui.samples.append(img);
      }
      ui.samples.dataset.status = 'done';
      ui.generateStatus.textContent = `${count} × ${model.config.labels[label]} · ${steps} Euler steps · seed ${seed}`;
    } catch (error) {
      ui.samples.dataset.status = 'error';
      ui.generateStatus.textContent = '';
      showError(error, 'Generation failed');
    } finally {
      ui.generateButton.disabled = !loaded;
    }
  });

  // ---- start ----
  configureOrt();
  setStatus(`Reading the zoo at ${zooUrl}…`);
  try {
    ({ models } = await fetchManifest(zooUrl));
  } catch (error) {
    ui.modelSelect.replaceChildren(new Option('No zoo', ''));
    setStatus('');
    showError(error);
    renderGallery();
    return;
  }
  ui.modelSelect.replaceChildren(
    ...models.map(
      (m) => new Option(`${m.entry.id} — ${m.entry.dataset}, ${m.entry.labels.length} classes`, m.entry.id),
    ),
  );
  ui.modelSelect.disabled = models.length === 0;
  if (models.length === 0) {
    ui.modelSelect.replaceChildren(new Option('No model available', ''));
    setStatus('');
    showError(
      new Error(`The zoo at ${zooUrl} has no available model with an ONNX file yet.`),
      'Nothing to run',
    );
    renderGallery();
    return;
  }
  const wanted = params.get('model');
  const first = models.find((m) => m.entry.id === wanted) ?? models[0];
  if (wanted && first.entry.id !== wanted)
    showError(new Error(`The zoo has no available model "${wanted}"; showing ${first.entry.id}.`));
  await loadModel(first);
}
