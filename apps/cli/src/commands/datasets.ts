/**
 * @file `medsymmflow datasets …`: list, info, download, verify and export MedMNIST datasets. A thin layer over
 * the public API of `@medsymmflow/datasets-medmnist`.
 * @module commands/datasets
 */

import { stat } from 'node:fs/promises';
import {
  DATASET_FLAGS,
  DatasetFileNotFoundError,
  type DatasetInfo,
  DownloadError,
  getDatasetFile,
  getDatasetInfo,
  getDatasetPath,
  listDatasets,
  loadMedMnist,
  MEDMNIST_INFO_VERSION,
  resolveMedMnistRoot,
  SPLITS,
  type Split,
  verifyFile,
} from '@medsymmflow/datasets-medmnist';
import type { Command } from 'commander';
import type { CliContext } from '../lib/context';
import { describeChecksum, ensureDatasetFile } from '../lib/ensure-dataset';
import { CliError, UsageError } from '../lib/errors';
import { exportSplitAsPng } from '../lib/export-images';
import { formatBytes, formatTable, wrap } from '../lib/format';
import type { CommandGroup } from './types';

/** Parses a positive integer option value (commander argument parser). */
export function parsePositiveInteger(name: string): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value.trim()) || Number(value) < 1) {
      throw new UsageError(`Invalid ${name} ${JSON.stringify(value)}: expected a positive integer.`);
    }
    return Number(value);
  };
}

interface LocationOptions {
  size: number;
  root?: string;
}

/** `--root` > `MEDMNIST_ROOT` > `~/.medmnist`. */
function resolveRoot(options: { root?: string }, context: CliContext): string {
  return resolveMedMnistRoot(options.root ?? (context.env.MEDMNIST_ROOT || undefined));
}

function checkSize(info: DatasetInfo, size: number): number {
  if (!info.sizes.includes(size as never)) {
    throw new UsageError(
      `Size ${size} is not published for ${info.flag}.`,
      `Use --size ${info.sizes.join(', --size ')}.`,
    );
  }
  return size;
}

function sizeFlag(size: number): string {
  return size === 28 ? '' : ` --size ${size}`;
}

/** Re-words library errors about files with CLI commands and options in the hint. */
async function withCliHints<T>(
  info: DatasetInfo,
  size: number,
  root: string,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const file = getDatasetFile(info.flag, size);
    const path = getDatasetPath({ flag: info.flag, size, root });
    if (error instanceof DatasetFileNotFoundError && error.path === path) {
      throw new CliError(error.reason, {
        hint:
          `Run "medsymmflow datasets download ${info.flag}${sizeFlag(size)} --root ${root}", or download ` +
          `${file.url} (MD5 ${file.md5}) yourself and save it as ${path}.`,
        cause: error,
      });
    }
    if (error instanceof DownloadError) {
      throw new CliError(error.reason, {
        hint:
          `If this machine is offline, download ${file.url} (MD5 ${file.md5}) elsewhere and save it as ${path}; ` +
          '--base-url or MEDMNIST_BASE_URL selects a mirror.',
        cause: error,
      });
    }
    throw error;
  }
}

function sizesText(info: DatasetInfo): string {
  return info.sizes.join(',');
}

function writeJson(context: CliContext, value: unknown): void {
  context.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

function listCommand(context: CliContext, options: { json?: boolean }): void {
  const datasets = listDatasets();
  if (options.json) {
    writeJson(
      context,
      datasets.map((info) => ({
        flag: info.flag,
        python_class: info.pythonClass,
        task: info.task,
        classes: info.numClasses,
        channels: info.nChannels,
        dimensions: info.dimensions,
        sizes: info.sizes,
        n_samples: info.nSamples,
        license: info.license,
      })),
    );
    return;
  }
  context.stdout.write(
    formatTable(datasets, [
      { header: 'FLAG', value: (d) => d.flag },
      { header: 'TASK', value: (d) => d.task },
      { header: 'CLASSES', value: (d) => d.numClasses, right: true },
      { header: 'CHANNELS', value: (d) => d.nChannels, right: true },
      { header: 'DIM', value: (d) => `${d.dimensions}D` },
      { header: 'SIZES', value: sizesText },
      { header: 'TRAIN', value: (d) => d.nSamples.train, right: true },
      { header: 'VAL', value: (d) => d.nSamples.val, right: true },
      { header: 'TEST', value: (d) => d.nSamples.test, right: true },
    ]),
  );
  context.stdout.write(
    `\n${datasets.length} datasets (MedMNIST v2, registry of medmnist ${MEDMNIST_INFO_VERSION}). ` +
      'Details: medsymmflow datasets info <flag>\n',
  );
}

function infoCommand(context: CliContext, flag: string, options: { json?: boolean }): void {
  const info = getDatasetInfo(flag);
  if (options.json) {
    writeJson(context, info);
    return;
  }
  const out: string[] = [];
  out.push(
    `${info.pythonClass} (${info.flag}): ${info.task}, ${info.dimensions}D, ${info.nChannels} channel${
      info.nChannels === 1 ? '' : 's'
    }, licence ${info.license}`,
  );
  out.push('');
  out.push(wrap(info.description, 100, '  '));
  out.push('');
  out.push(info.multiLabel ? 'Labels (one column each, 0/1):' : 'Labels:');
  const width = String(info.numClasses - 1).length;
  info.labels.forEach((name, index) => {
    out.push(`  ${String(index).padStart(width)}  ${name}`);
  });
  out.push('');
  out.push(`Splits: train ${info.nSamples.train}, val ${info.nSamples.val}, test ${info.nSamples.test}`);
  out.push('');
  out.push('Files:');
  const files = info.sizes.map((size) => getDatasetFile(info.flag, size));
  out.push(
    formatTable(files, [
      { header: 'SIZE', value: (f) => f.size, right: true },
      { header: 'FILE', value: (f) => f.fileName },
      { header: 'MD5', value: (f) => f.md5 },
      { header: 'URL', value: (f) => f.url },
    ])
      .trimEnd()
      .replace(/^/gm, '  '),
  );
  context.stdout.write(`${out.join('\n')}\n`);
}

async function downloadCommand(
  context: CliContext,
  flag: string,
  options: LocationOptions & { baseUrl?: string; checksums?: string; force?: boolean; quiet?: boolean },
): Promise<void> {
  const info = getDatasetInfo(flag);
  const size = checkSize(info, options.size);
  const root = resolveRoot(options, context);
  const path = getDatasetPath({ flag: info.flag, size, root });
  const file = getDatasetFile(info.flag, size);
  if (!options.force) {
    const present = await stat(path).then(
      (info) => info.isFile(),
      () => false,
    );
    if (present) {
      context.stdout.write(
        `${file.fileName} is already in ${root} (add --force to download it again; ` +
          `"medsymmflow datasets verify ${info.flag}${sizeFlag(size)}" checks it).\n`,
      );
      return;
    }
  }
  const { downloaded } = await ensureDatasetFile(context, {
    flag: info.flag,
    size,
    root,
    download: true,
    baseUrl: options.baseUrl,
    checksums: options.checksums,
    force: true,
    quiet: options.quiet === true,
  });
  const checked = downloaded ? describeChecksum(downloaded) : `MD5 ${file.md5}`;
  const origin = downloaded?.checksumOrigin === 'mirror' ? ", from the mirror's checksum list" : '';
  context.stdout.write(`Saved ${path} (${checked} verified${origin})\n`);
}

async function verifyCommand(
  context: CliContext,
  flag: string,
  options: LocationOptions & { file?: string; json?: boolean },
): Promise<void> {
  const info = getDatasetInfo(flag);
  const size = checkSize(info, options.size);
  const root = resolveRoot(options, context);
  const report = await withCliHints(info, size, root, () =>
    verifyFile({ flag: info.flag, size, root, path: options.file }),
  );
  if (options.json) {
    writeJson(context, {
      flag: report.flag,
      size: report.size,
      md5_ok: report.md5Ok,
      counts: report.counts,
      path: report.path,
      bytes: report.bytes,
      md5: report.md5,
      expected_md5: report.expectedMd5,
      counts_ok: report.countsOk,
      structure_ok: report.structureOk,
      ok: report.ok,
      problems: report.problems,
    });
  } else {
    const counts = report.counts
      ? SPLITS.map((split) => `${split} ${report.counts?.[split]}`).join(', ')
      : 'unreadable';
    const lines = [
      `${report.path} (${formatBytes(report.bytes)})`,
      `  MD5     ${report.md5} ${report.md5Ok ? 'ok' : `MISMATCH (official ${report.expectedMd5})`}`,
      `  splits  ${counts} ${report.countsOk ? '(official)' : '(NOT the official sizes)'}`,
      `  arrays  ${report.structureOk ? 'all readable, shapes and labels as expected' : 'PROBLEMS'}`,
    ];
    for (const problem of report.problems) lines.push(`  - ${problem}`);
    lines.push(report.ok ? `OK: the official ${info.flag} file (${size}px).` : 'FAILED');
    context.stdout.write(`${lines.join('\n')}\n`);
  }
  if (!report.ok) {
    throw new CliError(`${report.path} is not the official ${info.flag} ${size}px file.`, {
      hint: `Download it again: medsymmflow datasets download ${info.flag}${sizeFlag(size)} --force`,
      exitCode: 1,
    });
  }
}

async function exportCommand(
  context: CliContext,
  flag: string,
  options: LocationOptions & { split: string; out: string; limit?: number; force?: boolean; strict: boolean },
): Promise<void> {
  const info = getDatasetInfo(flag);
  if (info.dimensions === 3) {
    throw new UsageError(`${info.flag} is a 3D dataset; only 2D datasets can be exported as PNG files.`);
  }
  const size = checkSize(info, options.size);
  if (!SPLITS.includes(options.split as Split)) {
    throw new UsageError(
      `Invalid split ${JSON.stringify(options.split)}.`,
      `Use --split ${SPLITS.join(', --split ')}.`,
    );
  }
  const root = resolveRoot(options, context);
  const dataset = await withCliHints(info, size, root, () =>
    loadMedMnist({ flag: info.flag, split: options.split as Split, size, root, strict: options.strict }),
  );
  const result = await exportSplitAsPng({
    dataset,
    out: options.out,
    limit: options.limit,
    force: options.force,
  });
  context.stdout.write(
    `Wrote ${result.images} PNG file${result.images === 1 ? '' : 's'} (${dataset.height}×${dataset.width}, ` +
      `${dataset.channels === 1 ? 'grey' : 'RGB'}) and labels.csv to ${result.out}\n`,
  );
}

const ENVIRONMENT_HELP = `
Environment:
  MEDMNIST_ROOT       folder of the dataset files (default ~/.medmnist; --root overrides it)
  MEDMNIST_BASE_URL   download from a mirror holding the files under their official names
                      (for air-gapped sites and tests; default: the official Zenodo URLs)
  MEDMNIST_CHECKSUMS  checksum list (URL or path) of a mirror that serves its own files; only
                      honoured with MEDMNIST_BASE_URL (default: the official MD5s)
`;

/** The `datasets` command group. */
export const datasetsCommands: CommandGroup = {
  name: 'datasets',
  register(program: Command, context: CliContext): void {
    const datasets = program
      .command('datasets')
      .description('list, inspect, download, verify and export MedMNIST datasets')
      .addHelpText('after', `${ENVIRONMENT_HELP}\nDataset flags: ${DATASET_FLAGS.join(', ')}\n`);

    const sizeOption = ['--size <pixels>', 'image size: 28, 64, 128 or 224 (3D: 28, 64)'] as const;
    const rootOption = ['--root <dir>', 'dataset folder (default: $MEDMNIST_ROOT or ~/.medmnist)'] as const;

    datasets
      .command('list')
      .description('every MedMNIST dataset with task, classes, channels and sizes')
      .option('--json', 'print JSON')
      .action((options: { json?: boolean }) => listCommand(context, options));

    datasets
      .command('info')
      .description('labels, split sizes, files, MD5s and URLs of a dataset')
      .argument('<flag>', `dataset flag, e.g. pneumoniamnist (see "datasets list")`)
      .option('--json', 'print JSON')
      .action((flag: string, options: { json?: boolean }) => infoCommand(context, flag, options));

    datasets
      .command('download')
      .description('download a dataset file (MD5-checked, written atomically)')
      .argument('<flag>', 'dataset flag')
      .option(...sizeOption, parsePositiveInteger('--size'), 28)
      .option(...rootOption)
      .option('--base-url <url>', 'mirror to download from (default: $MEDMNIST_BASE_URL or Zenodo)')
      .option(
        '--checksums <list>',
        "the mirror's checksum list (URL or path, md5sum/sha256sum format) for a mirror serving its own files; only with a mirror (default: $MEDMNIST_CHECKSUMS)",
      )
      .option('--force', 'download again even when the file is present')
      .option('-q, --quiet', 'no progress output')
      .addHelpText('after', ENVIRONMENT_HELP)
      .action((flag: string, options) => downloadCommand(context, flag, options));

    datasets
      .command('verify')
      .description('check the MD5 and structure of a dataset file; exit 0 only for the official file')
      .argument('<flag>', 'dataset flag')
      .option(...sizeOption, parsePositiveInteger('--size'), 28)
      .option(...rootOption)
      .option('--file <path>', 'check this file instead of the one in the dataset folder')
      .option('--json', 'print JSON: {"flag", "size", "md5_ok", "counts", …}')
      .action((flag: string, options) => verifyCommand(context, flag, options));

    datasets
      .command('export')
      .description('write a split as PNG files plus labels.csv (index,file,label,label_name)')
      .argument('<flag>', 'dataset flag')
      .requiredOption('--split <split>', `split to export: ${SPLITS.join(', ')}`)
      .requiredOption('--out <dir>', 'output folder (created; must be empty unless --force)')
      .option('--limit <n>', 'export only the first n images', parsePositiveInteger('--limit'))
      .option(...sizeOption, parsePositiveInteger('--size'), 28)
      .option(...rootOption)
      .option('--force', 'replace the contents of a non-empty output folder')
      .option('--no-strict', 'accept a file whose split sizes differ from the official ones')
      .action((flag: string, options) => exportCommand(context, flag, options));
  },
};
