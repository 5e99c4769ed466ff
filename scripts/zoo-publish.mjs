#!/usr/bin/env node
/**
 * Publishes a trained run into the model zoo, the way zoo/README.md ("Publishing a model") describes it, with
 * every number produced by the `medsymmflow` CLI a user has:
 *
 *   node scripts/zoo-publish.mjs --id pneumoniamnist-rgb-28 --run <train --out folder> [--version 1.0.0]
 *
 * 1. copies `<run>/best` (the EMA weights selected on the validation split; `--weights final` for the end of the
 *    run, with `--selection "<why>"` saying on what validation evidence) into a staging folder;
 * 2. `evaluate --split val` with 1, 2, 4 and 8 mask-noise samples per image picks the sample count with the
 *    best mean of validation ACC and AUC (ties: fewer samples); `evaluate --split val --calibrate` with it
 *    stores the softmax temperature, rejection thresholds and these classification settings in model.json
 *    (classify, evaluate and the playground then use them by default);
 * 3. `export --format onnx` adds model.onnx (what `--runtime ort` and the playground run);
 * 4. `evaluate --split test --json` gives the metrics; the manifest records them with the command that
 *    reproduces them from the zoo id;
 * 5. `sample --class all --check` draws the samples grid and measures how often the model classifies its own
 *    samples as the requested class;
 * 6. writes the model card (README.md + selective-prediction.svg + learning-curve.svg, and with --base-run
 *    learning-curve-base.svg for the run that trained a fine-tuned model's initial weights), swaps the staging folder in as zoo/<id>
 *    and rewrites zoo/manifest.json (atomically, validated first).
 *
 * Needs MEDMNIST_ROOT (or ~/.medmnist) to hold the dataset and a build of the packages (`pnpm build`).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(REPO, 'apps', 'cli', 'bin', 'medsymmflow.mjs');
const { resolveUNetConfig, validateZooManifest, writeFileAtomic } = await import(
  join(REPO, 'packages/core-flow/dist/index.js')
);
const { renderModelCard } = await import(join(REPO, 'packages/exporters/dist/index.js'));
const { closestPublishedSize, getDatasetInfo } = await import(
  join(REPO, 'packages/datasets-medmnist/dist/index.js')
);
const { floorSupported, learningCurveSvg, readStoredCalibration, supportedAccuracy } = await import(
  join(REPO, 'packages/uncertainty/dist/index.js')
);

const { values: args } = parseArgs({
  options: {
    id: { type: 'string' },
    run: { type: 'string' },
    version: { type: 'string', default: '1.0.0' },
    'samples-per-class': { type: 'string', default: '8' },
    'check-per-class': { type: 'string', default: '64' },
    'sample-counts': { type: 'string', default: '1,2,4,8' },
    'train-command': { type: 'string' },
    // For a fine-tuned run: how its initial weights were trained (the card replaces the one that said so).
    'base-training': { type: 'string' },
    'base-minutes': { type: 'string' },
    // The run that trained those initial weights: its learning curve goes on the card too.
    'base-run': { type: 'string' },
    // Publish <run>/final instead of <run>/best; --selection then says why (validation evidence, for the card).
    // With best/, --selection adds how this run was chosen over others (e.g. the candidates' validation figures).
    weights: { type: 'string', default: 'best' },
    selection: { type: 'string' },
    zoo: { type: 'string', default: join(REPO, 'zoo') },
  },
});
if (!args.id || !args.run) {
  console.error(
    'usage: node scripts/zoo-publish.mjs --id <zoo id> --run <train --out folder> [--version 1.0.0]',
  );
  process.exit(2);
}
const id = args.id;
const runDir = resolve(args.run);
const zooDir = resolve(args.zoo);
const manifestPath = join(zooDir, 'manifest.json');
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
const entryIndex = manifest.models.findIndex((m) => m.id === id);
if (entryIndex < 0) throw new Error(`No zoo entry "${id}" in ${manifestPath}; add the entry first.`);
const entry = manifest.models[entryIndex];
if (!['best', 'final'].includes(args.weights)) throw new Error('--weights must be best or final.');
if (args.weights === 'final' && !args.selection) {
  throw new Error(
    '--weights final needs --selection "<the validation evidence it was chosen on>" for the card.',
  );
}
const best = join(runDir, args.weights);

/** ", a threshold only where validation shows the target with 95 % confidence", as the calibration recorded it. */
function confidenceText(thresholds) {
  const confidence = thresholds.find((t) => typeof t.confidence === 'number')?.confidence;
  return confidence
    ? `; a threshold only where the validation images show the target accuracy with ${confidence * 100} % confidence`
    : '';
}

/** "; the highest target …": what `classify --target-acc` can still serve, from the stored validation evidence. */
function supportedText(calibration) {
  const supported = supportedAccuracy(readStoredCalibration({ calibration }));
  if (!supported) return '';
  return (
    `; the highest target accuracy the validation evidence supports is ${floorSupported(supported.accuracy)} ` +
    `(keeping ${(supported.coverage * 100).toFixed(1)} % of validation images), and \`classify --target-acc\` ` +
    'fits a threshold for any target up to it from the evidence stored in model.json'
  );
}

/**
 * The manifest's architecture block for a model.json architecture: what a reader looks for (type, width, levels,
 * blocks, attention) plus every other setting that differs from the UNet defaults. Derived sizes (channels in
 * and out, image size) stay out: the manifest refuses them.
 */
function manifestArchitecture({ inChannels, outChannels, imageSize, ...architecture }) {
  // The summary keys are listed whatever their values; the model's own levels and attention make the defaults
  // resolvable at any image size (the default attention, 7 px, is no feature-map size of a 32 px network).
  const { channelMults, attentionResolutions } = architecture;
  const defaults = resolveUNetConfig({ imageSize, channelMults, attentionResolutions });
  const summary = ['type', 'baseChannels', 'channelMults', 'numResBlocks', 'attentionResolutions'];
  return Object.fromEntries(
    Object.entries(architecture).filter(
      ([key, value]) => summary.includes(key) || JSON.stringify(value) !== JSON.stringify(defaults[key]),
    ),
  );
}
if (!existsSync(join(best, 'model.json')))
  throw new Error(`${best}/model.json is missing: train with validation first.`);

const cli = (argv, { json = true } = {}) => {
  console.error(`$ medsymmflow ${argv.join(' ')}`);
  const out = execFileSync(process.execPath, [CLI, ...argv, ...(json ? ['--json'] : [])], {
    cwd: REPO,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  return json ? JSON.parse(out) : out;
};

// 1. staging copy of the selected weights (no trainer state).
const staging = join(zooDir, `.staging-${id}`);
rmSync(staging, { recursive: true, force: true });
cpSync(best, staging, { recursive: true });
const work = mkdtempSync(join(tmpdir(), `zoo-publish-${id}-`));
try {
  const modelConfig = JSON.parse(readFileSync(join(staging, 'model.json'), 'utf8')).config;
  if (modelConfig.dataset !== entry.dataset || modelConfig.conditioning.name !== entry.conditioning.name) {
    throw new Error(
      `The run trained ${modelConfig.dataset}/${modelConfig.conditioning.name}, but ${id} is ` +
        `${entry.dataset}/${entry.conditioning.name}.`,
    );
  }
  // 2. classification settings chosen on the validation split, then calibration with them.
  const evaluateVal = (samples, extra = []) =>
    cli([
      'evaluate',
      '--model',
      staging,
      '--split',
      'val',
      '--solver',
      'euler',
      '--steps',
      '1',
      '--samples',
      String(samples),
      ...extra,
      '-q',
    ]);
  const candidates = args['sample-counts'].split(',').map(Number);
  const tried = candidates.map((samples) => {
    const r = evaluateVal(samples);
    return { samples, acc: r.acc, auc: r.auc, score: (r.acc + r.auc) / 2 };
  });
  const chosen = tried.reduce((best, r) => (r.score > best.score + 1e-12 ? r : best));
  const val = evaluateVal(chosen.samples, ['--calibrate']);
  // 3. ONNX next to the tfjs weights (exported after calibration so its metadata carries it too).
  cli(['export', '--model', staging, '--format', 'onnx', '--out', join(work, 'onnx')]);
  cpSync(join(work, 'onnx', 'model.onnx'), join(staging, 'model.onnx'));
  // 4. test metrics, exactly as the manifest command reproduces them (same runtime and seed; solver, steps and
  //    samples come from the calibration stored in the model).
  const predictions = join(work, 'test.csv');
  const test = cli(['evaluate', '--model', staging, '--split', 'test', '-q', '--predictions', predictions]);
  // 5. samples: a grid to look at, and a larger draw for the as-requested rate.
  const perClass = Number(args['samples-per-class']);
  cli([
    'sample',
    '--model',
    staging,
    '--class',
    'all',
    '-n',
    String(perClass),
    '--scale',
    '3',
    '--out',
    join(staging, 'samples.png'),
    '-q',
  ]);
  const check = cli([
    'sample',
    '--model',
    staging,
    '--class',
    'all',
    '-n',
    args['check-per-class'],
    '--check',
    '--out',
    join(work, 'check.png'),
    '-q',
  ]);

  // 6. model card.
  const trainerState = (dir) =>
    JSON.parse(readFileSync(join(dir, 'checkpoint', 'trainer-state.json'), 'utf8'));
  const state = trainerState(runDir);
  const f = state.fingerprint;
  const baseState = args['base-run'] ? trainerState(resolve(args['base-run'])) : undefined;
  const rows = readFileSync(predictions, 'utf8')
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((l) => l.split(',').map(Number));
  const labels = rows.map((r) => r[1]);
  const distances = Float32Array.from(rows.flatMap((r) => r.slice(3)));
  const info = getDatasetInfo(entry.dataset);
  const command = `medsymmflow evaluate --model ${id} --dataset ${entry.dataset} --split test --json`;
  const pct = (v) => `${(100 * v).toFixed(1)} %`;
  const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const describeClassification = (c) =>
    `${c.solver}, ${plural(c.steps, 'step')}, ${plural(c.samples, 'noise mask')}`;
  const names = modelConfig.labels;
  // model.json as calibration left it (the card describes this config).
  const calibratedConfig = JSON.parse(readFileSync(join(staging, 'model.json'), 'utf8')).config;
  const calibration = calibratedConfig.metadata.calibration;
  // The metric that selected best/, as the run recorded it at each validation.
  const selection = {
    accuracy: { name: 'validation accuracy', of: (v) => pct(v.accuracy) },
    'balanced-accuracy': { name: 'validation balanced accuracy', of: (v) => pct(v.balancedAccuracy) },
    'quadratic-weighted-kappa': {
      name: 'validation quadratic weighted kappa',
      of: (v) => (v.quadraticWeightedKappa == null ? 'undefined' : v.quadraticWeightedKappa.toFixed(3)),
    },
  }[f.validationMetric ?? 'accuracy'];
  const validations = state.validations.map((v) => `${v.step}: ${selection.of(v)}`).join(', ');
  const metricName =
    (f.validationSamples ?? 1) > 1
      ? `${selection.name} (${f.validationSamples} noise masks)`
      : selection.name;
  const hours = state.elapsedMs / 3.6e6;
  // The file the test images were resized from, as evaluate chose it (the one train recorded, for older models the closest).
  const { resizedFrom } = test;
  const training = {
    engine: 'ort (ONNX Runtime training graph, 2 CPU threads)',
    'training time': args['base-minutes']
      ? `${(hours * 60).toFixed(0)} min fine-tuning + ${args['base-minutes']} min for the initial weights, on 2 CPU cores`
      : `${(hours * 60).toFixed(0)} min on 2 CPU cores`,
    steps: `${state.step} (${f.epochs} epochs of ${f.dataSize} images)`,
    ...(resizedFrom !== undefined
      ? {
          // train --image-size: what the official loaders do with Resize(32).
          'image size': `${calibratedConfig.imageSize} px: the ${resizedFrom} px MedMNIST images resized bilinearly (train${resizedFrom !== closestPublishedSize(entry.dataset, calibratedConfig.imageSize) ? ` --size ${resizedFrom}` : ''} --image-size ${calibratedConfig.imageSize}); evaluate does the same`,
        }
      : {}),
    'batch size': f.batchSize,
    'learning rate': `${f.learningRate} (one-cycle cosine, ${f.warmupFraction * 100} % warm-up)`,
    optimizer: `AdamW β=(${f.optimizer.beta1}, ${f.optimizer.beta2}), weight decay ${f.optimizer.weightDecay}`,
    'gradient clipping': f.clipGradNorm ?? 'none',
    augmentation: f.augment
      ? `flips: horizontal p=${f.augment.horizontalFlip}, vertical p=${f.augment.verticalFlip}` +
        (f.augment.rotate90 ? `; quarter turns p=${f.augment.rotate90}` : '')
      : 'none',
    ...(f.init
      ? {
          // a zoo id as is; a run folder by its last two parts (run/best), not this machine's absolute path
          'initial weights': `${/[\\/]/.test(f.init) ? `${basename(dirname(f.init))}/${basename(f.init)}` : f.init} (fine-tuned from it)${args['base-training'] ? `: ${args['base-training']}` : ''}`,
        }
      : {}),
    'sample order':
      f.sampling === 'class-balanced' ? 'class-balanced (classes drawn equally often)' : 'shuffled',
    EMA: `decay min(${f.emaDecay}, (1+s)/(10+s)); the card's weights are the EMA weights`,
    'loss weights': `image ${f.loss.imageWeight}, mask ${(1 - f.loss.imageWeight).toFixed(1)}; σ_min ${f.loss.sigmaMin}`,
    seed: f.seed,
    'model selection':
      args.weights === 'final'
        ? `the final weights (step ${state.step}): ${args.selection} (${metricName} by step: ${validations})`
        : `best ${metricName} (step ${state.bestStep}; ${metricName} by step: ${validations})` +
          (args.selection ? `. ${args.selection}` : ''),
    calibration:
      `temperature ${calibration.temperature.toPrecision(4)}; thresholds ${calibration.rejectionThresholds
        .map(
          (t) => `${t.targetAccuracy}: ${t.threshold === null ? 'unreachable' : t.threshold.toPrecision(4)}`,
        )
        .join(', ')} (fitted on validation, n = ${val.n}${confidenceText(calibration.rejectionThresholds)})` +
      supportedText(calibration),
    ...(args['train-command'] ? { command: args['train-command'] } : {}),
  };
  // Graded data (RetinaMNIST): how many grades off the misses are, for the samples and for the real test images.
  const gradesText = (samples, real) =>
    samples && real
      ? `\n\nThe grades are ordered, so a miss by one grade is a smaller error than a miss by four: ` +
        `${pct(samples.withinOneAccuracy)} of the samples are classified within one grade of the requested one ` +
        `(mean absolute grade error ${samples.meanAbsoluteError.toFixed(2)}), against ${pct(real.withinOneAccuracy)} ` +
        `of the real test images (${real.meanAbsoluteError.toFixed(2)}; quadratic weighted kappa ` +
        `${real.quadraticWeightedKappa?.toFixed(3) ?? 'n/a'}).`
      : '';
  const perClassText = check.check.perClass.map((p) => `${names[p.class]} ${pct(p.asRequested)}`).join(', ');
  const card = await renderModelCard(
    {
      name: id,
      version: args.version,
      summary: `${entry.description} Trained with MedSymmFlow-TS on the official train split; the checkpoint was selected on the validation split.`,
      model: calibratedConfig,
      data: {
        dataset: entry.dataset,
        splits: info.nSamples,
        source: `MedMNIST v2 (${info.license}), official ${entry.dataset}.npz at 28×28 (MD5-verified)`,
      },
      training,
      evaluation: {
        labels,
        distances,
        split: 'test',
        temperature: calibration.temperature,
        rejectionRates: [0, 0.1, 0.2, 0.3, 0.5],
        procedure:
          `Euler, ${test.steps} step from t = 1 to 0, distances averaged over ${test.samples} mask-noise ` +
          `sample${test.samples === 1 ? '' : 's'}, seed 0, ONNX Runtime. Reproduce: \`${command}\``,
      },
      sections: [
        {
          title: 'Classification settings',
          markdown:
            'Classification runs the flow back from t = 1 to 0 from the image and a noise mask; averaging the ' +
            'class distances over several noise masks lowers their variance. The number of masks was chosen on ' +
            'the validation split (best mean of ACC and AUC; the test split was not looked at) and is stored ' +
            'with the calibration, so `classify`, `evaluate` and the playground use it unless `--samples` says ' +
            'otherwise:\n\n' +
            '| noise masks per image | validation ACC | validation AUC |\n| ---: | ---: | ---: |\n' +
            tried
              .map(
                (r) =>
                  `| ${r.samples}${r.samples === chosen.samples ? ' (chosen)' : ''} | ${pct(r.acc)} | ${pct(r.auc)} |`,
              )
              .join('\n') +
            `\n\nThe paper's setting (one mask) on the test split: \`${command.replace(' --json', '')} --samples 1\`.`,
        },
        {
          title: 'Learning curve',
          markdown:
            (baseState
              ? 'The run that trained the initial weights, then the fine-tuning run:\n\n' +
                '![Accuracy by training step of the run that trained the initial weights](learning-curve-base.svg)\n\n'
              : '') +
            '![Accuracy on validation and training images by training step](learning-curve.svg)\n\n' +
            'Accuracy of the EMA weights at each validation during training, on the validation images used for ' +
            'selection and on as many training images (when the run recorded them); the red dot marks the ' +
            (baseState
              ? 'checkpoint the fine-tuning started from on the first curve and the published weights on the second. '
              : 'published weights. ') +
            'Both low means the model underfits; training rising while validation falls ' +
            'means it overfits.',
        },
        {
          title: 'Generated samples',
          markdown:
            `![${perClass} generated images per class, one row per class (${names.join(', ')})](samples.png)\n\n` +
            `One row per class (${names.map((n, k) => `row ${k + 1}: ${n}`).join(', ')}), ${perClass} samples each, ` +
            `25 Euler steps, seed 0 (\`medsymmflow sample --model ${id} --class all -n ${perClass} --scale 3 --out samples.png\`).\n\n` +
            `The same model classifies ${pct(check.check.asRequested)} of ${args['check-per-class']} samples per class ` +
            `as the class they were generated for (${perClassText}; classified as \`classify\` does: ` +
            `${describeClassification(check.check.settings)}; \`medsymmflow sample --model ${id} --class all ` +
            `-n ${args['check-per-class']} --check --out check.png\`).` +
            gradesText(check.check.ordinal, test.ordinal),
        },
      ],
      license: `Weights: ${entry.license.data}, like the training data (MedMNIST). Data: ${entry.license.data}.`,
      citation: entry.citation,
    },
    'selective-prediction.svg',
  );
  // The card computes its own metrics from the predictions: they must agree with evaluate's.
  if (Math.abs(card.metrics.acc - test.acc) > 1e-12 || Math.abs(card.metrics.distanceAuc - test.auc) > 1e-9) {
    throw new Error(
      `Card metrics (${card.metrics.acc}, ${card.metrics.distanceAuc}) disagree with evaluate (${test.acc}, ${test.auc}).`,
    );
  }
  await writeFileAtomic(join(staging, 'README.md'), card.markdown);
  await writeFileAtomic(join(staging, 'selective-prediction.svg'), card.svg);
  await writeFileAtomic(
    join(staging, 'learning-curve.svg'),
    learningCurveSvg(state.validations, {
      title: `Learning curve: ${id}`,
      selectedStep: args.weights === 'final' ? state.step : state.bestStep,
    }),
  );
  if (baseState) {
    await writeFileAtomic(
      join(staging, 'learning-curve-base.svg'),
      learningCurveSvg(baseState.validations, {
        title: `Learning curve: ${id}, initial weights`,
        // the checkpoint the fine-tuning started from (--init <base run>/best or /final)
        selectedStep: /[\\/]final[\\/]?$/.test(f.init ?? '') ? baseState.step : baseState.bestStep,
      }),
    );
  }

  // Manifest entry: files with hashes, metrics exactly as evaluate printed them.
  const roleOf = (name) =>
    name === 'model.json'
      ? 'tfjs-model'
      : name.endsWith('.bin')
        ? 'tfjs-weights'
        : name === 'model.onnx'
          ? 'onnx'
          : name === 'README.md'
            ? 'card'
            : 'image';
  const files = readdirSync(staging)
    .sort()
    .map((name) => {
      const bytes = readFileSync(join(staging, name));
      return {
        path: name,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        bytes: bytes.length,
        role: roleOf(name),
      };
    });
  const updated = {
    ...entry,
    status: 'available',
    version: args.version,
    // What the published model.json says, so the entry cannot go stale when a run changes them.
    imageSize: modelConfig.imageSize,
    conditioning: modelConfig.conditioning,
    architecture: manifestArchitecture(modelConfig.architecture),
    files,
    metrics: {
      split: 'test',
      n: test.n,
      acc: test.acc,
      auc: test.auc,
      balancedAccuracy: test.balancedAccuracy,
      recall: test.recall,
      confusion: test.confusion,
      aurc: test.aurc,
      eAurc: test.eAurc,
      ece: test.ece,
      temperature: test.temperature,
      selective: test.selective,
      evaluation: {
        runtime: test.runtime,
        solver: test.solver,
        steps: test.steps,
        samples: test.samples,
        seed: test.seed,
      },
      command,
      generation: {
        perClass: Number(args['check-per-class']),
        solver: check.solver,
        steps: check.steps,
        asRequested: check.check.asRequested,
        asRequestedPerClass: check.check.perClass.map((p) => p.asRequested),
      },
    },
    license: { ...entry.license, weights: entry.license.data },
    notes: `Trained ${(hours * 60 + Number(args['base-minutes'] ?? 0)).toFixed(0)} min on 2 CPU cores with the ORT engine; test ACC ${pct(test.acc)}, AUC ${pct(test.auc)}. See README.md in this folder for the training config and the paper comparison.`,
  };
  manifest.models[entryIndex] = updated;
  validateZooManifest(manifest);
  // Swap the folder in, then the manifest (the manifest test checks both agree).
  const target = join(zooDir, id);
  const old = join(zooDir, `.old-${id}`);
  rmSync(old, { recursive: true, force: true });
  if (existsSync(target)) renameSync(target, old);
  renameSync(staging, target);
  rmSync(old, { recursive: true, force: true });
  await writeFileAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(
    JSON.stringify(
      {
        id,
        acc: test.acc,
        auc: test.auc,
        aurc: test.aurc,
        ece: test.ece,
        val: { acc: val.acc, auc: val.auc, samples: chosen.samples, tried },
        asRequested: check.check.asRequested,
      },
      null,
      2,
    ),
  );
} finally {
  rmSync(work, { recursive: true, force: true });
  rmSync(staging, { recursive: true, force: true });
}
