/**
 * @file The demo images' `labels.csv` (`index,file,label,label_name`, as `medsymmflow datasets export` writes it), read at build time by the Vite config
 * and typed for the page.
 * @module lib/demo-labels
 */

/** One demo image as the page sees it. */
export interface DemoImage {
  /** Dataset flag (the folder name), e.g. `pneumoniamnist`. */
  readonly dataset: string;
  /** File name inside the dataset folder. */
  readonly file: string;
  /** True label index. */
  readonly label: number;
  /** True label name. */
  readonly name: string;
  /** Index of the image in the official test split. */
  readonly testIndex: number;
  /** URL relative to the page, `demo/<dataset>/<file>`. */
  readonly url: string;
}

const HEADER = ['index', 'file', 'label', 'label_name'];
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*\.(?:png|jpe?g)$/;

/**
 * Parses a `labels.csv` (header `index,file,label,label_name`, where `index` is the image's index in the test
 * split; names without commas).
 * @throws Error naming the file and line of the first malformed row.
 */
export function parseDemoLabels(text: string, where: string): Omit<DemoImage, 'dataset' | 'url'>[] {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  if (
    lines.length === 0 ||
    lines[0]
      .split(',')
      .map((s) => s.trim())
      .join(',') !== HEADER.join(',')
  ) {
    throw new Error(
      `${where}: the first line must be "${HEADER.join(',')}"; got ${JSON.stringify(lines[0] ?? '')}.`,
    );
  }
  return lines.slice(1).map((line, i) => {
    const cells = line.split(',').map((s) => s.trim());
    const [testIndex, file, label, name] = cells;
    if (
      cells.length !== 4 ||
      !FILE_NAME.test(file) ||
      !/^\d+$/.test(label) ||
      name === '' ||
      !/^\d+$/.test(testIndex)
    ) {
      throw new Error(
        `${where} line ${i + 2}: expected "<test index>,<file.png>,<label index>,<name>"; got ${JSON.stringify(line)}.`,
      );
    }
    return { file, label: Number(label), name, testIndex: Number(testIndex) };
  });
}
