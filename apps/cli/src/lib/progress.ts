/**
 * @file Progress bars (cli-progress) for library `onProgress` callbacks. Bars are drawn only on an
 * interactive terminal; otherwise progress is silent and only the result is printed.
 * @module progress
 */

import cliProgress from 'cli-progress';
import type { CliContext } from './context';
import { formatBytes } from './format';

/** Progress callback plus `stop()` to finish the bar. */
export interface ByteProgress {
  onProgress(event: { receivedBytes: number; totalBytes: number | undefined }): void;
  stop(): void;
}

/** A byte-count progress bar on stderr, labelled e.g. with the file name. */
export function createByteProgress(context: CliContext, label: string, enabled = true): ByteProgress {
  if (!enabled || !context.stderr.isTTY) return { onProgress: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: context.stderr as NodeJS.WritableStream,
      format: `${label} [{bar}] {percentage}% | {received} / {size} | ETA {eta_formatted}`,
      hideCursor: true,
      barsize: 30,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    onProgress({ receivedBytes, totalBytes }) {
      const total = totalBytes ?? Math.max(receivedBytes, 1);
      const payload = {
        received: formatBytes(receivedBytes),
        size: totalBytes ? formatBytes(totalBytes) : '?',
      };
      if (!started) {
        bar.start(total, receivedBytes, payload);
        started = true;
      } else {
        if (totalBytes === undefined) bar.setTotal(total);
        bar.update(receivedBytes, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** A count progress bar (e.g. images done of total) on stderr; silent when not a terminal or disabled. */
export function createCountProgress(
  context: CliContext,
  label: string,
  enabled = true,
): { onProgress(event: { done: number; total: number }): void; stop(): void } {
  if (!enabled || !context.stderr.isTTY) return { onProgress: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: context.stderr as NodeJS.WritableStream,
      format: `${label} [{bar}] {value}/{total} | ETA {eta_formatted}`,
      hideCursor: true,
      barsize: 24,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    onProgress({ done, total }) {
      if (!started) {
        bar.start(total, done);
        started = true;
      } else bar.update(done);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
