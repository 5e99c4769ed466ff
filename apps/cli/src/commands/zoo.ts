/**
 * @file `medsymmflow zoo …`: list the model zoo, pull a model into the cache (SHA-256-checked, atomic), and
 * re-check the cache. A thin layer over the hub of `@medsymmflow/core-flow` (`listZoo`, `pullModel`,
 * `verifyCache`); the zoo source and cache folder follow the library's resolution order, with `--zoo-url` and
 * `--cache-dir` as the explicit options.
 * @module commands/zoo
 */

import {
  type CachedFileReport,
  listZoo,
  pullModel,
  verifyCache,
  type ZooEntry,
  type ZooSource,
} from '@medsymmflow/core-flow';
import type { Command } from 'commander';
import type { CliContext } from '../lib/context';
import { CliError } from '../lib/errors';
import { formatBytes, formatTable } from '../lib/format';
import { createByteProgress } from '../lib/progress';
import type { CommandGroup } from './types';

function writeJson(context: CliContext, value: unknown): void {
  context.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

function describeSource(source: ZooSource): string {
  const origin = source.origin === 'option' ? '--zoo-url' : source.origin;
  return `${source.manifestUrl} (${origin})`;
}

function percent(value: number | undefined): string {
  return value === undefined ? '—' : `${(value * 100).toFixed(1)}`;
}

function testMetric(entry: ZooEntry, name: 'auc' | 'acc'): string {
  return entry.metrics?.split === 'test' ? percent(entry.metrics[name]) : '—';
}

async function listCommand(context: CliContext, options: { json?: boolean; zooUrl?: string }): Promise<void> {
  const { source, models } = await listZoo({ zooUrl: options.zooUrl });
  if (options.json) {
    writeJson(context, {
      source: { kind: source.kind, manifestUrl: source.manifestUrl, origin: source.origin },
      models,
    });
    return;
  }
  context.stdout.write(
    formatTable(models, [
      { header: 'ID', value: (m) => m.id },
      { header: 'DATASET', value: (m) => m.dataset },
      { header: 'CONDITIONING', value: (m) => m.conditioning.name },
      { header: 'STATUS', value: (m) => m.status },
      { header: 'TEST AUC', value: (m) => testMetric(m, 'auc'), right: true },
      { header: 'TEST ACC', value: (m) => testMetric(m, 'acc'), right: true },
    ]),
  );
  const available = models.filter((m) => m.status === 'available').length;
  context.stdout.write(
    `\n${models.length} model${models.length === 1 ? '' : 's'} in ${describeSource(source)}; ${available} with ` +
      `weights. ${available > 0 ? 'Pull one: medsymmflow zoo pull <id>' : 'Models marked not-trained have no weights yet.'}\n`,
  );
}

async function pullCommand(
  context: CliContext,
  id: string,
  options: { zooUrl?: string; cacheDir?: string; force?: boolean; quiet?: boolean },
): Promise<void> {
  const progress = createByteProgress(context, id, !options.quiet);
  let result: Awaited<ReturnType<typeof pullModel>>;
  try {
    result = await pullModel(id, {
      zooUrl: options.zooUrl,
      cacheDir: options.cacheDir,
      force: options.force,
      onProgress: progress.onProgress,
    });
  } finally {
    progress.stop();
  }
  const bytes = result.files.reduce((sum, file) => sum + file.bytes, 0);
  const what = `${result.files.length} file${result.files.length === 1 ? '' : 's'}, ${formatBytes(bytes)}`;
  context.stdout.write(
    result.downloaded
      ? `Pulled ${result.id} ${result.entry.version ?? ''} from ${describeSource(result.source)} into ${result.dir} (${what}, SHA-256 verified)\n`
      : `${result.id} is already in ${result.dir} and matches the manifest (${what}, SHA-256 verified; --force downloads it again)\n`,
  );
}

function fileLine(file: CachedFileReport): string {
  switch (file.status) {
    case 'ok':
      return `  ok             ${file.path} (${formatBytes(file.expectedBytes)})`;
    case 'missing':
      return `  MISSING        ${file.path}`;
    case 'not-a-file':
      return `  NOT A FILE     ${file.path}`;
    case 'size-mismatch':
      return `  WRONG SIZE     ${file.path} (${file.actualBytes} bytes, expected ${file.expectedBytes})`;
    case 'hash-mismatch':
      return `  WRONG SHA-256  ${file.path} (${file.actualSha256}, expected ${file.expectedSha256})`;
  }
}

async function verifyCommand(
  context: CliContext,
  ids: string[],
  options: { json?: boolean; cacheDir?: string },
): Promise<void> {
  const report = await verifyCache({ cacheDir: options.cacheDir, ids: ids.length > 0 ? ids : undefined });
  if (options.json) {
    writeJson(context, report);
  } else if (report.models.length === 0) {
    context.stdout.write(
      `The cache ${report.modelsDir} holds no models (medsymmflow zoo pull <id> adds one).\n`,
    );
  } else {
    const lines: string[] = [];
    for (const model of report.models) {
      const from = model.manifestUrl ? ` — pulled ${model.pulledAt} from ${model.manifestUrl}` : '';
      lines.push(`${model.id}: ${model.ok ? 'OK' : 'FAILED'}${from}`);
      for (const file of model.files) lines.push(fileLine(file));
      for (const problem of model.problems) lines.push(`  - ${problem}`);
    }
    context.stdout.write(`${lines.join('\n')}\n`);
  }
  if (!report.ok) {
    const failed = report.models.filter((model) => !model.ok).map((model) => model.id);
    throw new CliError(`Cache check failed for ${failed.join(', ')} in ${report.modelsDir}.`, {
      hint: `Pull again: ${failed.map((id) => `medsymmflow zoo pull ${id} --force`).join('; ')}`,
      exitCode: 1,
    });
  }
}

const ENVIRONMENT_HELP = `
Environment:
  MEDSYMMFLOW_ZOO_URL    where the zoo is: http(s) URL, file: URL or folder holding manifest.json
                         (default: the zoo/ folder of the MedSymmFlow-TS checkout around the working
                         directory; --zoo-url overrides it)
  MEDSYMMFLOW_CACHE_DIR  cache folder (default ~/.cache/medsymmflow; --cache-dir overrides it);
                         models are kept in <cache>/models/<id>/
`;

/** The `zoo` command group. */
export const zooCommands: CommandGroup = {
  name: 'zoo',
  register(program: Command, context: CliContext): void {
    const zoo = program
      .command('zoo')
      .description('list pretrained models, pull them into the cache, and verify the cache')
      .addHelpText('after', ENVIRONMENT_HELP);

    const zooUrlOption = [
      '--zoo-url <url>',
      'zoo source (default: $MEDSYMMFLOW_ZOO_URL or the checkout zoo/)',
    ] as const;
    const cacheDirOption = [
      '--cache-dir <dir>',
      'cache folder (default: $MEDSYMMFLOW_CACHE_DIR or ~/.cache/medsymmflow)',
    ] as const;

    zoo
      .command('list')
      .description('every model of the zoo: dataset, conditioning, status and test AUC/ACC (percent)')
      .option(...zooUrlOption)
      .option('--json', 'print JSON: {"source": {…}, "models": [manifest entries]}')
      .action((options: { json?: boolean; zooUrl?: string }) => listCommand(context, options));

    zoo
      .command('pull')
      .description('download a model into the cache (SHA-256-checked, written atomically)')
      .argument('<id>', 'model id, e.g. pneumoniamnist-rgb-28 (see "zoo list")')
      .option(...zooUrlOption)
      .option(...cacheDirOption)
      .option('--force', 'download again even when the cached copy matches the manifest')
      .option('-q, --quiet', 'no progress output')
      .addHelpText('after', ENVIRONMENT_HELP)
      .action((id: string, options) => pullCommand(context, id, options));

    zoo
      .command('verify')
      .description('re-hash every cached model file; exit 1 when any is missing or differs')
      .argument('[ids...]', 'only these models (default: every cached model)')
      .option(...cacheDirOption)
      .option('--json', 'print JSON: {"cacheDir", "ok", "models": [{"id", "ok", "files": […], "problems"}]}')
      .action((ids: string[], options) => verifyCommand(context, ids, options));
  },
};
