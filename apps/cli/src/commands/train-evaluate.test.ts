/**
 * End-to-end tests of `medsymmflow train` and `medsymmflow evaluate` with the built binary (turbo builds it
 * before `test`) on real pneumoniamnist: one tiny epoch on a 48-image slice, then a full test-split evaluation;
 * one tiny epoch with `--engine ort` (ONNX Runtime gradients) whose saved model is evaluated; the engine choice.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FlowModel, loadFlowModel } from '@medsymmflow/core-flow';
import { createRandom, loadMedMnist, resizeImages, writeNpz } from '@medsymmflow/datasets-medmnist';
import { learningCurveSvg } from '@medsymmflow/uncertainty';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARED_MEDMNIST_DIR, sharedMedmnistFile } from '../../../../test/shared-data';
import {
  CLI_BIN as BIN,
  type CliRun as Run,
  runCli as run,
  TINY_UNET_ARGS,
  WASM_BATCHES_OF_16,
} from '../testing/run-cli';
import { readImageForModel } from './classify';
import { chooseTrainEngine } from './train';

/** `medsymmflow train` on the shared pneumoniamnist files. */
const TRAIN_PNEUMONIA = ['train', '--dataset', 'pneumoniamnist', '--root', SHARED_MEDMNIST_DIR];
const TRAIN_RETINA = ['train', '--dataset', 'retinamnist', '--root', SHARED_MEDMNIST_DIR];
/** One epoch of batches of 16 on wasm in the calling thread. */
const QUICK_WASM_EPOCH = ['--epochs', '1', ...WASM_BATCHES_OF_16];

/**
 * Runs `evaluate --split val --limit 8 --predictions` (tfjs) on a 32 px RetinaMNIST model and checks that its
 * distances equal classifying the same validation images, loaded with `load` (file size and resize), directly.
 * Returns the JSON report, the CSV's data rows and the model inputs ([-1, 1], NHWC).
 */
async function expectEvaluateMatchesDirect(
  model: FlowModel,
  modelDir: string,
  csv: string,
  load: { root: string; size?: 28 | 64; resize: number },
  extraArgs: readonly string[] = [],
): Promise<{ report: Record<string, unknown>; rows: string[]; images: Float32Array }> {
  const evaluated = await run([
    'evaluate',
    '--model',
    modelDir,
    '--root',
    load.root,
    ...extraArgs,
    '--split',
    'val',
    '--limit',
    '8',
    '--runtime',
    'tfjs',
    '--json',
    '--predictions',
    csv,
  ]);
  expect(evaluated.code, evaluated.stderr).toBe(0);
  const val = await loadMedMnist({ flag: 'retinamnist', split: 'val', ...load });
  const pixels = load.resize * load.resize * 3;
  const images = val.getNormalised().subarray(0, 8 * pixels);
  const direct = await model.classify({
    images,
    steps: 1,
    solver: 'euler',
    numSamples: 1,
    batchSize: 32,
    random: createRandom(0),
  });
  const rows = (await readFile(csv, 'utf8')).trimEnd().split('\n').slice(1);
  expect(rows).toHaveLength(8);
  rows.forEach((row, i) => {
    row
      .split(',')
      .slice(3)
      .map(Number)
      .forEach((d, k) => {
        expect(d).toBeCloseTo(direct.distances[i * 5 + k], 4);
      });
  });
  return { report: JSON.parse(evaluated.stdout), rows, images };
}

let temp: string;
let runDir: string;
let trainRun: Run;
beforeAll(async () => {
  sharedMedmnistFile('pneumoniamnist.npz');
  temp = await mkdtemp(join(tmpdir(), 'medsymmflow-train-cli-'));
  runDir = join(temp, 'run');
  trainRun = await run([
    ...TRAIN_PNEUMONIA,
    '--limit',
    '48',
    ...QUICK_WASM_EPOCH,
    '--seed',
    '3',
    ...TINY_UNET_ARGS,
    '--out',
    runDir,
    '--json',
  ]);
}, 180_000);
afterAll(async () => {
  await rm(temp, { recursive: true, force: true });
});

describe('medsymmflow train', () => {
  it('trains one epoch on a slice and writes best/, final/ and checkpoint/', () => {
    expect(trainRun.code, trainRun.stderr).toBe(0);
    expect(trainRun.stderr).toBe(''); // --json: no progress output
    const summary = JSON.parse(trainRun.stdout);
    expect(summary).toMatchObject({
      dataset: 'pneumoniamnist',
      steps: 3, // 48 images / 16
      totalSteps: 3,
      aborted: false,
      engine: 'wasm',
      best: join(runDir, 'best'),
      final: join(runDir, 'final'),
      checkpoint: join(runDir, 'checkpoint'),
    });
    expect(summary.bestValidationAccuracy).toBeGreaterThanOrEqual(0);
    expect(summary.bestValidationAccuracy).toBeLessThanOrEqual(1);
    expect(Number.isFinite(summary.finalLoss)).toBe(true);
    for (const dir of ['best', 'final', 'checkpoint']) {
      expect(existsSync(join(runDir, dir, 'model.json'))).toBe(true);
    }
    expect(existsSync(join(runDir, 'checkpoint', 'trainer-state.json'))).toBe(true);
    // The learning curve: validation and training-image accuracy, one point per validation.
    expect(summary.learningCurve).toBe(join(runDir, 'learning-curve.svg'));
    const curve = readFileSync(summary.learningCurve, 'utf8');
    expect(curve).toContain('>Learning curve: pneumoniamnist</text>');
    expect(curve).toContain('>training-image accuracy</text>');
    const state = JSON.parse(readFileSync(join(runDir, 'checkpoint', 'trainer-state.json'), 'utf8'));
    for (const v of state.validations) expect(v.trainingAccuracy).toBeGreaterThanOrEqual(0);
    // The last drawing is the whole run, with best/ marked (clip-path ids differ between processes).
    const sameIds = (svg: string) => svg.replace(/medsymmflow-plot-\d+/g, 'plot');
    expect(sameIds(curve)).toBe(
      sameIds(
        learningCurveSvg(state.validations, {
          title: 'Learning curve: pneumoniamnist',
          selectedStep: state.bestStep,
        }),
      ),
    );
  }, 120_000);

  it('refuses to overwrite a run without --resume/--overwrite, and to resume nothing', async () => {
    const again = await run([...TRAIN_PNEUMONIA, '--out', runDir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^medsymmflow: .*already holds a training checkpoint\.\nhint: Add --resume/);
    const nothing = await run([...TRAIN_PNEUMONIA, '--out', join(temp, 'empty'), '--resume']);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/^medsymmflow: There is no checkpoint to resume/);
  }, 120_000);

  it('stops on Ctrl-C after writing a checkpoint (exit 130) and continues with --resume', async () => {
    const out = join(temp, 'interrupted');
    const args = [
      BIN,
      ...TRAIN_PNEUMONIA,
      '--limit',
      '160',
      '--epochs',
      '2',
      ...WASM_BATCHES_OF_16,
      ...TINY_UNET_ARGS,
      '--out',
      out,
    ];
    const interrupted = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      let sent = false;
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (!sent && /\nstep \d+\/20/.test(stderr)) {
          sent = true;
          child.kill('SIGINT');
        }
      });
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(interrupted.code, interrupted.stderr).toBe(130);
    expect(interrupted.stderr).toMatch(/stopping after this step and writing a checkpoint/);
    expect(interrupted.stderr).toMatch(
      /medsymmflow: Interrupted at step \d+ of 20; the checkpoint is saved\./,
    );
    expect(existsSync(join(out, 'checkpoint', 'trainer-state.json'))).toBe(true);
    expect(existsSync(join(out, 'final'))).toBe(false);
    const stoppedAt = Number(/Interrupted at step (\d+)/.exec(interrupted.stderr)![1]);

    const resumed = await run([...args.slice(1), '--resume', '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ steps: 20, totalSteps: 20, aborted: false });
    expect(stoppedAt).toBeLessThan(20);
  }, 120_000);

  it('fine-tunes from a saved model with --init (its architecture), class-balanced, and refuses misfits', async () => {
    const tuned = join(temp, 'tuned');
    const common = ['--limit', '32', ...QUICK_WASM_EPOCH];
    const result = await run([
      ...TRAIN_PNEUMONIA,
      ...common,
      '--init',
      join(runDir, 'final'),
      '--sampling',
      'class-balanced',
      '--validation-metric',
      'balanced-accuracy',
      '--out',
      tuned,
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).validationMetric).toBe('balanced-accuracy');
    const state = JSON.parse(await readFile(join(tuned, 'checkpoint', 'trainer-state.json'), 'utf8'));
    expect(state.fingerprint.validationMetric).toBe('balanced-accuracy');
    for (const v of state.validations) expect(v.balancedAccuracy).toBeGreaterThanOrEqual(0);
    const saved = JSON.parse(await readFile(join(tuned, 'final', 'model.json'), 'utf8')).config;
    const original = JSON.parse(await readFile(join(runDir, 'final', 'model.json'), 'utf8')).config;
    expect(saved.architecture).toEqual(original.architecture); // the tiny UNet, without repeating its flags
    expect(saved.metadata.training).toMatchObject({
      initialWeights: join(runDir, 'final'),
      sampling: 'class-balanced',
    });

    const withFlags = await run([
      ...TRAIN_PNEUMONIA,
      ...common,
      '--init',
      join(runDir, 'final'),
      '--base-channels',
      '16',
      '--out',
      join(temp, 'x'),
    ]);
    expect(withFlags.code).toBe(2);
    expect(withFlags.stderr).toMatch(
      /--init takes the architecture of .*final; it cannot be combined with architecture flags \(baseChannels\)/,
    );
    const otherData = await run([
      'train',
      '--dataset',
      'retinamnist',
      '--root',
      SHARED_MEDMNIST_DIR,
      ...common,
      '--init',
      join(runDir, 'final'),
      '--out',
      join(temp, 'x'),
    ]);
    expect(otherData.code).toBe(2);
    expect(otherData.stderr).toMatch(
      /The --init model .*final has 2 classes \(the data has 5\), 1 image channels \(the data has 3\)/,
    );
    const otherMask = await run([
      ...TRAIN_PNEUMONIA,
      ...common,
      '--init',
      join(runDir, 'final'),
      '--conditioning',
      'scalar',
      '--out',
      join(temp, 'x'),
    ]);
    expect(otherMask.code).toBe(2);
    expect(otherMask.stderr).toMatch(/uses the rgb-palette conditioning, not scalar/);
    const missing = await run([
      ...TRAIN_PNEUMONIA,
      ...common,
      '--init',
      join(temp, 'no-such-model'),
      '--out',
      join(temp, 'x'),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Cannot load the --init model .*no-such-model/);
  }, 180_000);

  it('passes --conditioning-options to the plugin and --image-weight to the loss, and records both; refuses unknown options and --init', async () => {
    const common = ['--limit', '16', ...QUICK_WASM_EPOCH, ...TINY_UNET_ARGS];
    const out = join(temp, 'scalar-beta2');
    const result = await run([
      ...TRAIN_PNEUMONIA,
      ...common,
      '--conditioning',
      'scalar',
      '--conditioning-options',
      '{"beta":2}',
      '--image-weight',
      '0.5',
      '--out',
      out,
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const saved = JSON.parse(await readFile(join(out, 'final', 'model.json'), 'utf8')).config;
    expect(saved.conditioning).toEqual({ name: 'scalar', options: { beta: 2, distance: 'pixel' } });
    expect(saved.metadata.training.loss).toEqual({ imageWeight: 0.5, sigmaMin: 1e-4 });
    const state = JSON.parse(await readFile(join(out, 'checkpoint', 'trainer-state.json'), 'utf8'));
    expect(state.fingerprint.loss.imageWeight).toBe(0.5);
    // The paper's loss is not written out: models trained as before keep the same metadata.
    const plain = JSON.parse(await readFile(join(runDir, 'final', 'model.json'), 'utf8')).config;
    expect(plain.metadata.training.loss).toBeUndefined();

    const unknown = await run([
      ...TRAIN_PNEUMONIA,
      ...common,
      '--conditioning-options',
      '{"levls":2}',
      '--out',
      join(temp, 'x'),
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /Unknown option "levls" for mask plugin 'rgb-palette'\. Valid options: 'beta', 'levels', 'step'/,
    );
    expect(existsSync(join(temp, 'x'))).toBe(false);
    const withInit = await run([
      ...TRAIN_PNEUMONIA,
      '--limit',
      '16',
      ...QUICK_WASM_EPOCH,
      '--init',
      join(runDir, 'final'),
      '--conditioning-options',
      '{"beta":2}',
      '--out',
      join(temp, 'x'),
    ]);
    expect(withInit.code).toBe(2);
    expect(withInit.stderr).toMatch(/it cannot be combined with --conditioning-options/);
  }, 180_000);

  it('selects best/ by quadratic weighted kappa on graded data (2 noise masks), printing kappa per validation', async () => {
    const out = join(temp, 'retina-kappa');
    const result = await run([
      ...TRAIN_RETINA,
      '--limit',
      '32',
      ...QUICK_WASM_EPOCH,
      ...TINY_UNET_ARGS,
      '--validate-every',
      '1',
      '--validation-metric',
      'quadratic-weighted-kappa',
      '--validation-samples',
      '2',
      '--out',
      out,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const state = JSON.parse(await readFile(join(out, 'checkpoint', 'trainer-state.json'), 'utf8'));
    expect(state.fingerprint.validationMetric).toBe('quadratic-weighted-kappa');
    expect(state.fingerprint.validationSamples).toBe(2);
    expect(state.validations).toHaveLength(2); // 32 images in batches of 16
    const kappas = state.validations.map(
      (v: { quadraticWeightedKappa: number | null }) => v.quadraticWeightedKappa,
    );
    const printed = [...result.stderr.matchAll(/validation at step \d+: .*, kappa (-?\d\.\d{3}|undefined)/g)];
    expect(printed.map((m) => m[1])).toEqual(
      kappas.map((k: number | null) => (k === null ? 'undefined' : k.toFixed(3))),
    );
    const best = Math.max(...kappas.map((k: number | null) => k ?? 0));
    expect(state.bestMetric).toBe(best);
    expect(result.stdout).toMatch(
      new RegExp(
        `Best validation quadratic weighted kappa ${best.toFixed(3).replace('.', '\\.')} at step \\d+ ` +
          '\\(2 validations, 2 noise masks per image\\)',
      ),
    );
  }, 120_000);

  it('trains at 32 px from the 28 px file with --image-size (the official setting); evaluate reads and resizes the same file', async () => {
    const out = join(temp, 'retina-32');
    const result = await run([
      ...TRAIN_RETINA,
      '--limit',
      '16',
      ...QUICK_WASM_EPOCH,
      ...['--base-channels', '8', '--channel-mults', '1,2,2', '--res-blocks', '1', '--head-channels', '8'],
      '--image-size',
      '32',
      '--out',
      out,
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const model = await loadFlowModel(join(out, 'final'));
    try {
      expect(model.config.imageSize).toBe(32);
      // Attention where the official code has it (downsample rate 4): 8 × 8 instead of 28 px's 7 × 7.
      expect(model.config.architecture.attentionResolutions).toEqual([8]);
      // The same distances as classifying the bilinearly upsampled validation images directly.
      const {
        report,
        rows,
        images: enlarged,
      } = await expectEvaluateMatchesDirect(model, join(out, 'final'), join(temp, 'retina-32.csv'), {
        root: SHARED_MEDMNIST_DIR,
        resize: 32,
      });
      expect(report).toMatchObject({ dataset: 'retinamnist', split: 'val', n: 8, resizedFrom: 28 });
      // classify enlarges a 28 px PNG of a test image the same way, so it prints the same distances.
      const raw = await loadMedMnist({ flag: 'retinamnist', split: 'val', root: SHARED_MEDMNIST_DIR });
      const pngs = await Promise.all(
        [0, 1, 2, 3, 4, 5, 6, 7].map(async (i) => {
          const file = join(temp, `retina-val-${i}.png`);
          await sharp(Buffer.from(raw.getImage(i)), { raw: { width: 28, height: 28, channels: 3 } })
            .png()
            .toFile(file);
          return file;
        }),
      );
      // The model input classify builds from the PNG is the enlarged test image, value for value (the distances
      // of this barely trained model hardly depend on the input, so they alone would not show it).
      for (const [i, png] of pngs.entries()) {
        const input = await readImageForModel(png, model.config);
        expect(Array.from(input)).toEqual(
          Array.from(enlarged.subarray(i * 32 * 32 * 3, (i + 1) * 32 * 32 * 3)),
        );
      }
      const classified = await run([
        'classify',
        '--model',
        join(out, 'final'),
        ...pngs,
        '--runtime',
        'tfjs',
        '--json',
      ]);
      expect(classified.code, classified.stderr).toBe(0);
      JSON.parse(classified.stdout).images.forEach(
        (image: { distances: Record<string, number> }, i: number) => {
          Object.values(image.distances).forEach((d, k) => {
            expect(d).toBeCloseTo(Number(rows[i].split(',')[3 + k]), 4);
          });
        },
      );
    } finally {
      model.dispose();
    }
    const text = await run([
      'evaluate',
      '--model',
      join(out, 'final'),
      '--root',
      SHARED_MEDMNIST_DIR,
      '--limit',
      '4',
      '-q',
    ]);
    expect(text.stdout).toMatch(/^retinamnist test: 4 images \(28 px resized to 32\), euler 1 step/);
    // A dataset file size that is not published is refused, naming the sizes.
    const badSize = await run([
      'evaluate',
      '--model',
      join(out, 'final'),
      '--root',
      SHARED_MEDMNIST_DIR,
      '--size',
      '32',
    ]);
    expect(badSize.code).toBe(2);
    expect(badSize.stderr).toMatch(/--size 32: retinamnist is published at 28, 64, 128, 224 px only/);
  }, 180_000);

  it('records the file a resized model was trained from, and evaluate reads that file (--size 64 --image-size 32)', async () => {
    // A 64 px RetinaMNIST file (the official one is not on this machine): the 28 px file upsampled, official split sizes.
    const root64 = join(temp, 'root-64');
    const arrays: Parameters<typeof writeNpz>[1] = {};
    for (const split of ['train', 'val', 'test'] as const) {
      const data = await loadMedMnist({ flag: 'retinamnist', split, root: SHARED_MEDMNIST_DIR });
      const big = resizeImages({ data: data.images, shape: data.shape }, 64);
      arrays[`${split}_images`] = { data: big.data, shape: big.shape };
      arrays[`${split}_labels`] = { data: data.labels, shape: [data.length, 1] };
    }
    await writeNpz(join(root64, 'retinamnist_64.npz'), arrays, { compression: 'store' });
    const out = join(temp, 'retina-64-to-32');
    const trained = await run([
      'train',
      '--dataset',
      'retinamnist',
      '--root',
      root64,
      '--size',
      '64',
      '--image-size',
      '32',
      '--limit',
      '16',
      ...QUICK_WASM_EPOCH,
      ...TINY_UNET_ARGS,
      '--out',
      out,
      '--json',
    ]);
    expect(trained.code, trained.stderr).toBe(0);
    const model = await loadFlowModel(join(out, 'final'));
    try {
      expect(model.config.imageSize).toBe(32);
      expect(model.config.metadata.training).toMatchObject({ sourceImageSize: 64 });
      // root-64 holds no 28 px file: reading the closest published size (the old default) would fail here.
      const { report } = await expectEvaluateMatchesDirect(
        model,
        join(out, 'final'),
        join(temp, 'retina-64-to-32.csv'),
        { root: root64, size: 64, resize: 32 },
        ['--no-download'],
      );
      expect(report).toMatchObject({ dataset: 'retinamnist', n: 8, resizedFrom: 64 });
    } finally {
      model.dispose();
    }
    // --size still picks another file.
    const other = await run([
      'evaluate',
      '--model',
      join(out, 'final'),
      '--root',
      SHARED_MEDMNIST_DIR,
      '--size',
      '28',
      '--limit',
      '4',
      '--runtime',
      'tfjs',
      '--json',
    ]);
    expect(other.code, other.stderr).toBe(0);
    expect(JSON.parse(other.stdout)).toMatchObject({ n: 4, resizedFrom: 28 });
  }, 180_000);

  it('rejects bad arguments with exit code 2 and a one-line reason', async () => {
    const cases: [string[], RegExp][] = [
      [['train', '--out', join(temp, 'x')], /required option '--dataset <flag>' not specified/],
      [['train', '--dataset', 'nope', '--out', join(temp, 'x')], /Unknown MedMNIST dataset "nope"/],
      [
        ['train', '--dataset', 'pneumoniamnist', '--out', join(temp, 'x'), '--epochs', 'two'],
        /Invalid --epochs "two"/,
      ],
      [['train', '--dataset', 'pneumoniamnist', '--out', join(temp, 'x'), '--lr', '-1'], /Invalid --lr "-1"/],
      [
        ['train', '--dataset', 'pneumoniamnist', '--out', join(temp, 'x'), '--validation-samples', '0'],
        /Invalid --validation-samples "0": expected a positive integer/,
      ],
      [
        ['train', '--dataset', 'pneumoniamnist', '--out', join(temp, 'x'), '--conditioning', 'hsv'],
        /'hsv' is invalid\. Allowed choices are rgb-palette, scalar/,
      ],
      [['train', '--dataset', 'chestmnist', '--out', join(temp, 'x')], /chestmnist is multi-label/],
      [
        ['train', '--dataset', 'pneumoniamnist', '--out', join(temp, 'x'), '--conditioning-options', '[2]'],
        /Invalid --conditioning-options "\[2\]": expected a JSON object/,
      ],
      [
        [
          'train',
          '--dataset',
          'pneumoniamnist',
          '--out',
          join(temp, 'x'),
          '--conditioning-options',
          'beta=2',
        ],
        /Invalid --conditioning-options "beta=2": not JSON/,
      ],
      [
        ['train', '--dataset', 'pneumoniamnist', '--out', join(temp, 'x'), '--image-weight', '1.5'],
        /Invalid --image-weight "1.5": expected a number in \[0, 1\]/,
      ],
      [
        ['train', '--dataset', 'pneumoniamnist', '--out', join(temp, 'x'), '--channel-mults', '1,x'],
        /Invalid --channel-mults/,
      ],
      [
        [
          'train',
          '--dataset',
          'pneumoniamnist',
          '--out',
          join(temp, 'x'),
          '--validation-metric',
          'quadratic-weighted-kappa',
        ],
        /quadratic-weighted-kappa scores classes as grades; pneumoniamnist is binary-class/,
      ],
      [
        ['train', '--dataset', 'pneumoniamnist', '--out', join(temp, 'x'), '--engine', 'tpu'],
        /'tpu' is invalid\. Allowed choices are ort, wasm, cpu, tfjs-node, tfjs-node-gpu/,
      ],
    ];
    for (const [args, reason] of cases) {
      const result = await run(args);
      expect(result.code, args.join(' ')).toBe(2);
      const [first] = result.stderr.trim().split('\n');
      expect(first).toMatch(/^medsymmflow: /);
      expect(first).toMatch(reason);
    }
  }, 120_000);
});

describe('medsymmflow evaluate', () => {
  it('reports ACC/AUC/AURC/selective as JSON and writes the predictions CSV and the SVG plot', async () => {
    expect(trainRun.code).toBe(0);
    const csv = join(temp, 'predictions.csv');
    const svg = join(temp, 'plots', 'selective.svg');
    const result = await run([
      'evaluate',
      '--model',
      join(runDir, 'best'),
      '--dataset',
      'pneumoniamnist',
      '--split',
      'test',
      '--root',
      SHARED_MEDMNIST_DIR,
      '--json',
      '--predictions',
      csv,
      '--plot',
      svg,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    const test = await loadMedMnist({ flag: 'pneumoniamnist', split: 'test', root: SHARED_MEDMNIST_DIR });
    expect(report).toMatchObject({ dataset: 'pneumoniamnist', split: 'test', n: test.length });
    for (const key of ['acc', 'auc', 'aurc']) {
      expect(report[key]).toBeGreaterThanOrEqual(0);
      expect(report[key]).toBeLessThanOrEqual(1);
    }
    expect(report.selective[0]).toMatchObject({ reject: 0, acc: report.acc });
    expect(report.selective.length).toBeGreaterThan(5);
    for (const point of report.selective) {
      expect(Object.keys(point).sort()).toEqual(['acc', 'reject', 'threshold']);
    }
    // Rejecting more keeps only images below a lower uncertainty threshold.
    const thresholds = report.selective.map((p: { threshold: number }) => p.threshold);
    for (let i = 1; i < thresholds.length; i++) expect(thresholds[i]).toBeLessThanOrEqual(thresholds[i - 1]);

    const lines = (await readFile(csv, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(test.length + 1);
    expect(lines[0]).toBe('index,label,prediction,distance_0_normal,distance_1_pneumonia');
    let correct = 0;
    const confusion = [
      [0, 0],
      [0, 0],
    ];
    lines.slice(1).forEach((line, i) => {
      const cells = line.split(',');
      expect(cells).toHaveLength(5);
      expect(Number(cells[0])).toBe(i);
      expect(Number(cells[1])).toBe(test.getLabel(i));
      const [d0, d1] = [Number(cells[3]), Number(cells[4])];
      expect(Number(cells[2])).toBe(d1 < d0 ? 1 : 0); // prediction = nearest class colour
      if (Number(cells[2]) === Number(cells[1])) correct++;
      confusion[Number(cells[1])][Number(cells[2])] += 1;
    });
    expect(correct / test.length).toBeCloseTo(report.acc, 10);
    // Per class: the confusion matrix of the CSV rows, recall per true class, and their mean.
    expect(report.confusion).toEqual(confusion);
    const recall = confusion.map((row, k) => row[k] / (row[0] + row[1]));
    expect(report.recall).toEqual(recall);
    expect(report.balancedAccuracy).toBeCloseTo((recall[0] + recall[1]) / 2, 12);

    const plot = await readFile(svg, 'utf8');
    expect(plot.startsWith('<svg')).toBe(true);
    expect(plot).toContain('Selective prediction: pneumoniamnist test');
  }, 120_000);

  it('uses the dataset the model records, prints a text report, and fails clearly on bad input', async () => {
    const text = await run([
      'evaluate',
      '--model',
      join(runDir, 'final'),
      '--root',
      SHARED_MEDMNIST_DIR,
      '--limit',
      '20',
    ]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^pneumoniamnist test: 20 images, euler 1 step/);
    expect(text.stdout).toMatch(/ACC\s+\d+\.\d\d%/);
    expect(text.stdout).toMatch(
      /balanced ACC (\d+\.\d\d%|n\/a); recall per class: normal (\d+\.\d\d%|n\/a), pneumonia/,
    );

    const missing = await run(['evaluate', '--model', join(temp, 'nothing-here')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^medsymmflow: No model\.json in .*nothing-here/);
    const badSplit = await run(['evaluate', '--model', join(runDir, 'best'), '--split', 'dev']);
    expect(badSplit.code).toBe(2);
    expect(badSplit.stderr).toMatch(/^medsymmflow: Invalid split "dev"/);
    const badSolver = await run(['evaluate', '--model', join(runDir, 'best'), '--solver', 'leapfrog']);
    expect(badSolver.code).toBe(2);
    const wrongClasses = await run([
      'evaluate',
      '--model',
      join(runDir, 'best'),
      '--dataset',
      'bloodmnist',
      '--root',
      SHARED_MEDMNIST_DIR,
    ]);
    expect(wrongClasses.code).toBe(2);
    expect(wrongClasses.stderr).toMatch(/bloodmnist has 8 classes but the model was trained for 2 classes/);
  }, 120_000);
});

describe('medsymmflow train --engine ort', () => {
  it('trains one epoch with ONNX Runtime gradients, names the engine, and the model evaluates', async () => {
    const out = join(temp, 'ort');
    const trained = await run([
      ...TRAIN_PNEUMONIA,
      '--limit',
      '32',
      '--epochs',
      '1',
      '--batch-size',
      '16',
      '--engine',
      'ort',
      '--seed',
      '5',
      ...TINY_UNET_ARGS,
      '--out',
      out,
    ]);
    expect(trained.code, trained.stderr).toBe(0);
    // The ONNX Runtime engine's default: two sessions in worker threads when the machine has 2+ cores.
    const where = availableParallelism() >= 2 ? '2 worker threads' : 'main thread';
    expect(trained.stderr).toMatch(
      new RegExp(`^Training [\\d,]+ parameters on engine "ort" \\(${where}\\): 2 steps`, 'm'),
    );
    expect(trained.stdout).toMatch(/^Trained pneumoniamnist: step 2\/2 in \S+ on engine "ort" /);
    expect(trained.stdout).toMatch(/last loss \d+\.\d{4}/);
    for (const dir of ['best', 'final', 'checkpoint']) {
      expect(existsSync(join(out, dir, 'model.json'))).toBe(true);
    }

    const evaluated = await run([
      'evaluate',
      '--model',
      join(out, 'final'),
      '--root',
      SHARED_MEDMNIST_DIR,
      '--limit',
      '16',
      '--json',
    ]);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const report = JSON.parse(evaluated.stdout);
    expect(report).toMatchObject({ dataset: 'pneumoniamnist', split: 'test', n: 16 });
    expect(report.acc).toBeGreaterThanOrEqual(0);
    expect(report.acc).toBeLessThanOrEqual(1);
  }, 180_000);
});

describe('chooseTrainEngine', () => {
  const loads = async () => ({ ok: true }) as const;
  const fails = async () => ({ ok: false, reason: 'no native binary' }) as const;

  it('defaults to ort when onnxruntime-node loads, else to the tfjs default with a note', async () => {
    await expect(chooseTrainEngine({}, loads)).resolves.toEqual({
      engine: 'ort',
      ort: true,
      workers: undefined,
      notes: [],
    });
    const fallback = await chooseTrainEngine({}, fails);
    expect(fallback).toMatchObject({ engine: undefined, ort: false });
    expect(fallback.notes).toEqual([
      'onnxruntime-node did not load (no native binary); using the tfjs default',
    ]);
  });

  it('passes --workers to either engine (ort: sessions in worker threads; 0 = main thread)', async () => {
    await expect(chooseTrainEngine({ workers: 2 }, loads)).resolves.toMatchObject({ ort: true, workers: 2 });
    await expect(chooseTrainEngine({ engine: 'ort', workers: 0 }, loads)).resolves.toMatchObject({
      ort: true,
      workers: 0,
    });
    await expect(chooseTrainEngine({ workers: 2 }, fails)).resolves.toMatchObject({ ort: false, workers: 2 });
    await expect(chooseTrainEngine({ engine: 'wasm', workers: 1 }, loads)).resolves.toEqual({
      engine: 'wasm',
      ort: false,
      workers: 1,
      notes: [],
    });
  });

  it('rejects --engine ort without onnxruntime-node, naming the alternatives', async () => {
    await expect(chooseTrainEngine({ engine: 'ort' }, fails)).rejects.toThrow(
      /--engine ort needs onnxruntime-node, which did not load: no native binary/,
    );
  });
});
