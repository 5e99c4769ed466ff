import { beforeAll, describe, expect, it } from 'vitest';
import type { TfjsEngine } from '../engines/tfjs/tfjs-engine.js';
import { sfmLoss } from '../flow/sfm.js';
import { initParamData, paramsFromData } from '../ops/params.js';
import { liveTensors, maxDiff, randomData, seeded, tfjsEngine } from '../testing/helpers.js';
import { createUNet, groupsFor, resolveUNetConfig, UNET_DEFAULTS, type UNetConfig } from './unet.js';

/** Parameter count of the guided-diffusion UNet, derived independently of the implementation. */
function expectedParameterCount(c: {
  inChannels: number;
  base: number;
  mults: number[];
  blocks: number;
  attnAt: number[];
  size: number;
}): number {
  const t = 4 * c.base;
  const conv = (k: number, i: number, o: number) => k * k * i * o + o;
  const res = (i: number, o: number) =>
    2 * i + conv(3, i, o) + t * o + o + 2 * o + conv(3, o, o) + (i !== o ? conv(1, i, o) : 0);
  const attn = (ch: number) => 2 * ch + conv(1, ch, 3 * ch) + conv(1, ch, ch);
  let total = c.base * t + t + t * t + t + conv(3, c.inChannels, c.base * c.mults[0]);
  let ch = c.base * c.mults[0];
  const skips = [ch];
  let size = c.size;
  c.mults.forEach((m, level) => {
    for (let b = 0; b < c.blocks; b++) {
      total += res(ch, m * c.base);
      ch = m * c.base;
      if (c.attnAt.includes(size)) total += attn(ch);
      skips.push(ch);
    }
    if (level < c.mults.length - 1) {
      total += conv(3, ch, ch);
      skips.push(ch);
      size /= 2;
    }
  });
  total += 2 * res(ch, ch) + attn(ch);
  [...c.mults].reverse().forEach((m, r) => {
    const level = c.mults.length - 1 - r;
    for (let b = 0; b <= c.blocks; b++) {
      total += res(ch + skips.pop()!, m * c.base);
      ch = m * c.base;
      if (c.attnAt.includes(size)) total += attn(ch);
      if (level > 0 && b === c.blocks) {
        total += conv(3, ch, ch);
        size *= 2;
      }
    }
  });
  return total + 2 * ch + conv(3, ch, c.inChannels);
}

const TINY: UNetConfig = {
  imageSize: 8,
  inChannels: 3,
  baseChannels: 8,
  channelMults: [1, 2],
  numResBlocks: 1,
  attentionResolutions: [4],
  numHeadChannels: 8,
  normGroups: 4,
};

describe('UNet config', () => {
  it('defaults: base 32, mults [1,2,2], 2 res blocks, attention at 7 px', () => {
    const resolved = resolveUNetConfig();
    expect(resolved).toEqual(UNET_DEFAULTS);
    expect(resolved.channelMults).toEqual([1, 2, 2]);
    expect(resolved.attentionResolutions).toEqual([7]);
  });

  it('copies the input and never mutates it', () => {
    const input = { channelMults: [1, 2], attentionResolutions: [14] };
    const frozen = JSON.stringify(input);
    const resolved = resolveUNetConfig(input);
    expect(JSON.stringify(input)).toBe(frozen);
    expect(resolved.channelMults).not.toBe(input.channelMults);
    expect(resolved.outChannels).toBe(resolved.inChannels);
  });

  it.each([
    [{ baseChannel: 32 } as UNetConfig, /Unknown UNet config key 'baseChannel'. Valid keys: .*baseChannels/],
    [{ attentionResolutions: [8] }, /contains 8.*Valid sizes for imageSize 28 and 3 levels: 28, 14, 7/],
    [{ baseChannels: 31 }, /must be even/],
    [{ imageSize: 30, channelMults: [1, 2, 2] }, /cannot be halved 2 times \(level 1 is 15 px\)/],
    [{ numHeadChannels: 24 }, /not divisible by numHeadChannels 24/],
    [{ dropout: 1 }, /'dropout' must be in \[0, 1\); got 1/],
    [{ channelMults: [] }, /non-empty array/],
    [{ numResBlocks: 0 }, /'numResBlocks' must be a positive integer; got 0/],
  ])('rejects %j', (config, message) => {
    expect(() => resolveUNetConfig(config)).toThrow(message);
  });

  it('GroupNorm uses the largest group count ≤ normGroups that divides the channels', () => {
    expect(groupsFor(64, 32)).toBe(32);
    expect(groupsFor(96, 32)).toBe(32);
    expect(groupsFor(24, 32)).toBe(24);
    expect(groupsFor(40, 32)).toBe(20);
    expect(groupsFor(7, 4)).toBe(1);
  });

  it('parameter count matches an independent derivation', () => {
    const unet = createUNet();
    expect(unet.numParameters).toBe(
      expectedParameterCount({ inChannels: 4, base: 32, mults: [1, 2, 2], blocks: 2, attnAt: [7], size: 28 }),
    );
    expect(createUNet({ inChannels: 2, numResBlocks: 1 }).numParameters).toBe(
      expectedParameterCount({ inChannels: 2, base: 32, mults: [1, 2, 2], blocks: 1, attnAt: [7], size: 28 }),
    );
    const names = unet.paramSpecs.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('UNet forward (wasm)', () => {
  let engine: TfjsEngine;
  beforeAll(async () => {
    engine = await tfjsEngine('wasm');
  });

  it('default config: [n, 28, 28, 4] in and out, exactly zero velocity at initialisation, no leaks', () => {
    const ops = engine.ops;
    const unet = createUNet();
    const random = seeded(0);
    const params = paramsFromData(ops, unet.paramSpecs, initParamData(unet.paramSpecs, random));
    const before = liveTensors();
    const y = ops.tidy(() =>
      unet.forward(
        ops,
        params,
        ops.fromNHWC(randomData(2 * 28 * 28 * 4, random), [2, 28, 28, 4]),
        ops.constant([0.1, 0.9], [2]),
      ),
    );
    expect(ops.shape(y)).toEqual([2, 28, 28, 4]);
    expect(ops.toNHWC(y).every((v) => v === 0)).toBe(true);
    ops.dispose(y);
    expect(liveTensors()).toBe(before);
    ops.dispose(params);
  });

  it('rejects inputs with the wrong channel count', () => {
    const ops = engine.ops;
    const unet = createUNet(TINY);
    expect(() =>
      ops.tidy(() =>
        unet.forward(
          ops,
          {},
          ops.fromNHWC(new Float32Array(8 * 8 * 2), [1, 8, 8, 2]),
          ops.constant([0], [1]),
        ),
      ),
    ).toThrow(/has 2 channels; this network expects 3/);
  });

  it('scale-shift and dropout variants run; dropout is active only when training', () => {
    const ops = engine.ops;
    const unet = createUNet({ ...TINY, useScaleShiftNorm: true, dropout: 0.5 });
    const data = initParamData(unet.paramSpecs, seeded(1));
    for (const spec of unet.paramSpecs)
      if (spec.init.kind === 'zeros') data[spec.name] = randomData(data[spec.name].length, seeded(2));
    const params = paramsFromData(ops, unet.paramSpecs, data);
    const x = ops.fromNHWC(randomData(2 * 8 * 8 * 3, seeded(3)), [2, 8, 8, 3]);
    const t = ops.constant([0.2, 0.6], [2]);
    const run = (training: boolean, seed: number) =>
      ops.read(ops.tidy(() => unet.forward(ops, params, x, t, { training, random: seeded(seed) })));
    expect(maxDiff(run(false, 1), run(false, 2)).abs).toBe(0);
    expect(maxDiff(run(true, 1), run(true, 1)).abs).toBe(0);
    expect(maxDiff(run(true, 1), run(false, 1)).abs).toBeGreaterThan(1e-3);
    ops.dispose([x, t]);
    ops.dispose(params);
  });
});

describe('UNet gradients: wasm (forward-conv) vs cpu (built-in)', () => {
  it('the SFM loss gradient of every parameter of a small UNet agrees', async () => {
    const wasm = await tfjsEngine('wasm');
    const cpu = await tfjsEngine('cpu');
    const unet = createUNet({ ...TINY, imageSize: 8, inChannels: 4 });
    // Make zero-initialised layers non-zero so that every parameter receives a gradient.
    const data = initParamData(unet.paramSpecs, seeded(5));
    for (const spec of unet.paramSpecs) {
      if (spec.init.kind === 'zeros')
        data[spec.name] = randomData(data[spec.name].length, seeded(6)).map((v) => 0.2 * v);
    }
    const random = seeded(7);
    const images = randomData(3 * 8 * 8 * 1, random);
    const masks = randomData(3 * 8 * 8 * 3, random);
    const xiX = randomData(3 * 8 * 8 * 1, random);
    const xiM = randomData(3 * 8 * 8 * 3, random);
    const times = Float32Array.from([0.1, 0.5, 0.9]);
    const gradsOn = (engine: TfjsEngine) => {
      const ops = engine.ops;
      ops.activate();
      const before = liveTensors();
      const params = paramsFromData(ops, unet.paramSpecs, data);
      const batch = { images: ops.fromNHWC(images, [3, 8, 8, 1]), masks: ops.fromNHWC(masks, [3, 8, 8, 3]) };
      const noise = {
        xiX: ops.fromNHWC(xiX, [3, 8, 8, 1]),
        xiM: ops.fromNHWC(xiM, [3, 8, 8, 3]),
        t: ops.constant(times, [3]),
      };
      const { value, grads } = engine.valueAndGrads!((p) => sfmLoss(ops, unet, p, batch, noise).loss, params);
      const out = {
        loss: ops.readScalar(value),
        grads: Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, ops.read(g)])),
      };
      ops.dispose([value, ...Object.values(grads), batch.images, batch.masks, noise.xiX, noise.xiM, noise.t]);
      ops.dispose(params);
      expect(liveTensors()).toBe(before);
      return out;
    };
    const a = gradsOn(wasm);
    const b = gradsOn(cpu);
    expect(a.loss).toBeCloseTo(b.loss, 4);
    let worst = 0;
    for (const spec of unet.paramSpecs) {
      const d = maxDiff(a.grads[spec.name], b.grads[spec.name]);
      expect(d.scale, spec.name).toBeGreaterThan(0);
      worst = Math.max(worst, d.abs / Math.max(d.scale, 1e-3));
    }
    expect(worst).toBeLessThan(1e-3);
  });
});
