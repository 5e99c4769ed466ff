import { createMaskPlugin } from '@medsymmflow/conditioning-masks';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TfjsEngine } from '../engines/tfjs/tfjs-engine.js';
import { createUNet, type UNet } from '../model/unet.js';
import type { Params } from '../ops/ops.js';
import { initParamData, paramsFromData } from '../ops/params.js';
import { liveTensors, maxDiff, randomData, seeded, tfjsEngine } from '../testing/helpers.js';
import { classify, classifyAsync } from './classify.js';
import { generate, generateAsync } from './generate.js';
import {
  type AsyncFlowNetwork,
  type FlowNetwork,
  type FlowProgressEvent,
  networkVelocityField,
} from './network.js';

type Tensor = import('@tensorflow/tfjs-core').Tensor;

const SIZE = 8;

describe('generate and classify with a tiny UNet', () => {
  let engine: TfjsEngine;
  let model: FlowNetwork<Tensor>;
  beforeAll(async () => {
    engine = await tfjsEngine('wasm');
    const unet = createUNet({
      imageSize: SIZE,
      inChannels: 4,
      baseChannels: 8,
      channelMults: [1, 2],
      numResBlocks: 1,
      attentionResolutions: [4],
      numHeadChannels: 8,
      normGroups: 4,
    });
    // Non-zero output layers, so that the output depends on the noise.
    const data = initParamData(unet.paramSpecs, seeded(1));
    for (const spec of unet.paramSpecs) {
      if (spec.init.kind === 'zeros')
        data[spec.name] = randomData(data[spec.name].length, seeded(2)).map((v) => 0.3 * v);
    }
    model = {
      ops: engine.ops,
      unet,
      params: paramsFromData(engine.ops, unet.paramSpecs, data),
      maskPlugin: createMaskPlugin('rgb-palette', 3),
      imageChannels: 1,
    };
  });

  it('generate: shapes, seeded determinism, batch-size independence, no leaks', () => {
    const before = liveTensors();
    const a = generate({ model, labels: [0, 1, 2, 1, 0], steps: 3, random: seeded(5), batchSize: 2 });
    expect(liveTensors()).toBe(before);
    expect(a.shape).toEqual([5, SIZE, SIZE, 1]);
    expect(a.images.length).toBe(5 * SIZE * SIZE);
    expect(a.masks.length).toBe(5 * SIZE * SIZE * 3);
    expect(a.steps).toBe(3);
    expect(a.evaluations).toBe(9);
    const b = generate({ model, labels: [0, 1, 2, 1, 0], steps: 3, random: seeded(5), batchSize: 32 });
    expect(maxDiff(b.images, a.images).abs).toBeLessThan(1e-5);
    const c = generate({ model, labels: [0, 1, 2, 1, 0], steps: 3, random: seeded(6) });
    expect(maxDiff(c.images, a.images).abs).toBeGreaterThan(1e-2);
    const viaMasks = generate({ model, masks: a.masks, steps: 3, random: seeded(5), solver: 'midpoint' });
    expect(viaMasks.evaluations).toBe(6);
  });

  it('generate validates its conditioning', () => {
    expect(() => generate({ model, random: seeded(1) })).toThrow(/exactly one of 'labels'/);
    expect(() => generate({ model, masks: new Float32Array(7) })).toThrow(
      /n × 8 × 8 × 3 values; got length 7/,
    );
    expect(() => generate({ model, labels: [5] })).toThrow();
  });

  it('classify: shapes, determinism, averaging over samples, no leaks', () => {
    const images = randomData(4 * SIZE * SIZE, seeded(7));
    const before = liveTensors();
    const one = classify({ model, images, random: seeded(8), returnMasks: true, batchSize: 3 });
    expect(liveTensors()).toBe(before);
    expect(one.labels).toHaveLength(4);
    expect(one.distances).toHaveLength(4 * 3);
    expect(one.numClasses).toBe(3);
    expect(one.masks).toHaveLength(4 * SIZE * SIZE * 3);
    expect(one.steps).toBe(1);
    for (let i = 0; i < 4; i++) {
      const row = Array.from(one.distances.slice(3 * i, 3 * i + 3));
      expect(one.labels[i]).toBe(row.indexOf(Math.min(...row)));
      expect(one.uncertainty[i]).toBe(row[one.labels[i]]);
    }
    const again = classify({ model, images, random: seeded(8) });
    expect(Array.from(again.distances)).toEqual(Array.from(one.distances));
    expect(again.masks).toBeUndefined();
    const three = classify({ model, images, random: seeded(8), numSamples: 3 });
    expect(three.evaluations).toBe(3);
    // Equivalent to three single-sample runs that consume the same stream in turn, averaged.
    const stream = seeded(8);
    const singles = [0, 1, 2].map(() => classify({ model, images, random: stream }).distances);
    const mean = one.distances.map((_, i) => (singles[0][i] + singles[1][i] + singles[2][i]) / 3);
    expect(maxDiff(three.distances, mean).abs).toBeLessThan(1e-5);
    expect(maxDiff(singles[1], singles[0]).abs).toBeGreaterThan(1e-3);
  });

  /** The same network behind an async velocity (as onnxruntime-web would answer), resolving a tick later. */
  function asAsync(network: FlowNetwork<Tensor>): AsyncFlowNetwork<Tensor> {
    const field = networkVelocityField(network);
    return {
      ops: network.ops,
      maskPlugin: network.maskPlugin,
      imageChannels: network.imageChannels,
      imageSize: network.unet.config.imageSize,
      velocity: (t, x) =>
        new Promise((resolve) => setTimeout(() => resolve(network.ops.tidy(() => field(t, x))))),
    };
  }

  it('classifyAsync equals classify on the same seed (sync and async networks, any solver), no leaks', async () => {
    const images = randomData(5 * SIZE * SIZE, seeded(11));
    for (const options of [
      {},
      { numSamples: 2, batchSize: 2, returnMasks: true },
      { solver: 'midpoint' as const, steps: 2, batchSize: 3 },
      { solver: 'dopri5' as const, rtol: 1e-3, atol: 1e-3 },
    ]) {
      const sync = classify({ model, images, random: seeded(12), ...options });
      const before = liveTensors();
      const viaAsync = await classifyAsync({ model: asAsync(model), images, random: seeded(12), ...options });
      const viaSync = await classifyAsync({ model, images, random: seeded(12), ...options });
      expect(liveTensors()).toBe(before);
      for (const result of [viaAsync, viaSync]) {
        expect(Array.from(result.distances)).toEqual(Array.from(sync.distances));
        expect(Array.from(result.labels)).toEqual(Array.from(sync.labels));
        expect(Array.from(result.uncertainty)).toEqual(Array.from(sync.uncertainty));
        expect(result.masks && Array.from(result.masks)).toEqual(sync.masks && Array.from(sync.masks));
        expect([result.steps, result.evaluations]).toEqual([sync.steps, sync.evaluations]);
      }
    }
  });

  it('generateAsync equals generate on the same seed and reports every solver step', async () => {
    const labels = [2, 0, 1];
    const syncEvents: FlowProgressEvent[] = [];
    const sync = generate({
      model,
      labels,
      steps: 4,
      batchSize: 2,
      random: seeded(13),
      onProgress: (e) => syncEvents.push(e),
    });
    const before = liveTensors();
    const events: FlowProgressEvent[] = [];
    const result = await generateAsync({
      model: asAsync(model),
      labels,
      steps: 4,
      batchSize: 2,
      random: seeded(13),
      onProgress: (e) => events.push(e),
    });
    expect(liveTensors()).toBe(before);
    expect(Array.from(result.images)).toEqual(Array.from(sync.images));
    expect(Array.from(result.masks)).toEqual(Array.from(sync.masks));
    expect(result.shape).toEqual(sync.shape);
    expect(events).toEqual(syncEvents);
    // Batch of 2: steps 1..4, then the batch event; batch of 1: steps 1..4, then the final event.
    expect(
      events.map((e) => (e.step === undefined ? `done ${e.done}` : `${e.done}+${e.step}/${e.steps}`)),
    ).toEqual(['0+1/4', '0+2/4', '0+3/4', '0+4/4', 'done 2', '2+1/4', '2+2/4', '2+3/4', '2+4/4', 'done 3']);
    expect(events[0]).toMatchObject({ phase: 'generate', total: 3, batch: 2 });
  });

  it('the async functions reject bad input; the sync ones refuse an async network', async () => {
    const asyncModel = asAsync(model);
    await expect(classifyAsync({ model: asyncModel, images: new Float32Array(10) })).rejects.toThrow(
      /n × 8 × 8 × 1 values; got length 10/,
    );
    await expect(generateAsync({ model: asyncModel, random: seeded(1) })).rejects.toThrow(
      /exactly one of 'labels'/,
    );
    await expect(
      classifyAsync({ model: { ...asyncModel, imageSize: 0 }, images: new Float32Array(64) }),
    ).rejects.toThrow(/'imageSize' must be a positive integer; got 0/);
    const failing = { ...asyncModel, velocity: () => Promise.reject(new Error('model failed to load')) };
    await expect(classifyAsync({ model: failing, images: new Float32Array(64) })).rejects.toThrow(
      'model failed to load',
    );
    expect(() =>
      classify({ model: asyncModel as unknown as FlowNetwork<Tensor>, images: new Float32Array(64) }),
    ).toThrow(/classify\(\) needs a synchronous FlowNetwork.*Use classifyAsync\(\) instead/);
    expect(() => generate({ model: asyncModel as unknown as FlowNetwork<Tensor>, labels: [0] })).toThrow(
      /Use generateAsync\(\) instead/,
    );
  });

  it('classify rejects malformed images', () => {
    expect(() => classify({ model, images: new Float32Array(10) })).toThrow(
      /n × 8 × 8 × 1 values; got length 10/,
    );
    const bad = new Float32Array(SIZE * SIZE);
    bad[3] = Number.NaN;
    expect(() => classify({ model, images: bad })).toThrow(/non-finite value \(NaN\) at index 3/);
    expect(() => classify({ model, images: new Float32Array(SIZE * SIZE), numSamples: 0 })).toThrow(
      /'numSamples'/,
    );
  });
});

describe('classification with a hand-built velocity field', () => {
  it('recovers the class encoded in the image and reports zero uncertainty', async () => {
    const engine = await tfjsEngine('cpu');
    const ops = engine.ops;
    const plugin = createMaskPlugin('rgb-palette', 2);
    const targets = plugin.classTargets();
    const c0 = targets.slice(0, 3);
    const diff = Float32Array.from([0, 1, 2], (i) => targets[3 + i] - targets[i]);
    // v_image = 0; v_mask = m − target(x), target = class 1's colour where x > 0 else class 0's.
    // One Euler step from t = 1 to 0 then gives m(0) = ξm − (ξm − target) = target exactly.
    const unet = {
      config: createUNet({
        imageSize: 4,
        inChannels: 4,
        channelMults: [1],
        attentionResolutions: [],
        baseChannels: 8,
        numHeadChannels: 8,
      }).config,
      paramSpecs: [],
      numParameters: 0,
      forward<T>(o: typeof ops | never, _p: Params<T>, x: T) {
        const opsT = o as unknown as import('../ops/ops.js').TensorOps<T>;
        const image = opsT.sliceChannels(x, 0, 1);
        const mask = opsT.sliceChannels(x, 1, 3);
        const step = opsT.sigmoid(opsT.mulScalar(image, 1e4));
        const target = opsT.add(
          opsT.expandToSpatial(opsT.constant(c0, [3])),
          opsT.mul(step, opsT.expandToSpatial(opsT.constant(diff, [3]))),
        );
        return opsT.concatChannels([opsT.mulScalar(image, 0), opsT.sub(mask, target)]);
      },
    } as unknown as UNet;
    const model: FlowNetwork<Tensor> = { ops, unet, params: {}, maskPlugin: plugin, imageChannels: 1 };
    const truth = [1, 0, 0, 1, 1];
    const images = new Float32Array(truth.length * 16);
    truth.forEach((label, i) => {
      images.fill(label === 1 ? 0.5 : -0.5, i * 16, (i + 1) * 16);
    });
    const result = classify({ model, images, random: seeded(3), numSamples: 2, returnMasks: true });
    expect(Array.from(result.labels)).toEqual(truth);
    const gap = Math.hypot(...diff);
    truth.forEach((label, i) => {
      expect(result.uncertainty[i]).toBeLessThan(1e-4);
      expect(result.distances[2 * i + (1 - label)]).toBeCloseTo(gap, 4);
    });
    expect(result.masks![0]).toBeCloseTo(targets[3], 4);
  });
});
