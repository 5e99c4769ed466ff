/**
 * Contract of the `gradientEngine` seam: the trainer hands the whole batch to the plugged-in computer, reports
 * its name, disposes it at the end, and everything else (draws, AdamW, EMA, schedule) is unchanged — a mock
 * engine that computes with the same wasm code gives exactly the losses of a plain run.
 */
import { describe, expect, it } from 'vitest';
import { resolveEngine } from '../engines/registry.js';
import { resolveTrainConfig } from './config.js';
import { createShardGradientComputer, type GradientEngine, type GradientSetup } from './gradients.js';
import { syntheticData, TINY_UNET } from './testing/tiny.js';
import { train } from './trainer.js';

describe('train({ gradientEngine })', () => {
  it('uses the plugged-in computer for whole batches and keeps the rest of the trainer as is', async () => {
    const base = {
      data: syntheticData(24, 3),
      architecture: TINY_UNET,
      batchSize: 8,
      epochs: 2,
      maxSteps: 4,
      seed: 9,
      engine: 'wasm',
    } as const;
    const plain = await train({ ...base, workers: 0 });
    plain.model.dispose();

    const setups: GradientSetup[] = [];
    const shardSizes: number[] = [];
    let disposed = 0;
    const { engine } = await resolveEngine('wasm');
    const mock: GradientEngine = {
      name: 'mock',
      async createComputer(setup) {
        setups.push(setup);
        const inner = createShardGradientComputer(engine, setup);
        return {
          unet: inner.unet,
          specs: inner.specs,
          compute(params, input, gradSums) {
            shardSizes.push(input.n);
            return inner.compute(params, input, gradSums);
          },
          dispose() {
            disposed++;
          },
        };
      },
    };
    const events: string[] = [];
    const plugged = await train({
      ...base,
      workers: 2,
      gradientEngine: mock,
      onProgress: (e) => {
        if (e.type === 'start') events.push(`${e.engine}/${e.workers}`);
      },
    });
    plugged.model.dispose();
    expect(plugged.engine).toBe('mock');
    expect(events).toEqual(['mock/0']);
    expect(setups).toHaveLength(1);
    expect(setups[0].imageShape).toEqual([8, 8, 1]);
    expect(shardSizes).toEqual([8, 8, 8, 8]); // whole batches, no worker shards
    expect(disposed).toBe(1);
    expect(plugged.losses).toEqual(plain.losses);
  });

  it('rejects a gradientEngine that is not one', () => {
    expect(() =>
      resolveTrainConfig({ data: syntheticData(4, 1), gradientEngine: { name: 'x' } as never }),
    ).toThrow(/'gradientEngine' must be a GradientEngine/);
  });
});
