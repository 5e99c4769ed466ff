#!/usr/bin/env node
/**
 * Rewrites the results table of the root README (between `<!-- results:start -->` and `<!-- results:end -->`)
 * from zoo/manifest.json, so the README shows exactly what the manifest records (and `pnpm test` re-checks).
 * For comparison with the paper's single-noise-mask classification it also runs
 * `medsymmflow evaluate --model <id> --split test --samples 1 --json` for each model (needs the dataset:
 * MEDMNIST_ROOT or ~/.medmnist, and `pnpm build`).
 *
 *   node scripts/readme-results.mjs
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(REPO, 'apps', 'cli', 'bin', 'medsymmflow.mjs');
const README = join(REPO, 'README.md');
const START = '<!-- results:start -->';
const END = '<!-- results:end -->';

/**
 * Table 1 of Caetano et al. (2025), from the authors' project page: AUC / ACC in % as [mean, std] (std omitted
 * where the paper gives none). The MSF (28) row is the target the zoo models are checked against.
 */
const PAPER = [
  {
    name: 'paper: SymmFlow (28)',
    mask: 'scalar',
    pneumoniamnist: { auc: [91.6, 0.8], acc: [89.4, 0.5] },
    retinamnist: { auc: [70.2, 1.1], acc: [50.7, 0.7] },
  },
  {
    name: 'paper: MSF (28) — the target',
    mask: 'RGB palette',
    target: true,
    pneumoniamnist: { auc: [95.2, 0.4], acc: [88.0, 0.6] },
    retinamnist: { auc: [73.1, 0.4], acc: [51.4, 2.1] },
  },
  {
    name: 'paper: LatMSF (224), latent space',
    mask: 'RGB palette',
    pneumoniamnist: { auc: [94.4, 1.7], acc: [89.4, 1.1] },
    retinamnist: { auc: [78.8, 0.4], acc: [54.0, 0.9] },
  },
  {
    name: 'paper: ResNet-18 (28)',
    mask: '—',
    pneumoniamnist: { auc: [94.4], acc: [85.4] },
    retinamnist: { auc: [71.7], acc: [52.4] },
  },
];
const paperValue = ([mean, std]) =>
  std === undefined ? mean.toFixed(1) : `${mean.toFixed(1)} ± ${std.toFixed(1)}`;
const PAPER_ROWS = PAPER.map((row) => [
  row.name,
  row.mask,
  ...['pneumoniamnist', 'retinamnist'].map((d) => `${paperValue(row[d].auc)} / ${paperValue(row[d].acc)}`),
]);

const manifest = JSON.parse(readFileSync(join(REPO, 'zoo', 'manifest.json'), 'utf8'));
const byId = Object.fromEntries(manifest.models.map((m) => [m.id, m]));
const pct = (v) => (100 * v).toFixed(1);
const pair = (m) => `${pct(m.auc)} / ${pct(m.acc)}`;
const oneMask = (id) => {
  const m = byId[id];
  console.error(`$ medsymmflow evaluate --model ${id} --split test --samples 1`);
  return JSON.parse(
    execFileSync(
      process.execPath,
      [
        CLI,
        'evaluate',
        '--model',
        join(REPO, 'zoo', id),
        '--dataset',
        m.dataset,
        '--split',
        'test',
        '--samples',
        '1',
        '--json',
        '-q',
      ],
      { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    ),
  );
};
const cell = (id) => {
  const m = byId[id].metrics;
  const masks = m.evaluation.samples;
  if (masks === 1) return `${pair(m)} (1)`;
  return `**${pair(m)}** (${masks}); ${pair(oneMask(id))} (1)`;
};
const name = (ids) => ids.map((id) => `[\`${id}\`](zoo/${id})`).join(', ');
const at = (id, r) => byId[id].metrics.selective.find((p) => Math.abs(p.reject - r) < 1e-9).acc;
const minutes = (id) => Number(/Trained (\d+) min/.exec(byId[id].notes)?.[1]);
/** Parameter count as the model card states it (the card is generated from the saved model). */
const parameters = (id) => {
  const card = readFileSync(join(REPO, 'zoo', id, 'README.md'), 'utf8');
  const count = /\| parameters \| ([\d,]+) \|/.exec(card)?.[1];
  if (!count)
    throw new Error(`zoo/${id}/README.md has no "parameters" row; regenerate the card with zoo-publish.`);
  return Number(count.replaceAll(',', ''));
};
const millions = (n) => `${(n / 1e6).toFixed(1)} M`;
/** Input size of a zoo model, from its model.json. */
const pixels = (id) => JSON.parse(readFileSync(join(REPO, 'zoo', id, 'model.json'), 'utf8')).config.imageSize;
/** "1.6 M params, 28 px", or "1.6 M / 6.5 M params, 28 / 32 px" when the row's two models differ. */
const size = (ids) => {
  const counts = [...new Set(ids.map((id) => millions(parameters(id))))];
  const sizes = [...new Set(ids.map(pixels))];
  return `${counts.join(' / ')} params, ${sizes.join(' / ')} px`;
};
/** The official code's default UNet width (util.py: model_channels 64). */
const PAPER_WIDTH = 64;
/** Our zoo models in the table: a row per mask, a column per dataset. */
const OUR_ROWS = [
  { mask: 'scalar', label: 'scalar' },
  { mask: 'rgb', label: 'RGB palette' },
].map(({ mask, label }) => ({ label, ids: ['pneumoniamnist', 'retinamnist'].map((d) => `${d}-${mask}-28`) }));
const ours = OUR_ROWS.flatMap((row) => row.ids);
const widthText = (() => {
  const full = ours.filter((id) => byId[id].architecture.baseChannels >= PAPER_WIDTH);
  if (full.length === 0) return "half the paper's width";
  if (full.length === ours.length) return "the paper's width";
  return `half the paper's width (${full.map((id) => `\`${id}\``).join(', ')}: the paper's width)`;
})();

/** Which of our models run at 28 px and which at the official 32 (\`train --image-size 32\`). */
function atOfficialSize() {
  const at32 = ours.filter((id) => pixels(id) !== 28);
  // Measured (session notes): the RGB recipes of both datasets rerun at 32 px were no better on validation.
  if (at32.length === 0) {
    return (
      'Ours run at 28 px: `train --image-size 32` trains at the official size, and our RGB recipes rerun at 32 px ' +
      'were no better on the validation split for either dataset,'
    );
  }
  return `Ours run at 28 px except ${at32.map((id) => `\`${id}\` (${pixels(id)} px, \`train --image-size\`)`).join(', ')},`;
}

const rows = [
  ['model', 'mask', 'PneumoniaMNIST AUC / ACC (noise masks)', 'RetinaMNIST AUC / ACC (noise masks)'],
  ['---', '---', '---', '---'],
  ...OUR_ROWS.map(({ label, ids }) => [`**ours**: ${name(ids)} (${size(ids)})`, label, ...ids.map(cell)]),
  ...PAPER_ROWS,
];
const table = rows.map((r) => `| ${r.join(' | ')} |`).join('\n');
const NAMES = { pneumoniamnist: 'PneumoniaMNIST', retinamnist: 'RetinaMNIST' };
/** Which paper targets (MSF-28) a dataset's RGB model reaches, in words. */
const target = PAPER.find((row) => row.target);
const reached = ['pneumoniamnist', 'retinamnist'].flatMap((d) => {
  const t = { auc: target[d].auc[0] / 100, acc: target[d].acc[0] / 100 };
  const m = byId[`${d}-rgb-28`].metrics;
  return [
    ...(m.auc >= t.auc ? [`${NAMES[d]} AUC (${pct(m.auc)} ≥ ${pct(t.auc)})`] : []),
    ...(m.acc >= t.acc ? [`${NAMES[d]} ACC (${pct(m.acc)} ≥ ${pct(t.acc)})`] : []),
  ];
});
const targetText =
  reached.length === 0
    ? "**they do not reach the paper's numbers**."
    : `of the paper's MSF-28 targets they reach ${reached.join(' and ')}; **the others are not reached**.`;
/** RGB palette vs scalar mask, metric by metric (the paper's claim is that the palette is better). */
const versus = (metric) => {
  const wins = ['pneumoniamnist', 'retinamnist'].filter(
    (d) => byId[`${d}-rgb-28`].metrics[metric] > byId[`${d}-scalar-28`].metrics[metric],
  );
  const name = metric.toUpperCase();
  return wins.length === 2
    ? `in ${name} on both datasets`
    : wins.length === 1
      ? `in ${name} on ${NAMES[wins[0]]} only`
      : `in ${name} on neither dataset`;
};
const claim = `The RGB-palette mask beats SymmFlow's scalar grey-level mask ${versus('acc')} and ${versus('auc')}.`;

/** What rejecting the most uncertain half does to the RGB model's accuracy on a dataset, in words. */
const rejection = (dataset) => {
  const id = `${dataset}-rgb-28`;
  const [all, half] = [at(id, 0), at(id, 0.5)];
  const label = NAMES[dataset];
  const numbers = `(RGB: ACC ${pct(all)} → ${pct(half)} % after rejecting the most uncertain half)`;
  // Graded by how much of the error rate the rejection removes: half or more is "well".
  const errorRemoved = 1 - (1 - half) / (1 - all);
  if (errorRemoved >= 0.5) return `On ${label} the uncertainty ranks errors well ${numbers}.`;
  if (half > all + 0.02) return `On ${label} it ranks errors only weakly ${numbers}.`;
  return `On ${label} it does not rank errors usefully yet ${numbers}.`;
};

/** Classes a model never gets right on the test split (recall 0), from the manifest's per-class results. */
const neverRight = (id) => {
  const { recall } = byId[id].metrics;
  if (!recall) return null;
  const labels = byId[id].labels;
  const missed = recall.flatMap((r, k) => (r === 0 ? [labels[k]] : []));
  return missed.length === 0 ? null : missed;
};
const perClassText = ['pneumoniamnist', 'retinamnist']
  .flatMap((d) =>
    ['rgb', 'scalar'].map((mask) => {
      const missed = neverRight(`${d}-${mask}-28`);
      return missed
        ? `the ${NAMES[d]} ${mask === 'rgb' ? 'RGB' : 'scalar'} model never predicts ${missed.length === 1 ? 'class' : 'classes'} ${missed.join(', ')} correctly (recall 0)`
        : null;
    }),
  )
  .filter(Boolean);
const perClassSentence =
  perClassText.length === 0 ? '' : ` Per class (the cards' confusion matrices): ${perClassText.join('; ')}.`;

const text = `Official MedMNIST test splits (624 PneumoniaMNIST, 400 RetinaMNIST images), AUC / ACC in %. AUC is the
MedSymmFlow AUC (one-vs-rest over every class on the mask distances, averaged), as in the paper. Our bold numbers
are what \`medsymmflow evaluate --model <id> --dataset <flag> --split test --json\` prints for each zoo model (one
Euler step, seed 0, ONNX Runtime, class distances averaged over the number of noise masks in parentheses — chosen
on the validation split and stored with the model's calibration), the command every manifest entry records;
\`pnpm test\` re-runs them and checks they match. Next to them, the same models with a single noise mask
(\`--samples 1\`). Paper rows are Table 1 of Caetano et al. (2025) as given on the authors' project page (mean ± std
over runs; the official code's defaults train a UNet of base width ${PAPER_WIDTH} (6.5 M parameters) for 100
epochs at batch 256 on a GPU). Two differences in how the numbers are made: the official code resizes the 28-px images to
32 px, and the loader it calls "val" (for the samples drawn during training and for evaluation, in
\`data/Dataloaders.py\`) reads the MedMNIST test split; it has no held-out split for choosing a checkpoint. ${atOfficialSize()}
and every choice (checkpoint, noise masks, calibration) is made on the validation split.

${table}

Our models were trained on 2 CPU cores in ${minutes('pneumoniamnist-rgb-28')} / ${minutes('pneumoniamnist-scalar-28')} min (Pneumonia RGB / scalar) and
${minutes('retinamnist-rgb-28')} / ${minutes('retinamnist-scalar-28')} min (Retina RGB / scalar) with the onnxruntime training engine, ${widthText} and a
fraction of its training budget; ${targetText} ${claim} ${rejection('pneumoniamnist')}
${rejection('retinamnist')}${perClassSentence} Each card (\`zoo/<id>/README.md\`) has the training recipe, the
validation numbers behind the noise-mask choice, calibration, ECE, per-class recall and confusion matrix, accuracy at 10–50 % rejection, the
selective-prediction plot and generated samples per class (with the share the same model classifies as the
requested class). Regenerate this section with \`node scripts/readme-results.mjs\`.`;

const readme = readFileSync(README, 'utf8');
const a = readme.indexOf(START);
const b = readme.indexOf(END);
if (a < 0 || b < a) throw new Error(`README.md has no ${START} … ${END} section.`);
const next = `${readme.slice(0, a + START.length)}\n\n${text}\n\n${readme.slice(b)}`;
const temp = `${README}.tmp-${process.pid}`;
writeFileSync(temp, next);
renameSync(temp, README);
console.error(
  'README.md results section rewritten; run `npx biome check --write README.md` to align the table.',
);
