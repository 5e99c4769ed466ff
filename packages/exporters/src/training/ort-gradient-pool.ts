/**
 * @file Data-parallel ONNX Runtime gradients: worker threads, each holding its own training session, compute
 * equal parts of a shard; their `n · ∇L` and loss sums add up to the shard's. The weights go to every worker
 * each step (a copy, or shared when they already live in a SharedArrayBuffer); each worker's gradients
 * come back as transferred buffers.
 *
 * @module training/ort-gradient-pool
 * @internal
 */
import { findWorkerScript, RequestWorker, shardRanges } from '@medsymmflow/core-flow';
import type {
  OrtGradientSetup,
  OrtShardInput,
  OrtShardSums,
  ResolvedOrtTrainingConfig,
} from './ort-gradients.js';

/** Requests to a gradient worker, answered by the reply with the same `id`. */
export type OrtWorkerRequest =
  | {
      readonly type: 'init';
      readonly id: number;
      readonly setup: OrtGradientSetup;
      readonly config: ResolvedOrtTrainingConfig;
    }
  | {
      readonly type: 'compute';
      readonly id: number;
      readonly params: readonly Float32Array[];
      readonly input: OrtShardInput;
    }
  | { readonly type: 'endProfiling'; readonly id: number };

/** Frees the sessions and ends the worker (after any compute in progress: messages are handled in order). */
export type OrtWorkerDispose = { readonly type: 'dispose' };

/** Replies of a gradient worker. */
export type OrtWorkerResponse =
  | {
      readonly id: number;
      readonly ok: true;
      readonly sums?: OrtShardSums;
      readonly grads?: Float32Array[];
      readonly files?: string[];
    }
  | { readonly id: number; readonly ok: false; readonly message: string; readonly stack?: string };

/** The worker pool behind a data-parallel {@link OrtGradientComputer}. */
export interface OrtGradientPool {
  readonly size: number;
  compute(
    params: readonly Float32Array[],
    input: OrtShardInput,
    gradSums: readonly Float32Array[],
  ): Promise<OrtShardSums>;
  endProfiling(): Promise<string[]>;
  dispose(): void;
}

/** The built worker script: next to this bundle in the package, or in `dist/` when running from source. */
function resolveWorkerScript(): URL {
  return findWorkerScript(
    [
      new URL('./ort-gradient-worker.js', import.meta.url),
      new URL('../../dist/ort-gradient-worker.js', import.meta.url),
    ],
    'the ONNX Runtime gradient worker',
    'Build @medsymmflow/exporters (`pnpm build`) or pass { workers: 0 }.',
  );
}

type GradientWorker = RequestWorker<OrtWorkerRequest, OrtWorkerResponse>;

function startWorker(script: URL, index: number): GradientWorker {
  return new RequestWorker<OrtWorkerRequest, OrtWorkerResponse>(script, {
    name: `medsymmflow-ort-gradients-${index}`,
    label: `ONNX Runtime gradient worker ${index}`,
    errorOf(reply) {
      if (reply.ok) return undefined;
      const error = new Error(reply.message);
      if (reply.stack) error.stack = reply.stack;
      return error;
    },
  });
}

/**
 * Starts `config.workers` workers, each loading ONNX Runtime with `config.threads` intra-op threads, and
 * waits until every one has built its UNet.
 */
export async function createOrtGradientPool(
  setup: OrtGradientSetup,
  config: ResolvedOrtTrainingConfig,
): Promise<OrtGradientPool> {
  const script = resolveWorkerScript();
  const workers = Array.from({ length: config.workers }, (_, i) => startWorker(script, i));
  // Terminating a worker while ONNX Runtime runs in it aborts the whole process (a native exception on a
  // dying environment), so workers are only asked to stop: each finishes what it is doing, frees its
  // sessions and closes its port.
  const stop = () => {
    for (const w of workers) {
      w.worker.postMessage({ type: 'dispose' } satisfies OrtWorkerDispose);
      w.worker.unref();
    }
  };
  try {
    await Promise.all(
      workers.map((w, i) =>
        w.request({
          type: 'init',
          setup,
          config: {
            ...config,
            workers: 0,
            profilePrefix:
              config.profilePrefix === undefined ? undefined : `${config.profilePrefix}-worker${i}`,
          },
        }),
      ),
    );
  } catch (error) {
    stop();
    throw error;
  }
  const profiles: string[] = [];
  let live = true;
  return {
    size: workers.length,
    async compute(params, input, gradSums) {
      if (!live) throw new Error('This ONNX Runtime gradient computer was disposed; create a new one.');
      const parts = shardRanges(input.n, workers.length);
      // allSettled: on a failure, wait for the other workers too, so none is still running when the caller
      // reacts (e.g. disposes).
      const settled = await Promise.allSettled(
        parts.map(({ start, count }, i) => {
          const slice = (a: Float32Array) => {
            const per = a.length / input.n;
            return a.slice(start * per, (start + count) * per);
          };
          const part: OrtShardInput = {
            n: count,
            images: slice(input.images),
            masks: slice(input.masks),
            xiX: slice(input.xiX),
            xiM: slice(input.xiM),
            t: slice(input.t),
          };
          const w = workers[i];
          return w.request({ type: 'compute', params, input: part });
        }),
      );
      const failed = settled.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
      const replies = settled.map((r) => (r as PromiseFulfilledResult<OrtWorkerResponse>).value);
      const total: OrtShardSums = { n: 0, loss: 0, imageLoss: 0, maskLoss: 0 };
      for (const reply of replies) {
        if (!reply.ok || !reply.sums || !reply.grads) throw new Error('A gradient worker sent no gradients.');
        const { sums, grads } = reply;
        total.n += sums.n;
        total.loss += sums.loss;
        total.imageLoss += sums.imageLoss;
        total.maskLoss += sums.maskLoss;
        grads.forEach((g, i) => {
          const acc = gradSums[i];
          for (let j = 0; j < acc.length; j++) acc[j] += g[j];
        });
      }
      return total;
    },
    async endProfiling() {
      if (live) {
        for (const w of workers) {
          const reply = await w.request({ type: 'endProfiling' });
          if (reply.ok && reply.files) profiles.push(...reply.files);
        }
      }
      return [...profiles];
    },
    dispose() {
      if (!live) return;
      live = false;
      stop();
    },
  };
}
